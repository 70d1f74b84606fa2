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
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for
from pyoxigraph import NamedNode, QueryResultsFormat, parse_query_results

from kg import __version__
from kg import catalogue as cat
from kg.errors import ParameterError
from kg.mediatypes import HTML, JSON, RESULT_FORMATS, Format, choose
from kg.vocab import PREFIXES, curie, expand
from kg.web.conditional import cached
from kg.web.dataset import get_catalogue, get_executor, search_index

bp = Blueprint("api", __name__)

RUN_FORMATS: list[Format] = [*RESULT_FORMATS, HTML]
ENUM_MAX = 100  # an `iri` parameter's allowed values are listed in OpenAPI up to this many


def run(call: cat.Call, fmt: Format) -> bytes:
    """The serialised result of a checked call, in a SPARQL results format."""
    _, stream = get_executor().execute(
        call.text(), substitutions=call.substitutions, accept_format=fmt
    )
    return stream.read()


def bind_request(query: cat.CannedQuery) -> cat.Call:
    return cat.make_call(
        query,
        dict(request.args.items()),
        get_executor(),
        search_index,
        max_limit=current_app.config["KG"].max_rows,
        ignore=("format",),
        default_limit=current_app.config["KG"].page_size,
    )


def pick_format(offered: list[Format]) -> Format:
    """format= wins over the Accept header (kg.mediatypes.choose)."""
    return choose(offered, request.args.get("format"), request.headers.get("Accept"))


# ---------------------------------------------------------------------------------------------
# Routes


@bp.get("/queries")
@cached
def list_queries() -> Response:
    fmt = pick_format([JSON, HTML])
    catalogue = get_catalogue()
    queries = catalogue.queries()
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
            for error in catalogue.errors
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1) + "\n", mimetype="application/json"
    )


@bp.get("/queries/<name>.rq")
@cached
def query_text(name: str) -> Response:
    query = get_catalogue().get(name)
    return Response(query.text, mimetype="application/sparql-query")


@bp.get("/queries/<name>")
@cached
def run_query(name: str) -> Response:
    if name.endswith(".rq"):
        return query_text(name[:-3])
    query = get_catalogue().get(name)
    fmt = pick_format(RUN_FORMATS)
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
        return {"text": curie(term.value), "href": href, "title": term.value}
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


@bp.get("/values")
@cached
def values() -> Response:
    """Members of a class, by a text in their label: the lookup for `iri` parameters whose
    allowed values are too many for the OpenAPI document to list."""
    raw_class = request.args.get("class", "")
    of_class = expand(raw_class) if raw_class else None
    if of_class is None:
        raise ParameterError("class", "a class, as a CURIE (scad:Reference) or an IRI", raw_class)
    text = request.args.get("q", "")
    if len(text) > cat.MAX_STRING:
        raise ParameterError("q", f"a text of at most {cat.MAX_STRING} characters", text)
    raw_limit = request.args.get("limit", str(ENUM_MAX))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= ENUM_MAX:
        raise ParameterError("limit", f"a whole number from 1 to {ENUM_MAX}", raw_limit)
    found = cat.members(get_executor(), of_class, text, int(raw_limit))
    body = {
        "class": of_class,
        "q": text,
        "values": [{"iri": iri, "curie": curie(iri), "label": label} for iri, label in found],
    }
    return Response(json.dumps(body, ensure_ascii=False) + "\n", mimetype="application/json")


def _openapi() -> dict[str, Any]:
    settings = current_app.config["KG"]
    return openapi_document(
        get_catalogue().queries(), get_executor(), settings.max_rows, settings.page_size
    )


@bp.get("/openapi.json")
@cached
def openapi() -> Response:
    doc = _openapi()
    return Response(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", mimetype="application/json"
    )


@bp.get("/api")
@cached
def api_page() -> Response:
    doc = _openapi()
    return Response(
        render_template("api/docs.html", doc=doc, title="Web API"), mimetype="text/html"
    )


# ---------------------------------------------------------------------------------------------
# The OpenAPI document, generated from the headers (and the graph, for allowed values)


def _schema(param: cat.Parameter, engine: Any, known: dict) -> dict[str, Any]:
    """The JSON schema of a parameter; `known` keeps the allowed values found per class."""
    if param.type == "iri":
        schema: dict[str, Any] = {"type": "string"}
        if (param.type, param.of_class) not in known:
            known[param.type, param.of_class] = cat.allowed_values(engine, param, ENUM_MAX)
        allowed = known[param.type, param.of_class]
        if allowed:
            schema["enum"] = [iri for iri, _ in allowed]
            schema["x-labels"] = {iri: label for iri, label in allowed}
        else:
            if allowed is None:  # too many to list: name the class, point to the lookup
                schema["x-class"] = curie(param.of_class)
                schema["x-lookup"] = f"/values?{urlencode({'class': curie(param.of_class)})}&q="
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
            default = expand(default) or default
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
            values[name] = expand(value) or value
    return values


def openapi_document(
    queries: dict[str, cat.CannedQuery], engine: Any, max_rows: int, page_size: int
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
    paths["/values"] = {
        "get": {
            "operationId": "lookupValues",
            "summary": "Members of a class whose label contains a text (for iri parameters)",
            "tags": ["catalogue"],
            "parameters": [
                {
                    "name": "class",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                    "description": "The class, as a CURIE (scad:Reference) or an IRI",
                },
                {
                    "name": "q",
                    "in": "query",
                    "schema": {"type": "string", "maxLength": cat.MAX_STRING},
                    "description": "Text the label (any language) or IRI contains",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": ENUM_MAX},
                },
            ],
            "responses": {
                "200": {
                    "description": "The members found, in label order",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "400": {"description": "A parameter is missing or malformed", "content": error},
            },
        }
    }

    def page_params(unit: str) -> list[dict[str, Any]]:
        together = "" if unit == "rows" else f"; the rows of one of the {unit} come together"
        return [
            {
                "name": "limit",
                "in": "query",
                "description": f"At most this many {unit} (default {min(page_size, max_rows)}, "
                f"maximum {max_rows}){together}",
                "schema": {"type": "integer", "minimum": 0, "maximum": max_rows},
            },
            {
                "name": "offset",
                "in": "query",
                "description": f"Skip this many {unit} first (default 0)",
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
    known: dict = {}
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
                "schema": _schema(param, engine, known),
            }
            if param.name in examples:
                entry["example"] = _typed(param, examples[param.name])
            parameters.append(entry)
        parameters += (page_params(query.page_unit) if query.paginated else []) + [format_param]
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
                    "required": ["status", "error", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "line": {"type": "integer"},
                        "column": {"type": "integer"},
                        "parameter": {"type": "string"},
                        "expected": {"type": "string"},
                        "value": {"type": "string", "nullable": True},
                        "offered": {"type": "array", "items": {"type": "string"}},
                        "query": {"type": "string"},
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
    return curie(iri)


@bp.app_template_filter("with_format")
def _with_format(values: dict[str, str], fmt: str) -> str:
    return urlencode({**values, "format": fmt})
