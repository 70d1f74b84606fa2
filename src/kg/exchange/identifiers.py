"""IRIs as the CURIEs that KGX, SSSOM, Neo4j and Parquet files carry, and the prefix map behind them.

OBO terms take the OBO Foundry form (`obo:MONDO_0007915` -> `MONDO:0007915`); everything else a
prefix from `NAMESPACES`. An IRI with no prefix is an error, never a full IRI in a CURIE column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from kg.errors import ExportError
from kg.vocab import PREFIXES, SCAD

OBO = "http://purl.obolibrary.org/obo/"
BIOLINK = "https://w3id.org/biolink/vocab/"
SEMAPV = "https://w3id.org/semapv/vocab/"
INFORES = "https://w3id.org/infores/"
DOI = "https://doi.org/"

# Prefix -> namespace for the exchange files: ours (kg.vocab) and the ones Biolink and SSSOM use.
NAMESPACES: dict[str, str] = {
    **{p: iri for p, iri in PREFIXES.items() if p != "obo"},
    "bibo": "http://purl.org/ontology/bibo/",
    "semapv": SEMAPV,
    "infores": INFORES,
    "doi": DOI,
}
_BY_LENGTH = sorted(NAMESPACES.items(), key=lambda item: -len(item[1]))
_OBO_LOCAL = re.compile(r"^([A-Za-z][A-Za-z0-9]*)_(\w[\w.-]*)$")


@lru_cache(maxsize=1 << 16)  # the same predicates, classes and hubs come back on every row
def curie(iri: str) -> str:
    """The CURIE of an IRI (`MONDO:0007915`, `scad:sle`, `biolink:Disease`)."""
    if iri.startswith(OBO):
        match = _OBO_LOCAL.match(iri[len(OBO) :])
        if match:
            return f"{match[1]}:{match[2]}"
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    raise ExportError(f"no CURIE prefix for <{iri}>: add its namespace to kg.exchange.identifiers")


def expand(value: str) -> str:
    """The IRI of a CURIE made by `curie` (OBO prefixes expand to the OBO PURLs)."""
    prefix, _, local = value.partition(":")
    if prefix in NAMESPACES:
        return NAMESPACES[prefix] + local
    return f"{OBO}{prefix}_{local}"


def curie_map(curies: Iterable[str]) -> dict[str, str]:
    """Prefix -> namespace for every prefix among `curies`, sorted by prefix."""
    prefixes = {c.partition(":")[0] for c in curies}
    return {p: NAMESPACES.get(p, f"{OBO}{p}_") for p in sorted(prefixes, key=str.lower)}


def is_ours(iri: str) -> bool:
    return iri.startswith(SCAD)
