"""SPARQL 1.1 Graph Store HTTP Protocol, read-only, at /store (Oxigraph server's path).

GET/HEAD `?graph=<iri>` gives one named graph, `?default` the default graph (the union of the
named graphs, as on /sparql), and no parameter the whole dataset (N-Quads or TriG keep the
graph names; a triple format merges them). Dumps are streamed as they are serialised, in
bounded memory, whatever the size of the graph. Writes (PUT, POST, DELETE) are refused: the graph is
built from its sources by `kg build`, and SPARQL Update (when a token enables it) is the one way
to change a served store.

The quads come from the served build's store, or, on KG_BACKEND=sparql without a local copy of
the build, from the engine: one CONSTRUCT per graph through the query step (its time limit,
no row cap), parsed as it streams in.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

import pyoxigraph
from flask import Blueprint, Response, request
from pyoxigraph import NamedNode

from kg.errors import ProtocolError
from kg.mediatypes import QUAD_FORMATS, TRIPLE_FORMATS, Format, choose
from kg.query.executor import QueryStep
from kg.vocab import GRAPHS
from kg.web.dataset import served

bp = Blueprint("graph_store", __name__)

QUEUE = 64  # chunks of a dump waiting for the client, at most


def _selection() -> tuple[list[Format], object]:
    """The formats that fit the request and the graph(s) it names."""
    graphs = request.args.getlist("graph")
    if len(graphs) > 1 or (graphs and "default" in request.args):
        raise ProtocolError(400, "name one graph: ?graph=<iri> or ?default")
    if graphs:
        try:
            graph = NamedNode(graphs[0])
        except ValueError as exc:
            raise ProtocolError(400, f"graph is not an IRI: {graphs[0]!r}") from exc
        if graph not in _quads().graphs():
            raise ProtocolError(404, f"no graph named <{graphs[0]}> in this store")
        return TRIPLE_FORMATS + QUAD_FORMATS, graph
    if "default" in request.args:
        return TRIPLE_FORMATS + QUAD_FORMATS, "default"
    return QUAD_FORMATS + TRIPLE_FORMATS, None


class _Quads(Protocol):
    """Where a dump reads its quads: the build's store or the remote engine."""

    def graphs(self) -> list[NamedNode]: ...

    def of(self, graph: NamedNode | None) -> Iterator[pyoxigraph.Quad]:
        """One graph's quads, or (None) every graph's."""
        ...


class _StoreQuads:
    def __init__(self, store: pyoxigraph.Store):
        self.store = store

    def graphs(self) -> list[NamedNode]:
        return list(self.store.named_graphs())

    def of(self, graph: NamedNode | None) -> Iterator[pyoxigraph.Quad]:
        return self.store.quads_for_pattern(None, None, None, graph)


class _EngineQuads:
    """Our four graphs as the engine serves them, read by the query step."""

    def __init__(self, engine: QueryStep):
        self.engine = engine

    def graphs(self) -> list[NamedNode]:
        return [NamedNode(g) for g in GRAPHS.values()]

    def of(self, graph: NamedNode | None) -> Iterator[pyoxigraph.Quad]:
        for name in [graph] if graph is not None else self.graphs():
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name.value}> {{ ?s ?p ?o }} }}"
            _, stream = self.engine.execute(query, accept_format="ntriples", max_rows=0)
            try:
                for t in pyoxigraph.parse(_Reader(stream), format=pyoxigraph.RdfFormat.N_TRIPLES):
                    yield pyoxigraph.Quad(t.subject, t.predicate, t.object, name)
            finally:
                stream.close()


class _Reader:
    """A result stream as a binary file, for pyoxigraph's parser."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks, self.rest = chunks, b""

    def read(self, size: int = -1) -> bytes:
        while not self.rest:
            chunk = next(self.chunks, None)
            if chunk is None:
                return b""
            self.rest = chunk
        size = len(self.rest) if size is None or size < 0 else size
        out, self.rest = self.rest[:size], self.rest[size:]
        return out


def _quads() -> _Quads:
    build = served()
    return _StoreQuads(build.store) if build.store is not None else _EngineQuads(build.executor)


def _triples(source: _Quads, selected: object) -> Iterator[pyoxigraph.Triple]:
    """One graph's triples, or the union's, each triple once. Only the TBox can share triples
    with another graph (the inferred graph holds nothing asserted, the metadata is its own), so
    the union is streamed graph by graph with the TBox's triples remembered, not the whole."""
    if isinstance(selected, NamedNode):
        yield from (q.triple for q in source.of(selected))
        return
    tbox = NamedNode(GRAPHS["ontology"])
    seen = {q.triple for q in source.of(tbox)}
    yield from seen
    for graph in source.graphs():
        if graph != tbox:
            for quad in source.of(graph):
                if quad.triple not in seen:
                    yield quad.triple


def _stream(items: Callable[[], Iterator], fmt: Format) -> Iterator[bytes]:
    """What pyoxigraph's serialiser writes, as it writes it: a thread reads `items()` (made in
    that thread: the store's iterators stay in the thread that opens them) and serialises into a
    small queue that the answer reads, so memory stays bounded whatever the graph's size."""
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=QUEUE)

    class Writer:
        def write(self, data: bytes) -> int:
            chunks.put(bytes(data))
            return len(data)

        def flush(self) -> None:
            pass

    def run() -> None:
        try:
            pyoxigraph.serialize(items(), Writer(), fmt.rdf)
            chunks.put(None)
        except BaseException as exc:  # handed to the reader, which raises it
            chunks.put(exc)

    threading.Thread(target=run, name="kg-store-dump", daemon=True).start()
    while (chunk := chunks.get()) is not None:
        if isinstance(chunk, BaseException):
            raise chunk
        yield chunk


def _body(source: _Quads, selected: object, fmt: Format) -> Iterator[bytes]:
    if fmt in QUAD_FORMATS:  # the dataset, or one graph with its name kept
        graph = selected if isinstance(selected, NamedNode) else None
        return _stream(lambda: source.of(graph), fmt)
    return _stream(lambda: _triples(source, selected), fmt)


@bp.route("/store", methods=["GET", "HEAD"])
def read_graph() -> Response:
    formats, selected = _selection()
    fmt = choose(formats, request.args.get("format"), request.headers.get("Accept"))
    body = b"" if request.method == "HEAD" else _body(_quads(), selected, fmt)
    response = Response(body, content_type=fmt.media_type)
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/store", methods=["PUT", "POST", "DELETE", "PATCH"])
def refuse_write() -> Response:
    raise ProtocolError(
        405,
        "the graph store is read-only: the graph is rebuilt from its sources by `kg build`",
        {"Allow": "GET, HEAD"},
    )
