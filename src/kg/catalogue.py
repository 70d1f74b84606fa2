"""Canned queries: the `#` header of each queries/*.rq and its typed, checked parameters.

A header is the run of `#` lines at the top of a file (format in queries/README.md):

    # title: Therapies discussed in the review, grouped by kind
    # description: One sentence on what it answers.
    # tags: competency, therapy
    # param ?lang: lang = en ; Language of labels (en or zh)
    # param ?therapy: iri scad:Intervention = scad:allogeneic-msct ; The therapy to report
    # param ?q: string required ; Text to search for
    # example: ?lang=zh

Values given by a user are parsed against their parameter's type and bound as RDF terms (VALUES
blocks written from the parsed terms by kg.query.text.bind_values); never pasted as text. Only `limit` and `offset`, parsed as
integers here, are written into the text as a solution modifier (SPARQL cannot bind those).
"""

from __future__ import annotations

import datetime
import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from pyoxigraph import Literal, NamedNode, Store, Variable

from kg.errors import HeaderError, ParameterError, QueryError, UnknownQuery
from kg.query.text import bind_values, with_values
from kg.vocab import RDFS, SCAD, XSD, curie, expand

if TYPE_CHECKING:
    from kg.query.executor import Executor
    from kg.search import SearchIndex
PARAM_TYPES = ("iri", "string", "lang", "integer", "decimal", "date")
LANGUAGES = ("en", "zh")
RESERVED = ("limit", "offset", "format")  # query-string names the API itself uses
KEYS = ("title", "description", "tags", "param", "index", "example")
# `# index: search ?q`: ?q is matched by the search index (kg.search), whose page of hits the
# query receives, best first, as VALUES of these variables (see queries/README.md).
INDEX_VARIABLES = ("entity", "matched", "rank")
_INDEX = re.compile(r"^search\s+\?(?P<name>[A-Za-z_]\w*)$")
MAX_STRING = 500
MAX_OFFSET = 1_000_000_000
DATE_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_KEY_LINE = re.compile(r"^#\s*([A-Za-z][\w-]*)(?:\s*:|\s+\?\w+\s*:)")  # `key:`, `key ?x:`
_KNOWN_KEY = re.compile(
    r"^#\s*(?:(title|description|tags|index|example)\s*:|(param)\b:?)\s*(.*)$", re.IGNORECASE
)
_PARAM = re.compile(r"^\?(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<spec>[^;]*?)\s*(?:;\s*(?P<desc>.*))?$")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_DECIMAL = re.compile(r"^-?\d{1,18}(\.\d{0,18})?$")
_DATE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")  # as DATE_PATTERN
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
# `# page of statements` ending a line of a sub-select: the page's LIMIT/OFFSET go there instead
# of at the end (unless a filter is given), so that the engine chooses the page (by
# scad:readingOrder) before it reads the details of each statement; `limit` and `offset` then
# count those (see queries/README.md).
_PAGE_MARK = re.compile(r"#[ \t]*page of (?P<unit>[a-z]+)[ \t]*$", re.MULTILINE)
_OWN_LIMIT = re.compile(r"\b(LIMIT|OFFSET)\s+\d+\s*(\b(LIMIT|OFFSET)\s+\d+\s*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # one of PARAM_TYPES
    of_class: str | None = None  # full IRI of the class an `iri` value must belong to
    default: str | None = None
    required: bool = False
    description: str = ""

    def expected(self) -> str:
        """What a value must look like, in words (used in errors and documentation)."""
        if self.type == "iri":
            what = (
                "an IRI (<https://…>, https://…, a CURIE such as scad:sle, or a scad: local name)"
            )
            return what + (f" of a member of {curie(self.of_class)}" if self.of_class else "")
        return {
            "string": f"a text of at most {MAX_STRING} characters",
            "lang": "a language tag: " + " or ".join(LANGUAGES),
            "integer": "an integer",
            "decimal": "a decimal number",
            "date": "a date: YYYY, YYYY-MM or YYYY-MM-DD",
        }[self.type]


@dataclass(frozen=True)
class CannedQuery:
    name: str
    path: Path
    title: str
    description: str
    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    examples: tuple[str, ...] = ()
    paginated: bool = True  # False when the query has its own LIMIT/OFFSET
    page_at: int | None = None  # where its `# page of …` mark is: the page goes there
    page_unit: str = "rows"  # what `limit` and `offset` count: rows, or the mark's unit
    searched: str | None = None  # the parameter the search index matches (`# index: search ?q`)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            "form": self.form,
            "paginated": self.paginated,
            "page_unit": self.page_unit,
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "class": p.of_class,
                    "required": p.required,
                    "default": p.default,
                    "description": p.description,
                }
                for p in self.parameters
            ],
            "examples": list(self.examples),
        }


