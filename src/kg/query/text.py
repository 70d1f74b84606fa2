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
    names_dataset: bool = False  # FROM / FROM NAMED: the query gives its own dataset

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
    calls_out = volatile = names_dataset = False
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
        elif word == "FROM":
            names_dataset = True
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
        text,
        form,
        calls_out,
        volatile,
        limit,
        limit_at,
        values_at,
        is_index_lookup(toks),
        names_dataset,
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
    """`query` with variables bound to RDF terms (written in their own N-Triples syntax by
    pyoxigraph, never raw text), so that a variable has its value wherever it is that variable,
    as if its name were replaced by the term:

    - a VALUES block at the start of the query's WHERE group (for what it projects, groups by
      and orders by), and at the start of every group where the variable is in a triple pattern
      (a UNION branch, a sub-SELECT that projects it): groups are evaluated from the inside out,
      and a VALUES block first gives Oxigraph's planner the join order from the bound value,
      which pyoxigraph's `substitutions` do not (at 10⁵ statements, 20 ms instead of 400 ms for
      the statements about a hub);
    - the term itself where the variable is in an expression (FILTER, BIND, a function): a
      VALUES block there would make an OPTIONAL's right side start from nothing.
    """
    if not terms:
        return query
    groups, expressions = _groups(tokens(query), set(terms))
    edits: list[tuple[int, int, str]] = []  # (start, end, text)
    for group in groups:
        wanted = set(terms) if group.top else group.occurs
        names = [n for n in terms if n in wanted and (group.scope is None or n in group.scope)]
        if names:
            head = " ".join(f"?{n}" for n in names)
            row = " ".join(str(terms[n]) for n in names)
            edits.append((group.at, group.at, f" VALUES ({head}) {{ ({row}) }} "))
    for tok in expressions:
        if tok.kind == "bound":  # BOUND(?x) of a bound variable: true (BOUND takes a variable)
            close = query.index(")", tok.start)
            edits.append((tok.start, close + 1, "true"))
        else:
            edits.append((tok.start, tok.start + len(tok.text), str(terms[tok.text[1:]])))
    out = query
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out


@dataclass
class _Group:
    at: int  # just after its `{`
    top: bool  # the WHERE group of the query itself
    scope: set[str] | None  # a sub-SELECT's projected variables (None: the query's own scope)
    occurs: set[str]  # bound variables in its own triple patterns (not in nested groups)
    opens_scope: bool = False  # the WHERE group of a sub-SELECT
    parens: int = 0  # how deep in ( … ) the walk is inside it: > 0 is an expression


def _groups(toks: list[Token], bound: set[str]) -> tuple[list[_Group], list[Token]]:
    """The graph-pattern groups of a query (where each opens, the bound variables of its triple
    patterns), and the bound variables' tokens that stand in expressions. The braces of VALUES
    data, of a CONSTRUCT template and of `{ SELECT … }` are not groups of their own."""
    groups: list[_Group] = []
    expressions: list[Token] = []
    stack: list[_Group | None] = []  # None: a brace around a sub-SELECT
    pending: set[str] | None | bool = False  # a query form whose WHERE group comes next
    scopes: list[set[str] | None] = [None]
    j = 0
    while j < len(toks):
        tok, word = toks[j], toks[j].text.upper() if toks[j].kind == "word" else ""
        group = stack[-1] if stack else None
        if word in QUERY_FORMS:
            projected, _at = _projection(toks, j, word)
            pending = (projected if "*" not in projected else scopes[-1]) if stack else None
            if word == "CONSTRUCT" and j + 1 < len(toks) and toks[j + 1].text == "{":
                j = _past_block(toks, j + 1)  # the template: not a group
        elif word == "VALUES":
            while j + 1 < len(toks) and toks[j + 1].text != "{":
                j += 1  # its variables
            j = _past_block(toks, j + 1)  # and its data: not a group
        elif tok.text == "{" and j + 1 < len(toks) and toks[j + 1].text.upper() == "SELECT":
            stack.append(None)  # `{ SELECT … }`: the sub-SELECT alone, nothing may join it there
        elif tok.text == "{":
            sub = pending is not False and pending is not None
            if sub:
                scopes.append(pending)  # type: ignore[arg-type]
            new = _Group(tok.start + 1, pending is None, scopes[-1], set(), opens_scope=sub)
            pending = False
            groups.append(new)
            stack.append(new)
        elif tok.text == "}":
            closed = stack.pop() if stack else None
            if closed is not None and closed.opens_scope:
                scopes.pop()
        elif group is not None and tok.text in "()":
            group.parens += 1 if tok.text == "(" else -1
        elif (
            group is not None
            and tok.kind == "var"
            and tok.text[1:] in bound
            and (group.scope is None or tok.text[1:] in group.scope)
        ):
            if group.parens == 0:
                group.occurs.add(tok.text[1:])
            elif j >= 2 and toks[j - 1].text == "(" and toks[j - 2].text.upper() == "BOUND":
                expressions.append(Token("bound", toks[j - 2].text, toks[j - 2].start))
            else:
                expressions.append(tok)
        j += 1
    return groups, expressions


def _past_block(toks: list[Token], j: int) -> int:
    """The index of the `}` that closes the `{` at toks[j]."""
    depth = 0
    while j < len(toks):
        depth += {"{": 1, "}": -1}.get(toks[j].text, 0)
        if depth == 0:
            return j
        j += 1
    return j


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
