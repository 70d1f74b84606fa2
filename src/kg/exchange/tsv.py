"""Tab-separated files as KGX and SSSOM tools read them: no quoting, `|` between the values of a
multivalued cell, UTF-8, `\\n` line ends. A value that would need quoting is refused, never altered."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from kg.errors import ExportError

FORBIDDEN = ("\t", "\n", "\r")
LIST_SEPARATOR = "|"


def cell(value: Any, where: str) -> str:
    """One cell: None is empty, a tuple or list is `|`-joined, anything else its str()."""
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        for item in value:
            if LIST_SEPARATOR in str(item):
                raise ExportError(f"{where}: value {item!r} contains '|', the list separator")
        text = LIST_SEPARATOR.join(str(item) for item in value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    if any(c in text for c in FORBIDDEN):
        raise ExportError(f"{where}: value {text[:60]!r} contains a tab or a line break")
    return text


def write_rows(
    out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]], where: str
) -> int:
    """Write a header and rows; return the number of rows."""
    out.write("\t".join(header) + "\n")
    count = 0
    for count, row in enumerate(rows, start=1):
        out.write("\t".join(cell(v, f"{where} row {count}") for v in row) + "\n")
    return count


def open_text(path: Path) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8", newline="\n")
