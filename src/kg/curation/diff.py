"""`kg diff OLD NEW`: what changed in the curated graph between two builds or two releases.

Each side is a store (a `kg build` store link or folder) or a release folder (`kg release`'s
`dist/`, read from its `scad-dataset.nq`). Only the curated graph (`statements`) is compared:
the inferred and metadata graphs follow from it. A statement is compared with its outcomes
folded in (`out-x.value: 40 → 45`), so a new row of a template is one added statement; every
other subject of the graph is an entity.

Bounded memory: the store gives a graph's quads grouped by subject, each subject becomes one
record (its fields as JSON) in an on-disk SQLite table, and the comparison is SQL over the two
tables, read back in IRI order.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Store

from kg.errors import StoreError
from kg.store import open_read_only
from kg.vocab import GRAPHS, RDF, RDFS, SCAD, XSD, curie

RELEASE_FILE = "scad-dataset.nq"
RDF_TYPE = RDF + "type"
OUTCOME = SCAD + "Outcome"
HAS_OUTCOME = NamedNode(SCAD + "outcome")
ASSERTED_BY = SCAD + "assertedBy"
STATUS = SCAD + "reviewStatus"
LABEL = RDFS + "label"


def _term(term: object) -> str:
    if isinstance(term, Literal):
        if term.language:
            return f"{term.value}@{term.language}"
        if term.datatype.value in (
            XSD + "string",
            XSD + "decimal",
            XSD + "integer",
            XSD + "boolean",
        ):
            return term.value
        return f"{term.value}^^{curie(term.datatype.value)}"
    if isinstance(term, BlankNode):
        return "_:" + term.value
    return curie(term.value)  # type: ignore[attr-defined]


def _name(predicate: str) -> str:
    """A field's name: the local name of our properties (`value`), a CURIE otherwise."""
    return predicate.removeprefix(SCAD) if predicate.startswith(SCAD) else curie(predicate)


@contextlib.contextmanager
def opened(path: Path | Store) -> Iterator[Store]:
    """The store of a build, or of a release folder (its N-Quads loaded into a temporary one)."""
    if isinstance(path, Store):
        yield path
        return
    if (path / RELEASE_FILE).is_file():
        with tempfile.TemporaryDirectory(prefix="kg-diff-") as tmp:
            store = Store(tmp)
            store.bulk_load(path=str(path / RELEASE_FILE), format=RdfFormat.N_QUADS)
            yield store
            del store
        return
    if not path.exists():
        raise StoreError(f"{path}: neither a store nor a release folder ({RELEASE_FILE})")
    yield open_read_only(path)


def records(store: Store) -> Iterator[tuple[str, str, str, dict[str, list[str]]]]:
    """(IRI, kind, label, fields) of every subject of the statements graph but outcomes, which
    are fields of their statements."""
    graph = NamedNode(GRAPHS["statements"])
    subject, quads = None, []

    def record() -> tuple[str, str, str, dict[str, list[str]]] | None:
        if not isinstance(subject, NamedNode):
            return None
        types = {q.object.value for q in quads if q.predicate.value == RDF_TYPE}
        if OUTCOME in types:
            return None
        fields: dict[str, set[str]] = {}
        for q in quads:
            fields.setdefault(_name(q.predicate.value), set()).add(_term(q.object))
            if q.predicate == HAS_OUTCOME:
                local = _term(q.object).removeprefix("scad:")
                for oq in store.quads_for_pattern(q.object, None, None, graph):
                    fields.setdefault(f"{local}.{_name(oq.predicate.value)}", set()).add(
                        _term(oq.object)
                    )
        # a deprecated statement's stub (no longer asserted) is still a statement
        statement = any(q.predicate.value in (ASSERTED_BY, STATUS) for q in quads)
        labels = sorted(_term(q.object) for q in quads if q.predicate.value == LABEL)
        label = next((lab for lab in labels if lab.endswith("@en")), labels[0] if labels else "")
        return (
            subject.value,
            "statement" if statement else "entity",
            label.removesuffix("@en"),
            {k: sorted(v) for k, v in sorted(fields.items())},
        )

    for q in store.quads_for_pattern(None, None, None, graph):  # grouped by subject (GSPO)
        if q.subject != subject:
            found = record()
            if found:
                yield found
            subject, quads = q.subject, []
        quads.append(q)
    found = record()
    if found:
        yield found


