"""Curation templates: evidence statements from a spreadsheet saved as TSV.

One row per outcome; consecutive rows with the same `id` form one statement (a statement with no
number is one row with the outcome cells empty). The columns are named in `kg.curation.columns`;
their order is free, unknown names are refused. Lines starting with `#` are comments. A row's
number is its line in the file, which is the row a spreadsheet shows, so a problem's cell (`F12`)
is where the curator finds it.

Reading is one pass over the rows: each statement is checked and turned into quads when its last
row has been read, the quads go to a temporary N-Quads file and are bulk-loaded into the store
at the end — only when no template has a problem. Memory holds one statement's rows, the ids
seen (to refuse an id whose rows are not together) and the distinct names resolved.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, TypeVar

import pyoxigraph
import rdflib
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store

from kg.curation.columns import (
    BY_NAME,
    COLUMNS,
    DEFAULT_STATUS,
    HEADER,
    OUTCOME,
    SEPARATOR,
    STATEMENT,
    STATUSES,
    Column,
)
from kg.curation.problems import column_letter
from kg.curation.resolve import Resolver, looks_like_iri
from kg.errors import Problem, TemplateError, ValidationError
from kg.sources import SourceFile, Sources, file_digest
from kg.vocab import GRAPHS, OWL, RDF, SCAD, XSD, curie, expand

RDF_TYPE = NamedNode(RDF + "type")
T = TypeVar("T")
NAMED_INDIVIDUAL = NamedNode(OWL + "NamedIndividual")
OUTCOME_CLASS = NamedNode(SCAD + "Outcome")
HAS_OUTCOME = NamedNode(SCAD + "outcome")
DEPRECATED = NamedNode(OWL + "deprecated")
STATEMENT_CLASS = SCAD + "EvidenceStatement"
DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
NUMBERS = ("value", "lower", "upper")
GRAPH = NamedNode(GRAPHS["statements"])


def status_iri(status: str) -> NamedNode:
    """The individual of a review status: scad:status-accepted, …"""
    return NamedNode(f"{SCAD}status-{status}")


def orcid_ok(digits: str) -> bool:
    """ISO 7064 MOD 11-2, the check character of an ORCID iD."""
    total = 0
    for ch in digits.replace("-", "")[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


@dataclass
class Row:
    number: int  # the line of the file
    cells: dict[str, str]  # column name -> raw text (stripped)


@dataclass
class Statement:
    """The rows of one statement while they are read."""

    iri: str
    rows: list[Row] = field(default_factory=list)


class TemplateReader:
    """Reads templates into quads, collecting every problem of every file."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver
        self.problems: list[Problem] = []
        self.ids: set[str] = set()  # statements of every template (for replaced_by)
        self.outcomes: set[str] = set()
        self.replacements: list[tuple[str, Row, str]] = []  # (file, row, iri) checked at the end
        self._letters: dict[str, str] = {}
        self._file = ""

    # -- problems ---------------------------------------------------------------------------

    def problem(self, row: int | None, column: str, rule: str, value: str, fix: str) -> None:
        cell = f"{self._letters[column]}{row}" if column in self._letters and row else ""
        self.problems.append(Problem(self._file, row, column, cell, rule, value, fix))

    # -- one file ---------------------------------------------------------------------------

    def read(self, source: SourceFile, out: IO[bytes]) -> None:
        """Check one template and write its quads to `out`; fills `source` as the Turtle
        reader does (digest, triples, subjects in file order, and the row of each subject)."""
        self._file, self._letters = source.rel, {}
        source.digest = file_digest(source.path)
        header: list[str] | None = None
        current: Statement | None = None
        try:
            with source.path.open(encoding="utf-8", newline="") as f:
                reader = csv.reader(f, delimiter="\t")
                for cells in reader:
                    number = reader.line_num
                    if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                        continue
                    if header is None:
                        header = self.header(cells, number)
                        continue
                    row = self.row(header, cells, number)
                    if row is None:
                        continue
                    iri = self.statement_iri(row)
                    if iri is None:
                        continue
                    if current is not None and current.iri != iri:
                        self.finish(current, source, out)
                        current = None
                    if current is None:
                        if iri in self.ids:
                            self.problem(
                                number,
                                "id",
                                "the rows of a statement must be together",
                                row.cells["id"],
                                "move this row next to the other rows of the statement, or give it a new id",
                            )
                            continue
                        self.ids.add(iri)
                        current = Statement(iri)
                    current.rows.append(row)
        except UnicodeDecodeError as exc:
            self.problem(
                None,
                "",
                "not UTF-8",
                exc.reason,
                "save the spreadsheet as UTF-8 text (tab-separated)",
            )
        except OSError as exc:
            self.problem(None, "", "cannot read the file", str(exc.strerror), "check the path")
        except csv.Error as exc:
            self.problem(
                None,
                "",
                "malformed TSV",
                str(exc),
                "save the spreadsheet again as tab-separated text",
            )
        if current is not None:
            self.finish(current, source, out)
        if header is None and not self.problems:
            self.problem(
                None, "", "no header line", "", "start with the header of `kg template new`"
            )

    def header(self, cells: list[str], number: int) -> list[str]:
        names = [c.strip() for c in cells]
        for i, name in enumerate(names):
            self._letters.setdefault(name, column_letter(i))
            if name not in BY_NAME:
                self.problem(
                    number,
                    name,
                    "unknown column",
                    name,
                    f"rename it to one of: {', '.join(HEADER)} (or remove it)",
                )
            elif names.index(name) != i:
                self.problem(number, name, "the column appears twice", name, "keep one of them")
        for column in COLUMNS:
            if column.required and column.name not in names:
                self.problem(
                    number,
                    column.name,
                    "required column missing",
                    "",
                    f"add a column named {column.name!r}",
                )
        return names

    def row(self, header: list[str], cells: list[str], number: int) -> Row | None:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            self.problems.append(
                Problem(
                    self._file,
                    number,
                    "",
                    f"{column_letter(len(header))}{number}",
                    "a cell beyond the last column",
                    cells[len(header)].strip(),
                    "remove it, or give the column a name in the header",
                )
            )
        values = {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)}
        return Row(number, {k: v for k, v in values.items() if k in BY_NAME})

    def statement_iri(self, row: Row) -> str | None:
        raw = row.cells.get("id", "")
        if not raw:
            self.problem(
                row.number,
                "id",
                "a row needs the id of its statement",
                "",
                "write the statement's id (e.g. scad:stmt-…) on every row",
            )
            return None
        iri = expand(raw)
        if iri is None:
            self.problem(
                row.number,
                "id",
                "not an identifier",
                raw,
                "write a CURIE (scad:stmt-…) or a local name of letters, digits and hyphens",
            )
        return iri

    # -- one statement ----------------------------------------------------------------------

    def finish(self, statement: Statement, source: SourceFile, out: IO[bytes]) -> None:
        """Check a statement's rows and write its quads (nothing if any cell is broken)."""
        before = len(self.problems)
        first = statement.rows[0]
        shared = self.statement_cells(statement)
        quads = self.statement_quads(statement, shared, first)
        subjects = [NamedNode(statement.iri)]
        rows_with_outcome = [
            r
            for r in statement.rows
            if any(r.cells.get(c.name) for c in COLUMNS if c.level == OUTCOME)
        ]
        if len(statement.rows) > 1 and len(rows_with_outcome) < len(statement.rows):
            for r in statement.rows:
                if r not in rows_with_outcome:
                    self.problem(
                        r.number,
                        "measure",
                        "a statement of several rows needs an outcome on each",
                        "",
                        "fill this row's outcome cells or delete the row",
                    )
        for n, row in enumerate(rows_with_outcome, 1):
            outcome = self.outcome_quads(statement.iri, n, row)
            if outcome:
                subjects.append(outcome[0].subject)
                source.rows.setdefault(outcome[0].subject.value, row.number)
                quads.append(Quad(NamedNode(statement.iri), HAS_OUTCOME, outcome[0].subject, GRAPH))
                quads += outcome
        if len(self.problems) > before:
            return
        source.rows.setdefault(statement.iri, first.number)
        source.subjects += subjects
        source.triples += len(quads)
        pyoxigraph.serialize(quads, output=out, format=RdfFormat.N_QUADS)

    def statement_cells(self, statement: Statement) -> dict[str, tuple[Row, str]]:
        """Each statement-level cell's value and the row it is on: later rows repeat it or
        leave it empty."""
        shared: dict[str, tuple[Row, str]] = {}
        for row in statement.rows:
            for column in COLUMNS:
                if column.level != STATEMENT or column.name == "id":
                    continue
                raw = row.cells.get(column.name, "")
                if not raw:
                    continue
                if column.name not in shared:
                    shared[column.name] = (row, raw)
                elif shared[column.name][1] != raw:
                    where = shared[column.name][0].number
                    self.problem(
                        row.number,
                        column.name,
                        f"differs from row {where} of the same statement",
                        raw,
                        f"a statement's cells are the same on each of its rows: write {shared[column.name][1]!r} or leave it empty",
                    )
        return shared

    def values(self, column: Column, row: Row, raw: str) -> list[pyoxigraph.NamedNode | Literal]:
        """The RDF terms of one cell (problems noted; an empty list if it is broken)."""
        parts = [p.strip() for p in raw.split(SEPARATOR)] if column.many else [raw]
        if any(not p for p in parts):
            self.problem(
                row.number,
                column.name,
                "an empty value between separators",
                raw,
                f"separate values with {SEPARATOR!r}, without an empty one",
            )
            return []
        out: list[NamedNode | Literal] = []
        for part in parts:
            term = self.value(column, row, part)
            if term is None:
                return []
            out.append(term)
        return out

    def value(self, column: Column, row: Row, raw: str) -> NamedNode | Literal | None:
        kind = column.kind
        if kind == "class":
            iri = expand(raw) if looks_like_iri(raw) else self.resolver.entity(raw, "").iri
            if not iri or iri not in self.resolver.subclasses(column.cls):
                return self._bad(
                    row,
                    column,
                    raw,
                    f"not a kind of {curie(column.cls)}",
                    "name a subclass of scad:EvidenceStatement by CURIE or label, e.g. scad:OutcomeStatement or 'outcome statement'",
                )
            return NamedNode(iri)
        if kind == "entity":
            resolved = self.resolver.entity(raw, column.cls)
            if not resolved.iri:
                return self._bad(row, column, raw, resolved.rule, resolved.fix)
            return NamedNode(resolved.iri)
        if kind in ("iri", "statement", "id"):
            iri = expand(raw) if looks_like_iri(raw) or kind == "id" else None
            if iri is None:
                return self._bad(
                    row,
                    column,
                    raw,
                    "not an IRI",
                    "write a CURIE (obo:ECO_0006016, scad:stmt-…) or a full IRI",
                )
            if kind == "statement":
                self.replacements.append((self._file, row, iri))
            return NamedNode(iri)
        if kind == "decimal":
            if not DECIMAL.match(raw):
                return self._bad(
                    row,
                    column,
                    raw,
                    "not a decimal number",
                    "write digits with an optional point (40, 2.5, 1000000): no %, no unit, no exponent",
                )
            return Literal(raw, datatype=NamedNode(XSD + "decimal"))
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                return self._bad(row, column, raw, "not true or false", "write true or false")
            return Literal(raw.lower(), datatype=NamedNode(XSD + "boolean"))
        if kind == "text":
            return Literal(raw, language=column.lang)
        if kind == "date":
            if not DATE.match(raw):
                return self._bad(row, column, raw, "not a date", "write YYYY-MM-DD")
            return Literal(raw, datatype=NamedNode(XSD + "date"))
        if kind == "status":
            if raw not in STATUSES:
                return self._bad(
                    row, column, raw, "unknown status", f"write one of: {', '.join(STATUSES)}"
                )
            return status_iri(raw)
        if kind == "curator":
            match = ORCID.match(raw)
            if match:
                if not orcid_ok(match[1]):
                    return self._bad(
                        row,
                        column,
                        raw,
                        "an ORCID iD with a wrong check digit",
                        "copy the iD from the curator's ORCID record",
                    )
                return NamedNode("https://orcid.org/" + match[1])
            if not re.search(r"[^\W\d_]", raw):
                return self._bad(
                    row,
                    column,
                    raw,
                    "neither an ORCID iD nor a name",
                    "write an ORCID iD (0000-0002-1825-0097) or the curator's name",
                )
            return Literal(raw)
        raise AssertionError(kind)

    def _bad(self, row: Row, column: Column, raw: str, rule: str, fix: str) -> None:
        self.problem(row.number, column.name, rule, raw, fix)
        return None

    def statement_quads(
        self, statement: Statement, shared: dict[str, tuple[Row, str]], first: Row
    ) -> list[Quad]:
        s = NamedNode(statement.iri)
        quads = [Quad(s, RDF_TYPE, NAMED_INDIVIDUAL, GRAPH)]
        for column in COLUMNS:
            if column.level != STATEMENT or column.name == "id":
                continue
            if column.name not in shared:
                if column.required:
                    self.problem(
                        first.number,
                        column.name,
                        "required",
                        "",
                        f"fill the {column.name!r} cell ({column.help})",
                    )
                continue
            row, raw = shared[column.name]
            predicate = RDF_TYPE if column.kind == "class" else NamedNode(column.predicate)
            quads += [Quad(s, predicate, term, GRAPH) for term in self.values(column, row, raw)]
        for either, other in (("therapy", "cell_type"), ("condition", "population")):
            if either not in shared and other not in shared:
                self.problem(
                    first.number,
                    either,
                    f"a statement needs a {either} or a {other.replace('_', ' ')}",
                    "",
                    f"fill {either!r} or {other!r}",
                )
        status = shared.get("status", (first, DEFAULT_STATUS))[1]
        if status == "deprecated":
            quads.append(
                Quad(s, DEPRECATED, Literal("true", datatype=NamedNode(XSD + "boolean")), GRAPH)
            )
            if "replaced_by" not in shared:
                self.problem(
                    first.number,
                    "replaced_by",
                    "a deprecated statement needs its replacement",
                    "",
                    "write the id of the statement that replaces it",
                )
        elif "replaced_by" in shared:
            row = shared["replaced_by"][0]
            self.problem(
                row.number,
                "replaced_by",
                "only a deprecated statement has a replacement",
                shared["replaced_by"][1],
                "set status to deprecated, or empty this cell",
            )
        if "status" not in shared:
            quads.append(
                Quad(s, NamedNode(BY_NAME["status"].predicate), status_iri(DEFAULT_STATUS), GRAPH)
            )
        return quads

    def outcome_quads(self, statement: str, n: int, row: Row) -> list[Quad]:
        """The quads of a row's outcome, its subject first; [] (and problems) if broken."""
        before = len(self.problems)
        raw_id = row.cells.get("outcome", "")
        iri = expand(raw_id) if raw_id else f"{statement}-outcome-{n}"
        if iri is None:
            self.problem(
                row.number,
                "outcome",
                "not an identifier",
                raw_id,
                "write a CURIE (scad:out-…) or a local name",
            )
            return []
        if iri in self.outcomes:
            self.problem(
                row.number,
                "outcome",
                "an outcome id used twice",
                raw_id,
                "give each outcome its own id, or leave the cell empty",
            )
            return []
        self.outcomes.add(iri)
        o = NamedNode(iri)
        quads = [
            Quad(o, RDF_TYPE, NAMED_INDIVIDUAL, GRAPH),
            Quad(o, RDF_TYPE, OUTCOME_CLASS, GRAPH),
        ]
        terms: dict[str, list] = {}
        for column in COLUMNS:
            raw = row.cells.get(column.name, "")
            if column.level != OUTCOME or column.name == "outcome" or not raw:
                continue
            terms[column.name] = self.values(column, row, raw)
            quads += [Quad(o, NamedNode(column.predicate), t, GRAPH) for t in terms[column.name]]
        cells = row.cells
        numbers = [c for c in NUMBERS if cells.get(c)]
        if not numbers:
            self.problem(
                row.number,
                "value",
                "an outcome needs a value or a bound",
                "",
                "fill value, or lower and/or upper",
            )
        if cells.get("value") and (cells.get("lower") or cells.get("upper")):
            self.problem(
                row.number,
                "value",
                "a point value or bounds, not both",
                cells["value"],
                "empty value, or lower and upper",
            )
        if not cells.get("measure"):
            self.problem(
                row.number,
                "measure",
                "an outcome needs its measure",
                "",
                "name what is measured (e.g. response rate)",
            )
        if numbers and not cells.get("unit"):
            self.problem(
                row.number,
                "unit",
                "an outcome needs its unit",
                "",
                "name the unit (e.g. percent); a number without one is written in Turtle with scad:noUnit",
            )
        for side in ("lower", "upper"):
            if cells.get(f"{side}_inclusive") and not cells.get(side):
                self.problem(
                    row.number,
                    f"{side}_inclusive",
                    f"inclusive without a {side} bound",
                    cells[f"{side}_inclusive"],
                    f"fill {side!r} or empty this cell",
                )
        if cells.get("follow_up") and not cells.get("follow_up_unit"):
            self.problem(
                row.number,
                "follow_up_unit",
                "a follow-up time needs its unit",
                "",
                "name the unit (e.g. year)",
            )
        if cells.get("follow_up_unit") and not cells.get("follow_up"):
            self.problem(
                row.number,
                "follow_up",
                "a follow-up unit without a time",
                "",
                "fill follow_up or empty follow_up_unit",
            )
        lower, upper = terms.get("lower"), terms.get("upper")
        if lower and upper and Decimal(lower[0].value) > Decimal(upper[0].value):
            self.problem(
                row.number,
                "lower",
                "the lower bound exceeds the upper bound",
                f"{lower[0].value} > {upper[0].value}",
                "swap them",
            )
        return quads if len(self.problems) == before else []

    def check_replacements(self) -> None:
        """A replacement is a statement of a template or of the Turtle sources."""
        kinds = self.resolver.subclasses(STATEMENT_CLASS)
        for file, row, iri in self.replacements:
            if iri in self.ids or self.resolver.types(iri) & kinds:
                continue
            self._file = file
            self.problem(
                row.number,
                "replaced_by",
                "the replacement is not a statement",
                curie(iri),
                "write the id of an evidence statement (of a template or the Turtle sources)",
            )


