"""Reading order: each statement's position, written by the build so that a canned query can
choose a page of statements before it looks up their details.

Oxigraph sorts integers quickly but compares IRIs and strings through its dictionary: ordering
the 10⁵ statements of a large graph by their locators took 4–8 s, over the service's time limit,
before any detail was read; by these positions the page is chosen in 0.05 s. The positions are
derived, not curated: they go into the metadata graph, and change whenever statements are added.

A statement's place is its locator's (section number, numbered point, paragraph), then its IRI,
the order `statements-by-section` has always listed them in (a missing number first, as SPARQL
sorts an unbound value).
"""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import Literal, NamedNode, Quad, Store

from kg.vocab import GRAPHS, PREFIXES, SCAD

STATEMENT_ORDER = SCAD + "readingOrder"
_INTEGER = NamedNode(PREFIXES["xsd"] + "integer")

_STATEMENTS = f"""PREFIX scad: <{SCAD}>
SELECT ?statement ?section ?point ?paragraph WHERE {{
  ?statement a scad:EvidenceStatement .
  OPTIONAL {{
    ?statement scad:locator ?locator .
    OPTIONAL {{ ?locator scad:section/scad:sectionNumber ?section }}
    OPTIONAL {{ ?locator scad:pointNumber ?point }}
    OPTIONAL {{ ?locator scad:paragraph ?paragraph }}
  }}
}}"""


def _number(term: Literal | None) -> tuple[int, int]:
    return (0, 0) if term is None else (1, int(term.value))


def order_quads(store: Store) -> Iterator[Quad]:
    """`scad:readingOrder` of every statement, counted from 1, in the metadata graph. Holds one
    key per statement while it sorts; every key is read before the first quad is given (the
    caller writes them into this store)."""
    keys = sorted(
        (_number(r["section"]), _number(r["point"]), _number(r["paragraph"]), r["statement"].value)
        for r in store.query(_STATEMENTS, use_default_graph_as_union=True)
    )
    graph, prop = NamedNode(GRAPHS["metadata"]), NamedNode(STATEMENT_ORDER)
    for n, key in enumerate(keys, 1):
        yield Quad(NamedNode(key[-1]), prop, Literal(str(n), datatype=_INTEGER), graph)
