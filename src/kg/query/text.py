"""Reading a SPARQL request's text before the store sees it: its form, whether it is an update,
whether it calls out (SERVICE, LOAD), and a cap on its rows.

A tokenizer that knows strings, comments, IRIs and prefixed names does the reading, so that
`"SERVICE"` in a literal, `ex:service` or `?service` are allowed while `service <http://…>` in any
case is refused. The store parses the query again and reports syntax errors with their position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kg.errors import QueryError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<pname>(?:[^\W\d_][\w\-.]*)?:(?:[\w\-.:%]|\\.)*)
  | (?P<word>[^\W\d][\w\-]*)
  | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
}
# Functions whose value changes between runs: such results are never cached.
VOLATILE_WORDS = {"RAND", "NOW", "UUID", "STRUUID", "BNODE"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int


@dataclass(frozen=True)
class QueryText:
    """What the tokenizer learnt about a request: form is SELECT/CONSTRUCT/DESCRIBE/ASK/UPDATE."""

    text: str
    form: str
    calls_out: bool  # SERVICE or LOAD: the store would make an outgoing request
    volatile: bool  # RAND(), NOW(), UUID()… : not cacheable
    limit: int | None  # the top-level LIMIT, if any
    limit_at: tuple[int, int] | None  # where that LIMIT's number is in `text`
    values_at: int | None  # where a trailing top-level VALUES clause starts
    lookup: bool = False  # one triple pattern or a DESCRIBE of IRIs: an index lookup, see below

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def capped(self, max_rows: int) -> str:
        """The text with its top-level LIMIT lowered to `max_rows` (added if missing)."""
        if max_rows <= 0 or self.form not in ("SELECT", "CONSTRUCT", "DESCRIBE"):
            return self.text
        if self.limit is not None and self.limit_at is not None:
            if self.limit <= max_rows:
                return self.text
            start, end = self.limit_at
            return self.text[:start] + str(max_rows) + self.text[end:]
        if self.values_at is not None:
            at = self.values_at
            return f"{self.text[:at]}LIMIT {max_rows}\n{self.text[at:]}"
        return f"{self.text}\nLIMIT {max_rows}\n"


def tokens(text: str) -> list[Token]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind not in ("ws", "comment"):
            out.append(Token(kind, m.group(), m.start()))
    return out


def read(text: str) -> QueryText:
    """Tokenize a query or update; raise QueryError when it is neither."""
    toks = tokens(text)
    form = None
    calls_out = volatile = False
    depth = 0
    limit = limit_at = values_at = None
    for i, tok in enumerate(toks):
        if tok.kind == "punct":
            if tok.text == "{":
                depth += 1
            elif tok.text == "}":
                depth -= 1
            continue
        if tok.kind != "word":
            continue
        word = tok.text.upper()
        if form is None:
            if word in QUERY_FORMS:
                form = word
            elif word in UPDATE_WORDS:
                form = "UPDATE"
        if word in ("SERVICE", "LOAD"):
            calls_out = True
        elif word in VOLATILE_WORDS:
            volatile = True
        elif depth == 0 and form is not None and word == "LIMIT":
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and nxt.kind == "number" and nxt.text.isdigit():
                limit = int(nxt.text)
                limit_at = (nxt.start, nxt.start + len(nxt.text))
        elif depth == 0 and form is not None and word == "VALUES":
            values_at = tok.start
    if form is None:
        raise QueryError("not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK")
    return QueryText(
        text, form, calls_out, volatile, limit, limit_at, values_at, is_index_lookup(toks)
    )


_TERMS = {"var", "iri", "pname", "string", "number"}


def is_index_lookup(toks: list[Token]) -> bool:
    """Whether the query is one index lookup, whose work is bounded by its (capped) rows:
    `SELECT ?vars|* [WHERE] { s p o [.] } [LIMIT n]`, `ASK [WHERE] { s p o }` with no variable
    repeated, or `DESCRIBE <iri>…` without WHERE. Nothing else (no FILTER, DISTINCT, OFFSET,
    ORDER BY, paths, FROM…) can appear. Such a query cannot run away, so it needs no isolation.
    """
    i = 0
    while i < len(toks) and toks[i].kind == "word" and toks[i].text.upper() in ("PREFIX", "BASE"):
        i += 3 if toks[i].text.upper() == "PREFIX" else 2
    rest = toks[i:]
    if not rest or rest[0].kind != "word":
        return False
    form = rest[0].text.upper()
    if form == "DESCRIBE":
        return len(rest) > 1 and all(t.kind in ("iri", "pname") for t in rest[1:])
    j = 1
    if form == "SELECT":
        if j < len(rest) and rest[j].text == "*":
            j += 1
        else:
            while j < len(rest) and rest[j].kind == "var":
                j += 1
        if j == 1:
            return False
    elif form != "ASK":
        return False
    if j < len(rest) and rest[j].kind == "word" and rest[j].text.upper() == "WHERE":
        j += 1
    if j >= len(rest) or rest[j].text != "{":
        return False
    j += 1
    terms: list[Token] = []
    while j < len(rest) and rest[j].text != "}":
        tok = rest[j]
        after_literal = bool(terms) and terms[-1].kind == "string"
        if after_literal and tok.text == "@" and j + 1 < len(rest) and rest[j + 1].kind == "word":
            j += 2  # language tag
            continue
        if (
            after_literal
            and tok.text == "^"
            and j + 2 < len(rest)
            and rest[j + 1].text == "^"
            and rest[j + 2].kind in ("iri", "pname")
        ):
            j += 3  # datatype
            continue
        if tok.kind in _TERMS or (tok.kind == "word" and tok.text in ("a", "true", "false")):
            terms.append(tok)
        elif not (tok.text == "." and j + 1 < len(rest) and rest[j + 1].text == "}"):
            return False
        j += 1
    if j >= len(rest) or len(terms) != 3:
        return False
    tail = rest[j + 1 :]
    if tail and not (
        len(tail) == 2
        and tail[0].kind == "word"
        and tail[0].text.upper() == "LIMIT"
        and tail[1].kind == "number"
    ):
        return False
    variables = [t.text[1:] for t in terms if t.kind == "var"]
    return len(variables) == len(set(variables))


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
