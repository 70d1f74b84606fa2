"""GET /health: the store is open and a query process answers; triple count and version.

A failure is the service's error document with status 503 (kg.web.errors)."""

from __future__ import annotations

import os

from flask import Blueprint, Response, current_app, jsonify

from kg import __version__
from kg.web.dataset import served

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    build = served()
    build.executor.probe()
    response = jsonify(
        status="ok",
        version=build.version,
        software=__version__,
        digest=build.digest,
        build=build.build_id,
        backend=current_app.config["KG"].backend,
        store=str(build.store_path) if build.store_path is not None else None,
        origin=build.origin,
        triples=build.triples,
        graphs=build.graph_counts,
        worker=os.getpid(),
        query_processes=len(build.executor.pids()),
        query_pids=build.executor.pids(),
        cache=build.cache.stats(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