def read_templates(sources: Sources, store: Store, tbox: rdflib.Graph) -> list[Problem]:
    """Read every template of `sources` into the statements graph of `store` and return every
    problem of every template. Only statements whose cells are all sound are loaded, so the
    SHACL step can still check them and the Turtle (and the build report every problem of both
    at once); the templates join `sources.files`, so that step names their rows."""
    if not sources.templates:
        return []
    reader = TemplateReader(Resolver(store, tbox))
    with tempfile.TemporaryDirectory(prefix="kg-templates-") as tmp:
        quads = Path(tmp) / "templates.nq"
        with quads.open("wb") as out:
            for source in sources.templates:
                reader.read(source, out)
        reader.check_replacements()
        store.bulk_load(path=str(quads), format=RdfFormat.N_QUADS)
    whole = hashlib.sha256(sources.digest.encode())
    for source in sources.templates:
        whole.update(source.rel.encode() + b"\0" + source.digest.encode())
    sources.files += sources.templates
    sources.digest = whole.hexdigest()
    return reader.problems


def refuse(template_problems: list[Problem], check: Callable[[], T]) -> T:
    """Run the validation `check`; refuse the build with the templates' problems and the
    check's together (TemplateError), or with the check's alone (its ValidationError)."""
    try:
        result = check()
    except ValidationError as exc:
        if template_problems:
            raise TemplateError(template_problems + exc.table) from exc
        raise
    if template_problems:
        raise TemplateError(template_problems)
    return result


