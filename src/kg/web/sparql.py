"""SPARQL 1.1 Protocol endpoint at /sparql (query by GET, POST form, POST sparql-query).

The route reads the request (protocol), picks a format (kg.web.negotiation), answers from the
result cache or the validators when it can, and otherwise runs the query in a query process
(kg.web.executor) and streams the result. Errors of ours become HTTP statuses in
`error_response`, the one place that does so (text or JSON, as the client prefers).

`FastPath` (installed by create_app) answers the common case, a plain GET or
`application/sparql-query` POST that succeeds, through the same `answer` without Flask's
per-request machinery; everything else, errors included, goes through the Flask route.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from flask import Blueprint, Response, current_app, redirect, request

from kg.config import Settings
from kg.errors import KgError, NotAcceptable, QueryError, QueryRefused, QueryTimeout, StoreError
from kg.mediatypes import GRAPH_FORMATS, Format, by_name
from kg.web import query_text
from kg.web.cache import ResultCache
from kg.web.dataset import get_executor, served
from kg.web.executor import Executor, ResultStream, formats_for
from kg.web.negotiation import accepts_explicitly, negotiate

bp = Blueprint("sparql", __name__)

QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"
# Other names clients use for our formats; the canonical media types are offered first.
ALIASES_SELECT = {"application/json": "json", "application/xml": "xml", "text/xml": "xml"}
ALIASES_GRAPH = {
    "application/json": "jsonld",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
    "text/n3": "turtle",
    "application/x-turtle": "turtle",
    "text/plain": "ntriples",
}


class ProtocolError(KgError):
    """A request that breaks the SPARQL 1.1 Protocol; carries its HTTP status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status, self.headers = status, headers or {}
        super().__init__(message)


def settings() -> Settings:
    return current_app.config["KG"]


def result_cache() -> ResultCache:
    cache = current_app.extensions.get("kg_result_cache")
    if cache is None:
        s = settings()
        cache = ResultCache(s.cache_size, s.cache_entry_max)
        current_app.extensions["kg_result_cache"] = cache
    return cache


# --- reading the request -----------------------------------------------------------------------


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(400, f"the {name} parameter must be given once, got {len(values)}")
    return values[0] if values else None


def _read_request() -> tuple[str | None, str | None, list[str], list[str]]:
    """(query, update, default-graph-uri list, named-graph-uri list) per the protocol."""
    args = request.args
    if len(request.query_string) > settings().max_body:
        raise ProtocolError(414, f"query string over {settings().max_body} bytes: send it by POST")
    if request.method == "GET":
        query, update = _one(args.getlist("query"), "query"), _one(args.getlist("update"), "update")
        if update is not None:
            raise ProtocolError(405, "SPARQL Update needs POST", {"Allow": "POST"})
        return query, None, args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
    limit = settings().max_body
    request.max_content_length = limit  # also stops a chunked body that grows past it
    if request.content_length is not None and request.content_length > limit:
        raise ProtocolError(413, f"request body over the limit of {limit} bytes")
    mimetype = request.mimetype
    if mimetype == FORM_TYPE:
        form = request.form
        query, update = _one(form.getlist("query"), "query"), _one(form.getlist("update"), "update")
        if args.getlist("query") or args.getlist("update"):
            raise ProtocolError(400, "query or update in both the URL and the body")
        if query is not None and update is not None:
            raise ProtocolError(400, "a request carries a query or an update, not both")
        if query is None and update is None:
            raise ProtocolError(400, "missing query parameter in the form body")
        return query, update, form.getlist("default-graph-uri"), form.getlist("named-graph-uri")
    if mimetype in (QUERY_TYPE, UPDATE_TYPE):
        if args.getlist("query") or args.getlist("update"):
            raise ProtocolError(400, "query or update in both the URL and the body")
        body = request.get_data(cache=False).decode(request.mimetype_params.get("charset", "utf-8"))
        dg, ng = args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
        if mimetype == QUERY_TYPE:
            return body, None, dg, ng
        return None, body, dg, ng
    raise ProtocolError(
        415,
        f"unsupported content type {mimetype or '(none)'}: send {FORM_TYPE}, {QUERY_TYPE} "
        f"or {UPDATE_TYPE}",
    )


