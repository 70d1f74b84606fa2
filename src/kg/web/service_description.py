"""SPARQL 1.1 Service Description (GET /sparql asking for RDF) and the VoID description (/void).

Both are built from the served build: the metadata graph's VoID (triples per graph, license,
version, source) plus class and property partitions counted once per worker.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Triple,
    serialize,
)

from kg import __version__, vocab
from kg.errors import NotAcceptable
from kg.mediatypes import GRAPH_FORMATS, Format, by_name
from kg.web.dataset import DATASET, get_store, served
from kg.web.negotiation import negotiate

bp = Blueprint("service_description", __name__)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
FORMATS = "http://www.w3.org/ns/formats/"
XSD = "http://www.w3.org/2001/XMLSchema#"
# W3C format IRIs of what the endpoint writes.
FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "rdfxml": "RDF_XML",
    "jsonld": "JSON-LD",
    "nquads": "N-Quads",
    "trig": "TriG",
}


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=_n(XSD + "integer"))


def _a(s, cls: str) -> Triple:
    return Triple(s, _n(RDF + "type"), _n(cls))


def render(triples: list[Triple], fmt: Format) -> Response:
    if fmt.rdf in (RdfFormat.N_QUADS, RdfFormat.TRIG):
        data = [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples]
    else:
        data = triples
    body = serialize(data, format=fmt.rdf, prefixes=vocab.PREFIXES)
    return Response(
        body, content_type=fmt.media_type, headers={"Cache-Control": "public, max-age=60"}
    )


def _endpoint() -> str:
    return request.url_root + "sparql"


def service_description(fmt: Format) -> Response:
    info = served()
    endpoint = _n(_endpoint())
    service = endpoint
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
            _n(DCT + "description"),
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
    for local in FORMAT_IRIS.values():
        triples.append(Triple(service, _n(SD + "resultFormat"), _n(FORMATS + local)))
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
    """The metadata graph's VoID, with partitions per class and property and the endpoint."""
    cached = current_app.extensions.get("kg_void")
    if cached is not None:
        return cached
    store = get_store()
    triples = [
        Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, _n(vocab.GRAPHS["metadata"]))
    ]
    ds = _n(DATASET)
    union = {"use_default_graph_as_union": True}
    partitions = (
        (
            "class",
            "SELECT ?x (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?x } GROUP BY ?x ORDER BY ?x",
            "entities",
        ),
        (
            "property",
            "SELECT ?x (COUNT(*) AS ?n) WHERE { ?s ?x ?o } GROUP BY ?x ORDER BY ?x",
            "triples",
        ),
    )
    for kind, query, measure in partitions:
        for i, row in enumerate(store.query(query, **union)):
            part = _n(f"{DATASET}#{kind}-{i}")
            triples += [
                Triple(ds, _n(f"{VOID}{kind}Partition"), part),
                Triple(part, _n(VOID + kind), row["x"]),
                Triple(part, _n(VOID + measure), _int(int(row["n"].value))),
            ]
    current_app.extensions["kg_void"] = triples
    return triples


@bp.get("/void")
@bp.get("/.well-known/void")
def void() -> Response:
    triples = list(void_triples())
    ds = _n(DATASET)
    triples.append(Triple(ds, _n(VOID + "sparqlEndpoint"), _n(_endpoint())))
    triples.append(Triple(ds, _n(DCT + "hasVersion"), Literal(served().version or __version__)))
    name = request.args.get("format")
    offered = [f.media_type for f in GRAPH_FORMATS]
    if name:
        fmt = by_name(name, GRAPH_FORMATS)
    else:
        chosen = negotiate(request.headers.get("Accept"), offered)
        fmt = by_name(chosen, GRAPH_FORMATS) if chosen else None
    if fmt is None:
        raise NotAcceptable("no RDF format fits the request", offered)
    return render(triples, fmt)


@bp.errorhandler(NotAcceptable)
def _not_acceptable(exc: NotAcceptable) -> Response:
    from kg.web.sparql import error_response

    return error_response(exc)
