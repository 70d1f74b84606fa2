"""Every error type of the project. The CLI turns them into exit codes (`exit_code`, listed in
the README); the web layer turns them into HTTP statuses in one place (kg.web.errors)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


class KgError(Exception):
    """Base of every error the project reports to a user."""

    exit_code = 1

    def details(self) -> dict[str, object]:
        """What a machine reading the error needs besides the message (file, line, parameter…)."""
        return {}


def _where(path: Path | str, line: int | None, column: int | None) -> str:
    where = str(path)
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return where


class SourceError(KgError):
    """A source file that cannot be read: names the file, line and column."""

    exit_code = 2

    def __init__(self, path: Path | str, line: int | None, column: int | None, message: str):
        self.path, self.line, self.column, self.message = Path(path), line, column, message
        super().__init__(f"{_where(path, line, column)}: {message}")

    def details(self) -> dict[str, object]:
        return {"file": str(self.path), "line": self.line, "column": self.column}


class HeaderError(SourceError):
    """A canned query whose `#` header cannot be read: names the file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        super().__init__(path, line, None, message)


class ValidationError(KgError):
    """The sources parse but break the shapes or the OWL checks; holds every problem found."""

    exit_code = 3

    def __init__(self, problems: list[str], table: list[Problem] | None = None):
        self.problems = problems
        self.table: list[Problem] = table or []
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"validation failed with {len(problems)} problem(s):\n{listing}")

    def details(self) -> dict[str, object]:
        return {"problems": self.problems}


@dataclass(frozen=True)
class Problem:
    """One row of a problem table: where (file, row or line, column, spreadsheet cell), which
    rule is broken, the value found and how to fix it. A Turtle source's problem has a line and
    no column; a template's has its row (the line of the file, as a spreadsheet numbers it),
    its column's name and cell (`F12`)."""

    file: str
    row: int | None
    column: str
    cell: str
    rule: str
    value: str
    fix: str

    FIELDS = ("file", "row", "column", "cell", "rule", "value", "fix")

    def cells(self) -> list[str]:
        return ["" if v is None else str(v) for v in (getattr(self, f) for f in self.FIELDS)]


class TemplateError(ValidationError):
    """A curation template (`ontology/templates/*.tsv`) with broken cells: every problem of
    every template at once, as a table."""

    def __init__(self, table: list[Problem]):
        lines = [
            f"{p.file}:{p.row} {p.cell or p.column}: {p.rule} ({p.value!r}): {p.fix}" for p in table
        ]
        super().__init__(lines, table)


class ReasoningError(KgError):
    """HermiT finds the ontology inconsistent or a class unsatisfiable."""

    exit_code = 4


class StoreError(KgError):
    """The store cannot be opened or written."""

    exit_code = 5


class EngineUnavailable(StoreError):
    """The query step cannot run a query: its query processes are gone, or a remote engine does
    not answer."""


class QueryError(KgError):
    """A query that cannot be parsed or run; `line`/`column` where the parser gives them."""

    exit_code = 6

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        super().__init__(message)

    def details(self) -> dict[str, object]:
        if self.line is None:
            return {}
        return {"line": self.line, "column": self.column}

    @classmethod
    def from_syntax(cls, raw: str) -> QueryError:
        """pyoxigraph's 'error at 1:26: expected …' as a QueryError with its position."""
        match = re.match(r"(?:.*?)error at (\d+):(\d+): (.*)", raw, re.S)
        if match is None:
            return cls(f"SPARQL syntax error: {raw}")
        line, column, detail = int(match[1]), int(match[2]), match[3]
        return cls(f"SPARQL syntax error at line {line}, column {column}: {detail}", line, column)


class QueryTimeout(QueryError):
    """A query that ran past its time limit and was stopped."""


class QueryRefused(QueryError):
    """A request that will not be run: an update while updates are off, SERVICE, LOAD."""


class NotFound(KgError):
    """Something asked for by name that is not there: a canned query, an IRI of our namespace."""

    exit_code = 6


class UnknownQuery(NotFound):
    """No canned query of that name."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"no canned query named {name!r} (see `kg queries` or GET /queries)")

    def details(self) -> dict[str, object]:
        return {"query": self.name}


class ParameterError(QueryError):
    """A parameter value that is missing, malformed or of the wrong class."""

    def __init__(self, parameter: str, expected: str, value: str | None = None):
        self.parameter, self.expected, self.value = parameter, expected, value
        got = "" if value is None else f", got {value!r}"
        super().__init__(f"parameter {parameter!r}: expected {expected}{got}")

    def details(self) -> dict[str, object]:
        return {"parameter": self.parameter, "expected": self.expected, "value": self.value}


class NotAcceptable(QueryError):
    """No offered format fits the client's Accept header or format= parameter."""

    def __init__(self, message: str, offered: list[str]):
        self.offered = offered
        super().__init__(f"{message}; offered: {', '.join(offered)}")

    def details(self) -> dict[str, object]:
        return {"offered": self.offered}


class ProtocolError(KgError):
    """A request that breaks the SPARQL 1.1 Protocol (or HTTP): carries its status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status, self.headers = status, headers or {}
        super().__init__(message)


class RemoteError(KgError):
    """A remote service that cannot be reached or answers with an error."""

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(message)


class ExportError(KgError):
    """An export that cannot be made: unknown format or graph, a missing tool."""

    exit_code = 7


class ConfigError(KgError):
    """A setting (environment variable or option) with a value that cannot be used."""

    exit_code = 8
