"""The store read as four tables for the exchange formats: entities, statements, outcomes, mappings.

Each table is a stream of records in IRI order, read from the store without ever holding a graph
in memory: a SPARQL query lists the table's keys sorted by IRI, and each key's own triples are then
read by Oxigraph's index lookups (`quads_for_pattern`, subject first), a few at a time. Measured
on 10⁴ statements, a `VALUES ?key {…}` join per chunk of keys cost 0.65 ms a key and grew with
the graph (the join scanned the graph once a chunk); an index lookup costs 0.1 ms and does not.
Memory holds the key list and one record; the output order is the same on every run, so the
files written from it are too. The small tables (the TBox's class hierarchy and alignments) are
SPARQL queries read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pyoxigraph import Literal, NamedNode, Store

from kg.errors import ExportError
from kg.exchange.identifiers import curie
from kg.vocab import GRAPHS, PREFIXES, SCAD, sparql_prologue

STATEMENTS = f"<{GRAPHS['statements']}>"
ONTOLOGY = f"<{GRAPHS['ontology']}>"
RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
DCTERMS = PREFIXES["dcterms"]
XSD = PREFIXES["xsd"]
OWL = PREFIXES["owl"]
MATCHES = tuple(
    SKOS + m for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
)
CACHE = 1 << 16  # objects remembered by the "is it an individual?" and DOI lookups


def select(store: Store, text: str) -> Iterator[tuple[Any, ...]]:
    """The rows of a SELECT (our prefixes declared), as tuples of pyoxigraph terms or None: the
    export step's own fixed queries, run on the store like the build's and the release's."""
    results = store.query(sparql_prologue() + text, use_default_graph_as_union=True)
    width = len(results.variables)
    for solution in results:
        yield tuple(solution[i] for i in range(width))


def sorted_keys(store: Store, text: str) -> list[NamedNode]:
    """The keys a query lists (sorted by ?key): IRIs, distinct, in IRI order."""
    keys = [row[0] for row in select(store, text)]
    if any(not isinstance(k, NamedNode) for k in keys):
        raise ExportError("a table's keys must be IRIs (blank nodes have no stable name)")
    if any(a.value >= b.value for a, b in zip(keys, keys[1:], strict=False)):
        raise ExportError("a table's keys must be distinct and sorted by IRI")
    return keys


_SUPERCLASSES = f"""SELECT DISTINCT ?class ?super WHERE {{
  GRAPH {ONTOLOGY} {{ ?class a owl:Class }} ?class rdfs:subClassOf* ?super .
  FILTER(isIRI(?class) && isIRI(?super))
}} ORDER BY ?class ?super"""


class Reader:
    """A node's triples, types and links, by index lookups on the store."""

    def __init__(self, store: Store):
        self.store = store
        self.graph = NamedNode(GRAPHS["statements"])
        self.rdf_type = NamedNode(RDF_TYPE)
        self.supers: dict[str, set[str]] = {}
        for cls, sup in select(store, _SUPERCLASSES):
            self.supers.setdefault(cls.value, {cls.value}).add(sup.value)
        self.is_individual = lru_cache(maxsize=CACHE)(self._is_individual)
        self.doi = lru_cache(maxsize=CACHE)(self._doi)

    def values(self, key: NamedNode) -> dict[str, list[Any]]:
        """The key's triples in the statements graph: predicate IRI -> objects, sorted."""
        out: dict[str, list[Any]] = {}
        for quad in self.store.quads_for_pattern(key, None, None, self.graph):
            out.setdefault(quad.predicate.value, []).append(quad.object)
        for objects in out.values():
            objects.sort(key=lambda t: (t.value, str(t)))
        return out

    def types(self, key: NamedNode) -> list[str]:
        """Every class of the key, in any graph (asserted and inferred), with its superclasses."""
        found: set[str] = set()
        for quad in self.store.quads_for_pattern(key, self.rdf_type, None, None):
            if isinstance(quad.object, NamedNode):
                found |= self.supers.get(quad.object.value, {quad.object.value})
        return sorted(found)

    def _is_individual(self, node: NamedNode) -> bool:
        individual = NamedNode(OWL + "NamedIndividual")
        return (
            next(self.store.quads_for_pattern(node, self.rdf_type, individual, self.graph), None)
            is not None
        )

    def links(self, values: dict[str, list[Any]]) -> tuple[tuple[str, str], ...]:
        """(property, node) for each object that is itself an individual: edges between nodes."""
        return tuple(
            (curie(p), curie(o.value))
            for p, objects in sorted(values.items())
            if p != RDF_TYPE
            for o in objects
            if isinstance(o, NamedNode) and self.is_individual(o)
        )

    def _doi(self, work: NamedNode) -> str | None:
        quad = next(
            self.store.quads_for_pattern(work, NamedNode(SCAD + "doi"), None, self.graph), None
        )
        return None if quad is None else quad.object.value

    def subjects(self, predicate: str, node: NamedNode) -> list[NamedNode]:
        quads = self.store.quads_for_pattern(None, NamedNode(predicate), node, self.graph)
        return sorted((quad.subject for quad in quads), key=lambda t: t.value)


