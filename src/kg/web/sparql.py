"""SPARQL 1.1 Protocol endpoint at /sparql (query by GET, POST form, POST sparql-query).

The route reads the request (protocol), picks a format (kg.mediatypes.choose), answers from the
result cache or the validators when it can, and otherwise runs the query through the served
build's executor (kg.query) and streams the result. Errors are answered by kg.web.errors.

`FastPath` (installed by create_app) answers the common case, a plain GET or
`application/sparql-query` POST that succeeds, through the same `answer` without Flask's
per-request machinery; everything else, errors included, goes through the Flask route.
"""

from __future__ import annotations

import hmac
import io
from urllib.parse import parse_qs

from flask import Blueprint, Flask, Response, current_app, redirect, request

from kg.config import Settings
from kg.errors import KgError, NotAcceptable, ProtocolError, QueryRefused
from kg.mediatypes import GRAPH_FORMATS, HTML, Format, choose
from kg.negotiation import accepts_explicitly
from kg.query import text as query_text
from kg.query.executor import ResultStream, formats_for
from kg.web import cors
from kg.web.conditional import etag_of, matches
from kg.web.dataset import Served, served
from kg.web.service_description import service_description
from kg.web.update import apply_update

bp = Blueprint("sparql", __name__)

QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"


def settings() -> Settings:
    return current_app.config["KG"]


# --- reading the request -----------------------------------------------------------------------


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(400, f"the {name} parameter must be given once, got {len(values)}")
    return values[0] if values else None


def body_text(data: bytes, charset: str | None) -> str:
    """A query or update body: UTF-8, as the protocol requires (400 for any other charset)."""
    if charset and charset.strip().strip('"').lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ProtocolError(400, f"the body must be UTF-8 (the protocol's encoding), not {charset}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the body is not valid UTF-8: {exc.reason}") from None


def _read_request() -> tuple[str | None, str | None, list[str], list[str]]:
    """(query, update, default-graph-uri list, named-graph-uri list) per the protocol."""
    args = request.args
    limit = settings().max_body
    if len(request.query_string) > limit:
        raise ProtocolError(414, f"query string over {limit} bytes: send it by POST")
    if request.method in ("GET", "HEAD"):
        query, update = _one(args.getlist("query"), "query"), _one(args.getlist("update"), "update")
        if update is not None:
            raise ProtocolError(405, "SPARQL Update needs POST", {"Allow": "POST"})
        return query, None, args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
    request.max_content_length = limit  # also stops a chunked body that grows past it
    if request.content_length is not None and request.content_length > limit:
        raise ProtocolError(413, f"request body over the limit of {limit} bytes")
    mimetype, charset = request.mimetype, request.mimetype_params.get("charset")
    if mimetype == FORM_TYPE:
        body_text(b"", charset)
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
        body = body_text(request.get_data(cache=False), charset)
        dg, ng = args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
        if mimetype == QUERY_TYPE:
            return body, None, dg, ng
        return None, body, dg, ng
    raise ProtocolError(
        415,
        f"unsupported content type {mimetype or '(none)'}: send {FORM_TYPE}, {QUERY_TYPE} "
        f"or {UPDATE_TYPE}",
    )


def _format_name() -> str | None:
    """format= (or output=, as Fuseki names it), in the URL or in a form body."""
    name = request.args.get("format") or request.args.get("output")
    if name is None and request.method == "POST" and request.mimetype == FORM_TYPE:
        name = request.form.get("format") or request.form.get("output")
    return name


# --- the endpoint ------------------------------------------------------------------------------