# ---------------------------------------------------------------------------------------------
# Reading headers


def _parse_param(path: Path, lineno: int, text: str) -> Parameter:
    match = _PARAM.match(text)
    if not match:
        raise HeaderError(
            path,
            lineno,
            f"param line {text!r} is not `?name: type [class] [= default | required] [; description]`",
        )
    name, spec, desc = match["name"], match["spec"], (match["desc"] or "").strip()
    default: str | None = None
    if "=" in spec:
        spec, default = (s.strip() for s in spec.split("=", 1))
        if default == "":
            raise HeaderError(path, lineno, f"parameter ?{name}: '=' without a default value")
    words = spec.split()
    if not words:
        raise HeaderError(path, lineno, f"parameter ?{name} has no type")
    ptype, rest = words[0], words[1:]
    if ptype not in PARAM_TYPES:
        raise HeaderError(
            path,
            lineno,
            f"parameter ?{name}: unknown type {ptype!r} (one of {', '.join(PARAM_TYPES)})",
        )
    required = False
    if rest and rest[-1] == "required":
        required, rest = True, rest[:-1]
    of_class = None
    if rest and ptype == "iri" and len(rest) == 1:
        of_class = expand(rest[0])
        if of_class is None or ":" not in rest[0]:
            raise HeaderError(
                path, lineno, f"parameter ?{name}: class {rest[0]!r} is not a CURIE or IRI"
            )
    elif rest:
        raise HeaderError(path, lineno, f"parameter ?{name}: unexpected {' '.join(rest)!r}")
    if required and default is not None:
        raise HeaderError(path, lineno, f"parameter ?{name} is both required and has a default")
    if name in RESERVED:
        raise HeaderError(path, lineno, f"parameter ?{name}: the name is reserved by the API")
    param = Parameter(name, ptype, of_class, default, required, desc)
    if default is not None:
        try:
            to_term(param, default)
        except ParameterError as exc:
            raise HeaderError(path, lineno, f"default of ?{name}: {exc.expected}") from None
    return param


def _strip_comments(text: str) -> str:
    """Query text without comments (outside IRIs and strings, roughly), for shape checks."""
    return re.sub(r"(?m)(^|[^<\"'\w])#[^\n]*", r"\1", text)


