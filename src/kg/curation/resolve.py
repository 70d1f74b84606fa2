"""Names in template cells → IRIs: a CURIE or IRI, or an English or Chinese label
(`rdfs:label` or `skos:altLabel`, exactly as written), checked against the column's class.

Each distinct (name, class) is looked up once, by index lookups on the store (no table of every
label is built), so resolving is linear in the rows and bounded by the distinct names used.
"""

from __future__ import annotations

from dataclasses import dataclass

import rdflib
from pyoxigraph import Literal, NamedNode, Store

from kg.sources import DATA, TBOX
from kg.vocab import GRAPHS, RDF, RDFS, SKOS, curie, expand

LABELS = (NamedNode(RDFS + "label"), NamedNode(SKOS + "altLabel"))
RDF_TYPE = NamedNode(RDF + "type")
GRAPH_NODES = (NamedNode(GRAPHS[TBOX]), NamedNode(GRAPHS[DATA]))


@dataclass(frozen=True)
class Resolved:
    """A name's IRI, or why there is none: the rule broken and how to fix it."""

    iri: str = ""
    rule: str = ""
    fix: str = ""


def looks_like_iri(name: str) -> bool:
    """A CURIE with a known prefix or an IRI (a label may hold a colon, but then a space too)."""
    return (":" in name or name.startswith("<")) and " " not in name.strip("<>")


class Resolver:
    """Resolves names against the sources read into `store`, with the TBox's class hierarchy."""

    def __init__(self, store: Store, tbox: rdflib.Graph):
        self.store = store
        self._subclasses: dict[str, frozenset[str]] = {}
        self._tbox = tbox
        self._cache: dict[tuple[str, str], Resolved] = {}

    def subclasses(self, cls: str) -> frozenset[str]:
        """`cls` and every class below it (rdfs:subClassOf*, named classes)."""
        if cls not in self._subclasses:
            found = {
                str(c)
                for c in self._tbox.transitive_subjects(rdflib.RDFS.subClassOf, rdflib.URIRef(cls))
                if isinstance(c, rdflib.URIRef)
            }
            self._subclasses[cls] = frozenset(found | {cls})
        return self._subclasses[cls]

    def types(self, iri: str) -> set[str]:
        node = NamedNode(iri)
        return {
            q.object.value
            for g in GRAPH_NODES
            for q in self.store.quads_for_pattern(node, RDF_TYPE, None, g)
        }

    def exists(self, iri: str) -> bool:
        node = NamedNode(iri)
        return any(
            True for g in GRAPH_NODES for _ in self.store.quads_for_pattern(node, None, None, g)
        )

    def by_label(self, name: str) -> list[str]:
        found: dict[str, None] = {}
        for literal in (Literal(name, language="en"), Literal(name, language="zh"), Literal(name)):
            for predicate in LABELS:
                for g in GRAPH_NODES:
                    for q in self.store.quads_for_pattern(None, predicate, literal, g):
                        found.setdefault(q.subject.value, None)
        return list(found)

    def entity(self, name: str, cls: str) -> Resolved:
        """The member of `cls` that `name` names (cls "": anything in the graph)."""
        key = (name, cls)
        if key not in self._cache:
            self._cache[key] = self._entity(name, cls)
        return self._cache[key]

    def _entity(self, name: str, cls: str) -> Resolved:
        wanted = self.subclasses(cls) if cls else frozenset()
        what = curie(cls) if cls else "an entity"
        if looks_like_iri(name):
            iri = expand(name)
            if iri is None:
                return Resolved(
                    rule="unknown prefix",
                    fix="write a CURIE with a known prefix (scad:, obo:, …) or a full IRI",
                )
            if not self.exists(iri):
                return Resolved(
                    rule=f"{curie(iri)} is not in the graph",
                    fix=f"add it to ontology/data/entities.ttl first, or name an existing {what}",
                )
            if cls and not self.types(iri) & wanted:
                kinds = ", ".join(sorted(curie(t) for t in self.types(iri))) or "untyped"
                return Resolved(
                    rule=f"{curie(iri)} is not a {what} (it is: {kinds})", fix=f"name a {what}"
                )
            return Resolved(iri=iri)
        candidates = self.by_label(name)
        members = [c for c in candidates if not cls or self.types(c) & wanted]
        if len(members) == 1:
            return Resolved(iri=members[0])
        if len(members) > 1:
            listed = ", ".join(sorted(curie(m) for m in members))
            return Resolved(
                rule=f"ambiguous name: {len(members)} entities are labelled so",
                fix=f"write one of their CURIEs: {listed}",
            )
        if candidates:
            listed = ", ".join(sorted(curie(c) for c in candidates))
            return Resolved(rule=f"the name is not of a {what} ({listed})", fix=f"name a {what}")
        return Resolved(
            rule="unknown name",
            fix=f"write the English or Chinese label of an existing {what} exactly, or its CURIE",
        )
