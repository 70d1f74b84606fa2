"""The browser page in real headless Chromium, with the network cut off: only the service
itself may be reached. A screenshot is saved under test-artifacts/."""

from __future__ import annotations

import urllib.parse

import pytest
from conftest import ARTIFACTS
from playwright import sync_api as playwright_api

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def offline_page(browser, base_url: str):
    """A page whose every request outside `base_url` is blocked and recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    blocked: list[str] = []
    host = urllib.parse.urlsplit(base_url).netloc

    def route(route):
        url = route.request.url
        if urllib.parse.urlsplit(url).netloc == host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", route)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, blocked, errors


def test_page_runs_a_query_offline(browser, server):
    context, page, blocked, errors = offline_page(browser, server.url)
    try:
        page.goto(server.url + "/", wait_until="networkidle")
        assert page.title().startswith("SCAD")
        page.wait_for_selector(".yasqe .CodeMirror")
        # syntax highlighting: keywords are styled tokens
        assert page.locator(".yasqe .cm-keyword").count() > 0
        query = (
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?graph (COUNT(*) AS ?triples) WHERE { GRAPH ?graph { ?s ?p ?o } }\n"
            "GROUP BY ?graph ORDER BY ?graph"
        )
        page.evaluate("q => window.kgYasgui.getTab().getYasqe().setValue(q)", query)
        page.locator(".yasqe_queryButton").click()
        page.wait_for_selector(".yasr .dataTable tbody tr", timeout=15000)
        rows = page.locator(".yasr .dataTable tbody tr")
        assert rows.count() == 4
        text = page.locator(".yasr .dataTable").inner_text()
        assert "https://w3id.org/scad/graph/statements" in text or "graph/statements" in text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "page-query.png"), full_page=True)
        # raw response view
        page.locator(".yasr .select_response").click()
        page.wait_for_selector(".yasr .CodeMirror")
        assert '"head"' in page.locator(".yasr").inner_text()
        # download links point at the service in CSV and JSON
        page.locator("#download-csv").dispatch_event("click")
        href = page.locator("#download-csv").get_attribute("href")
        assert href.startswith(server.url + "/sparql?format=csv&query=")
        assert blocked == [], blocked
        assert errors == [], errors
    finally:
        context.close()


def test_example_queries_are_the_canned_ones(browser, server, catalogue):
    context, page, blocked, errors = offline_page(browser, server.url)
    try:
        page.goto(server.url + "/", wait_until="networkidle")
        buttons = page.locator("#examples button")
        titles = [q.title for q in catalogue.queries().values()]
        assert buttons.count() == len(titles) > 0
        assert buttons.all_inner_texts() == titles
        # an example without required parameters runs and shows rows
        page.locator("#examples button", has_text="Timeline").first.click()
        page.wait_for_selector(".yasr .dataTable tbody tr", timeout=15000)
        assert page.locator(".yasr .dataTable tbody tr").count() > 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "page-example.png"), full_page=True)
        assert blocked == [], blocked
        assert errors == [], errors
    finally:
        context.close()


def test_search_box_suggests_and_opens_the_entity_with_its_neighbourhood(browser, server):
    """The issue's acceptance in a real browser, offline: typing 狼 shows suggestions, choosing
    one opens the entity page with its neighbourhood view."""
    context, page, blocked, errors = offline_page(browser, server.url)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(server.url + "/", wait_until="networkidle")
        page.locator('.search-lang button[data-lang="zh"]').click()
        assert page.locator("#search-go").inner_text() == "搜索"
        page.locator("#search-q").press_sequentially("狼")
        options = page.locator("#search-suggestions li")
        options.first.wait_for(timeout=10000)
        texts = options.all_inner_texts()
        assert texts and all("狼" in t for t in texts), texts
        assert page.locator("#search-suggestions li mark").first.inner_text() == "狼"
        page.screenshot(path=str(ARTIFACTS / "search-suggest.png"), full_page=True)
        first = options.first.get_attribute("data-iri")
        assert first == "https://w3id.org/scad/sle"
        with page.expect_navigation():
            options.first.click()
        assert page.url == server.url + "/scad/sle?lang=zh"
        page.wait_for_selector("#neighbourhood svg")
        assert page.locator("h1").inner_text() == "系统性红斑狼疮"
        nodes = page.locator("#neighbourhood svg g.node")
        assert nodes.count() > 10
        assert "条未画出" in page.locator("#neighbourhood").inner_text()
        page.screenshot(path=str(ARTIFACTS / "search-entity-neighbourhood.png"), full_page=True)
        # a node of the drawing opens its own page
        therapy = page.locator('#neighbourhood svg g.node a[*|href*="/scad/allogeneic-msct"]')
        with page.expect_navigation():
            therapy.first.click()
        assert page.url.startswith(server.url + "/scad/allogeneic-msct")
        page.wait_for_selector("#neighbourhood svg")
        assert blocked == [], blocked
        assert errors == [], errors
    finally:
        context.close()


def test_search_box_lists_ranked_results_in_english(browser, server):
    context, page, blocked, errors = offline_page(browser, server.url)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(server.url + "/", wait_until="networkidle")
        page.locator('.search-lang button[data-lang="en"]').click()
        page.locator("#search-q").fill("lupis")  # a typo
        page.locator("#search-q").press("Enter")
        page.wait_for_selector("#search-results ol li")
        links = page.locator("#search-results ol li > a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert "/scad/sle" in hrefs[:2], hrefs
        assert page.locator("#search-results mark").first.inner_text() == "lupus"
        assert "result" in page.locator("#search-results .count").inner_text()
        page.screenshot(path=str(ARTIFACTS / "search-results.png"), full_page=True)
        page.locator('#search a[href="#sparql-editor"]').click()  # the editor, one click away
        page.wait_for_selector(".yasqe .CodeMirror")
        assert blocked == [], blocked
        assert errors == [], errors
    finally:
        context.close()
