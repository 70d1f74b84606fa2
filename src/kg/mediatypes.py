"""The one table of media types, shared by the service, the CLI and the exporter."""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class Format:
    name: str  # short name for format= and --format
    media_type: str
    extension: str
    results: QueryResultsFormat | None = None  # for SELECT / ASK
    rdf: RdfFormat | None = None  # for CONSTRUCT / DESCRIBE / exports


RESULT_FORMATS = [
    Format("json", "application/sparql-results+json", "srj", results=QueryResultsFormat.JSON),
    Format("xml", "application/sparql-results+xml", "srx", results=QueryResultsFormat.XML),
    Format("csv", "text/csv", "csv", results=QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "tsv", results=QueryResultsFormat.TSV),
]

GRAPH_FORMATS = [
    Format("turtle", "text/turtle", "ttl", rdf=RdfFormat.TURTLE),
    Format("ntriples", "application/n-triples", "nt", rdf=RdfFormat.N_TRIPLES),
    Format("rdfxml", "application/rdf+xml", "rdf", rdf=RdfFormat.RDF_XML),
    Format("jsonld", "application/ld+json", "jsonld", rdf=RdfFormat.JSON_LD),
    Format("nquads", "application/n-quads", "nq", rdf=RdfFormat.N_QUADS),
    Format("trig", "application/trig", "trig", rdf=RdfFormat.TRIG),
]

# Formats only the exporter writes (OWL/XML and functional syntax via the OWL API) and the
# evidence table as CSV/TSV (SPARQL results formats of the evidence-table query).
OWL_FORMATS = [
    Format("owlxml", "application/owl+xml", "owx"),
    Format("ofn", "text/owl-functional", "ofn"),
]
HTML = Format("html", "text/html", "html")
EXPORT_FORMATS = GRAPH_FORMATS + OWL_FORMATS + RESULT_FORMATS[2:]  # + csv, tsv

ALIASES = {
    "srj": "json",
    "srx": "xml",
    "ttl": "turtle",
    "nt": "ntriples",
    "rdf": "rdfxml",
    "owl": "rdfxml",
    "xml-rdf": "rdfxml",
    "json-ld": "jsonld",
    "nq": "nquads",
    "n-triples": "ntriples",
    "n-quads": "nquads",
    "owx": "owlxml",
    "owl-xml": "owlxml",
    "functional": "ofn",
}


def by_name(name: str, formats: list[Format]) -> Format | None:
    name = ALIASES.get(name.lower(), name.lower())
    return next((f for f in formats if f.name == name or f.media_type == name), None)


def by_extension(filename: str, formats: list[Format]) -> Format | None:
    """The format a file name implies (`scad.ttl` -> turtle, `x.owl` -> rdfxml), or None."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return by_name(suffix, formats) if suffix else None