def parse_query_file(path: Path) -> CannedQuery:
    """Read one .rq file's header; HeaderError names the file and line of any mistake."""
    path = Path(path)
    name = path.stem
    if not _NAME.match(name):
        raise HeaderError(path, None, "file name must be lower-case letters, digits, '-' or '_'")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HeaderError(path, None, f"cannot read: {exc}") from None
    fields: dict[str, str] = {}
    tags: list[str] = []
    params: list[Parameter] = []
    examples: list[str] = []
    example_lines: list[int] = []
    index_line: tuple[int, str] | None = None
    last_key: str | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        known = _KNOWN_KEY.match(stripped)
        match = _KEY_LINE.match(stripped)
        if known:
            key, value = (known[1] or known[2]).lower(), known[3].strip()
            if key in ("title", "description"):
                if key in fields:
                    raise HeaderError(path, lineno, f"second {key}: line")
                fields[key] = value
            elif key == "tags":
                tags += [t.strip() for t in value.split(",") if t.strip()]
            elif key == "param":
                param = _parse_param(path, lineno, value)
                if any(p.name == param.name for p in params):
                    raise HeaderError(path, lineno, f"parameter ?{param.name} declared twice")
                params.append(param)
            elif key == "example":
                examples.append(value)
                example_lines.append(lineno)
            elif key == "index":
                if index_line is not None:
                    raise HeaderError(path, lineno, "second index: line")
                index_line = (lineno, value)
            last_key = key
        elif match and match[1].lower() == match[1]:
            raise HeaderError(
                path, lineno, f"unknown header key {match[1]!r} (one of {', '.join(KEYS)})"
            )
        elif last_key in ("title", "description") and stripped.lstrip("#").strip():
            fields[last_key] += " " + stripped.lstrip("#").strip()  # a continuation line
    for key in ("title", "description"):
        if not fields.get(key):
            raise HeaderError(path, None, f"the header has no {key}: line")
    body = _strip_comments(text)
    form = _FORM.search(body)
    if form is None:
        raise HeaderError(path, None, "no SELECT, ASK, CONSTRUCT or DESCRIBE in the query")
    for param in params:
        if not re.search(rf"[?$]{param.name}\b", body):
            raise HeaderError(path, None, f"parameter ?{param.name} does not occur in the query")
    searched = _check_index(path, index_line, params, form[1].upper()) if index_line else None
    _check_parses(path, text, params, searched)
    for lineno, example in zip(example_lines, examples, strict=True):
        _check_example(path, lineno, example, params)
    return CannedQuery(
        name=name,
        path=path,
        title=fields["title"],
        description=fields["description"],
        text=text,
        form=form[1].upper(),
        tags=tuple(tags),
        parameters=tuple(params),
        examples=tuple(examples),
        paginated=form[1].upper() == "SELECT" and not _OWN_LIMIT.search(body.strip()),
        searched=searched,
        **_page_mark(path, text, form[1].upper()),
    )


def _page_mark(path: Path, text: str, form: str) -> dict[str, Any]:
    """Where a `# page of …` mark is, and what it counts (none: the page counts rows)."""
    marks = list(_PAGE_MARK.finditer(text))
    if not marks:
        return {}
    if len(marks) > 1 or form != "SELECT":
        line = text.count("\n", 0, marks[-1].start()) + 1
        raise HeaderError(path, line, "one `# page of …` mark, in a SELECT's sub-select")
    return {"page_at": marks[0].start(), "page_unit": marks[0]["unit"]}


def _check_index(path: Path, line: tuple[int, str], params: list[Parameter], form: str) -> str:
    """`# index: search ?q`: the name of a declared string parameter of a SELECT."""
    lineno, value = line
    match = _INDEX.match(value)
    if match is None:
        raise HeaderError(path, lineno, f"index line {value!r} is not `search ?parameter`")
    param = next((p for p in params if p.name == match["name"]), None)
    if param is None or param.type != "string":
        raise HeaderError(path, lineno, f"?{match['name']} must be a declared string parameter")
    if form != "SELECT":
        raise HeaderError(path, lineno, "only a SELECT can take the search index's hits")
    return param.name


def _check_example(path: Path, lineno: int, example: str, params: list[Parameter]) -> None:
    """An example call must name declared parameters with values of their types."""
    by_name = {p.name: p for p in params}
    for name, value in parse_qsl(example.lstrip("?"), keep_blank_values=True):
        if name in RESERVED:
            continue
        if name not in by_name:
            raise HeaderError(path, lineno, f"example names an undeclared parameter {name!r}")
        try:
            to_term(by_name[name], value)
        except ParameterError as exc:
            raise HeaderError(path, lineno, f"example value of ?{name}: {exc.expected}") from None


_SAMPLES = {
    "iri": "scad:x",
    "string": "x",
    "lang": "en",
    "integer": "1",
    "decimal": "1.5",
    "date": "2000",
}


