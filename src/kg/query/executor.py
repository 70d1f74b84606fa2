"""Isolated query execution: the one way the project runs a SPARQL query.

    Executor.execute(query, *, substitutions=None, accept_format=None, default_graph=None,
                     named_graphs=None, info=None) -> tuple[Format, ResultStream]
    Executor.select(query, **bindings) -> list[QuerySolution]   rows, for pages and checks
    Executor.ask(query, **bindings) -> bool
    Executor.triples(query, **bindings) -> list[Triple]         CONSTRUCT / DESCRIBE

`accept_format` is a Format, a format name (`json`, `turtle`, …, see kg.mediatypes) or None for
the form's default (SPARQL JSON for SELECT/ASK, Turtle for CONSTRUCT/DESCRIBE); a format that does
not fit the query's form raises NotAcceptable. `default_graph`/`named_graphs` are graph IRIs
(None: the default graph is the union of the named graphs). `substitutions`/`bindings` bind
variables to pyoxigraph terms, by VALUES blocks written from the terms (kg.query.text.bind_values:
the same bindings as pyoxigraph's `substitutions`, a better plan, and any engine reads them). The
ResultStream is an iterator of bytes (close it if you stop early); `.body` holds the whole result
when it is small. Raises QueryError (syntax, with line and column), QueryRefused (update,
SERVICE, LOAD) and QueryTimeout (stopped at the time limit).

How: an executor keeps a small pool of query processes (kg.query.child), each holding the store
read-only. A query is sent to an idle one; the serialised result comes back in frames over a pipe
(kg.query.frames). pyoxigraph cannot interrupt a running query, so at the time limit the process
is killed and replaced, and the caller gets QueryTimeout while other requests go on. SERVICE and
LOAD are refused before any process sees the text (pyoxigraph would make the outgoing request
itself); SELECT/CONSTRUCT/DESCRIBE get a top-level LIMIT of at most `max_rows` (0: no cap).

Two exceptions to the isolation, both for queries that cannot run away, save the round trip to a
query process (about 0.3 ms of CPU, a fifth of a 1.5 ms query):
- an index lookup (`text.is_index_lookup`: a single triple pattern with no repeated variable and
  nothing else, or `DESCRIBE <iri>`) runs in the calling process, since its work is bounded by its
  capped rows (`inline_lookups=False` turns this off);
- a query that a query process has already answered whole in under `inline_under_ms` of CPU time
  runs in the calling process from then on: the store is read-only, so the same text over the same
  dataset does the same work again. The first run of any query is isolated. (CPU time, not elapsed
  time: on a busy machine a 2 ms query may take 20 ms to come back.)
pyoxigraph releases the GIL while it evaluates, so an inline query does not hold up the calling
process's other threads.

`QueryStep` is what the service sees of any backend (this pool, or a remote SPARQL engine in
kg.query.remote_engine): `execute`, and `select`/`ask`/`triples` on top of it; `prepare` is the
part of `execute` that every backend runs first (parameters bound, updates/SERVICE/LOAD refused,
the format chosen).

The processes are started by one long-lived thread: each dies with the thread that started it
(PR_SET_PDEATHSIG), and a server's request threads come and go.
"""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph

from kg.errors import EngineUnavailable, NotAcceptable, QueryError, QueryRefused, QueryTimeout
from kg.mediatypes import GRAPH_FORMATS, RESULT_FORMATS, Format, by_name
from kg.query import child as child_module
from kg.query import frames, text

PREFETCH = 512 * 1024  # results up to this size are read whole before the caller gets them
KNOWN_FAST_MAX = 4096  # queries remembered as fast (the set is emptied when it is full)
ROWS_FORMAT = RESULT_FORMATS[0]  # SPARQL JSON: how rows cross the pipe for select()/ask()
TRIPLES_FORMAT = next(f for f in GRAPH_FORMATS if f.name == "ntriples")

Term = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal


class Rows(list):
    """The rows of a SELECT (pyoxigraph QuerySolutions, `row["name"]`) and their variables."""

    def __init__(self, solutions: pyoxigraph.QuerySolutions):
        super().__init__(solutions)
        self.variables: list[str] = [v.value for v in solutions.variables]


def formats_for(query: str | text.QueryText) -> list[Format]:
    """The formats a query's result can be written in, the default first."""
    info = text.read(query) if isinstance(query, str) else query
    return list(GRAPH_FORMATS) if info.is_graph else list(RESULT_FORMATS)


