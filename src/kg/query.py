"""Query step: run SPARQL against the store with the union default graph and serialise results."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pyoxigraph import QueryBoolean, QuerySolutions, QueryTriples, Store, Variable

from kg.errors import QueryError
from kg.mediatypes import Format


def run(
    store: Store,
    query: str,
    substitutions: dict[Variable, Any] | None = None,
    default_graph: list | None = None,
    named_graphs: list | None = None,
) -> Any:
    """Evaluate a query (union default graph unless graphs are given); syntax errors -> QueryError."""
    kwargs: dict[str, Any] = {}
    if default_graph is not None:
        kwargs["default_graph"] = default_graph
    else:
        kwargs["use_default_graph_as_union"] = True
    if named_graphs is not None:
        kwargs["named_graphs"] = named_graphs
    if substitutions:
        kwargs["substitutions"] = substitutions
    try:
        return store.query(query, **kwargs)
    except SyntaxError as exc:
        raise QueryError(syntax_message(str(exc))) from exc
    except OSError as exc:
        raise QueryError(f"query failed: {exc}") from exc


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def with_values(query: str, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """`query` with a VALUES clause at the start of its first WHERE group (outside `#` comment
    lines): how a query gets several rows of values, which substitutions (one term per
    variable) cannot give. The values are pyoxigraph terms written in their own syntax (None is
    UNDEF), never raw text."""
    head = " ".join(f"?{name}" for name in names)
    data = " ".join(
        "(" + " ".join("UNDEF" if term is None else str(term) for term in row) + ")" for row in rows
    )
    offset = 0
    for line in query.splitlines(keepends=True):
        match = None if line.lstrip().startswith("#") else _WHERE.search(line)
        if match is not None:
            at = offset + match.end()
            return f"{query[:at]}\n  VALUES ({head}) {{ {data} }}\n{query[at:]}"
        offset += len(line)
    raise QueryError("no WHERE { … } to bind values in")


def syntax_message(raw: str) -> str:
    """pyoxigraph's 'error at 1:26: expected …' as 'SPARQL syntax error at line 1, column 26: …'."""
    match = re.match(r"error at (\d+):(\d+): (.*)", raw, re.S)
    if match is None:
        return f"SPARQL syntax error: {raw}"
    line, column, detail = match.groups()
    return f"SPARQL syntax error at line {line}, column {column}: {detail}"


def serialize(results: Any, fmt: Format) -> bytes:
    """Serialise SELECT/ASK results or CONSTRUCT/DESCRIBE triples in `fmt`."""
    if isinstance(results, QueryTriples):
        if fmt.rdf is None:
            raise QueryError(f"{fmt.name} is a results format; a graph needs an RDF format")
        return results.serialize(format=fmt.rdf)
    if fmt.results is None:
        raise QueryError(
            f"{fmt.name} is an RDF format; SELECT and ASK results need a results format"
        )
    return results.serialize(format=fmt.results)


def as_table(results: Any) -> str:
    """A plain-text table for the terminal."""
    if isinstance(results, QueryBoolean | bool):
        return "true\n" if results else "false\n"
    if isinstance(results, QueryTriples):
        return "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in results)
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
    value = getattr(term, "value", str(term))
    return (
        value if not hasattr(term, "language") or not term.language else f"{value}@{term.language}"
    )
