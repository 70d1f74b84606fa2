"""The JSON access log middleware: one record per request, written when the body has been sent,
with the bytes counted and the query time and cache state read from our response headers.
(test_serve.py checks the same records from a running `kg serve`.)"""

from __future__ import annotations

import io
import json

from werkzeug.test import Client

from kg.web.access_log import AccessLog, query_ms


def app(environ, start_response):
    headers = [("Content-Type", "text/plain"), ("Server-Timing", "query;dur=1.25")]
    if environ["PATH_INFO"] == "/stream":
        start_response("200 OK", headers + [("X-Cache", "miss")])
        return (chunk for chunk in (b"ab", b"cde"))
    start_response("404 NOT FOUND", [("Content-Type", "text/plain")])
    return [b"nothing here"]


def records(log: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


def test_a_record_per_request_once_the_body_is_sent():
    log = io.StringIO()
    client = Client(AccessLog(app, log))
    response = client.get("/stream?query=x", headers={"User-Agent": "t"})
    assert response.data == b"abcde" and log.getvalue() == ""  # not before the server closes it
    response.close()  # as a WSGI server does once the body is sent
    client.get("/missing").close()
    streamed, missing = records(log)
    assert streamed["path"] == "/stream" and streamed["query_string"] == "query=x"
    assert streamed["status"] == 200 and streamed["bytes"] == 5 and streamed["agent"] == "t"
    assert streamed["query_ms"] == 1.25 and streamed["cache"] == "miss"
    assert streamed["duration_ms"] >= 0 and isinstance(streamed["worker"], int)
    assert missing["status"] == 404 and missing["bytes"] == 12 and missing["query_ms"] is None


def test_query_time_from_server_timing():
    assert query_ms("query;dur=3.5") == 3.5
    assert query_ms("db;dur=1, query;dur=2;desc=x") == 2.0
    assert query_ms("query;dur=abc") is None and query_ms("") is None