def _check_parses(
    path: Path, text: str, params: list[Parameter], searched: str | None = None
) -> None:
    """Run the query on an empty store with every parameter bound (and, for a query answered
    with the search index, a row of hits): catches syntax errors, also in the bound text."""
    terms = {p.name: to_term(p, p.default or _SAMPLES[p.type]) for p in params}
    if searched is not None:
        try:
            text = with_values(text, INDEX_VARIABLES, [_hit_terms(SCAD + "x", "x", "", 1)])
        except QueryError as exc:
            raise HeaderError(path, None, f"the search index's hits: {exc}") from None
    try:
        Store().query(bind_values(text, terms))
    except SyntaxError as exc:
        raise HeaderError(path, None, f"the query does not parse: {exc}") from None
    except RuntimeError as exc:
        raise HeaderError(path, None, f"the query cannot run: {exc}") from None


def load_catalogue(folder: Path, errors: list[HeaderError] | None = None) -> dict[str, CannedQuery]:
    """Every *.rq of `folder` by name, in name order. The first bad header raises HeaderError,
    unless `errors` is given: then bad files are left out and their errors appended to it."""
    catalogue: dict[str, CannedQuery] = {}
    for path in sorted(Path(folder).glob("*.rq")):
        try:
            catalogue[path.stem] = parse_query_file(path)
        except HeaderError as exc:
            if errors is None:
                raise
            errors.append(exc)
    return catalogue


