"""Canned queries as a web API: the catalogue, each query with typed parameters, its text, and an
OpenAPI 3 document (with a browsable page) generated from the queries' headers.

    GET /queries               the catalogue (JSON, or an HTML page)
    GET /queries/<name>        run one: parameters in the query string; JSON, CSV, TSV, XML, HTML
    GET /queries/<name>.rq     the query's text
    GET /openapi.json          OpenAPI 3 document of the routes above
    GET /api                   the same document as a page, with a form per query
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from pyoxigraph import NamedNode, QueryResultsFormat, parse_query_results

from kg import __version__
from kg import catalogue as cat
from kg.errors import KgError, NotAcceptable, QueryError, QueryRefused, QueryTimeout, StoreError
from kg.mediatypes import HTML, RESULT_FORMATS, Format, by_name
from kg.vocab import PREFIXES
from kg.web.dataset import get_store
from kg.web.negotiation import negotiate

bp = Blueprint("api", __name__)

RUN_FORMATS: list[Format] = [*RESULT_FORMATS, HTML]
JSON = Format("json", "application/json", "json")
ERROR_MEDIA_TYPE = "application/json"


# ---------------------------------------------------------------------------------------------
# The catalogue, re-read when a file in queries/ changes


def queries_folder() -> Path:
    return Path(getattr(current_app.config["KG"], "queries", None) or cat.default_folder())


def catalogue() -> dict[str, cat.CannedQuery]:
    folder = queries_folder()
    signature = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.rq"))
    )
    cached = current_app.extensions.get("kg_catalogue")
    if cached is None or cached[0] != signature:
        errors: list[cat.HeaderError] = []
        queries = cat.load_catalogue(folder, errors)
        for error in errors:
            current_app.logger.error("canned query left out: %s", error)
        cached = (signature, queries, errors)
        current_app.extensions["kg_catalogue"] = cached
    return cached[1]


def query_or_404(name: str) -> cat.CannedQuery:
    query = catalogue().get(name)
    if query is None:
        raise cat.UnknownQuery(name)
    return query


# ---------------------------------------------------------------------------------------------
# Running a query: through the service's isolated executor (time limit, row cap, no SERVICE)


def _executor() -> Any:
    """This worker's query processes, shared with /sparql (kg.web.dataset)."""
    from kg.web.dataset import get_executor

    return get_executor()


def run(call: cat.Call, fmt: Format) -> bytes:
    """The serialised result of a checked call, in a SPARQL results format."""
    _, stream = _executor().execute(
        call.text(), substitutions=call.substitutions, accept_format=fmt
    )
    try:
        return stream.read()
    finally:
        stream.close()


def bind_request(query: cat.CannedQuery) -> cat.Call:
    values = {k: v for k, v in request.args.items()}
    settings = current_app.config["KG"]
    call = cat.bind(
        query, values, store=get_store(), max_limit=settings.max_rows, ignore=("format",)
    )
    if query.searched is not None:  # `# index: search ?q`: the page of hits from the index
        from kg.web.search import search_index

        cat.search(call, search_index())
    return call


def pick_format(offered: list[Format], default: Format) -> Format:
    """format= wins over the Accept header; an Accept header naming nothing offered gets 406."""
    name = request.args.get("format")
    if name:
        fmt = by_name(name, offered)
        if fmt is None:
            raise cat.ParameterError("format", "one of " + ", ".join(f.name for f in offered), name)
        return fmt
    accept = request.headers.get("Accept")
    if not accept:
        return default
    chosen = negotiate(accept, [default.media_type] + [f.media_type for f in offered])
    if chosen is None:
        if negotiate(accept, ["application/json"]):
            return default
        raise NotAcceptable(
            "no offered media type fits the Accept header", [f.media_type for f in offered]
        )
    return next(f for f in offered if f.media_type == chosen)


# ---------------------------------------------------------------------------------------------
# Errors: one place that turns the project's errors into statuses for this blueprint


