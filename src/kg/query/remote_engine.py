"""The query step over a remote SPARQL engine (KG_BACKEND=sparql): the same interface as the
embedded store's Executor (kg.query.executor.QueryStep), the same checks before anything is sent
(kg.query.executor.prepare: parameters bound, updates/SERVICE/LOAD refused, the row cap), then
the engine, through its adapter (kg.backends), within the time limit.

The dataset is always named: unless the request gives its own or the query has FROM, the
default graph is the union of our four graphs and they are the named graphs, as in the embedded
store. The result is streamed as the engine sends it (the first PREFETCH bytes read at once, so
that a small result is whole and cacheable before the caller gets it); past the deadline the
connection is dropped and the caller gets QueryTimeout (503). An engine that does not answer
is EngineUnavailable (503), at once or at the deadline, never a hang.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pyoxigraph

from kg.backends.engine import OUR_GRAPHS, Engine
from kg.backends.http import Reply
from kg.errors import QueryError, QueryTimeout
from kg.mediatypes import Format
from kg.query import text
from kg.query.executor import PREFETCH, QueryStep, ResultStream, prepare


class RemoteStream(ResultStream):
    """A result coming from the engine: the same iterator of bytes as a query process's."""

    def __init__(self, reply: Reply | None, chunks: list[bytes], deadline: float):
        super().__init__(None, reply, chunks, deadline)  # type: ignore[arg-type]

    def __next__(self) -> bytes:
        if self._chunks:
            return self._chunks.pop(0)
        if self._child is None:
            raise StopIteration
        chunk = self._child.read(self._deadline)  # QueryTimeout past the deadline
        if chunk:
            return chunk
        self._child = None
        raise StopIteration

    def _abandon(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None


class RemoteExecutor(QueryStep):
    """Queries answered by a SPARQL engine, with our time limit and row cap."""

    def __init__(self, engine: Engine, *, timeout: float = 5.0, max_rows: int = 10000):
        self.engine, self.timeout, self.max_rows = engine, timeout, max_rows
        self.closed = False

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
        info, fmt = prepare(query, substitutions, accept_format, info)
        capped = info.capped(self.max_rows if max_rows is None else max_rows)
        dg, ng = dataset(info, default_graph, named_graphs)
        started = time.monotonic()
        deadline = started + self.timeout
        try:
            reply = self.engine.query(capped, fmt, dg, ng, deadline)
        except QueryError as exc:
            if isinstance(exc, QueryTimeout):
                raise
            raise _syntax_error(info.text) or exc from None
        chunks: list[bytes] = []
        size = 0
        while size < PREFETCH:
            chunk = reply.read(deadline)
            if not chunk:
                stream = RemoteStream(None, chunks, deadline)
                break
            chunks.append(chunk)
            size += len(chunk)
        else:
            stream = RemoteStream(reply, chunks, deadline)
        stream.query_ms = (time.monotonic() - started) * 1000
        return fmt, stream

    def close(self) -> None:
        self.closed = True
        self.engine.close()


def _syntax_error(query: str) -> QueryError | None:
    """The embedded store's own syntax error for the text the client sent (not the capped text
    the engine saw), so that errors read the same on every backend; None if it parses. The
    empty in-memory store does no work for a query that does not parse."""
    try:
        pyoxigraph.Store().query(query)
    except SyntaxError as exc:
        return QueryError.from_syntax(str(exc))
    except Exception:
        return None
    return None


def dataset(
    info: text.QueryText, dg: list[str] | None, ng: list[str] | None
) -> tuple[list[str] | None, list[str] | None]:
    """The dataset sent with a query: what the request names, else our four graphs (the
    embedded store's union default graph and its named graphs); the query's FROM otherwise."""
    if dg is None and ng is None and info.names_dataset:
        return None, None
    return (dg if dg is not None else OUR_GRAPHS), (ng if ng is not None else OUR_GRAPHS)


def from_settings(settings: Any) -> RemoteExecutor:
    """The query step over the engine of KG_ENGINE / KG_SPARQL_ENDPOINT, with our limits."""
    from kg.backends import adapter_for

    return RemoteExecutor(
        adapter_for(settings), timeout=settings.query_timeout, max_rows=settings.max_rows
    )
