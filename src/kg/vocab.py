"""The project's namespace, the namespaces it uses, its named graphs, and IRI ↔ CURIE.

Every module takes its namespaces from here (as plain strings: wrap them in `rdflib.Namespace`
or `pyoxigraph.NamedNode` where a library wants its own type).
"""

from __future__ import annotations

import re

SCAD = "https://w3id.org/scad/"
ONTOLOGY_IRI = SCAD + "ontology"
GRAPH_BASE = SCAD + "graph/"
DATASET = SCAD + "dataset"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
OBO = "http://purl.obolibrary.org/obo/"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
FABIO = "http://purl.org/spar/fabio/"
CITO = "http://purl.org/spar/cito/"
BIOLINK = "https://w3id.org/biolink/vocab/"
SHACL = "http://www.w3.org/ns/shacl#"
FORMATS = "http://www.w3.org/ns/formats/"  # W3C's IRIs of media formats
NANOPUB = "http://www.nanopub.org/nschema#"

# One named graph per part of the build; the default graph is their union.
GRAPHS: dict[str, str] = {
    "ontology": GRAPH_BASE + "ontology",
    "statements": GRAPH_BASE + "statements",
    "inferred": GRAPH_BASE + "inferred",
    "metadata": GRAPH_BASE + "metadata",
}

# The prefixes shown to users (query prologues, exports, CURIEs), in this order.
PREFIXES: dict[str, str] = {
    "scad": SCAD,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "obo": OBO,
    "void": VOID,
    "sd": SD,
    "fabio": FABIO,
    "cito": CITO,
    "biolink": BIOLINK,
}

_CURIE = re.compile(r"^(?P<prefix>[A-Za-z][\w-]*)?:(?P<local>[\w.-]*)$")
_LOCAL = re.compile(r"^[A-Za-z0-9_][\w.-]*$")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")


def sparql_prologue() -> str:
    """PREFIX lines for every prefix above, to put in front of ad-hoc queries."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def curie(iri: str | None) -> str:
    """`scad:sle` for a full IRI under a known prefix; `<iri>` otherwise; "" for None."""
    if not iri:
        return ""
    for prefix, base in PREFIXES.items():
        local = iri[len(base) :]
        if iri.startswith(base) and local and _LOCAL.match(local):
            return f"{prefix}:{local}"
    return f"<{iri}>"


def expand(value: str) -> str | None:
    """The full IRI of `<iri>`, an absolute IRI, a CURIE with a known prefix or a scad: local
    name; None when `value` is none of these."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    match = _CURIE.match(value)
    if match:
        prefix = match["prefix"] or "scad"
        if prefix in PREFIXES:
            return PREFIXES[prefix] + match["local"]
    if _ABSOLUTE_IRI.match(value):
        return value
    if _LOCAL.match(value):
        return SCAD + value
    return None