# ---------------------------------------------------------------------------------------------
# Values


def text(terms: list[Any] | None, lang: str | None = None) -> str | None:
    """The first literal of `terms` in `lang` (any language when None), else None."""
    for term in terms or []:
        if isinstance(term, Literal) and (lang is None or term.language == lang):
            return term.value
    return None


def texts(terms: list[Any] | None) -> tuple[str, ...]:
    return tuple(sorted({t.value for t in terms or [] if isinstance(t, Literal)}))


def curies(terms: list[Any] | None) -> tuple[str, ...]:
    return tuple(sorted({curie(t.value) for t in terms or [] if isinstance(t, NamedNode)}))


def one_curie(terms: list[Any] | None) -> str | None:
    found = curies(terms)
    return found[0] if found else None


def number(terms: list[Any] | None) -> Decimal | None:
    """An xsd:decimal (or integer) value as an exact Decimal; never a float."""
    for term in terms or []:
        if isinstance(term, Literal) and term.datatype.value in (XSD + "decimal", XSD + "integer"):
            return Decimal(term.value)
    return None


def integer(terms: list[Any] | None) -> int | None:
    value = number(terms)
    return None if value is None else int(value)


def boolean(terms: list[Any] | None) -> bool | None:
    for term in terms or []:
        if isinstance(term, Literal) and term.datatype.value == XSD + "boolean":
            return term.value in ("true", "1")
    return None


def local(iri: str) -> str:
    return iri[len(SCAD) :] if iri.startswith(SCAD) else curie(iri)


def ours(types: Iterable[str]) -> tuple[str, ...]:
    return tuple(local(t) for t in types if t.startswith(SCAD))


# ---------------------------------------------------------------------------------------------
# Entities: every individual of the statements graph that is neither a statement nor an outcome


@dataclass(frozen=True)
class Entity:
    id: str
    iri: str
    types: tuple[str, ...]  # our classes, asserted and inferred (local names)
    categories: tuple[str, ...]  # Biolink classes from the TBox alignments, most specific only
    publication_types: tuple[str, ...]  # FaBiO classes of a document (from the same alignments)
    label_en: str | None
    label_zh: str | None
    description_en: str | None
    description_zh: str | None
    synonyms: tuple[str, ...]  # skos:altLabel, both languages
    xrefs: tuple[str, ...]  # skos:exactMatch
    links: tuple[tuple[str, str], ...]  # (property, node) to other individuals


INDIVIDUAL_KEYS = f"""SELECT DISTINCT ?key WHERE {{
  GRAPH {STATEMENTS} {{ ?key a owl:NamedIndividual }} FILTER(isIRI(?key))
}} ORDER BY ?key"""
STATEMENT_KEYS = (
    "SELECT DISTINCT ?key WHERE { ?key a/rdfs:subClassOf* scad:EvidenceStatement } ORDER BY ?key"
)
OUTCOME_KEYS = "SELECT DISTINCT ?key WHERE { ?key a/rdfs:subClassOf* scad:Outcome } ORDER BY ?key"
# The TBox's alignments to one vocabulary (Biolink, FaBiO), and the named superclasses of each
# aligned class: a small table, the same size however many statements the graph holds.
_ALIGNMENTS = f"""SELECT ?class ?target ?super WHERE {{{{
  GRAPH {ONTOLOGY} {{{{ ?class skos:exactMatch|skos:closeMatch|skos:broadMatch ?target }}}}
  FILTER(STRSTARTS(STR(?target), "{{namespace}}"))
  OPTIONAL {{{{ ?class rdfs:subClassOf+ ?super FILTER(isIRI(?super)) }}}}
}}}} ORDER BY ?class ?target ?super"""
Alignments = tuple[dict[str, set[str]], dict[str, set[str]]]


def alignments(store: Store, namespace: str) -> Alignments:
    """Class IRI -> the terms of `namespace` it is aligned to, and class IRI -> its named
    superclasses."""
    targets: dict[str, set[str]] = {}
    supers: dict[str, set[str]] = {}
    for cls, target, sup in select(store, _ALIGNMENTS.format(namespace=namespace)):
        targets.setdefault(cls.value, set()).add(target.value)
        supers.setdefault(cls.value, set()).update([sup.value] if sup else [])
    return targets, supers


