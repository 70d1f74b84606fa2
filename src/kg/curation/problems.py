"""The problem table: every problem of a refused build, one row each, printed for a person
(aligned columns) and written as TSV for a script (`kg build --problems FILE`)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from kg.errors import Problem

WIDEST = {
    "value": 30,
    "rule": 60,
    "fix": 70,
}  # a terminal table cuts long cells; the TSV keeps them


def column_letter(index: int) -> str:
    """The spreadsheet name of a 0-based column index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cut(text: str, width: int | None) -> str:
    text = text.replace("\t", " ").replace("\n", " ")
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def as_table(table: list[Problem]) -> str:
    """The problems as an aligned text table (a header, then one line each)."""
    rows = [list(Problem.FIELDS)] + [
        [_cut(c, WIDEST.get(name)) for name, c in zip(Problem.FIELDS, p.cells(), strict=True)]
        for p in table
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(Problem.FIELDS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def write_tsv(table: list[Problem], path: Path) -> None:
    """The problems as TSV (a header line, then one row each; no cell cut), written whole or not
    at all (a temporary file renamed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(Problem.FIELDS)
        for p in table:
            writer.writerow([_cut(c, None) for c in p.cells()])
    tmp.replace(path)
