"""What the index holds: one document per entity of our namespace, read from a built store.

An entity is every IRI under https://w3id.org/scad/ with a label, alternative label,
definition, summary, title or description; its texts keep their language. The graph work is
done by Oxigraph in four scans (texts, types, subclass links, statement links), streamed as
they come; their rows go through an on-disk SQLite table that sorts them and drops repeats, and
Python groups them one entity at a time, so reading is linear in the size of the graph and its
memory does not grow with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from pyoxigraph import Store

from kg.search.scratch import scratch_db
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
SELECT ?s ?p ?o WHERE {{
  VALUES ?p {{ {" ".join(f"<{p}>" for p in NAME_PROPERTIES + TEXT_PROPERTIES)} }}
  ?s ?p ?o
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{SCAD}") && isLiteral(?o))
}}"""
_TYPES = f"""
SELECT ?s ?t WHERE {{
  ?s a ?t FILTER(isIRI(?s) && isIRI(?t) && STRSTARTS(STR(?s), "{SCAD}"))
}}"""
_SUBCLASSES = """
SELECT DISTINCT ?c ?d WHERE {
  ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?d FILTER(isIRI(?c) && isIRI(?d) && ?c != ?d)
}"""
# As the `search` canned query counts them: statements pointing at the entity, directly or
# through their population's condition (one row per link; the distinct ones are counted).
_STATEMENTS = f"""
PREFIX scad: <{SCAD}>
SELECT ?e ?st WHERE {{
  ?st a scad:EvidenceStatement .
  {{ ?st ?p ?e FILTER(isIRI(?e)) }} UNION {{ ?st scad:population/scad:condition ?e }}
  FILTER(STRSTARTS(STR(?e), "{SCAD}"))
}}"""

# The spilled rows: (iri, kind, lang, value, property, datatype), '' where a kind has none.
ROW = ("iri", "kind", "lang", "value", "prop", "datatype")
NAME, TEXT, TYPE, STATEMENT = range(4)  # kinds: value is the text, a class, a statement's IRI
_SORTED = f"SELECT DISTINCT * FROM rows ORDER BY {', '.join(ROW)}"


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
    """Every entity of the store with its texts, kinds and statement count, in IRI order.

    The rows of the scans are spilled to a scratch table and read back sorted and without
    repeats, one entity at a time: memory does not grow with the graph, as it would with
    SPARQL's DISTINCT, GROUP BY or ORDER BY (each holds every row) or a dict of the entities."""
    broader = superclasses(store)
    with scratch_db("rows", ROW) as db:
        db.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(ROW))})", _rows(store))
        for iri, rows in groupby(db.execute(_SORTED), key=itemgetter(0)):
            entity = _entity(iri, rows, broader)
            if entity is not None:
                yield entity


def _rows(store: Store) -> Iterator[tuple[str, int, str, str, str, str]]:
    """The scans' rows as (iri, kind, lang, value, property, datatype), repeats included."""
    for row in _select(store, _TEXTS):
        prop, literal = row["p"].value, row["o"]
        kind = NAME if prop in NAME_PROPERTIES else TEXT
        lang = literal.language or ""
        yield row["s"].value, kind, lang, literal.value, prop, literal.datatype.value
    for row in _select(store, _TYPES):
        yield row["s"].value, TYPE, "", row["t"].value, "", ""
    for row in _select(store, _STATEMENTS):
        yield row["e"].value, STATEMENT, "", row["st"].value, "", ""


def _entity(iri: str, rows: Iterable[tuple], broader: dict[str, set[str]]) -> Entity | None:
    """The entity of one IRI's sorted rows; None when it has no names or texts (not an entity)."""
    entity = Entity(iri)
    for _iri, kind, lang, value, prop, _datatype in rows:
        if kind == TYPE:
            entity.types.add(value)
        elif kind == STATEMENT:
            entity.statements += 1
        else:
            (entity.names if kind == NAME else entity.texts).append((lang, value))
            if prop == NAME_PROPERTIES[0]:  # sorted by value: the least label of each language
                entity.labels.setdefault(lang, value)
    if not entity.names and not entity.texts:
        return None
    entity.kinds = most_specific(entity.types, broader)
    return entity


def _select(store: Store, query: str):  # noqa: ANN202 - pyoxigraph QuerySolutions
    return store.query(query, use_default_graph_as_union=True)


def superclasses(store: Store) -> dict[str, set[str]]:
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
