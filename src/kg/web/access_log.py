"""The access log: one JSON object per request, written when its response has been sent.

    {"time", "remote", "method", "path", "query_string", "status", "bytes", "duration_ms",
     "query_ms", "cache", "worker", "agent"}

`query_ms` and `cache` come from the response's Server-Timing and X-Cache headers (set by
kg.web.sparql). A WSGI middleware, so the record is the same under any server; `kg serve`
installs it when KG_ACCESS_LOG is set.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def open_log(destination: str) -> TextIO | None:
    """`-`: standard output; a path: that file, appended to; empty: no log."""
    if not destination:
        return None
    if destination == "-":
        return sys.stdout
    return open(destination, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (lives with the worker)


class AccessLog:
    """Wraps a WSGI app; writes a record per request to `stream`."""

    def __init__(self, app: WSGIApp, stream: TextIO):
        self.app, self.stream = app, stream
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        response: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            response["status"], response["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, start)
        if isinstance(body, list):  # complete already: log now, keep the list (servers like it)
            self.write(environ, response, sum(map(len, body)), started)
            return body
        return _Logged(self, body, environ, response, started)

    def write(self, environ: dict, response: dict, sent: int, started: float) -> None:
        headers = {k.lower(): v for k, v in response.get("headers", [])}
        status = response.get("status", "500")
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query_string": environ.get("QUERY_STRING", "")[:2000],
            "status": int(status.split(" ", 1)[0]),
            "bytes": sent,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "query_ms": query_ms(headers.get("server-timing", "")),
            "cache": headers.get("x-cache"),
            "worker": os.getpid(),
            "agent": environ.get("HTTP_USER_AGENT"),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.stream.write(line)
            self.stream.flush()


def query_ms(server_timing: str) -> float | None:
    """The `query;dur=…` of a Server-Timing header, in milliseconds."""
    for metric in server_timing.split(","):
        name, _, params = metric.strip().partition(";")
        if name == "query" and params.startswith("dur="):
            try:
                return float(params[4:].split(";")[0])
            except ValueError:
                return None
    return None


class _Logged:
    """A streamed body: counted as it goes, logged when the server closes it."""

    def __init__(
        self, log: AccessLog, body: Iterable[bytes], environ: dict, response: dict, started: float
    ):
        self.log, self.body, self.environ = log, body, environ
        self.response, self.started = response, started
        self.sent = 0
        self._it: Iterator[bytes] = iter(body)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk = next(self._it)
        self.sent += len(chunk)
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.log.write(self.environ, self.response, self.sent, self.started)
