"""The project's error types. The CLI turns them into exit codes, the web layer into HTTP statuses."""

from __future__ import annotations

from pathlib import Path


class KgError(Exception):
    """Base of every error the project reports to a user."""

    exit_code = 1


class SourceError(KgError):
    """A source file that cannot be read: names the file, line and column."""

    exit_code = 2

    def __init__(self, path: Path | str, line: int | None, column: int | None, message: str):
        self.path, self.line, self.column, self.message = Path(path), line, column, message
        where = str(path)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


class ValidationError(KgError):
    """The sources parse but break the shapes or the OWL checks; holds every problem found."""

    exit_code = 3

    def __init__(self, problems: list[str]):
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"validation failed with {len(problems)} problem(s):\n{listing}")


class ReasoningError(KgError):
    """HermiT finds the ontology inconsistent or a class unsatisfiable."""

    exit_code = 4


class StoreError(KgError):
    """The store cannot be opened or written."""

    exit_code = 5


class QueryError(KgError):
    """A query that cannot be parsed or run: the message carries the parser's position."""

    exit_code = 6


class QueryTimeout(QueryError):
    """A query that ran past its time limit and was stopped."""


class QueryRefused(QueryError):
    """A request the service will not run: an update while updates are off, SERVICE, LOAD."""


class NotAcceptable(KgError):
    """No offered media type fits the client's Accept header or format= parameter."""

    def __init__(self, message: str, offered: list[str]):
        self.offered = offered
        super().__init__(f"{message}; offered: {', '.join(offered)}")
