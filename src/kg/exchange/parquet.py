"""Parquet tables (`parquet/*.parquet`) for pandas, pyarrow, Polars and DuckDB notebooks.

    entities.parquet     one row per entity: CURIE, IRI, our classes, Biolink categories,
                         labels and descriptions (en, zh), synonyms, exact-match xrefs
    statements.parquet   one row per evidence statement: kinds, labels, summaries, one list
                         column per relation (therapy, condition, outcome, source, …), locator
    outcomes.parquet     one row per outcome: measure, value or bounds, unit, follow-up; the
                         numbers are decimal128 (exact: 83.6 is 83.6, never a float)
    edges.parquet        the Biolink therapy → condition edges of the KGX export

Columns are typed (strings, lists of strings, int32, bool, decimal128(38, s) with s the largest
number of decimals in the graph); rows are in IRI order and written in row groups, so memory
holds one group. Needs pyarrow (`pip install 'kg[notebook]'`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pyoxigraph import Store

from kg import __version__
from kg.errors import ExportError
from kg.exchange import biolink, tables
from kg.exchange.identifiers import NAMESPACES, OBO

ROW_GROUP = 10_000
MAX_PRECISION = 38


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        raise ExportError("Parquet needs pyarrow: pip install 'kg[notebook]'") from exc
    return pyarrow


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def schemas(pa: Any, scale: int) -> dict[str, Any]:
    text, texts = pa.string(), pa.list_(pa.string())
    number = pa.decimal128(MAX_PRECISION, scale)
    return {
        "entities": pa.schema(
            [
                ("id", text),
                ("iri", text),
                ("types", texts),
                ("categories", texts),
                ("label_en", text),
                ("label_zh", text),
                ("description_en", text),
                ("description_zh", text),
                ("synonyms", texts),
                ("xrefs", texts),
            ]
        ),
        "statements": pa.schema(
            [
                ("id", text),
                ("iri", text),
                ("kinds", texts),
                ("label_en", text),
                ("label_zh", text),
                ("summary_en", text),
                ("summary_zh", text),
                *[(_snake(r), texts) for r in tables.RELATIONS],
                ("evidence_types", texts),
                ("locator", text),
                ("section", text),
                ("point", pa.int32()),
                ("paragraph", pa.int32()),
                ("publications", texts),
            ]
        ),
        "outcomes": pa.schema(
            [
                ("id", text),
                ("iri", text),
                ("statements", texts),
                ("label_en", text),
                ("label_zh", text),
                ("measure", text),
                ("value", number),
                ("lower_bound", number),
                ("upper_bound", number),
                ("lower_bound_inclusive", pa.bool_()),
                ("upper_bound_inclusive", pa.bool_()),
                ("approximate", pa.bool_()),
                ("unit", text),
                ("follow_up", number),
                ("follow_up_unit", text),
                ("directions", texts),
            ]
        ),
        "edges": pa.schema(
            [
                ("id", text),
                ("subject", text),
                ("predicate", text),
                ("object", text),
                ("category", text),
                ("statement", text),
                ("knowledge_level", text),
                ("agent_type", text),
                ("primary_knowledge_source", text),
                ("publications", texts),
                ("evidence_types", texts),
                ("name", text),
                ("description", text),
            ]
        ),
    }


def _entity(e: tables.Entity) -> dict[str, Any]:
    return {k: getattr(e, k) for k in tables.Entity.__dataclass_fields__ if k != "links"}


def _statement(s: tables.Statement) -> dict[str, Any]:
    row = {k: getattr(s, k) for k in tables.Statement.__dataclass_fields__}
    for name in ("relations", "links", "sources"):
        row.pop(name)
    row |= {_snake(r): s.relation(r) for r in tables.RELATIONS}
    return row


def _outcome(o: tables.Outcome) -> dict[str, Any]:
    return {k: getattr(o, k) for k in tables.Outcome.__dataclass_fields__ if k != "links"}


def _edge(e: biolink.Edge) -> dict[str, Any]:
    return {k: getattr(e, k) for k in biolink.Edge.__dataclass_fields__}


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_table(pa: Any, path: Path, schema: Any, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with pa.parquet.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in _batches(rows, ROW_GROUP):
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count


def write(store: Store, folder: Path) -> dict[Path, int]:
    """Write the four tables into `folder`; return rows per file."""
    pa = _pyarrow()
    scale, digits = tables.decimal_digits(store)
    if scale + digits > MAX_PRECISION:
        raise ExportError(
            f"a decimal needs {digits} integer and {scale} fraction digits: more than "
            f"decimal128's {MAX_PRECISION}"
        )
    metadata = {
        "scad:version": __version__,
        "scad:curie_map": json.dumps({**NAMESPACES, "(OBO) PREFIX": f"{OBO}PREFIX_"}),
    }
    sources: dict[str, Callable[[], Iterable[dict[str, Any]]]] = {
        "entities": lambda: map(_entity, tables.entities(store)),
        "statements": lambda: map(_statement, tables.statements(store)),
        "outcomes": lambda: map(_outcome, tables.outcomes(store)),
        "edges": lambda: map(_edge, biolink.edges(tables.statements(store))),
    }
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, schema in schemas(pa, scale).items():
        path = folder / f"{name}.parquet"
        counts[path] = _write_table(pa, path, schema.with_metadata(metadata), sources[name]())
    return counts
