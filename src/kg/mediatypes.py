"""The one table of formats, shared by the service, the CLI and the exporter, and the one
function that chooses a format for a request: `choose(offered, name, accept)`.

Each format has a short name (for `format=` and `--format`), its media type, a file extension,
other names clients use for it (`ttl`, `application/x-turtle`, …) and its W3C format IRI
(http://www.w3.org/ns/formats/…). A name is looked up among the formats offered for the request
only, so `json` and `xml` mean SPARQL results for a SELECT and JSON-LD / RDF/XML for a CONSTRUCT,
as SPARQLWrapper and Fuseki use them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat

from kg.errors import NotAcceptable
from kg.negotiation import negotiate
from kg.vocab import FORMATS


@dataclass(frozen=True)
class Format:
    name: str  # short name for format= and --format
    media_type: str
    extension: str
    results: QueryResultsFormat | None = None  # for SELECT / ASK
    rdf: RdfFormat | None = None  # for CONSTRUCT / DESCRIBE / exports
    aliases: tuple[str, ...] = ()  # other names and media types clients use for it
    w3c: str | None = None  # local name of its W3C format IRI

    @property
    def iri(self) -> str | None:
        return FORMATS + self.w3c if self.w3c else None

    def names(self) -> tuple[str, ...]:
        """Everything that names this format (lower-case), its own name first."""
        own = (self.name, self.media_type, self.extension, *self.aliases)
        return tuple(dict.fromkeys(n.lower() for n in own)) + ((self.iri,) if self.iri else ())


RESULT_FORMATS = [
    Format(
        "json",
        "application/sparql-results+json",
        "srj",
        results=QueryResultsFormat.JSON,
        aliases=("application/json",),
        w3c="SPARQL_Results_JSON",
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        "srx",
        results=QueryResultsFormat.XML,
        aliases=("application/xml", "text/xml"),
        w3c="SPARQL_Results_XML",
    ),
    Format("csv", "text/csv", "csv", results=QueryResultsFormat.CSV, w3c="SPARQL_Results_CSV"),
    Format(
        "tsv",
        "text/tab-separated-values",
        "tsv",
        results=QueryResultsFormat.TSV,
        w3c="SPARQL_Results_TSV",
    ),
]

GRAPH_FORMATS = [
    Format(
        "turtle",
        "text/turtle",
        "ttl",
        rdf=RdfFormat.TURTLE,
        aliases=("text/n3", "application/x-turtle", "n3"),
        w3c="Turtle",
    ),
    Format(
        "ntriples",
        "application/n-triples",
        "nt",
        rdf=RdfFormat.N_TRIPLES,
        aliases=("n-triples", "text/plain"),
        w3c="N-Triples",
    ),
    Format(
        "rdfxml",
        "application/rdf+xml",
        "rdf",
        rdf=RdfFormat.RDF_XML,
        aliases=("xml", "owl", "xml-rdf", "rdf/xml", "application/xml", "text/xml"),
        w3c="RDF_XML",
    ),
    Format(
        "jsonld",
        "application/ld+json",
        "jsonld",
        rdf=RdfFormat.JSON_LD,
        aliases=("json-ld", "json", "application/json"),
        w3c="JSON-LD",
    ),
    Format(
        "nquads",
        "application/n-quads",
        "nq",
        rdf=RdfFormat.N_QUADS,
        aliases=("n-quads",),
        w3c="N-Quads",
    ),
    Format("trig", "application/trig", "trig", rdf=RdfFormat.TRIG, w3c="TriG"),
]
QUAD_FORMATS = [f for f in GRAPH_FORMATS if f.name in ("nquads", "trig")]
TRIPLE_FORMATS = [f for f in GRAPH_FORMATS if f not in QUAD_FORMATS]

# Formats only the exporter writes: OWL/XML and functional syntax (via the OWL API).
OWL_FORMATS = [
    Format("owlxml", "application/owl+xml", "owx", aliases=("owl-xml",), w3c="OWL_XML"),
    Format("ofn", "text/owl-functional", "ofn", aliases=("functional",), w3c="OWL_Functional"),
]
HTML = Format("html", "text/html", "html", aliases=("application/xhtml+xml",))
JSON = Format("json", "application/json", "json")  # plain JSON documents (catalogue, errors)
TEXT = Format("text", "text/plain", "txt")
# The exchange formats (kg.exchange): KGX and Neo4j write folders of TSV / CSV files, SSSOM one
# TSV, Parquet a folder of tables. Their media types are those of each file.
EXCHANGE_FORMATS = [
    Format("kgx", "text/tab-separated-values", "tsv"),
    Format("sssom", "text/tab-separated-values", "tsv"),
    Format("neo4j", "text/csv", "csv"),
    Format("parquet", "application/vnd.apache.parquet", "parquet"),
]
# The evidence table is the evidence-table query's results as CSV or TSV; the table formats come
# before the exchange formats, so a `.tsv` or `.csv` file name means the evidence table.
EXPORT_FORMATS = GRAPH_FORMATS + OWL_FORMATS + RESULT_FORMATS[2:] + EXCHANGE_FORMATS


def by_name(name: str, formats: list[Format]) -> Format | None:
    """The format among `formats` that `name` names (short name, media type, extension, alias
    or W3C IRI), or None."""
    wanted = name.strip()
    wanted = wanted if wanted.startswith(FORMATS) else wanted.lower()
    return next((f for f in formats if wanted in f.names()), None)


def by_extension(filename: str, formats: list[Format]) -> Format | None:
    """The format a file name implies (`scad.ttl` -> turtle, `x.owl` -> rdfxml), or None."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return by_name(suffix, formats) if suffix else None


def choose(offered: list[Format], name: str | None = None, accept: str | None = None) -> Format:
    """The format for a request: the one `name` (format=, --format) names, else the one the
    Accept header prefers (the first offered when there is none). NotAcceptable when neither
    fits: its `offered` lists the media types on offer."""
    if name:
        fmt = by_name(name, offered)
        if fmt is None:
            raise NotAcceptable(f"format {name!r} is not offered here", _types(offered))
        return fmt
    if accept is None or not accept.strip():
        return offered[0]
    # Canonical media types first, so that a wildcard picks one; then the aliases clients use.
    types = _types(offered) + [a for f in offered for a in f.aliases if "/" in a]
    chosen = negotiate(accept, types)
    if chosen is None:
        raise NotAcceptable("no offered media type fits the Accept header", _types(offered))
    fmt = by_name(chosen, offered)
    assert fmt is not None
    return fmt


def _types(formats: list[Format]) -> list[str]:
    return list(dict.fromkeys(f.media_type for f in formats))
