"""HTTP to a SPARQL engine: a small pool of kept-alive connections (a query costs no TCP set-up),
a deadline on every read (the socket's timeout is what is left of the query's time limit, so no
request outlives it), and the engine's failures as errors of ours. A URL is only ever shown
without its credentials (`shown`)."""

from __future__ import annotations

import base64
import contextlib
import http.client
import queue
import socket
import time
from urllib.parse import urlsplit, urlunsplit

from kg.errors import ConfigError, EngineUnavailable, QueryTimeout

CHUNK = 64 * 1024
POOL = 16  # idle connections kept per engine


def shown(url: str) -> str:
    """`url` without user name and password, for messages and /health."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def basic_auth(user: str, password: str) -> dict[str, str]:
    if not user:
        return {}
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Reply:
    """An engine's answer being read: its status, headers and body by chunks, each read within
    the deadline. Read to its end, its connection goes back to the pool."""

    def __init__(self, pool: Connections, conn: http.client.HTTPConnection, deadline: float):
        self._pool, self._conn, self._deadline = pool, conn, deadline
        self.response = conn.getresponse()
        self.status = self.response.status

    def header(self, name: str) -> str | None:
        return self.response.getheader(name)

    def read(self, deadline: float | None = None) -> bytes:
        """The next chunk of the body, b"" at its end."""
        if self._conn is None:
            return b""
        deadline = self._deadline if deadline is None else deadline
        try:
            self._pool.arm(self._conn, deadline)
            chunk = self.response.read1(CHUNK)
        except TimeoutError as exc:
            self.close()
            raise QueryTimeout(
                f"the SPARQL engine {self._pool.shown} did not answer within the time limit"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise EngineUnavailable(f"the SPARQL engine {self._pool.shown} failed: {exc}") from exc
        if not chunk:
            conn, self._conn = self._conn, None
            self._pool.put_back(conn, self.response)
        return chunk

    def text(self, limit: int = 2000) -> str:
        """The (start of the) body as text, for error messages; the reply is closed."""
        try:
            return self.response.read(limit).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            return ""
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading: the connection is closed rather than drained."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Body:
    """An answer already read and rewritten (kg.backends.virtuoso): read like a Reply."""

    def __init__(self, data: bytes):
        self._data: bytes | None = data

    def read(self, deadline: float | None = None) -> bytes:
        data, self._data = self._data or b"", None
        return data

    def close(self) -> None:
        self._data = None


def read_all(reply: Reply, deadline: float) -> bytes:
    """The whole body of a reply, within the deadline."""
    chunks = []
    while chunk := reply.read(deadline):
        chunks.append(chunk)
    return b"".join(chunks)


class Connections:
    """Kept-alive connections to one engine (one host and port), shared by threads."""

    def __init__(self, url: str, headers: dict[str, str] | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"not an http(s) URL of a SPARQL engine: {shown(url)!r}")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.shown = shown(url)
        self.headers = headers or {}
        self._idle: queue.LifoQueue[http.client.HTTPConnection] = queue.LifoQueue(POOL)

    def _new(self, timeout: float) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return kind(self.host, self.port, timeout=timeout)

    @staticmethod
    def arm(conn: http.client.HTTPConnection, deadline: float) -> None:
        """Give the connection's next blocking step what is left until `deadline`."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        if conn.sock is not None:
            conn.sock.settimeout(left)
        conn.timeout = left

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str],
        deadline: float,
    ) -> Reply:
        """Send a request and read the status line and headers within `deadline`. A kept-alive
        connection that the engine has closed meanwhile is replaced once (queries are
        idempotent)."""
        headers = {**self.headers, **headers}
        for attempt in (0, 1):
            try:
                conn = self._idle.get_nowait()
                reused = True
            except queue.Empty:
                conn, reused = self._new(max(0.001, deadline - time.monotonic())), False
            try:
                self.arm(conn, deadline)
                conn.request(method, target, body=body, headers=headers)
                return Reply(self, conn, deadline)
            except TimeoutError as exc:
                conn.close()
                raise QueryTimeout(
                    f"the SPARQL engine {self.shown} did not answer within the time limit"
                ) from exc
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                conn.close()
                if reused and attempt == 0:
                    continue
                raise EngineUnavailable(self._unreachable(exc)) from exc
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise EngineUnavailable(self._unreachable(exc)) from exc
        raise AssertionError("unreachable")

    def _unreachable(self, exc: BaseException) -> str:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, socket.gaierror):
            reason = f"unknown host {self.host}"
        return f"the SPARQL engine {self.shown} does not answer ({reason or type(exc).__name__})"

    def put_back(
        self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> None:
        will_close = response.will_close
        response.close()  # read to its end: the connection may take the next request
        if will_close:
            conn.close()
            return
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    def close(self) -> None:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(OSError):
                conn.close()
