"""Linked Data over real HTTP (`kg serve` in a subprocess): every IRI of our namespace resolves,
as HTML for a browser and as its description in Turtle, JSON-LD or RDF/XML; unknown IRIs are 404;
the ontology's pages, the pictures and the JSON-LD context are served. Headless Chromium saves
screenshots of an entity page and of the evidence map under test-artifacts/."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message

import pyoxigraph
import pytest
from conftest import ARTIFACTS
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
    headers: Message  # case-insensitive, as HTTP header names are
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def get(server, path: str, accept: str | None = None) -> Reply:
    request = urllib.request.Request(server.url + path)
    if accept:
        request.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.headers, exc.read())


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


def test_browser_gets_html_with_both_labels_and_definition(server):
    reply = get(server, "/scad/MSCT", "text/html,application/xhtml+xml,*/*;q=0.8")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
    assert "mesenchymal stem-cell transplantation (MSCT)" in reply.text
    assert "间充质干细胞移植(MSCT)" in reply.text
    assert "Stem-cell transplantation in which mesenchymal stem (stromal) cells are infused." in (
        reply.text
    )
    assert 'href="/ontology/MSCT.html"' in reply.text
    assert "Accept" in reply.headers.get("Vary", "")


def test_entity_page_lists_statements_with_numbers_and_sources(server, example):
    reply = get(server, "/scad/" + local(example["disease"]))
    assert reply.status == 200
    assert f'href="/scad/{local(example["statement"])}"' in reply.text
    assert f"https://doi.org/{example['doi']}" in reply.text
    assert 'class="number"' in reply.text
    zh = get(server, "/scad/" + local(example["disease"]) + "?lang=zh")
    assert zh.status == 200 and 'lang="en"' in zh.text


def test_turtle_is_the_concise_bounded_description(server, store, example):
    iri = example["statement"]
    reply = get(server, "/scad/" + local(iri), "text/turtle")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/turtle")
    triples = {
        (t.subject, t.predicate, t.object)
        for t in pyoxigraph.parse(reply.body, format=pyoxigraph.RdfFormat.TURTLE)
    }
    assert own_triples(store, iri) <= triples
    outcomes = [o for s, p, o in triples if p.value == SCAD + "outcome"]
    assert outcomes and all(own_triples(store, o.value) <= triples for o in outcomes)


def test_jsonld_and_rdfxml_by_accept_or_format(server, store):
    iri = SCAD + "HSCT"  # a class with blank-node class expressions
    expected = from_oxigraph(store.quads_for_pattern(NamedNode(iri), None, None, None))
    reply = get(server, "/scad/HSCT", "application/ld+json")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/ld+json")
    assert json.loads(reply.body)["@context"]["scad"] == SCAD
    parsed = from_oxigraph(pyoxigraph.parse(reply.body, format=pyoxigraph.RdfFormat.JSON_LD))
    assert {t for t in expected if not _blank(t)} <= set(parsed)
    assert len(parsed) > len(expected)  # the restriction's blank node came along
    xml = get(server, "/scad/HSCT?format=rdfxml", "text/html")
    assert xml.headers["Content-Type"].startswith("application/rdf+xml")
    parsed_xml = from_oxigraph(pyoxigraph.parse(xml.body, format=pyoxigraph.RdfFormat.RDF_XML))
    assert len(parsed_xml) == len(parsed)


def _blank(triple) -> bool:
    return any(type(t).__name__ == "BNode" for t in triple)


def test_unknown_iri_is_404_in_every_form(server):
    assert get(server, "/scad/no-such-thing", "text/html").status == 404
    assert get(server, "/scad/no-such-thing", "text/turtle").status == 404
    assert get(server, "/scad/no%20such%3Ething").status == 404


def test_unacceptable_media_type_is_406(server):
    assert get(server, "/scad/MSCT", "image/png").status == 406


def test_ontology_pages_pictures_and_context(server):
    assert get(server, "/ontology/").status == 200
    assert "SCAD" in get(server, "/ontology").text  # redirected to /ontology/
    page = get(server, "/ontology/Outcome")
    assert page.status == 200 and "结局" in page.text
    assert get(server, "/ontology/NoSuchClass").status == 404
    svg = get(server, "/pictures/evidence-map.svg")
    assert svg.status == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    assert get(server, "/pictures/").status == 200
    context = get(server, "/context.jsonld")
    assert json.loads(context.body)["@context"]["scad"] == SCAD


def test_screenshots_of_an_entity_page_and_the_evidence_map(server, example):
    sync_api = pytest.importorskip("playwright.sync_api")
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
