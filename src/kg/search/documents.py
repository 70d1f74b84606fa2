"""What the index holds: one document per entity of our namespace, read from a built store.

An entity is every IRI under https://w3id.org/scad/ with a label, alternative label,
definition, summary, title or description; its texts keep their language. The graph work is
done by Oxigraph in five scans (texts, types, subclass links, statement counts); Python only
groups the rows, so reading is linear in the size of the graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyoxigraph import Store

from kg.vocab import PREFIXES, SCAD

RDF_TYPE = PREFIXES["rdf"] + "type"
NAMED_INDIVIDUAL = PREFIXES["owl"] + "NamedIndividual"
NAME_PROPERTIES = (PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "altLabel")
TEXT_PROPERTIES = (
    PREFIXES["skos"] + "definition",
    SCAD + "summary",
    PREFIXES["dcterms"] + "title",
    PREFIXES["dcterms"] + "description",
)
# Kinds whose members are claims about other entities, not things one looks up by name: they
# are found by /search, but type-ahead suggests the therapies, diseases, people… they are about.
NOT_SUGGESTED = (SCAD + "EvidenceStatement", SCAD + "Outcome", SCAD + "Locator")

_TEXTS = f"""
SELECT DISTINCT ?s ?p ?o WHERE {{
  VALUES ?p {{ {" ".join(f"<{p}>" for p in NAME_PROPERTIES + TEXT_PROPERTIES)} }}
  ?s ?p ?o
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{SCAD}") && isLiteral(?o))
}}"""
_TYPES = f"""
SELECT DISTINCT ?s ?t WHERE {{
  ?s a ?t FILTER(isIRI(?s) && isIRI(?t) && STRSTARTS(STR(?s), "{SCAD}"))
}}"""
_SUBCLASSES = """
SELECT DISTINCT ?c ?d WHERE {
  ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?d FILTER(isIRI(?c) && isIRI(?d) && ?c != ?d)
}"""
# As the `search` canned query counts them: statements pointing at the entity, directly or
# through their population's condition.
_STATEMENT_COUNTS = f"""
PREFIX scad: <{SCAD}>
SELECT ?e (COUNT(DISTINCT ?st) AS ?n) WHERE {{
  ?st a scad:EvidenceStatement .
  {{ ?st ?p ?e FILTER(isIRI(?e)) }} UNION {{ ?st scad:population/scad:condition ?e }}
}} GROUP BY ?e"""


@dataclass
class Entity:
    iri: str
    names: list[tuple[str, str]] = field(default_factory=list)  # (lang, text): labels, altLabels
    texts: list[tuple[str, str]] = field(default_factory=list)  # definitions, summaries, titles
    labels: dict[str, str] = field(default_factory=dict)  # lang -> the label shown
    types: set[str] = field(default_factory=set)  # every class, inferred ones included
    kinds: list[str] = field(default_factory=list)  # the most specific classes, ours first
    statements: int = 0

    @property
    def suggested(self) -> bool:
        """Type-ahead offers it: a member of one of our classes that is not a claim."""
        ours = any(t.startswith(SCAD) for t in self.types)
        return ours and not any(t in self.types for t in NOT_SUGGESTED)


def read_entities(store: Store) -> Iterator[Entity]:
    """Every entity of the store with its texts, kinds and statement count, in IRI order."""
    entities: dict[str, Entity] = {}
    for row in _select(store, _TEXTS):
        iri, prop, literal = row["s"].value, row["p"].value, row["o"]
        entity = entities.get(iri)
        if entity is None:
            entity = entities[iri] = Entity(iri)
        lang = literal.language or ""
        (entity.names if prop in NAME_PROPERTIES else entity.texts).append((lang, literal.value))
        if prop == NAME_PROPERTIES[0]:
            shown = entity.labels.get(lang)
            if shown is None or literal.value < shown:  # one label per language, stable
                entity.labels[lang] = literal.value
    for row in _select(store, _TYPES):
        entity = entities.get(row["s"].value)
        if entity is not None:
            entity.types.add(row["t"].value)
    broader = _broader(store)
    for row in _select(store, _STATEMENT_COUNTS):
        entity = entities.get(row["e"].value)
        if entity is not None:
            entity.statements = int(row["n"].value)
    for iri in sorted(entities):
        entity = entities[iri]
        entity.names.sort()
        entity.texts.sort()
        entity.kinds = most_specific(entity.types, broader)
        yield entity


def _select(store: Store, query: str):  # noqa: ANN202 - pyoxigraph QuerySolutions
    return store.query(query, use_default_graph_as_union=True)


def _broader(store: Store) -> dict[str, set[str]]:
    """Every class's strict superclasses (the transitive closure of rdfs:subClassOf)."""
    direct: dict[str, set[str]] = defaultdict(set)
    for row in _select(store, _SUBCLASSES):
        direct[row["c"].value].add(row["d"].value)
    closure: dict[str, set[str]] = {}

    def up(cls: str, path: frozenset[str]) -> set[str]:
        if cls in closure:
            return closure[cls]
        out: set[str] = set()
        for parent in direct.get(cls, ()):
            if parent not in path:  # equivalent classes make cycles
                out |= {parent} | up(parent, path | {parent})
        out.discard(cls)
        closure[cls] = out
        return out

    for cls in list(direct):
        up(cls, frozenset({cls}))
    return closure


def most_specific(types: set[str], broader: dict[str, set[str]]) -> list[str]:
    """The classes of `types` with no narrower class among them: ours (scad:) if it has any,
    else the others (owl:Class for a class), owl:NamedIndividual left out. Equivalent classes
    (each below the other) both stay."""
    ours = {t for t in types if t.startswith(SCAD)}
    pool = ours or (types - {NAMED_INDIVIDUAL}) or types

    def narrower(u: str, t: str) -> bool:
        return t in broader.get(u, ()) and u not in broader.get(t, ())

    return sorted(t for t in pool if not any(narrower(u, t) for u in pool))
