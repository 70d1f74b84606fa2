"""Reading a SPARQL request's text before the store sees it: its form, whether it is an update,
whether it calls out (SERVICE, LOAD), and a cap on its rows.

A tokenizer that knows strings, comments, IRIs and prefixed names does the reading, so that
`"SERVICE"` in a literal, `ex:service` or `?service` are allowed while `service <http://…>` in any
case is refused. The store parses the query again and reports syntax errors with their position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
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


def bind_values(query: str, terms: Mapping[str, Any]) -> str:
    """`query` with variables bound to RDF terms by VALUES blocks (the terms written in their
    own N-Triples syntax by pyoxigraph, never raw text): one at the start of the query's WHERE
    group, and one at the start of every group in which a bound variable occurs (an OPTIONAL's
    filter, a UNION branch, a sub-SELECT that projects it), so that the variable has its value
    wherever it is the same variable, as if its name were replaced by the term. (Groups are
    evaluated from the inside out: a VALUES block at the top alone would leave a nested FILTER
    without the value.) A VALUES block first also gives Oxigraph's planner the join order from
    the bound value, which pyoxigraph's `substitutions` do not: at 10⁵ statements, 20 ms instead
    of 400 ms for the statements about a hub.
    """
    if not terms:
        return query
    toks = tokens(query)
    groups = _groups(toks)
    inserts: list[tuple[int, list[str]]] = []
    for group in groups:
        wanted = set(terms) if group.top else group.occurs & set(terms)
        names = [n for n in terms if n in wanted and (group.scope is None or n in group.scope)]
        if names:
            inserts.append((group.at, names))
    out = query
    for at, names in sorted(inserts, reverse=True):
        head = " ".join(f"?{n}" for n in names)
        row = " ".join(str(terms[n]) for n in names)
        out = f"{out[:at]} VALUES ({head}) {{ ({row}) }} {out[at:]}"
    return out


@dataclass
class _Group:
    at: int  # just after its `{`
    top: bool  # the WHERE group of the query itself
    scope: set[str] | None  # a sub-SELECT's projected variables (None: the query's own scope)
    occurs: set[str]  # variables that occur directly in it (not in a nested group)
    opens_scope: bool = False  # the WHERE group of a sub-SELECT


def _groups(toks: list[Token]) -> list[_Group]:
    """The graph-pattern groups of a query, with where each opens and what occurs in it; the
    braces of VALUES data and of a CONSTRUCT template are not groups."""
    groups: list[_Group] = []
    stack: list[_Group | None] = []  # None: a brace that is not a group (data, template)
    pending: tuple[str, set[str] | None] | None = None  # a query form whose group comes next
    scopes: list[set[str] | None] = [None]
    j = 0
    while j < len(toks):
        tok, word = toks[j], toks[j].text.upper() if toks[j].kind == "word" else ""
        if word in QUERY_FORMS:
            projected, _at = _projection(toks, j, word)
            if word == "SELECT" and stack:
                pending = ("sub", projected if "*" not in projected else scopes[-1])
            else:
                pending = ("top", None)
            if word == "CONSTRUCT" and j + 1 < len(toks) and toks[j + 1].text == "{":
                depth, j = 0, j + 1
                while j < len(toks):  # the template: not a group
                    depth += {"{": 1, "}": -1}.get(toks[j].text, 0)
                    if depth == 0:
                        break
                    j += 1
        elif word == "VALUES":
            depth = 0
            while j + 1 < len(toks):  # its data block: not a group
                j += 1
                depth += {"{": 1, "}": -1}.get(toks[j].text, 0)
                if toks[j].text == "}" and depth == 0:
                    break
        elif tok.text == "{" and j + 1 < len(toks) and toks[j + 1].text.upper() == "SELECT":
            stack.append(None)  # `{ SELECT … }`: the sub-SELECT alone, nothing may join it there
        elif tok.text == "{":
            if pending is not None and pending[0] == "sub":
                scopes.append(pending[1])
                group = _Group(tok.start + 1, False, scopes[-1], set(), opens_scope=True)
            else:
                group = _Group(tok.start + 1, pending is not None, scopes[-1], set())
            pending = None
            groups.append(group)
            stack.append(group)
        elif tok.text == "}":
            closed = stack.pop() if stack else None
            if closed is not None and closed.opens_scope:
                scopes.pop()
        elif tok.kind == "var" and stack and stack[-1] is not None:
            stack[-1].occurs.add(tok.text[1:])
        j += 1
    return groups


def _projection(toks: list[Token], i: int, form: str) -> tuple[set[str], int | None]:
    """The variables a query form at toks[i] projects, and where its WHERE group's `{` ends."""
    projected: set[str] = set()
    j, parens, after_as = i + 1, 0, False
    if form == "SELECT":
        while j < len(toks) and toks[j].text != "{" and toks[j].text.upper() != "WHERE":
            t = toks[j]
            if t.text == "(":
                parens += 1
            elif t.text == ")":
                parens -= 1
            elif t.text == "*":
                projected.add("*")
            elif t.kind == "word" and t.text.upper() == "AS":
                after_as = True
            elif t.kind == "var" and (parens == 0 or after_as):
                projected.add(t.text[1:])
                after_as = False
            j += 1
    elif form == "CONSTRUCT" and j < len(toks) and toks[j].text == "{":
        depth = 0
        while j < len(toks):  # past the template
            depth += {"{": 1, "}": -1}.get(toks[j].text, 0)
            j += 1
            if depth == 0:
                break
    while j < len(toks) and toks[j].text != "{":
        if form == "DESCRIBE" and toks[j].text.upper() in QUERY_FORMS:
            return projected, None
        j += 1
    if j >= len(toks):
        return projected, None
    return projected, toks[j].start + 1
