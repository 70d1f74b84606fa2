"""The project's namespace, its named graphs and the prefixes shown to users."""

from __future__ import annotations

SCAD = "https://w3id.org/scad/"
ONTOLOGY_IRI = SCAD + "ontology"
GRAPH_BASE = SCAD + "graph/"

# One named graph per part of the build; the default graph is their union.
GRAPHS: dict[str, str] = {
    "ontology": GRAPH_BASE + "ontology",
    "statements": GRAPH_BASE + "statements",
    "inferred": GRAPH_BASE + "inferred",
    "metadata": GRAPH_BASE + "metadata",
}

PREFIXES: dict[str, str] = {
    "scad": SCAD,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "obo": "http://purl.obolibrary.org/obo/",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "fabio": "http://purl.org/spar/fabio/",
    "cito": "http://purl.org/spar/cito/",
    "biolink": "https://w3id.org/biolink/vocab/",
}


def sparql_prologue() -> str:
    """PREFIX lines for every prefix above, to put in front of ad-hoc queries."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
