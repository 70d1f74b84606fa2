"""Search for people: GET /search and GET /search/suggest, JSON from the build's search index.

    GET /search?q=…[&lang=en|zh][&type=CURIE][&limit=20][&offset=0]
        {"total": n, "hits": [{"iri", "label", "lang", "type", "snippet", "score"}]}
        ranked; `snippet` is the best matching text, HTML-escaped, the match in <mark>…</mark>
    GET /search/suggest?q=…[&lang][&type][&limit=10]
        the same shape, for type-ahead: names only, at most 10, from the first character

`lang` is the language of the labels shown (default: Chinese for a query with Han characters,
else English); it does not filter. `type` keeps the members of a class (subclasses included).
Answers are cached as every page is (kg.web.conditional); errors are the service's error
document (kg.web.errors). The index is opened once per build (kg.web.dataset.search_index).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from flask import Blueprint, Response, current_app, request

from kg import catalogue as cat
from kg.errors import ParameterError
from kg.search import Results
from kg.vocab import curie
from kg.web.conditional import cached
from kg.web.dataset import search_index

bp = Blueprint("search", __name__)

DEFAULT_LIMIT = 20
SUGGEST_LIMIT = 10
PARAMETERS = ("q", "lang", "type", "limit", "offset")
_Q = cat.Parameter("q", "string", required=True, description="the text to look for")
_LANG = cat.Parameter("lang", "lang")
_TYPE = cat.Parameter("type", "iri")


def _page_number(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) > maximum:
        raise ParameterError(name, f"a whole number from 0 up to {maximum}", raw)
    return int(raw)


def _read(max_limit: int, default_limit: int) -> tuple[str, str | None, str | None, int, int]:
    unknown = sorted(set(request.args) - set(PARAMETERS))
    if unknown:
        raise ParameterError(unknown[0], "one of " + ", ".join(PARAMETERS))
    q = request.args.get("q", "")
    if not q.strip():
        raise ParameterError("q", _Q.expected() + " (required)")
    cat.to_term(_Q, q)
    lang = request.args.get("lang") or None
    if lang is not None:
        lang = cat.to_term(_LANG, lang).value
    type_iri = request.args.get("type") or None
    if type_iri is not None:
        type_iri = cat.to_term(_TYPE, type_iri).value
    limit = _page_number("limit", default_limit, max_limit)
    offset = _page_number("offset", 0, cat.MAX_OFFSET)
    return q, lang, type_iri, limit, offset


def _answer(run: Callable[[], Results]) -> Response:
    started = time.perf_counter()
    results = run()
    took = (time.perf_counter() - started) * 1000
    doc = {
        "total": results.total,
        "hits": [
            {
                "iri": hit.iri,
                "label": hit.label,
                "lang": hit.lang,
                "type": curie(hit.kinds[0]) if hit.kinds else None,
                "snippet": hit.snippet,
                "score": hit.score,
            }
            for hit in results.hits
        ],
    }
    response = Response(json.dumps(doc, ensure_ascii=False) + "\n", mimetype="application/json")
    response.headers["Server-Timing"] = f"search;dur={took:.2f}"
    return response


@bp.get("/search")
@cached
def search() -> Response:
    q, lang, type_iri, limit, offset = _read(current_app.config["KG"].max_rows, DEFAULT_LIMIT)
    return _answer(lambda: search_index().search(q, lang, type_iri, limit, offset))


@bp.get("/search/suggest")
@cached
def suggest() -> Response:
    q, lang, type_iri, limit, offset = _read(SUGGEST_LIMIT, SUGGEST_LIMIT)
    if offset:
        raise ParameterError("offset", "none: suggestions are the first few only", str(offset))
    return _answer(lambda: search_index().suggest(q, lang, type_iri, limit))
