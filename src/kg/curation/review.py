"""Review states: which statements the build serves.

A statement's `scad:reviewStatus` is draft, submitted, accepted or deprecated; one without a
status (the hand-written Turtle of the review) counts as accepted. Every statement is read and
checked, whatever its state; then, before the reasoner runs, the statements whose state is not
served (`KG_SERVE_STATUSES`, default `accepted`) leave the store with their outcomes. A
deprecated statement leaves a stub behind — `owl:deprecated true`, its status and its
`scad:replacedBy` — so that its IRI still resolves and redirects to the replacement.
"""

from __future__ import annotations

import itertools
import tempfile

from pyoxigraph import NamedNode, Store

from kg.curation.columns import STATUSES
from kg.errors import ConfigError
from kg.vocab import GRAPHS, OWL, SCAD

STATUS = NamedNode(SCAD + "reviewStatus")
REPLACED_BY = NamedNode(SCAD + "replacedBy")
DEPRECATED = NamedNode(OWL + "deprecated")
HAS_OUTCOME = NamedNode(SCAD + "outcome")
STUB = {STATUS, REPLACED_BY, DEPRECATED}  # what a withheld deprecated statement keeps
DEFAULT_SERVED = "accepted"


def served_statuses(setting: str) -> frozenset[str]:
    """`accepted`, `all`, or a comma-separated list of states (KG_SERVE_STATUSES)."""
    names = [n.strip() for n in setting.split(",") if n.strip()] or [DEFAULT_SERVED]
    if names == ["all"]:
        return frozenset(STATUSES)
    unknown = [n for n in names if n not in STATUSES]
    if unknown:
        raise ConfigError(
            f"KG_SERVE_STATUSES: unknown state(s) {', '.join(unknown)}; "
            f"write all, or some of {', '.join(STATUSES)} separated by commas"
        )
    return frozenset(names)


BATCH = 20_000  # quads per DELETE DATA: one transaction each


def withhold(store: Store, served: frozenset[str]) -> dict[str, int]:
    """Take the statements whose state is not served out of the statements graph (their
    outcomes too); returns how many of each state were withheld.

    Two passes, both linear: the quads to remove are found by index lookups (into a temporary
    file, so memory stays bounded), then removed in batches of `DELETE DATA` (one transaction
    each). Reading everything before deleting anything keeps the lookups off the tombstones the
    deletions leave, which made a lookup-delete-lookup loop slow down as it went."""
    graph = NamedNode(GRAPHS["statements"])
    withheld: dict[str, int] = {}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as doomed:
        for quad in store.quads_for_pattern(None, STATUS, None, graph):
            state = quad.object.value.removeprefix(SCAD + "status-")
            if state in served:
                continue
            statement = quad.subject
            keep = STUB if state == "deprecated" else set()
            for q in store.quads_for_pattern(statement, None, None, graph):
                if q.predicate not in keep:
                    doomed.write(f"{q.subject} {q.predicate} {q.object} .\n")
                if q.predicate == HAS_OUTCOME:
                    for o in store.quads_for_pattern(q.object, None, None, graph):
                        doomed.write(f"{o.subject} {o.predicate} {o.object} .\n")
            withheld[state] = withheld.get(state, 0) + 1
        doomed.seek(0)
        while batch := list(itertools.islice(doomed, BATCH)):
            store.update(f"DELETE DATA {{ GRAPH <{graph.value}> {{\n{''.join(batch)}}} }}")
    return withheld
