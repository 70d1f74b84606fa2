"""kg.pictures: the build renders the model diagram and the evidence map with Graphviz."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import rdflib
from pyoxigraph import Store

from kg.pictures import OutcomeNumbers, number, write_pictures

SVG = "{http://www.w3.org/2000/svg}"
NUMBERED_STATEMENT = """
PREFIX scad: <https://w3id.org/scad/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?therapy ?disease ?value WHERE {
  ?s scad:therapy/rdfs:label ?therapy ; scad:condition/rdfs:label ?disease ; scad:outcome/scad:value ?value .
  FILTER(LANG(?therapy) = "en" && LANG(?disease) = "en")
} ORDER BY ?s LIMIT 1
"""


@pytest.fixture(scope="module")
def pictures(built):
    return built.owl_file.parent / "pictures"


def svg_text(path) -> str:
    root = ET.parse(path).getroot()
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))


def test_build_writes_svg_and_png(pictures):
    for name in ("model", "evidence-map"):
        assert ET.parse(pictures / f"{name}.svg").getroot().tag == f"{SVG}svg"
        assert (pictures / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (pictures / f"{name}.dot").read_text(encoding="utf-8").startswith("digraph")


def test_model_shows_main_classes_and_properties(pictures):
    text = svg_text(pictures / "model.svg")
    for word in ("evidence statement", "outcome", "intervention", "disease", "reference"):
        assert word in text
    for prop in ("therapy", "condition", "outcome", "measure", "source", "locator"):
        assert prop in text
    assert "value: decimal" in text  # datatype properties inside their class


def test_evidence_map_labels_edges_with_outcome_numbers(pictures, store):
    row = next(iter(store.query(NUMBERED_STATEMENT, use_default_graph_as_union=True)))
    text = svg_text(pictures / "evidence-map.svg")
    assert row["therapy"].value in text and row["disease"].value in text
    assert number(row["value"].value) in text


def test_outcome_numbers_read_like_the_review():
    assert OutcomeNumbers(measure="relapse", value="40", unit="%", approximate="true").text() == (
        "relapse: ≈ 40%"
    )
    assert OutcomeNumbers(lower="2", upper="17", unit="%").quantity() == "2–17%"
    assert OutcomeNumbers(lower="4000", lower_inclusive="false", unit="patients").quantity() == (
        "> 4,000 patients"
    )
    survival = OutcomeNumbers(measure="survival", value="48", unit="%", follow_up="5")
    assert survival.text() == "survival: 48%, at 5"
    assert OutcomeNumbers(value="0.50", follow_up="1", follow_up_unit="year").text() == (
        "0.5, at 1 year"
    )


def test_without_graphviz_the_pictures_are_skipped_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    messages: list[str] = []
    written = write_pictures(rdflib.Graph(), Store(), tmp_path / "pictures", messages.append)
    assert written == [] and "Graphviz" in messages[0]
    assert not (tmp_path / "pictures").exists()


def test_pictures_step_is_fast(built):
    assert built.report.timings["pictures"] < 3.0
