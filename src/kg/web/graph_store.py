"""SPARQL 1.1 Graph Store HTTP Protocol, read-only, at /store (Oxigraph server's path).

GET/HEAD `?graph=<iri>` gives one named graph, `?default` the default graph (the union of the
named graphs, as on /sparql), and no parameter the whole dataset (N-Quads or TriG keep the
graph names; a triple format merges them). Writes (PUT, POST, DELETE) are refused: the graph is
built from its sources by `kg build`, and SPARQL Update (when a token enables it) is the one way
to change a served store.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph
from flask import Blueprint, Response, request
from pyoxigraph import NamedNode

from kg.errors import ProtocolError
from kg.mediatypes import QUAD_FORMATS, TRIPLE_FORMATS, Format, choose
from kg.web.dataset import get_store

bp = Blueprint("graph_store", __name__)

CHUNK = 1 << 16


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


def _quads(store: pyoxigraph.Store, selected: object) -> Iterator[pyoxigraph.Quad]:
    if isinstance(selected, NamedNode):
        return store.quads_for_pattern(None, None, None, selected)
    return store.quads_for_pattern(None, None, None, None)


def _serialize(store: pyoxigraph.Store, selected: object, fmt: Format) -> bytes:
    if fmt in QUAD_FORMATS and selected is None:
        data = pyoxigraph.serialize(_quads(store, selected), format=fmt.rdf)
    else:
        # The union default graph (or one graph) as triples, each triple once.
        seen = {(q.subject, q.predicate, q.object) for q in _quads(store, selected)}
        triples = [pyoxigraph.Triple(s, p, o) for s, p, o in seen]
        data = pyoxigraph.serialize(triples, format=fmt.rdf)
    return data


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


@bp.route("/store", methods=["GET", "HEAD"])
def read_graph() -> Response:
    formats, selected = _selection()
    fmt = choose(formats, request.args.get("format"), request.headers.get("Accept"))
    body = b"" if request.method == "HEAD" else _chunks(_serialize(get_store(), selected, fmt))
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