def _pick_format(info: query_text.QueryText) -> Format:
    offered = formats_for(info)
    name = request.args.get("format") or request.args.get("output")
    if name is None and request.method == "POST" and request.mimetype == FORM_TYPE:
        name = request.form.get("format") or request.form.get("output")
    if name:
        fmt = format_named(name, info)
        if fmt is None:
            raise NotAcceptable(f"format {name!r} does not fit this query", _offered(offered))
        return fmt
    aliases = ALIASES_GRAPH if info.is_graph else ALIASES_SELECT
    types = [f.media_type for f in offered] + list(aliases)
    chosen = negotiate(request.headers.get("Accept"), types)
    if chosen is None:
        raise NotAcceptable("no offered type fits the Accept header", _offered(offered))
    fmt = by_name(aliases.get(chosen, chosen), offered)
    assert fmt is not None
    return fmt


def format_named(name: str, info: query_text.QueryText) -> Format | None:
    """The format a format=/output= value names for this query (`xml` and `json` of a graph
    query mean RDF/XML and JSON-LD, as SPARQLWrapper and Fuseki use them)."""
    if info.is_graph:
        name = {"xml": "rdfxml", "json": "jsonld"}.get(name.lower(), name)
    return by_name(name, formats_for(info))


def _offered(formats: list[Format]) -> list[str]:
    return [f.media_type for f in formats]


# --- the endpoint ------------------------------------------------------------------------------


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    error = request.environ.pop("kg.sparql.error", None)
    if error is not None:
        raise error
    query, update, default_graphs, named_graphs = _read_request()
    if update is not None:
        return _update(update)
    if query is None:
        return _without_query()
    info = query_text.read(query)
    if info.form == "UPDATE":
        raise QueryRefused("this is an update: send it as update= with POST (updates are off)")
    fmt = _pick_format(info)
    status, headers, body = answer(
        Endpoint.of_app(),
        query,
        info,
        fmt,
        request.headers.get("If-None-Match"),
        default_graphs or None,
        named_graphs or None,
    )
    if isinstance(body, bytes):
        return Response(body, status, headers)
    return Response(body, status, headers, direct_passthrough=True)


@dataclass
class Endpoint:
    """What answering a query needs, taken from the app once per worker (no request context)."""

    settings: Settings
    cache: ResultCache
    executor: Executor
    tag: str

    @classmethod
    def of_app(cls) -> Endpoint:
        ep = current_app.extensions.get("kg_endpoint")
        if ep is None:
            ep = cls(settings(), result_cache(), get_executor(), served().tag)
            current_app.extensions["kg_endpoint"] = ep
        return ep


def etag_of(key: tuple) -> str:
    return '"' + hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest() + '"'


def answer(
    ep: Endpoint,
    query: str,
    info: query_text.QueryText,
    fmt: Format,
    if_none_match: str | None,
    dg: list[str] | None,
    ng: list[str] | None,
) -> tuple[int, list[tuple[str, str]], bytes | ResultStream]:
    """Answer a readable query: 304 from the validators, 200 from the cache or a query process."""
    key = (ep.tag, query, fmt.name, tuple(dg) if dg else None, tuple(ng) if ng else None)
    headers = [("Vary", "Accept")]
    cacheable = not info.volatile
    if cacheable:
        etag = etag_of(key)
        headers.append(("ETag", etag))
        headers.append(("Cache-Control", f"public, max-age={ep.settings.cache_max_age}"))
        if if_none_match and etag in _tags(if_none_match):
            return 304, headers, b""
        body = ep.cache.get(key)
        if body is not None:
            headers += [("Content-Type", fmt.media_type), ("X-Cache", "hit")]
            return 200, headers, body
    else:
        headers.append(("Cache-Control", "no-store"))
    fmt, stream = ep.executor.execute(
        query, accept_format=fmt, default_graph=dg, named_graphs=ng, info=info
    )
    headers += [
        ("Content-Type", fmt.media_type),
        ("Server-Timing", f"query;dur={stream.query_ms:.2f}"),
    ]
    if cacheable and ep.cache.enabled:
        headers.append(("X-Cache", "miss"))
        if stream.body is None:  # streamed: kept once it has ended whole
            return 200, headers, ep.cache.recording(key, stream)
        ep.cache.put(key, stream.body)
    return 200, headers, stream.body if stream.body is not None else stream