def _error(status: int, message: str, **extra: Any) -> Response:
    body = {"error": message, "status": status, **extra}
    return Response(
        json.dumps(body, ensure_ascii=False) + "\n", status=status, mimetype=ERROR_MEDIA_TYPE
    )


@bp.errorhandler(cat.ParameterError)
def _bad_parameter(exc: cat.ParameterError) -> Response:
    return _error(400, str(exc), parameter=exc.parameter, expected=exc.expected, value=exc.value)


@bp.errorhandler(cat.UnknownQuery)
def _unknown(exc: cat.UnknownQuery) -> Response:
    return _error(404, str(exc), query=exc.name)


@bp.errorhandler(NotAcceptable)
def _not_acceptable(exc: NotAcceptable) -> Response:
    return _error(406, str(exc), offered=exc.offered)


@bp.errorhandler(KgError)
def _failed(exc: KgError) -> Response:
    if isinstance(exc, QueryTimeout):
        return _error(503, str(exc))
    if isinstance(exc, QueryRefused):
        return _error(400, str(exc))
    if isinstance(exc, StoreError):
        return _error(503, str(exc))
    if isinstance(exc, QueryError):  # a canned query that fails is the service's fault
        return _error(500, f"canned query failed: {exc}")
    return _error(500, str(exc))


# ---------------------------------------------------------------------------------------------
# Routes


@bp.get("/queries")
def list_queries() -> Response:
    fmt = pick_format([JSON, HTML], JSON)
    queries = catalogue()
    if fmt.name == "html":
        return Response(
            render_template("api/catalogue.html", queries=queries.values(), title="Canned queries"),
            mimetype="text/html",
        )
    body = {
        "queries": [
            {
                **q.to_json(),
                "url": url_for("api.run_query", name=q.name),
                "text": url_for("api.query_text", name=q.name),
            }
            for q in queries.values()
        ],
        "openapi": url_for("api.openapi"),
        "errors": [  # files left out because their header is wrong
            {"file": error.path.name, "line": error.line, "message": error.message}
            for error in current_app.extensions["kg_catalogue"][2]
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1) + "\n", mimetype="application/json"
    )


@bp.get("/queries/<name>.rq")
def query_text(name: str) -> Response:
    query = query_or_404(name)
    return Response(query.text, mimetype="application/sparql-query")


@bp.get("/queries/<name>")
def run_query(name: str) -> Response:
    if name.endswith(".rq"):
        return query_text(name[:-3])
    query = query_or_404(name)
    fmt = pick_format(RUN_FORMATS, RESULT_FORMATS[0])
    call = bind_request(query)
    if fmt.name != "html":
        return Response(run(call, fmt), mimetype=fmt.media_type)
    body = run(call, RESULT_FORMATS[0])
    solutions = parse_query_results(body, format=QueryResultsFormat.JSON)
    columns = [v.value for v in solutions.variables]
    rows = [[_cell(s[c]) for c in columns] for s in solutions]
    page = _page_links(call, len(rows))
    return Response(
        render_template(
            "api/results.html",
            query=query,
            columns=columns,
            rows=rows,
            page=page,
            values=dict(request.args),
            title=query.title,
            formats=[f.name for f in RUN_FORMATS if f.name != "html"],
        ),
        mimetype="text/html",
    )


