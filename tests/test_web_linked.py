"""Linked Data (through Flask's test client on the build): every IRI of our namespace resolves,
as HTML for a browser (statements 50 at a time) and as its description in Turtle, JSON-LD or
RDF/XML; unknown IRIs are 404; the ontology's pages, the pictures and the JSON-LD context are
served. Headless Chromium on a real `kg serve` saves screenshots of an entity page and of the
evidence map under test-artifacts/."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass

import pyoxigraph
import pytest
from conftest import ARTIFACTS
from playwright import sync_api
from pyoxigraph import NamedNode

from kg.export import from_oxigraph
from kg.vocab import SCAD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NUMBERED = """
PREFIX scad: <https://w3id.org/scad/>
SELECT ?s ?disease ?doi WHERE {
  ?s scad:outcome/scad:value ?v ; scad:condition ?disease ; scad:source/scad:doi ?doi .
} ORDER BY ?s LIMIT 1
"""


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def get(client, path: str, accept: str | None = None) -> Reply:
    reply = client.get(path, headers={"Accept": accept} if accept else {}, follow_redirects=True)
    return Reply(reply.status_code, reply.headers, reply.data)


@pytest.fixture(scope="module")
def example(store) -> dict[str, str]:
    row = next(iter(store.query(NUMBERED, use_default_graph_as_union=True)))
    return {"statement": row["s"].value, "disease": row["disease"].value, "doi": row["doi"].value}


def local(iri: str) -> str:
    return iri[len(SCAD) :]


def own_triples(store, iri: str) -> set:
    return {
        (q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(NamedNode(iri), None, None, None)
    }


def test_browser_gets_html_with_both_labels_and_definition(client):
    reply = get(client, "/scad/MSCT", "text/html,application/xhtml+xml,*/*;q=0.8")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
    assert "mesenchymal stem-cell transplantation (MSCT)" in reply.text
    assert "间充质干细胞移植(MSCT)" in reply.text
    assert "Stem-cell transplantation in which mesenchymal stem (stromal) cells are infused." in (
        reply.text
    )
    assert 'href="/ontology/MSCT.html"' in reply.text
    assert "Accept" in reply.headers.get("Vary", "")


def test_entity_page_lists_statements_with_numbers_and_sources(client, example):
    reply = get(client, "/scad/" + local(example["disease"]))
    assert reply.status == 200
    assert f'href="/scad/{local(example["statement"])}"' in reply.text
    assert f"https://doi.org/{example['doi']}" in reply.text
    assert 'class="number"' in reply.text
    zh = get(client, "/scad/" + local(example["disease"]) + "?lang=zh")
    assert zh.status == 200 and 'lang="en"' in zh.text


def test_turtle_is_the_concise_bounded_description(client, store, example):
    iri = example["statement"]
    reply = get(client, "/scad/" + local(iri), "text/turtle")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/turtle")
    triples = {
        (t.subject, t.predicate, t.object)
        for t in pyoxigraph.parse(reply.body, format=pyoxigraph.RdfFormat.TURTLE)
    }
    assert own_triples(store, iri) <= triples
    outcomes = [o for s, p, o in triples if p.value == SCAD + "outcome"]
    assert outcomes and all(own_triples(store, o.value) <= triples for o in outcomes)


def test_jsonld_and_rdfxml_by_accept_or_format(client, store):
    iri = SCAD + "HSCT"  # a class with blank-node class expressions
    expected = from_oxigraph(store.quads_for_pattern(NamedNode(iri), None, None, None))
    reply = get(client, "/scad/HSCT", "application/ld+json")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/ld+json")
    assert json.loads(reply.body)["@context"]["scad"] == SCAD
    parsed = from_oxigraph(pyoxigraph.parse(reply.body, format=pyoxigraph.RdfFormat.JSON_LD))
    assert {t for t in expected if not _blank(t)} <= set(parsed)
    assert len(parsed) > len(expected)  # the restriction's blank node came along
    xml = get(client, "/scad/HSCT?format=rdfxml", "text/html")
    assert xml.headers["Content-Type"].startswith("application/rdf+xml")
    parsed_xml = from_oxigraph(pyoxigraph.parse(xml.body, format=pyoxigraph.RdfFormat.RDF_XML))
    assert len(parsed_xml) == len(parsed)


def _blank(triple) -> bool:
    return any(type(t).__name__ == "BNode" for t in triple)


def test_unknown_iri_is_404_in_every_form(client):
    assert get(client, "/scad/no-such-thing", "text/html").status == 404
    assert get(client, "/scad/no-such-thing", "text/turtle").status == 404
    assert get(client, "/scad/no%20such%3Ething").status == 404


def test_unacceptable_media_type_is_406(client):
    assert get(client, "/scad/MSCT", "image/png").status == 406


def test_ontology_pages_pictures_and_context(client):
    assert get(client, "/ontology/").status == 200
    assert "SCAD" in get(client, "/ontology").text  # redirected to /ontology/
    page = get(client, "/ontology/Outcome")
    assert page.status == 200 and "结局" in page.text
    assert get(client, "/ontology/NoSuchClass").status == 404
    svg = get(client, "/pictures/evidence-map.svg")
    assert svg.status == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    assert get(client, "/pictures/").status == 200
    context = get(client, "/context.jsonld")
    assert json.loads(context.body)["@context"]["scad"] == SCAD


def test_screenshots_of_an_entity_page_and_the_evidence_map(server, example):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url + "/scad/" + local(example["disease"]))
            assert page.locator("h1").inner_text()
            page.screenshot(path=str(ARTIFACTS / "linked-entity.png"), full_page=True)
            page.goto(server.url + "/pictures/")  # (full-page shots of a bare SVG hang)
            picture = page.locator('img[alt="evidence-map"]')
            picture.screenshot(path=str(ARTIFACTS / "evidence-map.png"))
        finally:
            browser.close()
    for name in ("linked-entity.png", "evidence-map.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000


def test_a_hub_pages_its_statements_fifty_at_a_time(client, run_query):
    """SLE is the hub of the review: its page counts its statements and shows 50 per page."""
    total = len({r["statement"] for r in run_query("describe-entity", entity="scad:sle")})
    first = get(client, "/scad/sle")
    assert first.status == 200 and f"Statements about it ({total})" in first.text
    rows = first.text.count('<tr>\n  <td><a href="/scad/')
    assert rows == min(total, 50)
    if total > 50:
        assert f"statements 1–50 of {total}" in first.text and 'rel="next"' in first.text
        second = get(client, "/scad/sle?page=2")
        assert second.text.count('<tr>\n  <td><a href="/scad/') == min(total - 50, 50)
    last = -(-total // 50)
    beyond = get(client, f"/scad/sle?format=html&page={last + 1}", "application/json")
    assert beyond.status == 400 and json.loads(beyond.body)["parameter"] == "page"
    assert get(client, "/scad/sle?format=html&page=0", "application/json").status == 400
