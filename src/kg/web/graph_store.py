"""SPARQL 1.1 Graph Store HTTP Protocol, read-only, at /store (Oxigraph server's path).

GET/HEAD `?graph=<iri>` gives one named graph, `?default` the default graph (the union of the
named graphs, as on /sparql), and no parameter the whole dataset (N-Quads or TriG keep the
graph names; a triple format merges them). Dumps are streamed as they are serialised, in
bounded memory, whatever the size of the graph. Writes (PUT, POST, DELETE) are refused: the graph is
built from its sources by `kg build`, and SPARQL Update (when a token enables it) is the one way
to change a served store.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import pyoxigraph
from flask import Blueprint, Response, request
from pyoxigraph import NamedNode

from kg.errors import ProtocolError
from kg.mediatypes import QUAD_FORMATS, TRIPLE_FORMATS, Format, choose
from kg.vocab import GRAPHS
from kg.web.dataset import get_store

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
        if not get_store().contains_named_graph(graph):
            raise ProtocolError(404, f"no graph named <{graphs[0]}> in this store")
        return TRIPLE_FORMATS + QUAD_FORMATS, graph
    if "default" in request.args:
        return TRIPLE_FORMATS + QUAD_FORMATS, "default"
    return QUAD_FORMATS + TRIPLE_FORMATS, None


def _triples(store: pyoxigraph.Store, selected: object) -> Iterator[pyoxigraph.Triple]:
    """One graph's triples, or the union's, each triple once. Only the TBox can share triples
    with another graph (the inferred graph holds nothing asserted, the metadata is its own), so
    the union is streamed graph by graph with the TBox's triples remembered, not the whole."""
    if isinstance(selected, NamedNode):
        yield from (q.triple for q in store.quads_for_pattern(None, None, None, selected))
        return
    tbox = NamedNode(GRAPHS["ontology"])
    seen = {q.triple for q in store.quads_for_pattern(None, None, None, tbox)}
    yield from seen
    for graph in store.named_graphs():
        if graph != tbox:
            for quad in store.quads_for_pattern(None, None, None, graph):
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


def _body(store: pyoxigraph.Store, selected: object, fmt: Format) -> Iterator[bytes]:
    if fmt in QUAD_FORMATS:  # the dataset, or one graph with its name kept
        graph = selected if isinstance(selected, NamedNode) else None
        return _stream(lambda: store.quads_for_pattern(None, None, None, graph), fmt)
    return _stream(lambda: _triples(store, selected), fmt)


@bp.route("/store", methods=["GET", "HEAD"])
def read_graph() -> Response:
    formats, selected = _selection()
    fmt = choose(formats, request.args.get("format"), request.headers.get("Accept"))
    body = b"" if request.method == "HEAD" else _body(get_store(), selected, fmt)
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
