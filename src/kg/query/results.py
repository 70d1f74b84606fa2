"""Results for a person at a terminal: a plain-text table (`kg query`, `kg query NAME`)."""

from __future__ import annotations

import io
from typing import Any

from pyoxigraph import QueryBoolean, QuerySolutions, QueryTriples


def as_table(results: Any) -> str:
    """A SELECT as an aligned table, an ASK as true/false, triples as N-Triples-like lines."""
    if isinstance(results, QueryBoolean | bool):
        return "true\n" if results else "false\n"
    if isinstance(results, QueryTriples | list):  # triples (or quads: their graph is left out)
        return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in results)
    assert isinstance(results, QuerySolutions)
    names = [v.value for v in results.variables]
    rows = [["" if s[n] is None else _cell(s[n]) for n in names] for s in results]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    out = io.StringIO()
    out.write(" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip() + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return out.getvalue()


def _cell(term: Any) -> str:
    language = getattr(term, "language", None)
    return f"{term.value}@{language}" if language else term.value
