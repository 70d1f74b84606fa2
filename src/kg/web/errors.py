"""The one place where errors become HTTP answers, registered once by the app factory.

Every error, on every route, is one JSON document:

    {"status": 400, "error": "QueryError", "message": "SPARQL syntax error at line 1, …",
     "line": 1, "column": 25}

with the error's own details beside (`parameter`/`expected`/`value` for a bad parameter,
`offered` for 406, `query` for an unknown canned query). A client that prefers `text/plain`
gets the message as text, a browser (`text/html` first) a page saying the same.
"""

from __future__ import annotations

import json

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from kg.errors import (
    KgError,
    NotAcceptable,
    NotFound,
    ProtocolError,
    QueryError,
    QueryTimeout,
    RemoteError,
    StoreError,
)
from kg.mediatypes import HTML, JSON, TEXT, by_name
from kg.negotiation import negotiate

# Most specific first: the first type an error is an instance of gives its status.
STATUSES: list[tuple[type[Exception], int]] = [
    (NotFound, 404),
    (NotAcceptable, 406),
    (QueryTimeout, 503),
    (QueryError, 400),
    (StoreError, 503),
    (RemoteError, 502),
    (KgError, 500),
]
RETRY_AFTER = "1"  # seconds, on 503: a time-out or a store being swapped is worth retrying


def status_of(exc: Exception) -> int:
    if isinstance(exc, ProtocolError):
        return exc.status
    if isinstance(exc, HTTPException):
        return exc.code or 500
    return next((status for kind, status in STATUSES if isinstance(exc, kind)), 500)


def document(exc: Exception) -> dict:
    """The error document of `exc` (see the module docstring)."""
    status = status_of(exc)
    if isinstance(exc, HTTPException):
        name, message = type(exc).__name__, exc.description or exc.name
    else:
        name, message = type(exc).__name__, str(exc)
    doc: dict = {"status": status, "error": name, "message": message}
    if isinstance(exc, KgError):
        doc.update({k: v for k, v in exc.details().items() if v is not None})
    return doc


def response(exc: Exception) -> Response:
    """The answer to a request that failed with `exc`, in the representation the client wants."""
    doc = document(exc)
    headers = {"Cache-Control": "no-store"}
    if isinstance(exc, ProtocolError):
        headers.update(exc.headers)
    if isinstance(exc, HTTPException) and exc.code == 405:
        headers.update({k: v for k, v in exc.get_headers() if k == "Allow"})
    if doc["status"] == 503:
        headers["Retry-After"] = RETRY_AFTER
    chosen = negotiate(
        request.headers.get("Accept"), [JSON.media_type, TEXT.media_type, HTML.media_type]
    )
    fmt = by_name(chosen, [JSON, TEXT, HTML]) if chosen else JSON
    if fmt is TEXT:
        body, media_type = doc["message"] + "\n", "text/plain; charset=utf-8"
    elif fmt is HTML:
        title = "Not found" if doc["status"] == 404 else f"Error {doc['status']}"
        body, media_type = render_template("error.html", doc=doc, title=title), "text/html"
    else:
        body, media_type = json.dumps(doc, ensure_ascii=False) + "\n", JSON.media_type
    return Response(body, doc["status"], headers, content_type=media_type)


def init_app(app: Flask) -> None:
    app.register_error_handler(KgError, response)
    app.register_error_handler(HTTPException, response)
