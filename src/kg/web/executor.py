"""Isolated query execution: the one way the service runs a SPARQL query.

    Executor.execute(query: str, *, substitutions: dict[str, Term] | None = None,
            accept_format: Format | str | None = None,
            default_graph: list[str] | None = None, named_graphs: list[str] | None = None,
            ) -> tuple[Format, ResultStream]

`accept_format` is a Format, a format name (`json`, `turtle`, …, see kg.mediatypes) or None for the
form's default (SPARQL JSON for SELECT/ASK, Turtle for CONSTRUCT/DESCRIBE); a format that does
not fit the query's form raises NotAcceptable. `default_graph`/`named_graphs` are graph IRIs
(None: the default graph is the union of the named graphs). `substitutions` bind variables to
pyoxigraph terms (or N-Triples strings). The ResultStream is an iterator of bytes (close it if
you stop early); `.body` holds the whole result when it is small (then it is already complete).
Raises QueryError (syntax, with line:column), QueryRefused (update, SERVICE, LOAD) and
QueryTimeout (stopped after the time limit). `formats_for(query)` lists the formats a query
can be answered in, for content negotiation. In the web app, `kg.web.dataset.get_executor()`
is the worker's executor (`app.extensions["kg_executor"]`, started before the first request).

How: every executor keeps a small pool of query processes (`executor_child.py`), each holding
the store read-only. A query is sent to an idle one, the serialised result comes back in chunks
over a pipe. pyoxigraph cannot interrupt a running query, so on timeout the process is killed
and replaced, and the caller gets QueryTimeout while other requests go on. SERVICE and LOAD are
refused before any process sees the text (pyoxigraph would make the outgoing request itself);
SELECT/CONSTRUCT/DESCRIBE get a top-level LIMIT of at most `max_rows`.

Two exceptions to the isolation, both for queries that cannot run away, save the round trip
to a query process (about 0.3 ms of CPU, a fifth of a 1.5 ms query):
- an index lookup (`query_text.is_index_lookup`: a single triple pattern with no repeated
  variable and nothing else, or `DESCRIBE <iri>`) runs in the calling process, since its work is
  bounded by its capped rows (`inline_lookups=False` turns this off);
- a query that a query process has already answered whole in under `inline_under_ms` of CPU
  time runs in the calling process from then on: the store is read-only, so the same text over
  the same dataset does the same work again. The first run of any query is isolated. (CPU time,
  not elapsed time: on a busy machine a 2 ms query may take 20 ms to come back.)
pyoxigraph releases the GIL while it evaluates, so an inline query does not hold up the
worker's other threads.

The processes are started by one long-lived thread: each dies with the thread that started it
(PR_SET_PDEATHSIG), and a server's request threads come and go.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph

from kg.errors import NotAcceptable, QueryError, QueryRefused, QueryTimeout
from kg.mediatypes import GRAPH_FORMATS, RESULT_FORMATS, Format, by_name
from kg.web import executor_child, query_text

CHILD_SCRIPT = Path(__file__).with_name("executor_child.py")
PREFETCH = 512 * 1024  # results up to this size are read whole before the caller gets them
KNOWN_FAST_MAX = 4096  # queries remembered as fast (the set is emptied when it is full)
_HEAD = struct.Struct(">cI")


def formats_for(query: str | query_text.QueryText) -> list[Format]:
    """The formats a query's result can be written in, the default first."""
    info = query_text.read(query) if isinstance(query, str) else query
    return list(GRAPH_FORMATS) if info.is_graph else list(RESULT_FORMATS)


class _Child:
    """One query process and the parent's end of its pipes."""

    def __init__(self, store_path: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-P", str(CHILD_SCRIPT), str(store_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
        )
        self.wfd = self.proc.stdin.fileno()
        self.rfd = self.proc.stdout.fileno()
        self.buf = bytearray()

    def send(self, request: dict) -> None:
        payload = json.dumps(request).encode()
        data = memoryview(struct.pack(">I", len(payload)) + payload)
        while data:
            data = data[os.write(self.wfd, data) :]

    def _fill(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.rfd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(self.rfd, max(n - len(self.buf), 256 * 1024))
            if not chunk:
                raise EOFError
            self.buf += chunk

    def read_frame(self, deadline: float) -> tuple[bytes, bytes]:
        while True:
            self._fill(5, deadline)
            kind, length = _HEAD.unpack_from(self.buf)
            self._fill(5 + length, deadline)
            payload = bytes(self.buf[5 : 5 + length])
            del self.buf[: 5 + length]
            if kind != b"R":  # R: the process is ready (sent once, at start)
                return kind, payload

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)