class Catalogue:
    """The canned queries of one folder, read again when a file in it changes: the one loader
    the API, the page, the CLI, the exports and the tests use.

    Files with a bad header are left out (and listed in `errors`) so that one mistake does not
    take the others down; `get(name)` of such a file raises its HeaderError.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._queries: dict[str, CannedQuery] = {}
        self.errors: list[HeaderError] = []

    def _current(self) -> tuple:
        try:
            paths = sorted(self.folder.glob("*.rq"))
            return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
        except OSError:
            return ()

    def queries(self) -> dict[str, CannedQuery]:
        signature = self._current()
        if signature != self._signature:
            with self._lock:
                errors: list[HeaderError] = []
                self._queries = load_catalogue(self.folder, errors)
                self.errors, self._signature = errors, signature
        return self._queries

    def get(self, name: str) -> CannedQuery:
        query = self.queries().get(name)
        if query is not None:
            return query
        for error in self.errors:
            if error.path.stem == name:
                raise error
        raise UnknownQuery(name)

    def version(self) -> str:
        """Changes whenever a query file is added, removed or edited (part of the API's ETags)."""
        return hashlib.blake2b(repr(self._current()).encode(), digest_size=8).hexdigest()

    def has_file(self, name: str) -> bool:
        """Whether `name` names a query file of the folder (its header not yet read)."""
        return bool(_NAME.match(name)) and (self.folder / f"{name}.rq").is_file()


# ---------------------------------------------------------------------------------------------
# Parameter values -> RDF terms


def to_term(param: Parameter, raw: str) -> NamedNode | Literal:
    """Parse one value against its parameter's type; ParameterError says what was expected."""
    value = raw.strip()
    bad = ParameterError(param.name, param.expected(), raw)
    if param.type == "iri":
        iri = expand(value)
        if iri is None:
            raise bad
        try:
            return NamedNode(iri)
        except ValueError:
            raise bad from None
    if param.type == "string":
        if len(raw) > MAX_STRING or "\x00" in raw:
            raise bad
        return Literal(raw)
    if param.type == "lang":
        if value.lower() not in LANGUAGES:
            raise bad
        return Literal(value.lower())
    if param.type == "integer":
        if not _INTEGER.match(value):
            raise bad
        return Literal(str(int(value)), datatype=NamedNode(XSD + "integer"))
    if param.type == "decimal":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise bad from None
        if not number.is_finite() or not _DECIMAL.match(format(number, "f")):
            raise bad
        return Literal(format(number, "f"), datatype=NamedNode(XSD + "decimal"))
    if param.type == "date":
        match = _DATE.match(value)
        if not match:
            raise bad
        if match[3]:
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                raise bad from None
        kind = "date" if match[3] else "gYearMonth" if match[2] else "gYear"
        return Literal(value, datatype=NamedNode(XSD + kind))
    raise bad  # pragma: no cover - PARAM_TYPES is closed


# Membership by rdf:type alone: the reason step materialises every type a member has through the
# class hierarchy and the defined classes (the inferred graph), so no path is needed here.
_MEMBER_ASK = "ASK { ?value a ?class }"
_SOME_MEMBERS = (
    f"PREFIX rdfs: <{RDFS}>\n"
    "SELECT DISTINCT ?class ?value WHERE {{ ?value a ?class . FILTER(isIRI(?value)) }}"
    " LIMIT {limit:d}"
)
_MEMBERS = (
    f"PREFIX rdfs: <{RDFS}>\n"
    "SELECT ?class ?q ?value (SAMPLE(?l) AS ?label) WHERE {{\n"
    "  ?value a ?class . FILTER(isIRI(?value))\n"
    '  OPTIONAL {{ ?value rdfs:label ?l FILTER(LANG(?l) = "en") }}\n'
    "  OPTIONAL {{ ?value rdfs:label ?any }}\n"
    "  FILTER(CONTAINS(LCASE(STR(COALESCE(?any, ?value))), LCASE(?q)))\n"
    "}} GROUP BY ?class ?q ?value ORDER BY LCASE(STR(COALESCE(SAMPLE(?l), ?value))) LIMIT {limit:d}"
)


def is_member(engine: Executor, value: NamedNode, of_class: str) -> bool:
    return engine.ask(_MEMBER_ASK, value=value, **{"class": NamedNode(of_class)})


def members(
    engine: Executor, of_class: str, text: str = "", at_most: int = 100
) -> list[tuple[str, str]]:
    """(IRI, English label) of members of a class whose label (any language) or IRI contains
    `text`, in label order, `at_most` of them."""
    rows = engine.select(
        _MEMBERS.format(limit=at_most), q=Literal(text), **{"class": NamedNode(of_class)}
    )
    return [(r["value"].value, r["label"].value if r["label"] else "") for r in rows]


def allowed_values(
    engine: Executor, param: Parameter, at_most: int
) -> list[tuple[str, str]] | None:
    """(IRI, English label) of every member of an `iri` parameter's class, lang's tags; [] for
    the other types; None when there are more than `at_most` (then they are not listed: see the
    lookup route /values)."""
    if param.type == "lang":
        return [(tag, tag) for tag in LANGUAGES]
    if param.type != "iri" or not param.of_class:
        return []
    of_class = {"class": NamedNode(param.of_class)}
    if len(engine.select(_SOME_MEMBERS.format(limit=at_most + 1), **of_class)) > at_most:
        return None
    return members(engine, param.of_class, "", at_most)


@dataclass
class Call:
    """A checked call of a canned query: the bound terms and the page to return."""

    query: CannedQuery
    substitutions: dict[Variable, NamedNode | Literal] = field(default_factory=dict)
    limit: int | None = None
    offset: int = 0
    hits: list[tuple[NamedNode, Literal, Literal]] | None = None  # set by `search`

    def text(self) -> str:
        """The query text, with the page as LIMIT/OFFSET (integers parsed by `bind`); for a
        query answered with the search index, with the page of hits as VALUES instead."""
        if self.query.searched is not None:
            if self.hits is None:
                raise QueryError(f"{self.query.name} needs the search index: call search() first")
            return with_values(self.query.text, INDEX_VARIABLES, self.hits)
        if not self.query.paginated or (self.limit is None and not self.offset):
            return self.query.text
        page = [f"OFFSET {int(self.offset)}"] if self.offset else []
        page += [f"LIMIT {int(self.limit)}"] if self.limit is not None else []
        text, at = self.query.text, self.query.page_at
        if at is not None and not self.filtered():
            return text[:at] + " ".join(page) + " " + text[at:]
        return text.rstrip() + "\n\n" + "\n".join(page) + "\n"

    def filtered(self) -> bool:
        """Whether a parameter without a default is bound: a filter, applied after a `# page`
        sub-select, so that the page is then cut at the end of the query."""
        return any(
            p.default is None and Variable(p.name) in self.substitutions
            for p in self.query.parameters
        )


def _page_number(name: str, raw: str | None, maximum: int | None) -> int | None:
    if raw is None or raw == "":
        return None
    value = raw.strip()
    if (
        not _INTEGER.match(value)
        or int(value) < 0
        or (maximum is not None and int(value) > maximum)
    ):
        limit = f" up to {maximum}" if maximum is not None else ""
        raise ParameterError(name, f"a whole number from 0{limit}", raw)
    return int(value)


def bind(
    query: CannedQuery,
    values: Mapping[str, str],
    engine: Executor | None = None,
    max_limit: int | None = None,
    ignore: tuple[str, ...] = (),
    default_limit: int | None = None,
) -> Call:
    """Check every value against its parameter and return the terms to substitute.

    Unknown names are refused (a misspelt filter must not silently return everything), except
    those in `ignore` (e.g. the web layer's `format`). With an engine, `iri` values must be members
    of their parameter's class. Defaults are bound when a value is not given, and the page
    is `default_limit` (at most `max_limit`) when no limit is.
    """
    call = Call(query)
    for name in values:
        if name in ("limit", "offset") or name in ignore:
            continue
        if query.parameter(name) is None:
            known = ", ".join(p.name for p in query.parameters) or "none"
            raise ParameterError(name, f"one of the query's parameters ({known}, limit, offset)")
    for param in query.parameters:
        raw = values.get(param.name)
        if raw is None or raw == "":
            if param.required:
                raise ParameterError(param.name, param.expected() + " (required)")
            if param.default is None:
                continue
            raw = param.default
        term = to_term(param, raw)
        if param.of_class and engine is not None and not is_member(engine, term, param.of_class):
            raise ParameterError(param.name, param.expected(), raw)
        call.substitutions[Variable(param.name)] = term
    if query.paginated:
        call.limit = _page_number("limit", values.get("limit"), max_limit)
        call.offset = _page_number("offset", values.get("offset"), MAX_OFFSET) or 0
    elif values.get("limit") or values.get("offset"):
        raise ParameterError("limit", "no limit or offset: this query returns a fixed set")
    if call.limit is None and query.paginated:
        given = [n for n in (default_limit, max_limit) if n is not None]
        call.limit = min(given) if given else None
    return call


def make_call(
    query: CannedQuery,
    values: Mapping[str, str],
    engine: Executor,
    index: Callable[[], SearchIndex],
    max_limit: int | None = None,
    ignore: tuple[str, ...] = (),
    default_limit: int | None = None,
) -> Call:
    """A call ready to run, as every caller of a canned query makes it (the API, `kg query`,
    `kg.open()`): the values checked and bound (`bind`), and for a query answered with the search
    index (`# index: search ?q`) its page of hits (`search`; `index` opens the build's index
    only for those)."""
    call = bind(query, values, engine, max_limit, ignore, default_limit)
    if query.searched is not None:
        search(call, index())
    return call


def search(call: Call, index: SearchIndex) -> Call:
    """Match a search-index query's searched parameter with `index` and give `call` that page of
    hits: (entity, the text that matched best, rank from 1), best first."""
    assert call.query.searched is not None
    text = call.substitutions[Variable(call.query.searched)].value
    lang = call.substitutions.get(Variable("lang"))
    limit = call.limit if call.limit is not None else max(index.entities, 1)
    found = index.search(text, lang.value if lang is not None else None, None, limit, call.offset)
    call.hits = [
        _hit_terms(hit.iri, hit.matched, hit.matched_lang, call.offset + n)
        for n, hit in enumerate(found.hits, start=1)
    ]
    return call


def _hit_terms(iri: str, text: str, lang: str, rank: int) -> tuple[NamedNode, Literal, Literal]:
    matched = Literal(text, language=lang) if lang else Literal(text)
    return NamedNode(iri), matched, Literal(str(rank), datatype=NamedNode(XSD + "integer"))
