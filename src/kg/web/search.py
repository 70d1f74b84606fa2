"""Search for people: GET /search and GET /search/suggest, JSON from the build's search index.

    GET /search?q=…[&lang=en|zh][&type=CURIE][&limit=20][&offset=0]
        {"total": n, "hits": [{"iri", "label", "lang", "type", "snippet", "score"}]}
        ranked; `snippet` is the best matching text, HTML-escaped, the match in <mark>…</mark>
    GET /search/suggest?q=…[&lang][&type][&limit=10]
        the same shape, for type-ahead: names only, at most 10, from the first character

`lang` is the language of the labels shown (default: Chinese for a query with Han characters,
else English); it does not filter. `type` keeps the members of a class (subclasses included).
Answers are cached like query results: an ETag from the build and the request, 304 to
If-None-Match, the worker's result cache. The index is opened once per build (kg.search).
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, current_app, request

from kg import catalogue as cat
from kg.errors import KgError
from kg.search import Results, SearchIndex
from kg.web.dataset import served
from kg.web.sparql import add_cors, error_response, etag_of, result_cache

bp = Blueprint("search", __name__)

DEFAULT_LIMIT = 20
SUGGEST_LIMIT = 10
PARAMETERS = ("q", "lang", "type", "limit", "offset")
_Q = cat.Parameter("q", "string", required=True, description="the text to look for")
_LANG = cat.Parameter("lang", "lang")
_TYPE = cat.Parameter("type", "iri")


def search_index() -> SearchIndex:
    """The served build's index (dropped with the build's other state by dataset.reopen)."""
    index = current_app.extensions.get("kg_search")
    build = served().store_path
    if index is None or index.build_dir != build:
        index = current_app.extensions["kg_search"] = SearchIndex(build)
    return index


def _page_number(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) > maximum:
        raise cat.ParameterError(name, f"a whole number from 0 up to {maximum}", raw)
    return int(raw)


def _read(max_limit: int, default_limit: int) -> tuple[str, str | None, str | None, int, int]:
    unknown = sorted(set(request.args) - set(PARAMETERS))
    if unknown:
        raise cat.ParameterError(unknown[0], "one of " + ", ".join(PARAMETERS))
    q = request.args.get("q", "")
    if not q.strip():
        raise cat.ParameterError("q", _Q.expected() + " (required)")
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


def _document(results: Results) -> dict:
    return {
        "total": results.total,
        "hits": [
            {
                "iri": hit.iri,
                "label": hit.label,
                "lang": hit.lang,
                "type": cat.curie(hit.kinds[0]) if hit.kinds else None,
                "snippet": hit.snippet,
                "score": hit.score,
            }
            for hit in results.hits
        ],
    }


def _answer(run) -> Response:  # noqa: ANN001 - () -> Results
    """The JSON of `run()`, or a 304 / a cached body for a request this build has answered."""
    key = (served().tag, request.path, tuple(sorted(request.args.items(multi=True))))
    etag = etag_of(key)
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={current_app.config['KG'].cache_max_age}",
    }
    given = request.headers.get("If-None-Match", "")
    if etag in {t.strip().removeprefix("W/") for t in given.split(",")}:
        return Response(status=304, headers=headers)
    cache = result_cache()
    body = cache.get(key)
    if body is not None:
        headers["X-Cache"] = "hit"
    else:
        start = time.perf_counter()
        body = (json.dumps(_document(run()), ensure_ascii=False) + "\n").encode()
        headers["Server-Timing"] = f"search;dur={(time.perf_counter() - start) * 1000:.2f}"
        if cache.enabled:
            headers["X-Cache"] = "miss"
            cache.put(key, body)
    return Response(body, headers=headers, mimetype="application/json")


@bp.get("/search")
def search() -> Response:
    q, lang, type_iri, limit, offset = _read(current_app.config["KG"].max_rows, DEFAULT_LIMIT)
    return _answer(lambda: search_index().search(q, lang, type_iri, limit, offset))


@bp.get("/search/suggest")
def suggest() -> Response:
    q, lang, type_iri, limit, offset = _read(SUGGEST_LIMIT, SUGGEST_LIMIT)
    if offset:
        raise cat.ParameterError("offset", "none: suggestions are the first few only", str(offset))
    return _answer(lambda: search_index().suggest(q, lang, type_iri, limit))


@bp.errorhandler(cat.ParameterError)
def _bad_parameter(exc: cat.ParameterError) -> Response:
    body = {
        "error": str(exc),
        "status": 400,
        "parameter": exc.parameter,
        "expected": exc.expected,
        "value": exc.value,
    }
    return Response(
        json.dumps(body, ensure_ascii=False) + "\n",
        status=400,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


@bp.errorhandler(KgError)
def _failed(exc: KgError) -> Response:
    return error_response(exc)  # no index in this build: 503, as a store that cannot be read


bp.after_request(add_cors)