class ResultStream:
    """The serialised result as an iterator of bytes; `.body` is set when it is complete."""

    def __init__(
        self, executor: Executor, child: _Child | None, chunks: list[bytes], deadline: float
    ):
        self._executor, self._child, self._deadline = executor, child, deadline
        self._chunks = chunks
        self.body: bytes | None = b"".join(chunks) if child is None else None
        self.started = time.monotonic()
        self.query_ms = 0.0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._chunks:
            return self._chunks.pop(0)
        if self._child is None:
            raise StopIteration
        try:
            kind, payload = self._child.read_frame(self._deadline)
        except (TimeoutError, EOFError, OSError) as exc:  # OSError: its executor was closed
            self._abandon()
            raise QueryTimeout("query stopped: it ran past the time limit") from exc
        if kind == b"D":
            return payload
        if kind == b"Z":
            self._executor._release(self._child)
            self._child = None
            raise StopIteration
        self._abandon()
        raise QueryError(json.loads(payload).get("message", "query failed"))

    def _abandon(self) -> None:
        if self._child is not None:
            self._executor._replace(self._child)
            self._child = None

    def close(self) -> None:
        """Stop early: the process still writing is replaced rather than drained."""
        self._chunks = []
        self._abandon()

    def read(self) -> bytes:
        """The whole result (for small results and tests)."""
        if self.body is not None:
            return self.body
        return b"".join(self)


class Executor:
    """A pool of query processes over one store, with a time limit and a row cap."""

    def __init__(
        self,
        store_path: Path,
        *,
        size: int = 1,
        timeout: float = 5.0,
        max_rows: int = 10000,
        inline_lookups: bool = True,
        inline_under_ms: float = 50.0,
    ):
        self.store_path = Path(store_path).resolve()  # a rebuild swaps the link: keep this build
        self.timeout, self.max_rows, self.size = timeout, max_rows, size
        self._idle: queue.LifoQueue[_Child] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._all: set[_Child] = set()
        self.killed = 0  # processes stopped for running past the limit
        self.inline_lookups = inline_lookups
        self.inline_under_ms = inline_under_ms
        self._known_fast: dict[tuple, None] = {}  # requests answered whole in inline_under_ms
        self._inline_store: pyoxigraph.Store | None = None
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="kg-query-spawner")
        self.closed = False
        for _ in range(size):
            self._idle.put(self._spawn())

    def _execute_inline(
        self, request: dict, fmt: Format, started: float, deadline: float
    ) -> ResultStream:
        """An index lookup (query_text.is_index_lookup) runs in this process: it cannot run away
        (its work is bounded by its capped rows), so it skips the round trip to a query process."""
        if self._inline_store is None:
            with self._lock:
                if self._inline_store is None:
                    self._inline_store = pyoxigraph.Store.read_only(str(self.store_path))
        try:
            results = self._inline_store.query(request["q"], **executor_child.query_kwargs(request))
            if isinstance(results, pyoxigraph.QueryTriples):
                body = results.serialize(format=fmt.rdf)
            else:
                body = results.serialize(format=fmt.results)
        except SyntaxError as exc:
            raise QueryError(str(exc)) from exc
        except (OSError, ValueError, TypeError) as exc:
            raise QueryError(f"query failed: {exc}") from exc
        stream = ResultStream(self, None, [body], deadline)
        stream.query_ms = (time.monotonic() - started) * 1000
        return stream

    def _spawn(self) -> _Child:
        child = self._spawner.submit(_Child, self.store_path).result()
        with self._lock:
            self._all.add(child)
        return child

    def _release(self, child: _Child) -> None:
        self._idle.put(child)

    def _replace(self, child: _Child) -> None:
        with self._lock:
            self._all.discard(child)
        child.kill()
        self.killed += 1
        if not self.closed:  # a closed executor (an old build's) starts no more processes
            self._idle.put(self._spawn())

    def close(self) -> None:
        with self._lock:
            children, self._all = list(self._all), set()
            self.closed = True
        for child in children:
            child.kill()
        self._spawner.shutdown(wait=False)

    def pids(self) -> list[int]:
        with self._lock:
            return [c.proc.pid for c in self._all]

    def execute(
        self,
        query: str,
        *,
        substitutions: dict[str, Any] | None = None,
        accept_format: Format | str | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        info: query_text.QueryText | None = None,
    ) -> tuple[Format, ResultStream]:
        info = info or query_text.read(query)
        check_allowed(info)
        fmt = _pick_format(info, accept_format)
        request = {
            "q": info.capped(self.max_rows),
            "results": fmt.results.media_type if fmt.results is not None else None,
            "rdf": fmt.rdf.media_type if fmt.rdf is not None else None,
            "dg": default_graph,
            "ng": named_graphs,
            "subs": {str(k).lstrip("?$"): str(v) for k, v in (substitutions or {}).items()},
        }
        started = time.monotonic()
        deadline = started + self.timeout
        known = _request_key(request)
        if (info.lookup and self.inline_lookups) or known in self._known_fast:
            return fmt, self._execute_inline(request, fmt, started, deadline)
        try:
            child = self._idle.get(timeout=self.timeout)
        except queue.Empty as exc:
            raise QueryTimeout(
                f"no query process became free within {self.timeout:g} s: the service is busy"
            ) from exc
        try:
            child.send(request)
            kind, payload = child.read_frame(deadline)
            if kind == b"E":
                error = json.loads(payload)
                if error.get("kind") == "syntax" and request["q"] != query:
                    # Report the position in the text the client sent, not in the capped one.
                    child.send(dict(request, q=query, parse_only=True))
                    kind, payload = child.read_frame(deadline)
                    if kind == b"E":
                        error = json.loads(payload)
                    elif kind == b"H":
                        child.read_frame(deadline)  # Z
                self._release(child)
                raise _error(error)
            chunks, size = [], 0
            while size < PREFETCH:
                kind, payload = child.read_frame(deadline)
                if kind == b"D":
                    chunks.append(payload)
                    size += len(payload)
                elif kind == b"Z":
                    self._release(child)
                    stream = ResultStream(self, None, chunks, deadline)
                    stream.query_ms = (time.monotonic() - started) * 1000
                    if _cpu_ms(payload) < self.inline_under_ms:
                        self._remember_fast(known)
                    return fmt, stream
                else:
                    self._release(child)
                    raise _error(json.loads(payload))
        except (TimeoutError, EOFError, BrokenPipeError) as exc:
            self._replace(child)
            if isinstance(exc, TimeoutError):
                raise QueryTimeout(
                    f"query stopped after {self.timeout:g} s (the service's time limit); "
                    "narrow it with more specific patterns or a LIMIT"
                ) from exc
            raise QueryError("the query process ended unexpectedly") from exc
        stream = ResultStream(self, child, chunks, deadline)
        stream.query_ms = (time.monotonic() - started) * 1000
        return fmt, stream

    def _remember_fast(self, key: tuple) -> None:
        if len(self._known_fast) >= KNOWN_FAST_MAX:
            self._known_fast.clear()
        self._known_fast[key] = None


