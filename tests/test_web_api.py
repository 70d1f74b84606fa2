"""The canned-query web API (kg.web.api) against the real built graph: catalogue, runs in every
format, parameter errors, injection attempts, the OpenAPI document and a schemathesis run."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import schemathesis
from conftest import QUERIES
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error

SCAD = "https://w3id.org/scad/"


def rows_of(response) -> list[dict[str, str]]:
    data = response.get_json(force=True)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


# ---------------------------------------------------------------------------------------------
# Catalogue and text


def test_catalogue_as_json_lists_every_query_with_parameters(client):
    response = client.get("/queries")
    assert response.status_code == 200 and response.mimetype == "application/json"
    listing = {q["name"]: q for q in response.get_json()["queries"]}
    assert set(listing) == {p.stem for p in QUERIES.glob("*.rq")}
    compare = listing["compare-therapies"]
    assert compare["url"] == "/queries/compare-therapies"
    assert compare["text"] == "/queries/compare-therapies.rq"
    assert {p["name"]: p["class"] for p in compare["parameters"]}["a"] == SCAD + "Intervention"
    assert listing["search"]["parameters"][0] == {
        "name": "q",
        "type": "string",
        "class": None,
        "required": True,
        "default": None,
        "description": "Text to look for, e.g. lupus or 狼疮",
    }


def test_catalogue_as_html_page(client):
    response = client.get(
        "/queries", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<a href="/queries/timeline?format=html">timeline</a>' in page
    assert "/queries/search.rq" in page


def test_query_text_is_the_file(client):
    response = client.get("/queries/timeline.rq")
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-query"
    assert response.get_data(as_text=True) == (QUERIES / "timeline.rq").read_text(encoding="utf-8")
    assert client.get("/queries/nothing-here.rq").status_code == 404


# ---------------------------------------------------------------------------------------------
# Results in every format


def test_json_results(client):
    response = client.get("/queries/search?q=lupus")
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    entities = [r["entity"] for r in rows_of(response)]
    assert SCAD + "sle" in entities and SCAD + "lupus-nephritis" in entities


@pytest.mark.parametrize(
    ("how", "media_type"),
    [
        ({"query_string": "format=csv"}, "text/csv"),
        ({"query_string": "format=tsv"}, "text/tab-separated-values"),
        ({"query_string": "format=xml"}, "application/sparql-results+xml"),
        ({"headers": {"Accept": "text/csv"}}, "text/csv"),
        (
            {"headers": {"Accept": "text/tab-separated-values;q=0.9, text/csv;q=0.5"}},
            "text/tab-separated-values",
        ),
        ({"headers": {"Accept": "application/json"}}, "application/sparql-results+json"),
        ({"headers": {"Accept": "*/*"}}, "application/sparql-results+json"),
        ({"headers": {"Accept": "text/html"}}, "text/html"),
    ],
)
def test_content_negotiation(client, how, media_type):
    response = client.get("/queries/diseases-with-counts", **how)
    assert response.status_code == 200
    assert response.mimetype == media_type


def test_csv_has_the_projected_columns(client):
    response = client.get("/queries/diseases-with-counts?format=csv&lang=zh")
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(table[0]) == [
        "disease",
        "label",
        "labelEn",
        "labelZh",
        "statements",
        "therapies",
        "lang",
    ]
    sle = next(r for r in table if r["disease"] == SCAD + "sle")
    assert sle["label"] == sle["labelZh"] == "系统性红斑狼疮"
    assert sle["lang"] == "zh"


def test_html_table_links_entities_to_describe_entity(client):
    response = client.get("/queries/search", query_string={"q": "狼疮", "format": "html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<th>entity</th>" in page
    assert (
        'href="/queries/describe-entity?entity=https://w3id.org/scad/sle&amp;format=html"' in page
    )
    assert ">scad:sle</a>" in page
    assert '<span lang="en">systemic lupus erythematosus</span>' in page


def test_pagination(client):
    everything = rows_of(client.get("/queries/therapies-with-counts"))
    assert len(everything) > 10
    page = rows_of(client.get("/queries/therapies-with-counts?limit=3&offset=2"))
    assert page == everything[2:5]
    html = client.get("/queries/therapies-with-counts?limit=3&offset=3&format=html").get_data(
        as_text=True
    )
    assert "next page" in html and "previous page" in html


# Each query paged by a unit, the column naming that unit, a page size and how many units the
# graph holds (statements without outcomes have no rows in the evidence table, yet take their
# place in a page).
STATEMENTS = "SELECT (COUNT(?s) AS ?n) WHERE { ?s <https://w3id.org/scad/readingOrder> ?o }"
REFERENCES = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?s <https://w3id.org/scad/source> ?r }"
PAGED = [
    ("statements-by-section", "statements", "statement", 7, STATEMENTS),
    ("cq10-statement-provenance", "statements", "statement", 7, STATEMENTS),
    ("evidence-table", "statements", "statement", 7, STATEMENTS),
    ("statements-by-reference", "references", "reference", 2, REFERENCES),
]


@pytest.mark.parametrize("name, unit, key, size, count", PAGED, ids=[p[0] for p in PAGED])
def test_a_query_paged_by_unit_gives_each_unit_whole(client, store, name, unit, key, size, count):
    """`# page of <unit>`: limit and offset count units (statements, references), whose rows come
    together: the pages, concatenated, are the whole list."""
    everything = rows_of(client.get(f"/queries/{name}"))
    units = int(next(iter(store.query(count, use_default_graph_as_union=True)))["n"].value)
    pages = [
        rows_of(client.get(f"/queries/{name}?limit={size}&offset={o}"))
        for o in range(0, units + size, size)
    ]
    assert [row for page in pages for row in page] == everything
    assert all(len({row[key] for row in page}) <= size for page in pages)
    assert pages[0] and not pages[-1]
    limit = next(
        p
        for p in client.get("/openapi.json").get_json()["paths"][f"/queries/{name}"]["get"][
            "parameters"
        ]
        if p["name"] == "limit"
    )
    assert limit["description"].startswith(f"At most this many {unit} (default 1000")


def test_a_filtered_query_is_paged_after_the_filter(client):
    section2 = rows_of(client.get("/queries/statements-by-section?sectionNumber=2"))
    assert len(section2) > 3
    page = rows_of(client.get("/queries/statements-by-section?sectionNumber=2&limit=3"))
    assert page == section2[:3]
    text = client.get("/queries/statements-by-section.rq").get_data(as_text=True)
    assert "# page of statements" in text
    doc = client.get("/openapi.json").get_json()["paths"]
    limit = next(p for p in doc["/queries/timeline"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["description"].startswith("At most this many rows (default 1000")


def test_unacceptable_media_type_is_406(client):
    response = client.get("/queries/timeline", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/csv" in response.get_json()["offered"]


# ---------------------------------------------------------------------------------------------
# Parameter errors: 400 naming the parameter


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/queries/search", "q"),  # required
        ("/queries/search?q=lupus&lang=fr", "lang"),
        ("/queries/compare-therapies?a=scad:sle", "a"),  # a disease, not an intervention
        ("/queries/compare-therapies?b=not%20an%20iri", "b"),
        ("/queries/statements-by-section?sectionNumber=two", "sectionNumber"),
        ("/queries/timeline?from=July", "from"),
        ("/queries/timeline?limit=-5", "limit"),
        ("/queries/timeline?limit=99999999", "limit"),
        ("/queries/timeline?offset=x", "offset"),
        ("/queries/timeline?since=2000", "since"),  # unknown parameter
    ],
)
def test_bad_parameters_give_400_naming_them(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "ParameterError" and body["parameter"] == parameter
    assert parameter in body["message"] and body["expected"]


def test_an_unknown_format_is_406_listing_the_offered_ones(client):
    response = client.get("/queries/timeline?format=pdf")
    assert response.status_code == 406
    assert "text/csv" in response.get_json()["offered"]


def test_unknown_query_is_404(client):
    response = client.get("/queries/no-such-query")
    assert response.status_code == 404
    assert response.get_json()["query"] == "no-such-query"


# ---------------------------------------------------------------------------------------------
# Injection attempts


@pytest.mark.parametrize(
    "attack", ["x> } ; DROP ALL ; #", '"} UNION { ?s ?p ?o }', "<x> . ?s ?p ?o"]
)
def test_iri_injection_is_refused(client, attack):
    for name, param in [("describe-entity", "entity"), ("mechanisms-by-therapy", "therapy")]:
        response = client.get(f"/queries/{name}", query_string={param: attack})
        assert response.status_code == 400
        assert response.get_json()["parameter"] == param


@pytest.mark.parametrize(
    "attack",
    ['"} UNION { ?s ?p ?o }', 'lupus")) } UNION { ?entity ?p ?o } #', "x> } ; DROP ALL ; #"],
)
def test_string_injection_is_bound_as_a_literal(client, attack):
    response = client.get("/queries/search", query_string={"q": attack})
    assert response.status_code == 200
    assert rows_of(response) == []  # the text is searched for, literally, and found nowhere
    normal = client.get("/queries/search?q=lupus")
    assert response.get_json()["head"] == normal.get_json()["head"]  # same query, same columns
    again = rows_of(normal)
    assert any(r["entity"] == SCAD + "sle" for r in again)  # and the graph is as it was
    assert {r["q"] for r in again} == {"lupus"}  # the value arrives as a bound literal
    # the quote is text, not syntax: the search index reads words, so 'lupus"' finds what
    # 'lupus' finds, and the value comes back whole
    quoted = rows_of(client.get("/queries/search", query_string={"q": 'lupus"'}))
    assert [r["entity"] for r in quoted] == [r["entity"] for r in again]
    assert {r["q"] for r in quoted} == {'lupus"'}


# ---------------------------------------------------------------------------------------------
# OpenAPI


def test_openapi_document_validates_and_covers_every_query(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    validate(doc)
    for path in QUERIES.glob("*.rq"):
        assert f"/queries/{path.stem}" in doc["paths"]
    operation = doc["paths"]["/queries/mechanisms-by-therapy"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"therapy", "lang", "limit", "offset", "format"}
    assert SCAD + "allogeneic-msct" in params["therapy"]["schema"]["enum"]
    assert SCAD + "sle" not in params["therapy"]["schema"]["enum"]
    assert params["lang"]["schema"] == {"type": "string", "enum": ["en", "zh"], "default": "en"}
    assert params["therapy"]["example"] == SCAD + "allogeneic-msct"
    assert doc["paths"]["/queries/search"]["get"]["parameters"][0]["required"] is True


def test_docs_page_is_generated_from_the_openapi_document(client):
    response = client.get("/api")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in QUERIES.glob("*.rq"):
        assert f"GET /queries/{path.stem}</code>" in page
    assert re.search(r'<form class="try" method="get" action="/queries/search">', page)
    assert "cdn" not in page.lower()


def test_schemathesis_finds_no_server_errors(app):
    """Property-based calls of every operation of /openapi.json: none may answer 5xx."""
    api_schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == len(list(QUERIES.glob("*.rq"))) + 3  # + catalogue, text, values
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def call(case):
            case.call_and_validate(checks=[not_a_server_error])

        call()


def test_json_error_bodies_are_json(client):
    body = client.get("/queries/search?lang=xx&q=a").get_data(as_text=True)
    assert json.loads(body)["status"] == 400


def readme_section() -> str:
    text = (QUERIES.parent / "README.md").read_text(encoding="utf-8")
    start = text.index("## Canned queries (web API and CLI)")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_examples_work_against_a_running_service(server, capsys):
    """The section's Python example and curl URLs, pointed at a real `kg serve`."""
    import subprocess
    import urllib.request

    section = readme_section().replace("http://127.0.0.1:8000", server.url)
    python = re.search(r"```python\n(.*?)```", section, re.S)[1]
    exec(compile(python, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert f"{SCAD}sle 系统性红斑狼疮" in printed
    urls = re.findall(r"curl .*'(http[^']+)'", section)
    assert len(urls) == 2
    for url in urls:
        with urllib.request.urlopen(url) as response:
            assert response.status == 200 and response.read()
    cli = re.search(r"kg query search --q (\S+) --lang zh", section)
    out = subprocess.run(
        [
            ".venv/bin/kg",
            "query",
            "search",
            "--q",
            cli[1],
            "--lang",
            "zh",
            "--endpoint",
            server.url,
        ],
        cwd=QUERIES.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "系统性红斑狼疮" in out


def test_lookup_of_a_class_members_by_label(client):
    reply = client.get("/values?class=scad:Disease&q=LUPUS")
    assert reply.status_code == 200
    found = {v["curie"] for v in reply.get_json()["values"]}
    assert found == {"scad:sle", "scad:lupus-nephritis"}
    chinese = client.get("/values", query_string={"class": "scad:Disease", "q": "狼疮"})
    assert {v["curie"] for v in chinese.get_json()["values"]} == found
    assert len(client.get("/values?class=scad:Disease&limit=2").get_json()["values"]) == 2
    assert client.get("/values").get_json()["parameter"] == "class"
    assert client.get("/values?class=scad:Disease&limit=0").get_json()["parameter"] == "limit"


def test_openapi_points_to_the_lookup_when_the_values_are_many(settings, monkeypatch):
    from conftest import app_for

    from kg.web import api

    monkeypatch.setattr(api, "ENUM_MAX", 3)
    with app_for(settings) as app:
        doc = app.test_client().get("/openapi.json").get_json()
    operation = doc["paths"]["/queries/mechanisms-by-therapy"]["get"]
    therapy = next(p for p in operation["parameters"] if p["name"] == "therapy")["schema"]
    assert "enum" not in therapy and therapy["x-class"] == "scad:Intervention"
    assert therapy["x-lookup"] == "/values?class=scad%3AIntervention&q="
    assert "/values" in doc["paths"]
