"""One error path, one CORS, one query step for every route (kg.web.errors, kg.web.cors,
kg.query): the same error gives the same document everywhere, KG_CORS_ORIGINS is honoured on
every route, and every read of the graph stops at the time limit."""

from __future__ import annotations

import urllib.parse

import pytest
from conftest import app_for

ROUTES = [
    "/sparql?query=ASK%20%7B%7D",
    "/queries",
    "/queries/timeline",
    "/queries/timeline.rq",
    "/openapi.json",
    "/api",
    "/scad/sle",
    "/void",
    "/health",
    "/store?default",
    "/ontology/",
    "/pictures/",
    "/context.jsonld",
    "/",
    "/scad/no-such-thing",
    "/no/such/route",
]
KEYS = {"status", "error", "message"}


@pytest.fixture(scope="module")
def slow(settings):
    """The service with a time limit no query can meet: every read goes to a query process."""
    with app_for(settings, query_timeout=0.0001, inline_under_ms=0) as app:
        yield app.test_client()


def test_a_time_out_is_the_same_document_on_sparql_and_on_a_canned_query(slow):
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    by_sparql = slow.get("/sparql?" + urllib.parse.urlencode({"query": query}))
    by_canned = slow.get("/queries/diseases-with-counts")
    for reply in (by_sparql, by_canned):
        assert reply.status_code == 503 and reply.headers["Retry-After"]
        assert reply.mimetype == "application/json"
    a, b = by_sparql.get_json(), by_canned.get_json()
    assert set(a) == set(b) == KEYS
    assert a["status"] == b["status"] == 503 and a["error"] == b["error"] == "QueryTimeout"


@pytest.mark.parametrize(
    "path",
    [
        "/scad/sle",  # an entity page: its existence check and its statements
        "/scad/sle?format=turtle",  # its description
        "/queries/compare-therapies?a=scad:hsct",  # the class membership check of a parameter
        "/openapi.json",  # the allowed values of the parameters
        "/api",
        "/void",  # the class and property partitions
        "/health",
    ],
)
def test_every_read_of_the_graph_stops_at_the_time_limit(slow, path):
    reply = slow.get(path, headers={"Accept": "application/json"})
    assert reply.status_code == 503, reply.data[:300]
    assert reply.get_json()["status"] == 503


def test_a_malformed_request_is_the_same_kind_of_document_everywhere(client):
    replies = [
        client.get("/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%7D"),  # syntax
        client.get("/queries/search"),  # a required parameter missing
        client.get("/queries/no-such-query"),
        client.get("/scad/no-such-thing", headers={"Accept": "application/json"}),
        client.get("/store?graph=nothing"),
        client.get("/no/such/route"),
        client.post("/queries/timeline"),
        client.get("/void?format=pdf"),
    ]
    statuses = [r.status_code for r in replies]
    assert statuses == [400, 400, 404, 404, 400, 404, 405, 406]
    for reply in replies:
        doc = reply.get_json()
        assert reply.mimetype == "application/json" and set(doc) >= KEYS
        assert doc["status"] == reply.status_code and doc["message"]
    syntax = replies[0].get_json()
    assert syntax["error"] == "QueryError" and syntax["line"] == 1 and syntax["column"] > 0
    assert replies[1].get_json()["parameter"] == "q"


def test_a_browser_gets_the_error_as_a_page(client):
    reply = client.get("/scad/no-such-thing", headers={"Accept": "text/html,*/*;q=0.8"})
    assert reply.status_code == 404 and reply.mimetype == "text/html"
    assert "is not in this graph" in reply.get_data(as_text=True)


@pytest.fixture(scope="module")
def one_origin(settings):
    with app_for(settings, cors_origins="https://a.example") as app:
        yield app.test_client()


@pytest.mark.parametrize("path", ROUTES)
def test_cors_origins_are_honoured_on_every_route(one_origin, client, path):
    allowed = one_origin.get(path, headers={"Origin": "https://a.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "Origin" in allowed.headers.get("Vary", "")
    other = one_origin.get(path, headers={"Origin": "https://b.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    anyone = client.get(path, headers={"Origin": "https://b.example"})  # the default: *
    assert anyone.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight_for_the_allowed_origin(one_origin):
    reply = one_origin.options(
        "/sparql",
        headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"},
    )
    assert reply.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]


def test_no_cors_headers_when_it_is_off(settings):
    with app_for(settings, cors_origins="") as app:
        reply = app.test_client().get(ROUTES[0], headers={"Origin": "https://a.example"})
        assert reply.status_code == 200 and "Access-Control-Allow-Origin" not in reply.headers
