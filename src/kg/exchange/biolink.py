"""The graph in Biolink 4.4 terms: one therapy → condition edge per pair of each statement.

An evidence statement names its therapies and conditions; each (therapy, condition) pair of a
statement becomes one Biolink association whose predicate says in what sense the review relates
them, decided by the statement's kind (first match in `PREDICATES`):

- approvals and guideline recommendations: `biolink:treats` (Biolink keeps it for interventions
  approved, past phase 3, or formally recommended);
- research-landscape statements (trial counts, phases, countries): `biolink:in_clinical_trials_for`;
- disease-burden statements (what patients are treated with today): `biolink:applied_to_treat`;
- efficacy, comparison, history, limitation, mechanism, trend and research-need statements:
  `biolink:treats_or_applied_or_studied_to_treat`, Biolink's predicate for sources that do not
  say in which sense (used, studied, effective) a therapy treats a condition;
- statements that are about safety only: `biolink:related_to_at_instance_level` on a plain
  `biolink:Association`, because the graph does not say whether such a condition is the disease
  treated or the harm caused (gold preparations given for RA caused aplastic anaemia).

A statement kind the table does not know is an error: a new kind needs a decision here.
Every edge is a `knowledge_assertion` made by a `manual_agent` (curators reading the review),
its primary knowledge source is this graph, its publications are the statement's sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kg.errors import ExportError
from kg.exchange.tables import Statement

TREATMENT_ASSOCIATION = "biolink:ChemicalOrDrugOrTreatmentToDiseaseOrPhenotypicFeatureAssociation"
ASSOCIATION = "biolink:Association"
KNOWLEDGE_LEVEL = "knowledge_assertion"  # Biolink KnowledgeLevelEnum
AGENT_TYPE = "manual_agent"  # Biolink AgentTypeEnum
# The infores identifier of this graph. Not (yet) registered in the Translator infores catalogue.
INFORES = "infores:scad"
SOME_SENSE = "biolink:treats_or_applied_or_studied_to_treat"

# Statement kind (our class) -> (predicate, association class); the first kind found decides.
PREDICATES: tuple[tuple[str, str, str], ...] = (
    ("ApprovalStatement", "biolink:treats", TREATMENT_ASSOCIATION),
    ("RecommendationStatement", "biolink:treats", TREATMENT_ASSOCIATION),
    ("ResearchLandscapeStatement", "biolink:in_clinical_trials_for", TREATMENT_ASSOCIATION),
    ("BurdenStatement", "biolink:applied_to_treat", TREATMENT_ASSOCIATION),
    ("OutcomeStatement", SOME_SENSE, TREATMENT_ASSOCIATION),
    ("ComparisonStatement", SOME_SENSE, TREATMENT_ASSOCIATION),
    ("HistoryStatement", SOME_SENSE, TREATMENT_ASSOCIATION),
    ("LimitationStatement", SOME_SENSE, TREATMENT_ASSOCIATION),
    ("MechanismStatement", SOME_SENSE, TREATMENT_ASSOCIATION),
    ("TrendStatement", SOME_SENSE, TREATMENT_ASSOCIATION),
    ("ResearchNeedStatement", SOME_SENSE, TREATMENT_ASSOCIATION),
    ("SafetyStatement", "biolink:related_to_at_instance_level", ASSOCIATION),
)


@dataclass(frozen=True)
class Edge:
    id: str
    subject: str
    predicate: str
    object: str
    category: str
    statement: str  # the evidence statement the edge is read from (KGX: has_evidence)
    name: str | None
    description: str | None
    evidence_types: tuple[str, ...]
    publications: tuple[str, ...]
    knowledge_level: str = KNOWLEDGE_LEVEL
    agent_type: str = AGENT_TYPE
    primary_knowledge_source: str = INFORES


def predicate_for(statement: Statement) -> tuple[str, str]:
    """(predicate, association class) for a statement's therapy → condition pairs."""
    for kind, predicate, category in PREDICATES:
        if kind in statement.kinds:
            return predicate, category
    raise ExportError(
        f"{statement.id}: no Biolink predicate for statement kinds {', '.join(statement.kinds)} "
        "(add the kind to kg.exchange.biolink.PREDICATES)"
    )


def edges(statements: Iterable[Statement]) -> Iterator[Edge]:
    """One edge per (therapy, condition) pair of each statement, in statement, therapy,
    condition order."""
    for statement in statements:
        therapies, conditions = statement.relation("therapy"), statement.relation("condition")
        if not (therapies and conditions):
            continue
        predicate, category = predicate_for(statement)
        local = statement.id.removeprefix("scad:")
        for therapy in therapies:
            for condition in conditions:
                yield Edge(
                    id=f"scad:edge/{local}/{therapy.removeprefix('scad:')}/{condition.removeprefix('scad:')}",
                    subject=therapy,
                    predicate=predicate,
                    object=condition,
                    category=category,
                    statement=statement.id,
                    name=statement.label_en,
                    description=statement.summary_en,
                    evidence_types=statement.evidence_types,
                    publications=statement.publications,
                )