def aligned(types: Iterable[str], table: Alignments) -> tuple[str, ...]:
    """The terms a node with these classes is aligned to through its most specific aligned
    classes (an HSCT individual is a biolink:Treatment, not also what a superclass maps to)."""
    targets, supers = table
    found = {t for t in types if t in targets}
    specific = {t for t in found if not any(t in supers[o] for o in found if o != t)}
    return tuple(sorted({curie(c) for t in specific for c in targets[t]}))


def entity_keys(store: Store) -> Iterator[NamedNode]:
    """The individuals that are not statements or outcomes (three sorted lists, merged)."""
    others = {k.value for text in (STATEMENT_KEYS, OUTCOME_KEYS) for k in sorted_keys(store, text)}
    return (k for k in sorted_keys(store, INDIVIDUAL_KEYS) if k.value not in others)


def entities(store: Store) -> Iterator[Entity]:
    reader = Reader(store)
    biolink_table = alignments(store, PREFIXES["biolink"])
    fabio_table = alignments(store, PREFIXES["fabio"])
    for key in entity_keys(store):
        v = reader.values(key)
        types = reader.types(key)
        descriptions = v.get(DCTERMS + "description", []) + v.get(SKOS + "definition", [])
        yield Entity(
            id=curie(key.value),
            iri=key.value,
            types=ours(types),
            categories=aligned(types, biolink_table),
            publication_types=aligned(types, fabio_table),
            label_en=text(v.get(RDFS + "label"), "en"),
            label_zh=text(v.get(RDFS + "label"), "zh"),
            description_en=text(descriptions, "en"),
            description_zh=text(descriptions, "zh"),
            synonyms=texts(v.get(SKOS + "altLabel")),
            xrefs=curies(v.get(SKOS + "exactMatch")),
            links=reader.links(v),
        )


# ---------------------------------------------------------------------------------------------
# Statements


@dataclass(frozen=True)
class Statement:
    id: str
    iri: str
    kinds: tuple[str, ...]  # asserted statement classes (local names)
    label_en: str | None
    label_zh: str | None
    summary_en: str | None
    summary_zh: str | None
    relations: dict[str, tuple[str, ...]]  # our property (local name) -> node CURIEs, sorted
    evidence_types: tuple[str, ...]  # ECO CURIEs
    locator: str | None
    section: str | None
    point: int | None
    paragraph: int | None
    sources: tuple[str, ...]  # reference CURIEs
    publications: tuple[str, ...]  # doi:… of each source, or the source's CURIE when it has none
    links: tuple[tuple[str, str], ...]

    def relation(self, name: str) -> tuple[str, ...]:
        return self.relations.get(name, ())


# The statement's relations to nodes, by our property's local name.
RELATIONS = (
    "therapy",
    "condition",
    "population",
    "cellType",
    "conditioning",
    "comparator",
    "mechanism",
    "limitation",
    "biomarker",
    "direction",
    "event",
    "about",
    "outcome",
    "source",
)


def statements(store: Store) -> Iterator[Statement]:
    reader = Reader(store)
    for key in sorted_keys(store, STATEMENT_KEYS):
        v = reader.values(key)
        locator = (v.get(SCAD + "locator") or [None])[0]
        place = reader.values(locator) if isinstance(locator, NamedNode) else {}
        sources = [s for s in v.get(SCAD + "source", []) if isinstance(s, NamedNode)]
        publications = sorted(
            {f"doi:{reader.doi(s)}" if reader.doi(s) else curie(s.value) for s in sources}
        )
        yield Statement(
            id=curie(key.value),
            iri=key.value,
            kinds=tuple(local(t.value) for t in v.get(RDF_TYPE, []) if t.value.startswith(SCAD)),
            label_en=text(v.get(RDFS + "label"), "en"),
            label_zh=text(v.get(RDFS + "label"), "zh"),
            summary_en=text(v.get(SCAD + "summary"), "en"),
            summary_zh=text(v.get(SCAD + "summary"), "zh"),
            relations={name: curies(v[SCAD + name]) for name in RELATIONS if v.get(SCAD + name)},
            evidence_types=curies(v.get(SCAD + "evidenceType")),
            locator=None if locator is None else curie(locator.value),
            section=one_curie(place.get(SCAD + "section")),
            point=integer(place.get(SCAD + "pointNumber")),
            paragraph=integer(place.get(SCAD + "paragraph")),
            sources=curies(sources),
            publications=tuple(publications),
            links=reader.links(v),
        )


# ---------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Outcome:
    id: str
    iri: str
    statements: tuple[str, ...]
    label_en: str | None
    label_zh: str | None
    measure: str | None
    value: Decimal | None
    lower_bound: Decimal | None
    upper_bound: Decimal | None
    lower_bound_inclusive: bool | None
    upper_bound_inclusive: bool | None
    approximate: bool | None
    unit: str | None
    follow_up: Decimal | None
    follow_up_unit: str | None
    directions: tuple[str, ...]
    links: tuple[tuple[str, str], ...]


