"""GET /health: the store is open, a query process answers; triple count and version."""

from __future__ import annotations

import os

from flask import Blueprint, Response, jsonify

from kg import __version__
from kg.errors import KgError
from kg.web.dataset import get_executor, served

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    try:
        info = served()
        _fmt, stream = get_executor().execute("ASK {}")
        stream.read()
    except KgError as exc:
        response = jsonify(status="error", message=str(exc))
        response.status_code = 503
        return response
    from kg.web.sparql import result_cache

    response = jsonify(
        status="ok",
        version=info.version,
        software=__version__,
        digest=info.digest,
        build=info.build_id,
        store=str(info.store_path),
        triples=info.triples,
        graphs=info.graph_counts,
        worker=os.getpid(),
        query_processes=len(get_executor().pids()),
        cache=result_cache().stats(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
