"""kg.order: the reading positions the build writes, on the review's built store."""

from __future__ import annotations

from pyoxigraph import Store

from kg.order import STATEMENT_ORDER
from kg.vocab import GRAPHS, SCAD

# The order the positions stand for, sorted by the engine itself (unbound numbers first).
BY_LOCATOR = f"""PREFIX scad: <{SCAD}>
SELECT ?s WHERE {{
  ?s a scad:EvidenceStatement ; scad:locator ?l .
  OPTIONAL {{ ?l scad:section/scad:sectionNumber ?n }}
  OPTIONAL {{ ?l scad:pointNumber ?p }}
  OPTIONAL {{ ?l scad:paragraph ?g }}
}} ORDER BY ?n ?p ?g ?s"""


def positions(store: Store, prop: str) -> dict[str, int]:
    rows = store.query(
        f"SELECT ?x ?n WHERE {{ GRAPH <{GRAPHS['metadata']}> {{ ?x <{prop}> ?n }} }}"
    )
    found: dict[str, int] = {}
    for row in rows:
        assert row["x"].value not in found, f"two positions for {row['x'].value}"
        found[row["x"].value] = int(row["n"].value)
    return found


def test_every_statement_has_its_place_in_reading_order(store):
    at = positions(store, STATEMENT_ORDER)
    by_locator = [r["s"].value for r in store.query(BY_LOCATOR, use_default_graph_as_union=True)]
    assert len(by_locator) == 98
    assert sorted(at, key=at.get) == by_locator
    assert sorted(at.values()) == list(range(1, 99))
