"""kg.docs: the build writes one HTML page per class and property of the TBox, and an index."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.vocab import GRAPHS, SCAD

TERMS = f"""
SELECT DISTINCT ?t ?kind WHERE {{
  GRAPH <{GRAPHS["ontology"]}> {{ ?t a ?kind }}
  VALUES ?kind {{ <http://www.w3.org/2002/07/owl#Class> <http://www.w3.org/2002/07/owl#ObjectProperty>
                 <http://www.w3.org/2002/07/owl#DatatypeProperty>
                 <http://www.w3.org/2002/07/owl#AnnotationProperty> }}
  FILTER(isIRI(?t) && STRSTARTS(STR(?t), "{SCAD}"))
}}
"""


@pytest.fixture(scope="module")
def docs(built) -> Path:
    return built.owl_file.parent / "ontology"


@pytest.fixture(scope="module")
def terms(store) -> set[str]:
    return {row["t"].value[len(SCAD) :] for row in store.query(TERMS)}


def test_one_page_per_class_and_property(docs, terms):
    assert len(terms) > 50
    pages = {p.stem for p in docs.glob("*.html")} - {"index"}
    assert pages == terms


def test_index_links_every_page_and_every_link_resolves(docs, terms):
    index = (docs / "index.html").read_text(encoding="utf-8")
    linked = set(re.findall(r'href="([A-Za-z][\w-]*)\.html"', index))
    assert terms <= linked
    for page in docs.glob("*.html"):
        for target in re.findall(
            r'href="([A-Za-z][\w-]*\.html)"', page.read_text(encoding="utf-8")
        ):
            assert (docs / target).is_file(), f"{page.name} links to missing {target}"


def test_class_page_shows_labels_definition_and_class_expressions(docs):
    page = (docs / "AutologousHSCT.html").read_text(encoding="utf-8")
    assert "autologous HSCT" in page and "自体造血干细胞移植" in page
    assert "HSCT in which the patient receives their own haematopoietic stem cells." in page
    assert "Equivalent to" in page and "<em>and</em>" in page and "<em>value</em>" in page
    assert 'href="HSCT.html"' in page and 'href="donorType.html"' in page
    assert 'href="/scad/AutologousHSCT"' in page  # the linked-data page of the same IRI


def test_property_page_shows_kind_domain_range_and_mappings(docs):
    page = (docs / "therapy.html").read_text(encoding="utf-8")
    assert "object property" in page and "疗法" in page
    assert 'href="EvidenceStatement.html"' in page and 'href="Intervention.html"' in page
    assert "Super-properties" in page and "SEPIO_0000388" in page
    value = (docs / "value.html").read_text(encoding="utf-8")
    assert "datatype property" in value and "functional" in value


def test_index_shows_the_ontology_and_the_model_picture(docs):
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "https://w3id.org/scad/ontology/1.0.0" in index
    assert "干细胞治疗自身免疫病证据知识图谱" in index
    assert 'src="../pictures/model.svg"' in index


def test_docs_step_is_fast(built):
    assert built.report.timings["docs"] < 2.0
