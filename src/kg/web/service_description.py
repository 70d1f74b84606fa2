"""SPARQL 1.1 Service Description (GET /sparql asking for RDF) and the VoID description (/void).

Both are built from the served build: the metadata graph's VoID (triples per graph, licence,
version, source) plus class and property partitions, counted once per build by the executor.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Triple, serialize

from kg import __version__
from kg.mediatypes import GRAPH_FORMATS, QUAD_FORMATS, RESULT_FORMATS, Format, choose
from kg.vocab import DATASET, DCTERMS, GRAPHS, PREFIXES, RDF, RDFS, SD, VOID, XSD
from kg.web.conditional import cached
from kg.web.dataset import served

bp = Blueprint("service_description", __name__)

METADATA_TRIPLES = (
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPHS['metadata']}> {{ ?s ?p ?o }} }}"
)


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=_n(XSD + "integer"))


def _a(s: NamedNode | BlankNode, cls: str) -> Triple:
    return Triple(s, _n(RDF + "type"), _n(cls))


def render(triples: list[Triple], fmt: Format) -> Response:
    if fmt in QUAD_FORMATS:
        data = [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples]
    else:
        data = triples
    body = serialize(data, format=fmt.rdf, prefixes=PREFIXES)
    max_age = current_app.config["KG"].cache_max_age
    return Response(
        body, content_type=fmt.media_type, headers={"Cache-Control": f"public, max-age={max_age}"}
    )


def _endpoint() -> str:
    return request.url_root + "sparql"


def service_description(fmt: Format) -> Response:
    info = served()
    service = endpoint = _n(_endpoint())
    triples = [
        _a(service, SD + "Service"),
        Triple(service, _n(SD + "endpoint"), endpoint),
        Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        Triple(
            service,
            _n(RDFS + "label"),
            Literal("SCAD knowledge graph SPARQL endpoint", language="en"),
        ),
        Triple(
            service,
            _n(DCTERMS + "description"),
            Literal(
                "Read-only SPARQL 1.1 query service; federated SERVICE calls, LOAD and updates are "
                "refused; queries stop after a time limit and results are capped.",
                language="en",
            ),
        ),
        Triple(service, _n(RDFS + "seeAlso"), _n(request.url_root + "void")),
    ]
    if current_app.config["KG"].update_token:
        triples.append(Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Update")))
    for fmt_written in RESULT_FORMATS + GRAPH_FORMATS:
        if fmt_written.iri:
            triples.append(Triple(service, _n(SD + "resultFormat"), _n(fmt_written.iri)))
    dataset = BlankNode("dataset")
    default_graph = BlankNode("defaultGraph")
    triples += [
        Triple(service, _n(SD + "defaultDataset"), dataset),
        _a(dataset, SD + "Dataset"),
        Triple(dataset, _n(RDFS + "seeAlso"), _n(DATASET)),
        Triple(dataset, _n(SD + "defaultGraph"), default_graph),
        _a(default_graph, SD + "Graph"),
        Triple(default_graph, _n(VOID + "triples"), _int(info.triples)),
        Triple(
            default_graph,
            _n(RDFS + "comment"),
            Literal("the union of the named graphs", language="en"),
        ),
    ]
    for i, (graph, count) in enumerate(sorted(info.graph_counts.items())):
        named, g = BlankNode(f"named{i}"), BlankNode(f"graph{i}")
        triples += [
            Triple(dataset, _n(SD + "namedGraph"), named),
            _a(named, SD + "NamedGraph"),
            Triple(named, _n(SD + "name"), _n(graph)),
            Triple(named, _n(SD + "graph"), g),
            _a(g, SD + "Graph"),
            Triple(g, _n(VOID + "triples"), _int(count)),
        ]
    return render(triples, fmt)


def void_triples() -> list[Triple]:
    """The metadata graph: the build's VoID, partitions per class and property included."""
    build = served()
    return build.derived("void", lambda: build.executor.triples(METADATA_TRIPLES, whole=True))


@bp.get("/void")
@bp.get("/.well-known/void")
@cached
def void() -> Response:
    triples = list(void_triples())
    ds = _n(DATASET)
    triples.append(Triple(ds, _n(VOID + "sparqlEndpoint"), _n(_endpoint())))
    triples.append(Triple(ds, _n(DCTERMS + "hasVersion"), Literal(served().version or __version__)))
    return render(
        triples, choose(GRAPH_FORMATS, request.args.get("format"), request.headers.get("Accept"))
    )
