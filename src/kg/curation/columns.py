"""The columns of a curation template: their fixed names, what each cell holds and the
property it becomes. One table, read by the template reader, `kg template new` and the README.

A cell of an `entity` column names one thing, or several separated by `|`, by CURIE
(`scad:sle`), full IRI or English or Chinese label (`systemic lupus erythematosus`, `狼疮`);
it must be a member of the column's class (subclasses count, as in the SHACL shapes).
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.vocab import SCAD

STATEMENT, OUTCOME = "statement", "outcome"


@dataclass(frozen=True)
class Column:
    name: str
    level: str  # STATEMENT: the same on every row of the statement; OUTCOME: this row's outcome
    kind: str  # id, entity, class, iri, decimal, boolean, text, status, date, curator, statement
    predicate: str = ""  # the property the cell becomes ("" = handled by the reader itself)
    cls: str = ""  # entity: the class its values belong to; class: the class they specialise
    many: bool = False  # several values, separated by |
    required: bool = False
    lang: str = ""  # text: the language tag
    help: str = ""


def _s(local: str) -> str:
    return SCAD + local


COLUMNS: tuple[Column, ...] = (
    Column("id", STATEMENT, "id", required=True, help="the statement: scad:stmt-… or a local name; rows with the same id form one statement"),
    Column("kind", STATEMENT, "class", cls=_s("EvidenceStatement"), many=True, required=True, help="kind(s) of statement, e.g. scad:OutcomeStatement | scad:SafetyStatement"),
    Column("label_en", STATEMENT, "text", "http://www.w3.org/2000/01/rdf-schema#label", lang="en", help="a short title in English"),
    Column("label_zh", STATEMENT, "text", "http://www.w3.org/2000/01/rdf-schema#label", lang="zh", help="the title in Chinese"),
    Column("therapy", STATEMENT, "entity", _s("therapy"), _s("Intervention"), many=True, help="what is given (an intervention)"),
    Column("cell_type", STATEMENT, "entity", _s("cellType"), _s("CellType"), many=True, help="the cells (where no therapy is named)"),
    Column("conditioning", STATEMENT, "entity", _s("conditioning"), _s("ConditioningRegimen"), many=True, help="the conditioning regimen"),
    Column("comparator", STATEMENT, "entity", _s("comparator"), _s("Intervention"), many=True, help="what it is compared with"),
    Column("condition", STATEMENT, "entity", _s("condition"), _s("Disease"), many=True, help="the disease(s)"),
    Column("population", STATEMENT, "entity", _s("population"), _s("Population"), many=True, help="the patients"),
    Column("mechanism", STATEMENT, "entity", _s("mechanism"), _s("Mechanism"), many=True, help="how it acts"),
    Column("limitation", STATEMENT, "entity", _s("limitation"), _s("Limitation"), many=True, help="what holds it back"),
    Column("direction", STATEMENT, "entity", _s("direction"), _s("Direction"), many=True, help="effective, ineffective, increase, decrease, comparable, safe, …"),
    Column("outcome", OUTCOME, "id", help="this row's outcome (default: the statement's id + -outcome-N)"),
    Column("outcome_label_en", OUTCOME, "text", "http://www.w3.org/2000/01/rdf-schema#label", lang="en", help="the outcome's title in English"),
    Column("outcome_label_zh", OUTCOME, "text", "http://www.w3.org/2000/01/rdf-schema#label", lang="zh", help="the outcome's title in Chinese"),
    Column("measure", OUTCOME, "entity", _s("measure"), _s("OutcomeMeasure"), help="what is measured (response rate, mortality, …)"),
    Column("value", OUTCOME, "decimal", _s("value"), help="the number (a point value); or lower and/or upper"),
    Column("lower", OUTCOME, "decimal", _s("lowerBound"), help="lower bound of a range (2 in 2–17 %), or alone for ≥"),
    Column("upper", OUTCOME, "decimal", _s("upperBound"), help="upper bound of a range, or alone for ≤"),
    Column("lower_inclusive", OUTCOME, "boolean", _s("lowerBoundInclusive"), help="true or false"),
    Column("upper_inclusive", OUTCOME, "boolean", _s("upperBoundInclusive"), help="true or false"),
    Column("unit", OUTCOME, "entity", _s("unit"), _s("Unit"), help="the number's unit (percent, year, …)"),
    Column("approximate", OUTCOME, "boolean", _s("approximate"), help="true for 'about', 'nearly'"),
    Column("follow_up", OUTCOME, "decimal", _s("followUp"), help="time after treatment"),
    Column("follow_up_unit", OUTCOME, "entity", _s("followUpUnit"), _s("Unit"), help="the follow-up's unit"),
    Column("source", STATEMENT, "entity", _s("source"), _s("Reference"), many=True, required=True, help="the work(s) the asserting document credits"),
    Column("asserted_by", STATEMENT, "entity", _s("assertedBy"), _s("Document"), required=True, help="the one document that makes the statement"),
    Column("locator", STATEMENT, "entity", _s("locator"), _s("Locator"), required=True, help="where in the document (a scad:Locator)"),
    Column("evidence_type", STATEMENT, "iri", _s("evidenceType"), help="an ECO term, e.g. obo:ECO_0006016"),
    Column("summary_en", STATEMENT, "text", _s("summary"), required=True, lang="en", help="one line in your own words, in English"),
    Column("summary_zh", STATEMENT, "text", _s("summary"), required=True, lang="zh", help="the same in Chinese"),
    Column("curator", STATEMENT, "curator", _s("curator"), many=True, help="who curated it: an ORCID (0000-0002-1825-0097) or a name"),
    Column("date", STATEMENT, "date", _s("curationDate"), help="when: YYYY-MM-DD"),
    Column("status", STATEMENT, "status", _s("reviewStatus"), help="draft, submitted, accepted or deprecated (empty: draft)"),
    Column("replaced_by", STATEMENT, "statement", _s("replacedBy"), help="a deprecated statement's replacement (its id)"),
)  # fmt: skip

BY_NAME = {c.name: c for c in COLUMNS}
HEADER = [c.name for c in COLUMNS]
STATUSES = ("draft", "submitted", "accepted", "deprecated")
DEFAULT_STATUS = "draft"  # a template row without a status; Turtle without one counts as accepted
SEPARATOR = "|"