def _cpu_ms(end_frame: bytes) -> float:
    """The CPU time a query process reports for a query in its Z frame (inf if it does not)."""
    try:
        return float(json.loads(end_frame)["cpu_ms"])
    except (ValueError, KeyError, TypeError):
        return float("inf")


def _request_key(request: dict) -> tuple:
    """What decides a query's work: its text, format, dataset and bound values."""
    dg, ng = request["dg"], request["ng"]
    return (
        request["q"],
        request["results"],
        request["rdf"],
        tuple(dg) if dg is not None else None,
        tuple(ng) if ng is not None else None,
        tuple(sorted(request["subs"].items())),
    )


def check_allowed(info: query_text.QueryText) -> None:
    """Refuse what must not reach the store: updates, SERVICE and LOAD (outgoing requests)."""
    if info.calls_out:
        raise QueryRefused(
            "SERVICE (federated query) and LOAD are not allowed: this service makes no outgoing "
            "requests"
        )
    if info.form == "UPDATE":
        raise QueryRefused(
            "SPARQL Update is not accepted at the query endpoint: the graph is read-only"
        )


def _pick_format(info: query_text.QueryText, accept_format: Format | str | None) -> Format:
    offered = formats_for(info)
    if accept_format is None:
        return offered[0]
    name = accept_format.name if isinstance(accept_format, Format) else accept_format
    fmt = by_name(name, offered)
    if fmt is None:
        kind = "a graph (CONSTRUCT/DESCRIBE)" if info.is_graph else "SELECT/ASK results"
        raise NotAcceptable(f"{name} cannot represent {kind}", [f.media_type for f in offered])
    return fmt


def _error(payload: dict) -> QueryError:
    message = payload.get("message", "query failed")
    return QueryError(message)


def from_settings(settings: Any, store_path: Path | None = None) -> Executor:
    """An executor sized for a worker: one query process per thread unless set otherwise."""
    size = settings.query_processes or max(1, settings.threads)
    return Executor(
        store_path or settings.store,
        size=size,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        inline_under_ms=settings.inline_under_ms,
    )