@bp.route("/sparql", methods=["GET", "HEAD", "POST"])
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
    fmt = choose(formats_for(info), _format_name(), request.headers.get("Accept"))
    status, headers, body = answer(
        served(),
        settings().cache_max_age,
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


def answer(
    build: Served,
    max_age: int,
    query: str,
    info: query_text.QueryText,
    fmt: Format,
    if_none_match: str | None,
    dg: list[str] | None,
    ng: list[str] | None,
) -> tuple[int, list[tuple[str, str]], bytes | ResultStream]:
    """Answer a readable query: 304 from the validators, 200 from the cache or the executor."""
    key = (build.tag, query, fmt.name, tuple(dg) if dg else None, tuple(ng) if ng else None)
    headers = [("Vary", "Accept")]
    cacheable = not info.volatile
    if cacheable:
        etag = etag_of(key)
        headers.append(("ETag", etag))
        headers.append(("Cache-Control", f"public, max-age={max_age}"))
        if matches(if_none_match, etag):
            return 304, headers, b""
        body = build.cache.get(key)
        if body is not None:
            headers += [("Content-Type", fmt.media_type), ("X-Cache", "hit")]
            return 200, headers, body
    else:
        headers.append(("Cache-Control", "no-store"))
    fmt, stream = build.executor.execute(
        query, accept_format=fmt, default_graph=dg, named_graphs=ng, info=info
    )
    headers += [
        ("Content-Type", fmt.media_type),
        ("Server-Timing", f"query;dur={stream.query_ms:.2f}"),
    ]
    if cacheable and build.cache.enabled:
        headers.append(("X-Cache", "miss"))
        if stream.body is None:  # streamed: kept once it has ended whole
            return 200, headers, build.cache.recording(key, stream)
        build.cache.put(key, stream.body)
    return 200, headers, stream.body if stream.body is not None else stream


class FastPath:
    """WSGI middleware: a GET /sparql?query=… (or POST application/sparql-query) whose answer is
    a plain 200/304 is served here without Flask's per-request machinery; anything else (errors,
    the service description, forms, updates, OPTIONS) goes on to the Flask app, which answers the
    same way (it calls the same `answer`)."""

    def __init__(self, app, flask_app: Flask):  # noqa: ANN001 - a WSGI callable
        self.app, self.flask_app = app, flask_app
        self.settings: Settings = flask_app.config["KG"]
        self.plans: dict[tuple, tuple] = {}

    def _served(self) -> Served:
        build = self.flask_app.extensions.get("kg_served")  # replaced when a new build comes in
        if build is None:
            with self.flask_app.app_context():
                build = served()
        return build

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204 - WSGI
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
        method = environ["REQUEST_METHOD"]
        for name, value in cors.headers_for(
            self.settings.cors_origins, environ.get("HTTP_ORIGIN"), method
        ):
            if name == "Vary":  # one Vary header: Accept (always there), then Origin
                headers = [(n, f"{v}, {value}" if n == "Vary" else v) for n, v in headers]
            else:
                headers.append((name, value))
        if isinstance(body, bytes):
            headers.append(("Content-Length", str(len(body))))
            start_response("304 Not Modified" if status == 304 else "200 OK", headers)
            return [body] if method != "HEAD" else []
        start_response("200 OK", headers)
        if method == "HEAD":
            body.close()
            return []
        return body

    def _answer(self, environ):  # noqa: ANN001, ANN202 - WSGI environ in, answer() out
        method = environ["REQUEST_METHOD"]
        build = self._served()
        max_age = self.settings.cache_max_age
        query_string = environ.get("QUERY_STRING", "")
        if len(query_string) > self.settings.max_body:
            return None
        plan_key = None
        if method in ("GET", "HEAD"):
            # A repeated GET is read once: its parsed request (query, tokens, format, dataset)
            # is remembered by query string and Accept. Results are not: see the result cache.
            plan_key = (query_string, environ.get("HTTP_ACCEPT"))
            plan = self.plans.get(plan_key)
            if plan is not None:
                return answer(
                    build, max_age, *plan[:3], environ.get("HTTP_IF_NONE_MATCH"), *plan[3:]
                )
        args = parse_qs(query_string, keep_blank_values=True)
        if method in ("GET", "HEAD"):
            queries = args.pop("query", [])
        elif method == "POST" and environ.get("CONTENT_TYPE", "").strip() == QUERY_TYPE:
            length = int(environ.get("CONTENT_LENGTH") or -1)
            if length < 0 or length > self.settings.max_body or "query" in args:
                return None
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)  # the Flask app may need to read it again
            queries = [body_text(body, None)]
        else:
            return None
        if len(queries) != 1 or not set(args) <= _FAST_ARGS:
            return None
        query = queries[0]
        info = query_text.read(query)
        if info.form == "UPDATE" or info.calls_out:
            return None
        name = (args.get("format") or args.get("output") or [None])[0]
        fmt = choose(formats_for(info), name, environ.get("HTTP_ACCEPT"))
        dg = args.get("default-graph-uri") or None
        ng = args.get("named-graph-uri") or None
        if plan_key is not None:
            if len(self.plans) >= PLAN_CACHE_SIZE:
                self.plans.clear()
            self.plans[plan_key] = (query, info, fmt, dg, ng)
        return answer(build, max_age, query, info, fmt, environ.get("HTTP_IF_NONE_MATCH"), dg, ng)


PLAN_CACHE_SIZE = 1024
_FAST_ARGS = {"format", "output", "default-graph-uri", "named-graph-uri"}


def install_fast_path(app: Flask) -> None:
    app.wsgi_app = FastPath(app.wsgi_app, app)


def _without_query() -> Response:
    """GET /sparql with no query: the service description for RDF clients, the page for browsers."""
    accept = request.headers.get("Accept")
    name = request.args.get("format")
    if name:
        return service_description(choose(GRAPH_FORMATS, name))
    try:
        chosen = choose(GRAPH_FORMATS + [HTML], None, accept) if accept else None
    except NotAcceptable:
        chosen = None
    if chosen is HTML and accepts_explicitly(accept, HTML.media_type):
        return redirect("/", code=303)
    if chosen in GRAPH_FORMATS and any(
        accepts_explicitly(accept, f.media_type) for f in GRAPH_FORMATS
    ):
        return service_description(chosen)
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
    return apply_update(update)
