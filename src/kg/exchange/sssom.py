"""SSSOM (`scad.sssom.tsv`): every mapping of our terms to external ones, for SSSOM tools.

One row per `skos:exactMatch` / `closeMatch` / `broadMatch` / `narrowMatch` / `relatedMatch`
of one of our classes, properties or individuals (to MONDO, DOID, NCIT, HP, CL, MAxO, ChEBI, GO,
HGNC, STATO, SEPIO, FaBiO, BIBO and the Biolink classes), in subject, predicate, object order.
Every row states its justification (`semapv:ManualMappingCuration`: the curators chose each one,
from checked identifiers), its author and date; the YAML header carries the CURIE map and the
licence. (sssom-py would fill a missing justification silently: here it is never missing.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from pyoxigraph import Store

from kg.exchange import tables, tsv
from kg.exchange.identifiers import curie_map
from kg.exchange.metadata import About, about
from kg.vocab import SCAD

JUSTIFICATION = "semapv:ManualMappingCuration"
MAPPING_SET_ID = SCAD + "scad.sssom.tsv"
COLUMNS = (
    "subject_id",
    "subject_label",
    "subject_type",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "author_label",
    "mapping_date",
)


def _yaml(value: str) -> str:
    """A YAML scalar in double quotes (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def header(rows: list[tuple], facts: About) -> str:
    used = [r[i] for r in rows for i in (0, 3, 4, 6)]
    lines = ["curie_map:"]
    lines += [f"  {prefix}: {_yaml(ns)}" for prefix, ns in curie_map(used).items()]
    lines += [
        f"mapping_set_id: {_yaml(MAPPING_SET_ID)}",
        f"mapping_set_version: {_yaml(facts.version)}",
        f"mapping_set_title: {_yaml('SCAD: mappings of the SCAD ontology and entities to external terms')}",
        f"mapping_set_description: {_yaml('Mappings curated for ' + facts.title)}",
        f"license: {_yaml(facts.license or '')}",
        "creator_label:",
        *[f"  - {_yaml(c)}" for c in facts.creators],
    ]
    return "".join(f"#{line}\n" for line in lines)


def rows(store: Store, facts: About) -> list[tuple]:
    """Every mapping row (the mappings are few: one per alignment of a term, not per statement)."""
    authors = tuple(facts.creators)
    return [
        (
            m.subject_id,
            m.subject_label,
            m.subject_type,
            m.predicate_id,
            m.object_id,
            m.object_label,
            JUSTIFICATION,
            authors,
            facts.date,
        )
        for m in tables.mappings(store)
    ]


def write_to(store: Store, out: IO[str]) -> int:
    facts = about(store, works=False)
    found = rows(store, facts)
    out.write(header(found, facts))
    return tsv.write_rows(out, COLUMNS, found, "SSSOM")


def write(store: Store, path: Path) -> dict[Path, int]:
    with tsv.open_text(path) as out:
        return {path: write_to(store, out)}