def _tags(value: str) -> set[str]:
    return {v.strip().removeprefix("W/") for v in value.split(",")}


class FastPath:
    """WSGI middleware: a GET /sparql?query=… (or POST application/sparql-query) whose answer is
    a plain 200/304 is served here without Flask's per-request machinery; anything else (errors,
    the service description, forms, updates, OPTIONS) goes on to the Flask app, which answers the
    same way (it calls the same `answer`)."""

    def __init__(self, app, flask_app):  # noqa: ANN001
        self.app, self.flask_app = app, flask_app
        self.cors = flask_app.config["KG"].cors_origins.strip()
        self.plans: dict[tuple, tuple] = {}

    def _endpoint(self) -> Endpoint:
        ep = self.flask_app.extensions.get("kg_endpoint")  # dropped when a new build comes in
        if ep is None:
            with self.flask_app.app_context():
                ep = Endpoint.of_app()
        return ep

    def __call__(self, environ, start_response):  # noqa: ANN001
        if environ.get("PATH_INFO") != "/sparql":
            return self.app(environ, start_response)
        try:
            response = self._answer(environ)
        except KgError as exc:
            # The Flask route turns it into the error response, without running the query again.
            environ["kg.sparql.error"] = exc
            response = None
        except Exception:
            response = None
        if response is None:
            return self.app(environ, start_response)
        status, headers, body = response
        if self.cors == "*":
            headers.append(("Access-Control-Allow-Origin", "*"))
            headers.append(("Access-Control-Expose-Headers", "ETag, Server-Timing, X-Cache"))
        if isinstance(body, bytes):
            headers.append(("Content-Length", str(len(body))))
            start_response("304 Not Modified" if status == 304 else "200 OK", headers)
            return [body] if environ["REQUEST_METHOD"] != "HEAD" else []
        start_response("200 OK", headers)
        return body

    def _answer(self, environ):  # noqa: ANN001
        method = environ["REQUEST_METHOD"]
        if self.cors not in ("", "*"):
            return None  # per-origin CORS: leave it to the Flask route
        ep = self._endpoint()
        query_string = environ.get("QUERY_STRING", "")
        if len(query_string) > ep.settings.max_body:
            return None
        plan_key = None
        if method in ("GET", "HEAD"):
            # A repeated GET is read once: its parsed request (query, tokens, format, dataset)
            # is remembered by query string and Accept. Results are not: see the result cache.
            plan_key = (query_string, environ.get("HTTP_ACCEPT"))
            plan = self.plans.get(plan_key)
            if plan is not None:
                return answer(ep, *plan[:3], environ.get("HTTP_IF_NONE_MATCH"), *plan[3:])
        args = parse_qs(query_string, keep_blank_values=True)
        if method in ("GET", "HEAD"):
            queries = args.pop("query", [])
        elif (
            method == "POST" and environ.get("CONTENT_TYPE", "").split(";")[0].strip() == QUERY_TYPE
        ):
            length = int(environ.get("CONTENT_LENGTH") or -1)
            if length < 0 or length > ep.settings.max_body or "query" in args:
                return None
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)  # the Flask app may need to read it again
            queries = [body.decode("utf-8")]
        else:
            return None
        if len(queries) != 1 or not set(args) <= _FAST_ARGS:
            return None
        query = queries[0]
        info = query_text.read(query)
        if info.form == "UPDATE" or info.calls_out:
            return None
        offered = formats_for(info)
        name = (args.get("format") or args.get("output") or [None])[0]
        if name:
            fmt = format_named(name, info)
        else:
            aliases = ALIASES_GRAPH if info.is_graph else ALIASES_SELECT
            chosen = negotiate(
                environ.get("HTTP_ACCEPT"), [f.media_type for f in offered] + list(aliases)
            )
            fmt = by_name(aliases.get(chosen, chosen), offered) if chosen else None
        if fmt is None:
            return None
        dg = args.get("default-graph-uri") or None
        ng = args.get("named-graph-uri") or None
        if plan_key is not None:
            if len(self.plans) >= PLAN_CACHE_SIZE:
                self.plans.clear()
            self.plans[plan_key] = (query, info, fmt, dg, ng)
        return answer(ep, query, info, fmt, environ.get("HTTP_IF_NONE_MATCH"), dg, ng)


