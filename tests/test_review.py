"""kg.curation.review: only accepted statements are served by default, a setting serves all of
them with their state, and a deprecated statement's IRI redirects to its replacement."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SOURCES, Built, app_for
from pyoxigraph import NamedNode, Store
from test_templates import ROW, write_template

from kg.build import build
from kg.config import Settings
from kg.curation.review import served_statuses
from kg.errors import ConfigError, TemplateError, ValidationError
from kg.store import open_read_only
from kg.vocab import GRAPHS, OWL, SCAD

# The review's own fact (§2 ①, relapse after HSCT) once more under a test id, deprecated in
# favour of the statement of the review; and two statements still in review.
OLD = {
    **ROW,
    "id": "scad:stmt-test-old-relapse",
    "kind": "scad:OutcomeStatement",
    "limitation": "relapse",
    "conditioning": "",
    "measure": "relapse rate",
    "lower": "",
    "upper": "",
    "lower_inclusive": "",
    "upper_inclusive": "",
    "value": "40",
    "approximate": "true",
    "follow_up": "1",
    "follow_up_unit": "year",
    "locator": "scad:loc-s2-p1",
    "status": "deprecated",
    "replaced_by": "scad:stmt-hsct-relapse-1y",
}
DRAFT = {**ROW, "id": "scad:stmt-test-draft", "status": "draft"}
SUBMITTED = {**ROW, "id": "scad:stmt-test-submitted", "status": "submitted"}
COUNT = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{GRAPHS['statements']}> {{ ?s <{SCAD}assertedBy> ?d }} }}"


def statements(store: Store) -> int:
    return int(next(iter(store.query(COUNT)))["n"].value)


def subject_triples(store: Store, local: str) -> set[str]:
    return {q.predicate.value for q in store.quads_for_pattern(NamedNode(SCAD + local), None, None)}


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("review")
    template = write_template(root / "review.tsv", [OLD, DRAFT, SUBMITTED])
    stores = {}
    for served in ("accepted", "all"):
        stores[served] = root / served / "store"
        build(
            SOURCES,
            stores[served],
            None,
            log=lambda _m: None,
            extra=[template],
            serve_statuses=served,
        )
    return stores


def test_only_accepted_statements_are_served_by_default(curated, store):
    served = open_read_only(curated["accepted"])
    assert statements(served) == statements(store)  # the review's, no more
    for local in ("stmt-test-draft", "stmt-test-submitted", "stmt-test-draft-outcome-1"):
        assert subject_triples(served, local) == set()


def test_a_setting_serves_every_state_with_the_state_visible(curated, store):
    served = open_read_only(curated["all"])
    assert statements(served) == statements(store) + 3
    status = NamedNode(SCAD + "reviewStatus")
    for local, state in (("stmt-test-draft", "draft"), ("stmt-test-old-relapse", "deprecated")):
        values = [
            q.object.value for q in served.quads_for_pattern(NamedNode(SCAD + local), status, None)
        ]
        assert values == [f"{SCAD}status-{state}"]


def test_a_deprecated_statement_leaves_a_stub_pointing_to_its_replacement(curated):
    served = open_read_only(curated["accepted"])
    assert subject_triples(served, "stmt-test-old-relapse") == {
        OWL + "deprecated",
        SCAD + "replacedBy",
        SCAD + "reviewStatus",
    }
    assert subject_triples(served, "stmt-test-old-relapse-outcome-1") == set()


def test_a_deprecated_iri_redirects_to_its_replacement(curated, built: Built):
    settings = Settings(store=curated["accepted"], output=built.output, sources=SOURCES)
    with app_for(settings) as app:
        client = app.test_client()
        response = client.get("/scad/stmt-test-old-relapse?format=turtle")
        assert response.status_code == 301
        assert response.headers["Location"].endswith("/scad/stmt-hsct-relapse-1y?format=turtle")
        assert "replaced by https://w3id.org/scad/stmt-hsct-relapse-1y" in response.get_data(
            as_text=True
        )
        assert client.get("/scad/stmt-hsct-relapse-1y").status_code == 200
        assert client.get("/scad/stmt-test-draft").status_code == 404


def test_a_deprecated_statement_needs_a_statement_as_replacement(tmp_path):
    broken = [
        {**OLD, "replaced_by": "scad:sle"},
        {**OLD, "id": "scad:stmt-test-old-2", "replaced_by": ""},
        {**DRAFT, "replaced_by": "scad:stmt-hsct-relapse-1y"},
    ]
    template = write_template(tmp_path / "t.tsv", broken)
    with pytest.raises(TemplateError) as caught:
        build(SOURCES, None, None, log=lambda _m: None, extra=[template])
    assert {(p.row, p.column) for p in caught.value.table} == {
        (3, "replaced_by"),
        (4, "replaced_by"),
        (5, "replaced_by"),
    }


def test_the_served_states_setting():
    assert served_statuses("accepted") == {"accepted"}
    assert served_statuses("all") == {"draft", "submitted", "accepted", "deprecated"}
    assert served_statuses("accepted, submitted") == {"accepted", "submitted"}
    assert Settings.from_env({"KG_SERVE_STATUSES": "all"}).serve_statuses == "all"
    with pytest.raises(ConfigError, match="KG_SERVE_STATUSES"):
        served_statuses("accepted,aproved")


def test_turtle_statements_carry_review_states_checked_by_the_shapes(tmp_path):
    extra = tmp_path / "x.ttl"
    extra.write_text(
        "@prefix scad: <https://w3id.org/scad/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "scad:stmt-hsct-relapse-1y scad:reviewStatus scad:status-deprecated , scad:status-draft ;\n"
        '    scad:curationDate "2 December 2026" .\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        build(SOURCES, None, None, log=lambda _m: None, extra=[extra])
    rules = {(p.column, p.rule) for p in caught.value.table}
    assert rules == {
        (
            "scad:reviewStatus",
            "a statement has one review status: scad:status-draft, -submitted, -accepted or -deprecated",
        ),
        ("scad:curationDate", "a curation date is one xsd:date (YYYY-MM-DD)"),
        ("", "a deprecated statement names its replacement (scad:replacedBy)"),
    }


def test_a_served_draft_shows_its_state_and_curator_on_its_page(curated, built: Built):
    settings = Settings(store=curated["all"], output=built.output, sources=SOURCES)
    with app_for(settings) as app:
        page = app.test_client().get("/scad/stmt-test-draft", headers={"Accept": "text/html"})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "review status" in html and "draft" in html
        assert "https://orcid.org/0000-0002-1825-0097" in html and "A. Curator" in html