DECIMAL_PROPERTIES = ("value", "lowerBound", "upperBound", "followUp")


def outcomes(store: Store) -> Iterator[Outcome]:
    reader = Reader(store)
    for key in sorted_keys(store, OUTCOME_KEYS):
        v = reader.values(key)
        yield Outcome(
            id=curie(key.value),
            iri=key.value,
            statements=tuple(curie(s.value) for s in reader.subjects(SCAD + "outcome", key)),
            label_en=text(v.get(RDFS + "label"), "en"),
            label_zh=text(v.get(RDFS + "label"), "zh"),
            measure=one_curie(v.get(SCAD + "measure")),
            value=number(v.get(SCAD + "value")),
            lower_bound=number(v.get(SCAD + "lowerBound")),
            upper_bound=number(v.get(SCAD + "upperBound")),
            lower_bound_inclusive=boolean(v.get(SCAD + "lowerBoundInclusive")),
            upper_bound_inclusive=boolean(v.get(SCAD + "upperBoundInclusive")),
            approximate=boolean(v.get(SCAD + "approximate")),
            unit=one_curie(v.get(SCAD + "unit")),
            follow_up=number(v.get(SCAD + "followUp")),
            follow_up_unit=one_curie(v.get(SCAD + "followUpUnit")),
            directions=curies(v.get(SCAD + "direction")),
            links=reader.links(v),
        )


DECIMAL_SCALE = f"""SELECT (MAX(STRLEN(STRAFTER(STR(?v), "."))) AS ?scale) (MAX(STRLEN(REPLACE(STR(?v), "^-|[.].*$", ""))) AS ?digits) WHERE {{
  GRAPH {STATEMENTS} {{ ?o ?p ?v }} VALUES ?p {{ {" ".join(f"scad:{p}" for p in DECIMAL_PROPERTIES)} }}
}}"""


def decimal_digits(store: Store) -> tuple[int, int]:
    """(fraction digits, integer digits) the outcomes' decimals need at most: the Parquet type."""
    (scale, digits), *_ = list(select(store, DECIMAL_SCALE)) or [(None, None)]
    return (int(scale.value) if scale else 0, int(digits.value) if digits else 1)


# ---------------------------------------------------------------------------------------------
# Mappings: every skos:*Match of one of our terms (classes, properties, individuals)


@dataclass(frozen=True)
class Mapping:
    subject_id: str
    subject_label: str | None
    subject_type: str | None  # SSSOM entity type: owl class, owl object property, …
    predicate_id: str
    object_id: str
    object_label: str | None


_MAPPINGS = f"""SELECT DISTINCT ?s ?p ?o WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} VALUES ?p {{ {" ".join(f"<{m}>" for m in MATCHES)} }}
  FILTER(?g IN ({ONTOLOGY}, {STATEMENTS}) && STRSTARTS(STR(?s), STR(scad:)) && isIRI(?o))
}} ORDER BY ?s ?p ?o"""
# SSSOM's entity_type_enum, in the order that decides a term typed twice (a class first).
ENTITY_TYPES = {
    "Class": "owl class",
    "ObjectProperty": "owl object property",
    "DatatypeProperty": "owl data property",
    "AnnotationProperty": "owl annotation property",
    "NamedIndividual": "owl named individual",
}


def _label_en(store: Store, node: NamedNode) -> str | None:
    labels = [
        q.object for q in store.quads_for_pattern(node, NamedNode(RDFS + "label"), None, None)
    ]
    return min(
        (t.value for t in labels if isinstance(t, Literal) and t.language == "en"), default=None
    )


def _owl_kind(store: Store, node: NamedNode) -> str | None:
    """The SSSOM entity type of one of our terms, from its OWL declaration."""
    kinds = {
        q.object.value.removeprefix(OWL)
        for q in store.quads_for_pattern(node, NamedNode(RDF_TYPE), None, None)
    }
    return next((t for name, t in ENTITY_TYPES.items() if name in kinds), None)


def mappings(store: Store) -> Iterator[Mapping]:
    """One per mapping triple, in subject, predicate, object order (the mappings are few: one
    per alignment of a term, not per statement)."""
    subject: tuple[str, str | None, str | None] | None = None
    for s, p, o in select(store, _MAPPINGS):
        if subject is None or subject[0] != s.value:
            subject = (s.value, _label_en(store, s), _owl_kind(store, s))
        yield Mapping(
            subject_id=curie(s.value),
            subject_label=subject[1],
            subject_type=subject[2],
            predicate_id=curie(p.value),
            object_id=curie(o.value),
            object_label=_label_en(store, o),
        )