def example_rows() -> Iterator[list[str]]:
    """The commented example of `kg template new`: one outcome of the review, as a curator
    would type it (labels instead of CURIEs where they are unambiguous)."""
    row = {
        "id": "scad:stmt-hsct-relapse-1y",
        "kind": "scad:OutcomeStatement | scad:LimitationStatement",
        "label_en": "HSCT for refractory AD: relapse about 40% at 1 year",
        "label_zh": "HSCT治疗难治性AD:1年复发率约40%",
        "therapy": "scad:hsct",
        "condition": "autoimmune disease (AD)",
        "population": "scad:pop-refractory-ad",
        "limitation": "relapse",
        "direction": "present",
        "outcome": "scad:out-hsct-relapse-1y",
        "outcome_label_en": "HSCT relapse rate at 1 year: about 40%",
        "outcome_label_zh": "HSCT 1年复发率约40%",
        "measure": "relapse rate",
        "value": "40",
        "approximate": "true",
        "unit": "percent",
        "follow_up": "1",
        "follow_up_unit": "year",
        "source": "scad:sun-2025",
        "asserted_by": "scad:hangi-article",
        "locator": "scad:loc-s2-p1",
        "evidence_type": "obo:ECO_0006016",
        "summary_en": "Relapse remains a problem after HSCT: about 40% of patients relapse within one year.",
        "summary_zh": "HSCT后的复发问题仍未解决,1年内复发率约为40%。",
        "curator": "0000-0002-1825-0097",
        "date": "2026-12-02",
        "status": "submitted",
    }
    yield [row.get(name, "") for name in HEADER]


def write_empty(path: Path) -> None:
    """An empty template: the column names and one commented example row (`kg template new`)."""
    lines = [
        "# A curation template of the SCAD graph: one row per outcome, rows with the same id form one statement.",
        "# Name things by CURIE (scad:sle) or by their English or Chinese label (systemic lupus erythematosus, 狼疮);",
        f"# several values in one cell are separated by {SEPARATOR!r}. Lines starting with # are comments.",
        "# Columns (their order is free; empty cells are fine unless required):",
        *(f"#   {c.name}{' (required)' if c.required else ''}: {c.help}" for c in COLUMNS),
        "# Example (a real outcome of the review; curator is ORCID's example iD):",
    ]
    with path.open("x", encoding="utf-8", newline="") as out:
        for line in lines:
            out.write(line + "\n")
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(HEADER)
        for row in example_rows():
            writer.writerow(["# " + row[0], *row[1:]])
