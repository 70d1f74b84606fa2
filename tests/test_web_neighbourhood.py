"""The neighbourhood view on entity pages (kg.web.neighbourhood), through the Flask app on the
real build: what is drawn, that hubs are capped and say so, and that every node is a link that
resolves."""

from __future__ import annotations

import re
from html import unescape

import pytest

from kg.vocab import SCAD
from kg.web.neighbourhood import MAX_PER_STATEMENT, MAX_STATEMENTS

LINK = re.compile(r'<a xlink:href="([^"]+)"')
SECTION = re.compile(r'<section id="neighbourhood".*?</section>', re.S)


def section(client, path: str) -> str | None:
    response = client.get(path)
    assert response.status_code == 200
    found = SECTION.search(response.get_data(as_text=True))
    return found.group() if found else None


def statements_about(run_query, entity: str) -> set[str]:
    """The statements about an entity, as the describe-entity canned query lists them."""
    return {row["statement"] for row in run_query("describe-entity", entity=entity)}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_hub_is_capped_and_says_how_many_are_not_drawn(client, run_query, lang):
    view = section(client, f"/scad/sle?lang={lang}")
    assert view is not None and "<svg" in view
    total = len(statements_about(run_query, "scad:sle"))
    assert total > MAX_STATEMENTS  # SLE is a hub of this graph
    assert f'data-statements="{total}"' in view and f'data-drawn="{MAX_STATEMENTS}"' in view
    assert (
        f"{total - MAX_STATEMENTS} not drawn" in view
        or f"{total - MAX_STATEMENTS} 条未画出" in view
    )
    links = set(LINK.findall(view))
    assert len(links) <= 1 + MAX_STATEMENTS * (1 + MAX_PER_STATEMENT)
    assert ("/scad/sle" + ("?lang=zh" if lang == "zh" else "")) in {unescape(x) for x in links}
    drawn = {unescape(x).split("?")[0] for x in links if "/scad/stmt-" in x}
    assert len(drawn) == MAX_STATEMENTS
    assert {SCAD + p.removeprefix("/scad/") for p in drawn} <= statements_about(
        run_query, "scad:sle"
    )
    label = "系统性红斑狼疮" if lang == "zh" else "systemic lupus erythematosus"
    assert label in view
    if lang == "zh":
        assert "疗法" in view and "疾病" in view  # the legend in Chinese


def test_every_node_links_to_a_page_that_resolves(client):
    view = section(client, "/scad/allogeneic-msct")
    for href in {unescape(x) for x in LINK.findall(view)}:
        assert client.get(href).status_code == 200, href


def test_a_statement_is_drawn_with_what_it_names(client, store):
    statement = SCAD + "stmt-1993-marmont-proposes-hsct-sle"
    view = section(client, "/scad/stmt-1993-marmont-proposes-hsct-sle")
    assert 'data-statements="1"' in view and "not drawn" not in view
    links = {unescape(x) for x in LINK.findall(view)}
    named = {
        row["o"].value
        for row in store.query(
            f"SELECT ?o WHERE {{ <{statement}> ?p ?o . ?o a ?k "
            f"VALUES ?k {{ <{SCAD}Intervention> <{SCAD}Disease> <{SCAD}Reference> }} }}",
            use_default_graph_as_union=True,
        )
    }
    assert named and {"/scad/" + iri.removeprefix(SCAD) for iri in named} <= links


def test_no_view_without_statements(client):
    assert section(client, "/scad/Disease") is None  # a class: no statement is about it