PLAN_CACHE_SIZE = 1024
_FAST_ARGS = {"format", "output", "results", "default-graph-uri", "named-graph-uri"}


def install_fast_path(app) -> None:  # noqa: ANN001
    app.wsgi_app = FastPath(app.wsgi_app, app)


def _without_query() -> Response:
    """GET /sparql with no query: the service description for RDF clients, the page for browsers."""
    from kg.web.service_description import service_description

    accept = request.headers.get("Accept")
    fmt_name = request.args.get("format")
    if fmt_name:
        fmt = by_name(fmt_name, GRAPH_FORMATS)
        if fmt is None:
            raise NotAcceptable(
                f"format {fmt_name!r} is not an RDF format", _offered(GRAPH_FORMATS)
            )
        return service_description(fmt)
    rdf_types = _offered(GRAPH_FORMATS)
    chosen = negotiate(accept, rdf_types + ["text/html"])
    if chosen == "text/html" and accepts_explicitly(accept, "text/html"):
        return redirect("/", code=303)
    if (
        chosen is not None
        and chosen != "text/html"
        and any(accepts_explicitly(accept, t) for t in rdf_types)
    ):
        fmt = by_name(chosen, GRAPH_FORMATS)
        assert fmt is not None
        return service_description(fmt)
    raise ProtocolError(
        400,
        "missing query parameter (ask with Accept: text/turtle for the service description)",
    )


def _update(update: str) -> Response:
    """SPARQL Update: off unless KG_UPDATE_TOKEN is set and the request carries it."""
    token = settings().update_token
    if not token:
        raise ProtocolError(403, "SPARQL Update is off: this service is read-only")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise ProtocolError(
            401, "SPARQL Update needs the update token", {"WWW-Authenticate": "Bearer"}
        )
    from kg.web.update import apply_update

    return apply_update(update)


# --- errors and CORS ---------------------------------------------------------------------------

_POSITION = re.compile(r"error at (\d+):(\d+)")


def error_response(exc: Exception) -> Response:
    """The one mapping of our errors to HTTP: status, and a text or JSON body."""
    headers: dict[str, str] = {}
    if isinstance(exc, ProtocolError):
        status, headers = exc.status, dict(exc.headers)
    elif isinstance(exc, QueryTimeout | StoreError):
        status, headers = 503, {"Retry-After": "1"}
    elif isinstance(exc, NotAcceptable):
        status = 406
    elif isinstance(exc, QueryError):
        status = 400
    else:
        status = 500
    message = str(exc)
    doc: dict = {"status": status, "error": type(exc).__name__, "message": message}
    if isinstance(exc, NotAcceptable):
        doc["offered"] = exc.offered
    m = _POSITION.search(message)
    if m:
        doc["line"], doc["column"] = int(m.group(1)), int(m.group(2))
    accept = request.headers.get("Accept")
    chosen = negotiate(accept, ["text/plain", "application/json"])
    wants_json = chosen == "application/json" or (
        chosen is None and accept is not None and "json" in accept
    )
    if (
        not wants_json
        and accept
        and "json" in accept
        and not accepts_explicitly(accept, "text/plain")
    ):
        wants_json = True
    headers["Cache-Control"] = "no-store"
    if wants_json:
        return Response(json.dumps(doc) + "\n", status, headers, content_type="application/json")
    return Response(message + "\n", status, headers, content_type="text/plain; charset=utf-8")


@bp.errorhandler(KgError)
def _handle(exc: KgError) -> Response:
    return error_response(exc)


@bp.errorhandler(413)
def _too_large(_exc: Exception) -> Response:
    return error_response(
        ProtocolError(413, f"request body over the limit of {settings().max_body} bytes")
    )


def add_cors(response: Response) -> Response:
    origins = settings().cors_origins.strip()
    if not origins:
        return response
    origin = request.headers.get("Origin")
    if origins == "*":
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin and origin in {o.strip() for o in origins.split(",")}:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return response
    response.headers["Access-Control-Expose-Headers"] = "ETag, Server-Timing, X-Cache"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "Accept, Content-Type, Authorization, If-None-Match"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


bp.after_request(add_cors)