class _Child:
    """One query process and the parent's end of its pipes."""

    def __init__(self, store_path: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-m", child_module.__name__, str(store_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
        )
        self.wfd = self.proc.stdin.fileno()
        self.reader = frames.FrameReader(self.proc.stdout.fileno())

    def send(self, request: dict) -> None:
        frames.send_request(self.wfd, request)

    def read_frame(self, deadline: float) -> tuple[bytes, bytes]:
        return self.reader.read(deadline)

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
        if kind == frames.DATA:
            return payload
        if kind == frames.END:
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
        """The whole result."""
        if self.body is not None:
            return self.body
        try:
            return b"".join(self)
        finally:
            self.close()


class QueryStep:
    """What the service runs its queries through: `execute` (per backend: the query processes
    of an embedded build here, a remote engine in kg.query.remote_engine), and, on top of it,
    rows, booleans and triples for the project's own queries (pages, checks, descriptions)."""

    timeout: float
    max_rows: int
    killed: int = 0

    def execute(
        self,
        query: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        accept_format: Format | str | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        info: text.QueryText | None = None,
        isolate: bool = False,
        max_rows: int | None = None,
    ) -> tuple[Format, ResultStream]:
        raise NotImplementedError

    def probe(self) -> None:
        """Run a trivial query the way a real one runs (in a query process, never inline; on
        the remote engine): does the query step answer?"""
        self.execute("ASK {}", isolate=True)[1].read()

    def pids(self) -> list[int]:
        """The query processes of this step (none for a remote engine)."""
        return []

    def close(self) -> None:
        pass

    def __enter__(self) -> QueryStep:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def select(self, query: str, **bindings: Term) -> Rows:
        """The rows of a SELECT, with `bindings` bound (kg.query.text.bind_values)."""
        _, stream = self.execute(query, substitutions=bindings, accept_format=ROWS_FORMAT)
        return Rows(pyoxigraph.parse_query_results(stream.read(), format=ROWS_FORMAT.results))

    def ask(self, query: str, **bindings: Term) -> bool:
        _, stream = self.execute(query, substitutions=bindings, accept_format=ROWS_FORMAT)
        return bool(pyoxigraph.parse_query_results(stream.read(), format=ROWS_FORMAT.results))

    def triples(
        self, query: str, *, whole: bool = False, **bindings: Term
    ) -> list[pyoxigraph.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE, in the order the store gives them; `whole`
        lifts the row cap, for a read that is bounded by its own nature (the metadata graph)."""
        _, stream = self.execute(
            query,
            substitutions=bindings,
            accept_format=TRIPLES_FORMAT,
            max_rows=0 if whole else None,
        )
        return list(pyoxigraph.parse(stream.read(), format=TRIPLES_FORMAT.rdf))


def prepare(
    query: str,
    substitutions: Mapping[str, Any] | None,
    accept_format: Format | str | None,
    info: text.QueryText | None,
) -> tuple[text.QueryText, Format]:
    """A request as every backend runs it: parameters bound by VALUES, refused if it would
    write or call out, and the format it is written in."""
    if substitutions:
        terms = {str(k).lstrip("?$"): v for k, v in substitutions.items()}
        query, info = text.bind_values(query, terms), None
    info = info or text.read(query)
    check_allowed(info)
    return info, _pick_format(info, accept_format)


class Executor(QueryStep):
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
        self._busy = 0  # processes running a query now
        self._busy_changed = threading.Condition()
        self.closed = False
        for _ in range(size):
            self._idle.put(self._spawn())

    # --- the pool ------------------------------------------------------------------------------

    def _spawn(self) -> _Child:
        child = self._spawner.submit(_Child, self.store_path).result()
        with self._lock:
            self._all.add(child)
        return child

    def _take(self) -> _Child:
        if self.closed:
            raise EngineUnavailable(
                "this build's query processes are stopped (a newer build is served)"
            )
        try:
            child = self._idle.get(timeout=self.timeout)
        except queue.Empty as exc:
            raise QueryTimeout(
                f"no query process became free within {self.timeout:g} s: the service is busy"
            ) from exc
        self._count_busy(+1)
        return child

    def _count_busy(self, change: int) -> None:
        with self._busy_changed:
            self._busy += change
            self._busy_changed.notify_all()

    def busy(self) -> int:
        """How many query processes are running a query now."""
        return self._busy

    def wait_until_busy(self, count: int, timeout: float) -> bool:
        """Block until `count` query processes run a query (False if `timeout` passes first)."""
        with self._busy_changed:
            return self._busy_changed.wait_for(lambda: self._busy >= count, timeout)

    def _release(self, child: _Child) -> None:
        self._count_busy(-1)
        self._idle.put(child)

    def _replace(self, child: _Child) -> None:
        self._count_busy(-1)
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

    # --- running -------------------------------------------------------------------------------

    def execute(
        self,
        query: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        accept_format: Format | str | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        info: text.QueryText | None = None,
        isolate: bool = False,
        max_rows: int | None = None,
    ) -> tuple[Format, ResultStream]:
        """Run a query; `max_rows` overrides the executor's row cap (0: none)."""
        info, fmt = prepare(query, substitutions, accept_format, info)
        query = info.text
        request = {
            "q": info.capped(self.max_rows if max_rows is None else max_rows),
            "results": fmt.results.media_type if fmt.results is not None else None,
            "rdf": fmt.rdf.media_type if fmt.rdf is not None else None,
            "dg": default_graph,
            "ng": named_graphs,
        }
        started = time.monotonic()
        deadline = started + self.timeout
        known = _request_key(request)
        if not isolate and ((info.lookup and self.inline_lookups) or known in self._known_fast):
            return fmt, self._execute_inline(request, fmt, started, deadline)
        child = self._take()
        try:
            child.send(request)
            kind, payload = child.read_frame(deadline)
            if kind == frames.ERROR:
                error = json.loads(payload)
                if error.get("kind") == "syntax" and request["q"] != query:
                    # Report the position in the text the client sent, not in the capped one.
                    child.send(dict(request, q=query, parse_only=True))
                    kind, payload = child.read_frame(deadline)
                    if kind == frames.ERROR:
                        error = json.loads(payload)
                    elif kind == frames.HEAD:
                        child.read_frame(deadline)  # END
                self._release(child)
                raise _error(error)
            chunks, size = [], 0
            while size < PREFETCH:
                kind, payload = child.read_frame(deadline)
                if kind == frames.DATA:
                    chunks.append(payload)
                    size += len(payload)
                elif kind == frames.END:
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
                    f"query stopped after {self.timeout:g} s (the time limit); "
                    "narrow it with more specific patterns or a LIMIT"
                ) from exc
            raise EngineUnavailable("the query process ended unexpectedly") from exc
        stream = ResultStream(self, child, chunks, deadline)
        stream.query_ms = (time.monotonic() - started) * 1000
        return fmt, stream

    def _execute_inline(
        self, request: dict, fmt: Format, started: float, deadline: float
    ) -> ResultStream:
        """Run a query that cannot run away in this process (see the module docstring)."""
        if self._inline_store is None:
            with self._lock:
                if self._inline_store is None:
                    self._inline_store = pyoxigraph.Store.read_only(str(self.store_path))
        try:
            results = self._inline_store.query(request["q"], **child_module.query_kwargs(request))
            if isinstance(results, pyoxigraph.QueryTriples):
                body = results.serialize(format=fmt.rdf)
            else:
                body = results.serialize(format=fmt.results)
        except SyntaxError as exc:
            raise QueryError.from_syntax(str(exc)) from exc
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryError(f"query failed: {exc}") from exc
        stream = ResultStream(self, None, [body], deadline)
        stream.query_ms = (time.monotonic() - started) * 1000
        return stream

    def _remember_fast(self, key: tuple) -> None:
        if len(self._known_fast) >= KNOWN_FAST_MAX:
            self._known_fast.clear()
        self._known_fast[key] = None


def _cpu_ms(end_frame: bytes) -> float:
    """The CPU time a query process reports for a query in its END frame (inf if it does not)."""
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
    )


def check_allowed(info: text.QueryText) -> None:
    """Refuse what must not reach the store: updates, SERVICE and LOAD (outgoing requests)."""
    if info.calls_out:
        raise QueryRefused(
            "SERVICE (federated query) and LOAD are not allowed: no outgoing requests are made"
        )
    if info.form == "UPDATE":
        raise QueryRefused("SPARQL Update is not accepted here: the graph is read-only")


def _pick_format(info: text.QueryText, accept_format: Format | str | None) -> Format:
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
    if payload.get("kind") == "syntax":
        return QueryError.from_syntax(message)
    return QueryError(message)


def from_settings(
    settings: Any, store_path: Path | None = None, size: int | None = None
) -> Executor:
    """An executor with the service's limits, sized for a worker: one query process per thread
    unless set otherwise."""
    return Executor(
        store_path or settings.store,
        size=size or settings.query_processes or max(1, settings.threads),
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        inline_under_ms=settings.inline_under_ms,
    )