def _cell(term: Any) -> dict[str, str] | None:
    """A table cell: text to show, and for IRIs a link to the statements touching the entity."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        href = url_for("api.run_query", name="describe-entity", entity=term.value, format="html")
        return {"text": cat.curie(term.value), "href": href, "title": term.value}
    lang = getattr(term, "language", None)
    return {"text": term.value, "lang": lang or ""}


def _page_links(call: cat.Call, count: int) -> dict[str, str | None]:
    args = dict(request.args)
    links: dict[str, str | None] = {"previous": None, "next": None}
    if not call.query.paginated or call.limit is None:
        return links
    if call.offset > 0:
        args["offset"] = str(max(0, call.offset - call.limit))
        links["previous"] = "?" + urlencode(args)
    if count >= call.limit:
        args["offset"] = str(call.offset + call.limit)
        links["next"] = "?" + urlencode(args)
    return links


@bp.get("/openapi.json")
def openapi() -> Response:
    doc = openapi_document(catalogue(), get_store(), current_app.config["KG"].max_rows)
    return Response(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", mimetype="application/json"
    )


@bp.get("/api")
def api_page() -> Response:
    doc = openapi_document(catalogue(), get_store(), current_app.config["KG"].max_rows)
    return Response(
        render_template("api/docs.html", doc=doc, title="Web API"), mimetype="text/html"
    )


# ---------------------------------------------------------------------------------------------
# The OpenAPI document, generated from the headers (and the graph, for allowed values)


def _schema(param: cat.Parameter, store: Any) -> dict[str, Any]:
    if param.type == "iri":
        schema: dict[str, Any] = {"type": "string"}
        allowed = cat.allowed_values(store, param)
        if allowed:
            schema["enum"] = [iri for iri, _ in allowed]
            schema["x-labels"] = {iri: label for iri, label in allowed}
        else:
            schema["format"] = "iri"
            schema["minLength"] = 1
            schema["pattern"] = r"^[A-Za-z0-9_:][^\s<>\"{}|\\^`]*$"  # <…> also accepted
    elif param.type == "string":
        schema = {"type": "string", "minLength": 1, "maxLength": cat.MAX_STRING}
    elif param.type == "lang":
        schema = {"type": "string", "enum": list(cat.LANGUAGES)}
    elif param.type == "integer":
        schema = {"type": "integer", "minimum": -(10**17), "maximum": 10**17}
    elif param.type == "decimal":
        schema = {"type": "number", "minimum": -(10**17), "maximum": 10**17}
    else:  # date
        schema = {"type": "string", "pattern": cat.DATE_PATTERN}
    if param.default is not None:
        default = param.default
        if param.type == "iri":
            default = cat.expand_iri(default) or default
        schema["default"] = _typed(param, default)
    return schema


def _typed(param: cat.Parameter, value: str) -> Any:
    if param.type == "integer":
        return int(value)
    if param.type == "decimal":
        return float(value)
    return value


def _examples(query: cat.CannedQuery) -> dict[str, str]:
    """The first example call's values, IRIs expanded (as in the schema's enum)."""
    if not query.examples:
        return {}
    values = dict(parse_qsl(query.examples[0].lstrip("?"), keep_blank_values=False))
    for name, value in list(values.items()):
        param = query.parameter(name)
        if param is not None and param.type == "iri":
            values[name] = cat.expand_iri(value) or value
    return values


def openapi_document(
    queries: dict[str, cat.CannedQuery], store: Any, max_rows: int
) -> dict[str, Any]:
    names = list(queries)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    results_content = {
        "application/sparql-results+json": {
            "schema": {"$ref": "#/components/schemas/SparqlResults"}
        },
        "text/csv": {"schema": {"type": "string"}},
        "text/tab-separated-values": {"schema": {"type": "string"}},
        "application/sparql-results+xml": {"schema": {"type": "string"}},
        "text/html": {"schema": {"type": "string"}},
    }
    paths: dict[str, Any] = {
        "/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "The catalogue of canned queries",
                "tags": ["catalogue"],
                "parameters": [
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["json", "html"]},
                        "description": "json (default) or html; or use the Accept header",
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The canned queries with their parameters",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Catalogue"}
                            },
                            "text/html": {"schema": {"type": "string"}},
                        },
                    },
                    "400": {"description": "Bad format", "content": error},
                    "406": {"description": "No acceptable media type", "content": error},
                },
            }
        },
        "/queries/{name}.rq": {
            "get": {
                "operationId": "getQueryText",
                "summary": "The SPARQL text of a canned query, header included",
                "tags": ["catalogue"],
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": names or ["none"]},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The query text",
                        "content": {"application/sparql-query": {"schema": {"type": "string"}}},
                    },
                    "404": {"description": "No such query", "content": error},
                },
            }
        },
    }
    page_params = [
        {
            "name": "limit",
            "in": "query",
            "description": f"At most this many rows (default and maximum {max_rows})",
            "schema": {"type": "integer", "minimum": 0, "maximum": max_rows},
        },
        {
            "name": "offset",
            "in": "query",
            "description": "Skip this many rows first (default 0)",
            "schema": {"type": "integer", "minimum": 0, "maximum": cat.MAX_OFFSET},
        },
    ]
    format_param = {
        "name": "format",
        "in": "query",
        "description": "Result format (overrides the Accept header): "
        + ", ".join(f.name for f in RUN_FORMATS),
        "schema": {"type": "string", "enum": [f.name for f in RUN_FORMATS]},
    }
    for query in queries.values():
        examples = _examples(query)
        parameters = []
        for param in query.parameters:
            entry: dict[str, Any] = {
                "name": param.name,
                "in": "query",
                "required": param.required,
                "description": (param.description + " — " if param.description else "")
                + "expects "
                + param.expected(),
                "schema": _schema(param, store),
            }
            if param.name in examples:
                entry["example"] = _typed(param, examples[param.name])
            parameters.append(entry)
        parameters += (page_params if query.paginated else []) + [format_param]
        paths[f"/queries/{query.name}"] = {
            "get": {
                "operationId": "query_" + query.name.replace("-", "_"),
                "summary": query.title,
                "description": query.description
                + f"\n\nText: [/queries/{query.name}.rq](/queries/{query.name}.rq)",
                "tags": list(query.tags) or ["query"],
                "parameters": parameters,
                "responses": {
                    "200": {"description": "The results", "content": results_content},
                    "400": {"description": "A parameter is missing or malformed", "content": error},
                    "406": {"description": "No acceptable media type", "content": error},
                    "503": {
                        "description": "Time limit reached or store unavailable",
                        "content": error,
                    },
                },
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SCAD knowledge graph: canned queries",
            "version": __version__,
            "description": "Canned SPARQL queries over the stem-cell therapy for autoimmune disease "
            "knowledge graph, generated from the headers of queries/*.rq. Parameters are typed and "
            "bound as RDF terms; IRIs may be given in full, as CURIEs ("
            + ", ".join(f"{p}:" for p in PREFIXES)
            + ") or as scad: local names. The full SPARQL endpoint is at /sparql.",
            "license": {"name": "CC-BY-4.0 (data), MIT (code)"},
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {
                        "error": {"type": "string"},
                        "status": {"type": "integer"},
                        "parameter": {"type": "string"},
                        "expected": {"type": "string"},
                        "value": {"type": "string", "nullable": True},
                    },
                },
                "SparqlResults": {
                    "type": "object",
                    "required": ["head", "results"],
                    "properties": {
                        "head": {
                            "type": "object",
                            "properties": {"vars": {"type": "array", "items": {"type": "string"}}},
                        },
                        "results": {
                            "type": "object",
                            "properties": {
                                "bindings": {"type": "array", "items": {"type": "object"}}
                            },
                        },
                    },
                },
                "Catalogue": {
                    "type": "object",
                    "required": ["queries"],
                    "properties": {
                        "queries": {"type": "array", "items": {"type": "object"}},
                        "openapi": {"type": "string"},
                        "errors": {"type": "array", "items": {"type": "object"}},
                    },
                },
            }
        },
    }


@bp.app_template_filter("curie")
def _curie_filter(iri: str | None) -> str:
    return cat.curie(iri) if iri else ""


@bp.app_template_filter("with_format")
def _with_format(values: dict[str, str], fmt: str) -> str:
    return urlencode({**values, "format": fmt})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
