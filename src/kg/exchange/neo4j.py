"""Neo4j import files (`neo4j/*.csv`) in the header convention of `neo4j-admin database import`.

The property-graph view of the evidence graph: one node per entity, statement and outcome (ids
are CURIEs, unique across the files; labels are our classes), one relationship per link between
them (`(statement)-[:THERAPY]->(therapy)`, `(outcome)-[:UNIT]->(unit)`, …), and the Biolink
therapy → condition edges of the KGX export as direct relationships carrying their statement.

Arrays and multiple labels are `|`-separated (`--array-delimiter='|'`); decimals are written as the graph has them and
typed `double`, the nearest Neo4j has (the CSV text is the exact value). No value spans lines.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pyoxigraph import Store

from kg.errors import ExportError
from kg.exchange import biolink, tables

ARRAY = "|"
# Each node file: (header, the record's attribute or a function of the record), in column order.
Columns = tuple[tuple[str, str | Callable[[Any], Any]], ...]
ENTITY_COLUMNS: Columns = (
    ("id:ID", "id"),
    (":LABEL", lambda e: labels(["Entity"], e.types)),
    ("name", "label_en"),
    ("name_zh", "label_zh"),
    ("description", "description_en"),
    ("description_zh", "description_zh"),
    ("synonyms:string[]", "synonyms"),
    ("xrefs:string[]", "xrefs"),
    ("categories:string[]", "categories"),
    ("iri", "iri"),
)
STATEMENT_COLUMNS: Columns = (
    ("id:ID", "id"),
    (":LABEL", lambda s: labels(["EvidenceStatement"], s.kinds)),
    ("name", "label_en"),
    ("name_zh", "label_zh"),
    ("summary", "summary_en"),
    ("summary_zh", "summary_zh"),
    ("evidence_types:string[]", "evidence_types"),
    ("section", "section"),
    ("point:int", "point"),
    ("paragraph:int", "paragraph"),
    ("publications:string[]", "publications"),
    ("iri", "iri"),
)
OUTCOME_COLUMNS: Columns = (
    ("id:ID", "id"),
    (":LABEL", lambda _o: "Outcome"),
    ("name", "label_en"),
    ("name_zh", "label_zh"),
    ("value:double", "value"),
    ("lower_bound:double", "lower_bound"),
    ("upper_bound:double", "upper_bound"),
    ("lower_bound_inclusive:boolean", "lower_bound_inclusive"),
    ("upper_bound_inclusive:boolean", "upper_bound_inclusive"),
    ("approximate:boolean", "approximate"),
    ("follow_up:double", "follow_up"),
    ("iri", "iri"),
)
EDGE_COLUMNS: Columns = (
    (":START_ID", "subject"),
    (":END_ID", "object"),
    (":TYPE", lambda e: relationship_type(e.predicate)),
    ("id", "id"),
    ("predicate", "predicate"),
    ("category", "category"),
    ("statement", "statement"),
    ("knowledge_level", "knowledge_level"),
    ("agent_type", "agent_type"),
    ("publications:string[]", "publications"),
)
RELATIONSHIP_HEADER = (":START_ID", ":END_ID", ":TYPE")


def relationship_type(predicate: str) -> str:
    """`scad:cellType` -> `CELL_TYPE`, `biolink:in_clinical_trials_for` -> `IN_CLINICAL_TRIALS_FOR`;
    another prefix is kept in front (`prov:wasDerivedFrom` -> `PROV_WAS_DERIVED_FROM`)."""
    prefix, _, name = predicate.partition(":")
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()
    return snake if prefix in ("scad", "biolink") else f"{prefix.upper()}_{snake}"


def _cell(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        if any(ARRAY in str(v) for v in value):
            raise ExportError(f"{where}: an array value contains '{ARRAY}', the array delimiter")
        value = ARRAY.join(str(v) for v in value)
    text = str(value)
    if "\n" in text or "\r" in text:
        raise ExportError(f"{where}: value {text[:60]!r} contains a line break")
    return text


def _write(path: Path, columns: Columns, records: Iterable[Any]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([header for header, _ in columns])
        for count, record in enumerate(records, start=1):
            writer.writerow(
                [
                    _cell(
                        get(record) if callable(get) else getattr(record, get),
                        f"{path.name} row {count}",
                    )
                    for _, get in columns
                ]
            )
    return count


def labels(*names: Iterable[str]) -> str:
    return ARRAY.join(sorted({n for group in names for n in group}))


def write(store: Store, folder: Path) -> dict[Path, int]:
    """Write entities.csv, statements.csv, outcomes.csv, relationships.csv and biolink-edges.csv."""
    counts: dict[Path, int] = {}
    relationships_path = folder / "relationships.csv"
    folder.mkdir(parents=True, exist_ok=True)
    with relationships_path.open("w", encoding="utf-8", newline="") as out:
        links = csv.writer(out, lineterminator="\n")
        links.writerow(RELATIONSHIP_HEADER)
        counts[relationships_path] = 0

        def linked(records: Iterable) -> Iterable:
            """The records, their links written to relationships.csv on the way (one read)."""
            for record in records:
                for predicate, target in record.links:
                    links.writerow([record.id, target, relationship_type(predicate)])
                    counts[relationships_path] += 1
                yield record

        for name, columns, records in (
            ("entities.csv", ENTITY_COLUMNS, tables.entities(store)),
            ("statements.csv", STATEMENT_COLUMNS, tables.statements(store)),
            ("outcomes.csv", OUTCOME_COLUMNS, tables.outcomes(store)),
        ):
            counts[folder / name] = _write(folder / name, columns, linked(records))
    edges = biolink.edges(tables.statements(store))
    counts[folder / "biolink-edges.csv"] = _write(folder / "biolink-edges.csv", EDGE_COLUMNS, edges)
    return dict(sorted(counts.items()))
