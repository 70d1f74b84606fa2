"""SPARQL 1.1 Protocol endpoint at /sparql."""

from __future__ import annotations

from flask import Blueprint, Response, request

from kg import query as q
from kg.errors import KgError, QueryError
from kg.mediatypes import RESULT_FORMATS, by_name
from kg.web.db import get_store

bp = Blueprint("sparql", __name__)


@bp.get("/sparql")
def sparql_get() -> Response:
    text = request.args.get("query")
    if text is None:
        return Response("missing query parameter\n", status=400, mimetype="text/plain")
    fmt = by_name("json", RESULT_FORMATS)
    try:
        results = q.run(get_store(), text)
        body = q.serialize(results, fmt)
    except QueryError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    except KgError as exc:
        return Response(f"{exc}\n", status=503, mimetype="text/plain")
    return Response(body, mimetype=fmt.media_type)
