"""What a release says about itself, read from the store: title, version, date, licence, creators,
the source document (the one whose sections the statements' locators point into) and the works
it credits (the statements' sources and the document's numbered references).

The date is the graph's own (`dcterms:modified` of the ontology, else `dcterms:created`), never
the clock's, so that two releases of one store are identical.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import NamedNode, Store

from kg import __version__
from kg.exchange.tables import ONTOLOGY, STATEMENTS, select
from kg.query.text import bind_values
from kg.vocab import ONTOLOGY_IRI, PREFIXES, sparql_prologue

CITO_CITES_AS_EVIDENCE = "http://purl.org/spar/cito/citesAsEvidence"


@dataclass(frozen=True)
class Work:
    """A document: the source of the statements, or a work it credits."""

    iri: str
    label: str | None
    title: str | None
    title_lang: str | None
    authors: str | None  # the published author list, as one string
    journal: str | None
    issued: str | None  # as precise as the graph has it (a year, a month, a date)
    volume: str | None
    issue: str | None
    pages: str | None
    article_number: str | None
    doi: str | None
    number: int | None  # its number in the source document's reference list
    kind: str  # our class: ReviewArticle, Guideline, Reference, …

    @property
    def url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else self.iri


@dataclass(frozen=True)
class About:
    title: str
    title_zh: str | None
    description: str | None
    version: str
    date: str | None
    license: str | None
    creators: tuple[str, ...]
    source: tuple[Work, ...]  # the asserting document(s)
    credited: tuple[Work, ...]  # the works the document credits, by reference number


_ONTOLOGY = (
    f"""SELECT ?p ?o WHERE {{ GRAPH {ONTOLOGY} {{ <{ONTOLOGY_IRI}> ?p ?o }} }} ORDER BY ?p ?o"""
)
_DOCUMENTS = f"""SELECT DISTINCT ?doc WHERE {{ GRAPH {STATEMENTS} {{ ?section scad:inDocument ?doc }} }}
ORDER BY ?doc"""
_CREDITED = f"""SELECT DISTINCT ?work WHERE {{
  {{ ?statement scad:source|<{CITO_CITES_AS_EVIDENCE}> ?work }}
  UNION {{ ?work scad:citationNumber ?n }}
  FILTER(isIRI(?work))
}} ORDER BY ?work"""
_WORK = f"""SELECT ?work ?label ?title ?authors ?journal ?issued ?volume ?issue ?pages ?article ?doi ?n ?kind
WHERE {{
  OPTIONAL {{ ?work rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }}
  OPTIONAL {{ ?work dcterms:title ?title }}
  OPTIONAL {{ ?work scad:authorList ?authors }}
  OPTIONAL {{ ?work scad:journal/rdfs:label ?journal FILTER(LANGMATCHES(LANG(?journal), "en")) }}
  OPTIONAL {{ ?work dcterms:issued ?issued }}
  OPTIONAL {{ ?work scad:volume ?volume }}
  OPTIONAL {{ ?work scad:issue ?issue }}
  OPTIONAL {{ ?work scad:pages ?pages }}
  OPTIONAL {{ ?work scad:articleNumber ?article }}
  OPTIONAL {{ ?work scad:doi ?doi }}
  OPTIONAL {{ ?work scad:citationNumber ?n }}
  OPTIONAL {{ GRAPH {STATEMENTS} {{ ?work a ?kind }} FILTER(STRSTARTS(STR(?kind), STR(scad:))) }}
}} ORDER BY ?label ?title ?authors ?journal ?issued ?doi ?kind LIMIT 1"""


def _value(term) -> str | None:
    return None if term is None else term.value


def read_work(store: Store, iri: str) -> Work:
    text = bind_values(sparql_prologue() + _WORK, {"work": NamedNode(iri)})
    rows = list(store.query(text, use_default_graph_as_union=True))
    row = rows[0] if rows else None
    get = (lambda name: _value(row[name])) if row is not None else (lambda _name: None)
    title = row["title"] if row is not None else None
    return Work(
        iri=iri,
        label=get("label"),
        title=get("title"),
        title_lang=getattr(title, "language", None) or None,
        authors=get("authors"),
        journal=get("journal"),
        issued=get("issued"),
        volume=get("volume"),
        issue=get("issue"),
        pages=get("pages"),
        article_number=get("article"),
        doi=get("doi"),
        number=int(get("n")) if get("n") else None,
        kind=(get("kind") or "Reference").rsplit("/", 1)[-1],
    )


def about(store: Store, works: bool = True) -> About:
    """The release's facts; without `works`, not the source document and credited works (the
    SSSOM header needs no references, and reading them grows with the graph's references)."""
    dcterms, owl = PREFIXES["dcterms"], PREFIXES["owl"]
    facts: dict[str, list] = {}
    for p, o in select(store, _ONTOLOGY):
        facts.setdefault(p.value, []).append(o)

    def literal(name: str, lang: str | None = None) -> str | None:
        for term in facts.get(name, []):
            if getattr(term, "language", None) == lang or (lang is None and not term.language):
                return term.value
        return None

    documents = [row[0].value for row in select(store, _DOCUMENTS)] if works else []
    source = tuple(read_work(store, iri) for iri in documents)
    credited = [
        read_work(store, row[0].value)
        for row in (select(store, _CREDITED) if works else ())
        if row[0].value not in documents
    ]
    credited.sort(key=lambda w: (w.number is None, w.number or 0, w.iri))
    license_ = facts.get(dcterms + "license", [None])[0]
    return About(
        title=literal(dcterms + "title", "en") or "SCAD knowledge graph",
        title_zh=literal(dcterms + "title", "zh"),
        description=literal(dcterms + "description", "en"),
        version=literal(owl + "versionInfo") or __version__,
        date=literal(dcterms + "modified") or literal(dcterms + "created"),
        license=None if license_ is None else license_.value,
        creators=tuple(sorted(t.value for t in facts.get(dcterms + "creator", []))),
        source=source,
        credited=tuple(credited),
    )