@dataclass
class Change:
    iri: str
    kind: str
    label: str
    change: str  # added, removed, changed
    fields: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # old, new

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "iri": self.iri,
            "id": curie(self.iri),
            "kind": self.kind,
            "label": self.label,
        }
        if self.fields:
            out["fields"] = {k: {"old": o, "new": n} for k, (o, n) in self.fields.items()}
        return out


@dataclass
class Diff:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        out = {k: {"added": 0, "removed": 0, "changed": 0} for k in ("statement", "entity")}
        for c in self.changes:
            out[c.kind][c.change] += 1
        return out

    def summary(self) -> str:
        plural = {"statement": "statements", "entity": "entities"}
        return "; ".join(
            f"{plural[kind]}: " + ", ".join(f"{n} {what}" for what, n in counts.items())
            for kind, counts in self.counts().items()
        )

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"old": self.old, "new": self.new, "counts": self.counts()}
        for what in ("added", "removed", "changed"):
            out[what] = [c.to_json() for c in self.changes if c.change == what]
        return out

    def text(self) -> str:
        lines = [f"kg diff {self.old} → {self.new}", self.summary()]
        mark = {"added": "+", "removed": "-", "changed": "~"}
        for c in self.changes:
            lines.append(
                f"{mark[c.change]} {c.kind} {curie(c.iri)}" + (f"  {c.label}" if c.label else "")
            )
            lines += [
                f"    {name}: {_values(o)} → {_values(n)}" for name, (o, n) in c.fields.items()
            ]
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        lines = [f"## Changes since {self.old}", "", self.summary(), ""]
        for what in ("added", "removed", "changed"):
            listed = [c for c in self.changes if c.change == what]
            if not listed:
                continue
            lines += [f"### {what.capitalize()}", ""]
            for c in listed:
                label = f" — {c.label}" if c.label else ""
                lines.append(f"- {c.kind} `{curie(c.iri)}`{label}")
                lines += [
                    f"  - `{name}`: {_values(o)} → {_values(n)}"
                    for name, (o, n) in c.fields.items()
                ]
            lines.append("")
        return "\n".join(lines)


def _values(values: list[str]) -> str:
    return " | ".join(values) if values else "(none)"


def diff(old: Path | Store, new: Path | Store, old_name: str = "", new_name: str = "") -> Diff:
    """The changes from `old` to `new` (stores, their folders or release folders)."""
    result = Diff(old_name or str(old), new_name or str(new))
    with tempfile.TemporaryDirectory(prefix="kg-diff-") as tmp:
        db = sqlite3.connect(Path(tmp) / "diff.sqlite")
        for side, path in (("old", old), ("new", new)):
            db.execute(
                f"CREATE TABLE {side} (iri TEXT PRIMARY KEY, kind TEXT, label TEXT, fields TEXT)"
            )
            with opened(path) as store:
                db.executemany(
                    f"INSERT OR REPLACE INTO {side} VALUES (?, ?, ?, ?)",
                    (
                        (iri, kind, label, json.dumps(fields, ensure_ascii=False))
                        for iri, kind, label, fields in records(store)
                    ),
                )
        queries = (
            (
                "removed",
                "SELECT o.iri, o.kind, o.label, NULL, NULL FROM old o LEFT JOIN new n USING (iri) WHERE n.iri IS NULL",
            ),
            (
                "added",
                "SELECT n.iri, n.kind, n.label, NULL, NULL FROM new n LEFT JOIN old o USING (iri) WHERE o.iri IS NULL",
            ),
            (
                "changed",
                "SELECT n.iri, n.kind, n.label, o.fields, n.fields FROM new n JOIN old o USING (iri) WHERE o.fields != n.fields",
            ),
        )
        for change, query in queries:
            for iri, kind, label, before, after in db.execute(query + " ORDER BY iri"):
                item = Change(iri, kind, label, change)
                if change == "changed":
                    item.fields = _changed_fields(json.loads(before), json.loads(after))
                result.changes.append(item)
        db.close()
    order = {"removed": 1, "added": 0, "changed": 2}
    result.changes.sort(key=lambda c: (c.kind != "statement", order[c.change], c.iri))
    return result


def _changed_fields(
    before: dict[str, list[str]], after: dict[str, list[str]]
) -> dict[str, tuple[list[str], list[str]]]:
    return {
        name: (before.get(name, []), after.get(name, []))
        for name in sorted(set(before) | set(after))
        if before.get(name, []) != after.get(name, [])
    }
