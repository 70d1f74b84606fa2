"""The SPARQL 1.1 Protocol at /sparql, through Flask's test client on the real build: methods,
formats and negotiation, errors, dataset parameters, limits, refusals, validators, the service
description, VoID and /health. (Real clients over real HTTP: test_web_sparql_clients.py.)"""

from __future__ import annotations

import json
import time
import urllib.parse

import pyoxigraph
import pytest
import rdflib
from conftest import app_for, triples_per_graph

from kg import vocab

MAX_ROWS = 50
MAX_BODY = 20_000
DATASET = f"{vocab.SCAD}dataset"
# The dataset's own description, its class and property partitions left out (they are many)
LOOKUP = f"SELECT ?p ?o WHERE {{ <{DATASET}> ?p ?o FILTER(!STRENDS(STR(?p), 'Partition')) }}"
GROUPS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
SELECT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "nquads": "application/n-quads",
    "trig": "application/trig",
}
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def client(settings):
    with app_for(settings, max_rows=MAX_ROWS, max_body=MAX_BODY, query_timeout=2.0) as app:
        yield app.test_client()


def get(client, query=None, headers=None, **params):
    if query is not None:
        params["query"] = query
    return client.get("/sparql?" + urllib.parse.urlencode(params, doseq=True), headers=headers)


def post(client, data, content_type, path="/sparql", **headers):
    return client.post(path, data=data, headers={"Content-Type": content_type, **headers})


def json_rows(body: bytes) -> list[dict]:
    return json.loads(body)["results"]["bindings"]


# --- methods -------------------------------------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_rows(client):
    by_get = get(client, LOOKUP)
    by_form = post(client, urllib.parse.urlencode({"query": LOOKUP}), FORM)
    direct = post(client, LOOKUP.encode(), "application/sparql-query; charset=utf-8")
    for reply in (by_get, by_form, direct):
        assert reply.status_code == 200
        assert reply.headers["Content-Type"] == SELECT_TYPES["json"]
    predicates = {b["p"]["value"] for b in json_rows(by_get.data)}
    assert vocab.SCAD + "sourceDigest" in predicates
    assert json_rows(by_form.data) == json_rows(by_get.data) == json_rows(direct.data)


def test_head_has_the_headers_and_no_body(client):
    reply = client.head("/sparql?" + urllib.parse.urlencode({"query": LOOKUP}))
    assert reply.status_code == 200 and reply.data == b"" and reply.headers["ETag"]


def test_a_body_in_another_charset_than_utf8_is_refused(client):
    """W3C protocol test bad_query_non_utf8: the protocol's encoding is UTF-8."""
    utf16 = "ASK {}".encode("utf-16")
    reply = post(client, utf16, "application/sparql-query; charset=UTF-16")
    assert reply.status_code == 400 and "UTF-8" in reply.get_json()["message"]
    reply = post(client, b"ASK {} \xff", "application/sparql-query")
    assert reply.status_code == 400 and "UTF-8" in reply.get_json()["message"]
    reply = post(client, urllib.parse.urlencode({"query": "ASK {}"}), FORM + "; charset=latin-1")
    assert reply.status_code == 400
    assert post(client, b"ASK {}", "application/sparql-query; charset=utf-8").status_code == 200


# --- formats and negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "media_type"), SELECT_TYPES.items())
def test_select_formats_by_accept_and_by_format(client, name, media_type):
    by_accept = get(client, GROUPS, headers={"Accept": media_type})
    by_param = get(client, GROUPS, format=name)
    for reply in (by_accept, by_param):
        assert reply.status_code == 200 and reply.headers["Content-Type"] == media_type
        for graph in vocab.GRAPHS.values():
            assert graph.encode() in reply.data
    assert by_accept.data == by_param.data
    if name != "csv":
        fmt = pyoxigraph.QueryResultsFormat.from_media_type(media_type)
        assert len(list(pyoxigraph.parse_query_results(by_param.data, format=fmt))) == 4


def test_w3c_format_iris_and_aliases_name_formats(client):
    iri = get(client, GROUPS, format="http://www.w3.org/ns/formats/SPARQL_Results_TSV")
    assert iri.headers["Content-Type"] == SELECT_TYPES["tsv"]
    turtle = get(client, f"DESCRIBE <{DATASET}>", format="ttl")
    assert turtle.headers["Content-Type"] == GRAPH_TYPES["turtle"]
    json_ld = get(client, f"DESCRIBE <{DATASET}>", format="json")  # json of a graph: JSON-LD
    assert json_ld.headers["Content-Type"] == GRAPH_TYPES["jsonld"]
    xml = get(client, GROUPS, format="xml")
    assert xml.headers["Content-Type"] == SELECT_TYPES["xml"]


def test_ask_formats(client):
    assert get(client, "ASK {}", format="json").data == b'{"head":{},"boolean":true}'
    assert b"<boolean>true</boolean>" in get(client, "ASK {}", format="xml").data


@pytest.mark.parametrize(("name", "media_type"), GRAPH_TYPES.items())
def test_graph_formats_by_accept_and_by_format(client, name, media_type):
    query = f"DESCRIBE <{DATASET}>"
    by_accept = get(client, query, headers={"Accept": media_type})
    by_param = get(client, query, format=name)
    for reply in (by_accept, by_param):
        assert reply.status_code == 200 and reply.headers["Content-Type"] == media_type
        fmt = pyoxigraph.RdfFormat.from_media_type(media_type)
        assert len(list(pyoxigraph.parse(reply.data, format=fmt))) > 5
    assert by_accept.data == by_param.data


def test_quality_values_are_honoured(client):
    def media(query, accept):
        return get(client, query, headers={"Accept": accept}).headers["Content-Type"]

    accept = "text/csv;q=0.5, application/sparql-results+xml;q=0.9, */*;q=0.1"
    assert media(GROUPS, accept) == SELECT_TYPES["xml"]
    accept = "application/sparql-results+json;q=0.2, text/tab-separated-values"
    assert media(GROUPS, accept) == SELECT_TYPES["tsv"]
    accept = "text/turtle;q=0.3, application/n-triples;q=0.8"
    assert media(f"DESCRIBE <{DATASET}>", accept) == GRAPH_TYPES["ntriples"]
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert media(GROUPS, browser) == SELECT_TYPES["xml"]


def test_406_lists_the_offered_types(client):
    reply = get(client, GROUPS, headers={"Accept": "image/png"})
    assert reply.status_code == 406
    assert set(SELECT_TYPES.values()) <= set(reply.get_json()["offered"])
    reply = get(client, f"DESCRIBE <{DATASET}>", format="csv")
    assert reply.status_code == 406 and "text/turtle" in reply.get_json()["offered"]
    reply = get(client, GROUPS, headers={"Accept": "image/png, application/json;q=0.5"})
    assert reply.status_code == 200  # application/json is taken as SPARQL JSON


# --- errors --------------------------------------------------------------------------------------


def test_malformed_query_is_400_with_line_and_column(client):
    query = "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER( }"
    reply = get(client, query)
    assert reply.status_code == 400 and reply.headers["Content-Type"] == "application/json"
    doc = reply.get_json()
    assert doc["status"] == 400 and doc["error"] == "QueryError"
    assert doc["line"] == 3 and doc["column"] > 0
    assert doc["message"].startswith("SPARQL syntax error at line 3, column")
    text = get(client, query, headers={"Accept": "text/plain, */*;q=0.1"})
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.data.decode().strip() == doc["message"]
    reply = get(client, "hello world")
    assert reply.status_code == 400 and "not a SPARQL query" in reply.get_json()["message"]


def test_protocol_errors(client):
    both = "/sparql?" + urllib.parse.urlencode({"query": ["ASK {}", "ASK {}"]}, doseq=True)
    reply = client.get(both)
    assert reply.status_code == 400 and "once" in reply.get_json()["message"]
    assert get(client, headers={"Accept": "*/*"}).status_code == 400  # no query at all
    reply = client.put("/sparql", data=b"x")
    assert reply.status_code == 405 and "POST" in reply.headers["Allow"]
    assert reply.get_json()["status"] == 405
    assert client.delete("/sparql").status_code == 405
    reply = post(client, b"ASK {}", "text/plain")
    assert reply.status_code == 415 and "application/sparql-query" in reply.get_json()["message"]
    reply = client.post(
        "/sparql?query=ASK%7B%7D",
        data=urllib.parse.urlencode({"query": "ASK {}"}),
        headers={"Content-Type": FORM},
    )
    assert reply.status_code == 400 and "both" in reply.get_json()["message"]
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * MAX_BODY
    assert post(client, big.encode(), "application/sparql-query").status_code == 413
    assert post(client, urllib.parse.urlencode({"query": big}), FORM).status_code == 413
    assert get(client, "ASK { ?s ?p ?o } #" + "x" * MAX_BODY).status_code == 414


# --- dataset parameters ---------------------------------------------------------------------------


def test_default_and_named_graph_uri(client, built):
    counts = triples_per_graph(built.store_path)
    ontology, statements = vocab.GRAPHS["ontology"], vocab.GRAPHS["statements"]
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def number(reply) -> int:
        return int(json_rows(reply.data)[0]["n"]["value"])

    assert number(get(client, count)) == sum(counts.values())  # the default graph: the union
    assert number(get(client, count, **{"default-graph-uri": ontology})) == counts[ontology]
    two = get(client, count, **{"default-graph-uri": [ontology, statements]})
    assert number(two) == counts[ontology] + counts[statements]
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    named = get(client, graphs, **{"named-graph-uri": [statements]})
    assert [r["g"]["value"] for r in json_rows(named.data)] == [statements]
    # in a POST form, the dataset parameters travel in the body
    form = urllib.parse.urlencode({"query": count, "default-graph-uri": ontology})
    assert number(post(client, form, FORM)) == counts[ontology]


def test_rows_are_capped(client):
    reply = get(client, "SELECT * WHERE { ?s ?p ?o }")
    assert reply.status_code == 200 and len(json_rows(reply.data)) == MAX_ROWS
    count = get(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(json_rows(count.data)[0]["n"]["value"]) > MAX_ROWS  # one row: a COUNT is whole


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
    ],
)
def test_service_and_load_are_refused(client, query):
    for reply in (get(client, query), post(client, query.encode(), "application/sparql-query")):
        assert reply.status_code == 400
        assert reply.get_json()["error"] == "QueryRefused"


def test_update_is_refused_and_the_store_unchanged(client, built):
    before = triples_per_graph(built.store_path)
    insert = "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
    reply = post(client, urllib.parse.urlencode({"update": insert}), FORM)
    assert reply.status_code == 403 and "read-only" in reply.get_json()["message"]
    assert post(client, insert.encode(), "application/sparql-update").status_code == 403
    reply = get(client, insert)
    assert reply.status_code == 400 and "update" in reply.get_json()["message"]
    assert client.get("/sparql?" + urllib.parse.urlencode({"update": insert})).status_code == 405
    ask = get(client, "ASK { <http://example.org/s> ?p ?o }", format="json")
    assert ask.data.endswith(b"false}")
    assert triples_per_graph(built.store_path) == before


def test_a_query_past_the_time_limit_is_503_with_retry_after(client):
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    reply = get(client, cross)
    assert reply.status_code == 503 and reply.headers["Retry-After"]
    doc = reply.get_json()
    assert doc["error"] == "QueryTimeout" and "time limit" in doc["message"]
    assert time.monotonic() - started < 2.0 + 1


# --- caching, validators --------------------------------------------------------------------------


def test_etag_304_and_result_cache(client):
    query = f"SELECT ?o WHERE {{ <{DATASET}> ?p ?o }} # {time.time()}"
    first = get(client, query)
    assert first.status_code == 200 and first.headers["X-Cache"] == "miss"
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "Server-Timing" in first.headers
    second = get(client, query)
    assert second.headers["X-Cache"] == "hit" and second.data == first.data
    assert second.headers["ETag"] == etag
    revalidated = get(client, query, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.data == b""
    assert get(client, query, headers={"If-None-Match": '"other"'}).status_code == 200
    assert get(client, query, format="xml").headers["ETag"] != etag


def test_volatile_queries_are_not_cached(client):
    reply = get(client, "SELECT (RAND() AS ?r) WHERE {}")
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    assert "ETag" not in reply.headers


# --- descriptions and health ----------------------------------------------------------------------

SD = rdflib.Namespace(vocab.SD)
VOID = rdflib.Namespace(vocab.VOID)


def test_service_description(client, built):
    reply = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "text/turtle"
    graph = rdflib.Graph().parse(data=reply.data, format="turtle")
    service = rdflib.URIRef("http://localhost/sparql")
    assert (service, rdflib.RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    formats = set(graph.objects(service, SD.resultFormat))
    assert rdflib.URIRef(vocab.FORMATS + "SPARQL_Results_JSON") in formats
    assert {str(n) for n in graph.objects(None, SD.name)} == set(vocab.GRAPHS.values())
    counts = triples_per_graph(built.store_path)
    default = graph.value(graph.value(service, SD.defaultDataset), SD.defaultGraph)
    assert int(graph.value(default, VOID.triples)) == sum(counts.values())
    for name in graph.objects(None, SD.name):
        described = graph.value(
            graph.value(graph.value(None, SD.name, name), SD.graph), VOID.triples
        )
        assert int(described) == counts[str(name)]
    reply = client.get("/sparql?format=jsonld")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/ld+json"
    reply = client.get("/sparql", headers={"Accept": "text/html"})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/")


def test_void(client, built):
    reply = client.get("/void")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "text/turtle"
    graph = rdflib.Graph().parse(data=reply.data, format="turtle")
    dataset = rdflib.URIRef(DATASET)
    assert (dataset, rdflib.RDF.type, VOID.Dataset) in graph
    assert graph.value(dataset, rdflib.DCTERMS.license) is not None
    assert graph.value(dataset, rdflib.OWL.versionInfo) is not None
    assert graph.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef("http://localhost/sparql")
    counts = triples_per_graph(built.store_path)
    per_graph = {
        str(graph.value(subset, rdflib.URIRef(vocab.SCAD + "graph"))): int(
            graph.value(subset, VOID.triples)
        )
        for subset in graph.objects(dataset, VOID.subset)
    }
    assert per_graph and all(counts[name] == count for name, count in per_graph.items())
    classes = list(graph.objects(dataset, VOID.classPartition))
    properties = list(graph.objects(dataset, VOID.propertyPartition))
    assert len(classes) > 5 and len(properties) > 5
    assert all(graph.value(p, VOID.triples) is not None for p in properties)
    reply = client.get("/void", headers={"Accept": "application/n-triples"})
    assert reply.headers["Content-Type"] == "application/n-triples"


def test_health(client, built):
    reply = client.get("/health")
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    doc = reply.get_json()
    counts = triples_per_graph(built.store_path)
    assert doc["status"] == "ok" and doc["triples"] == sum(counts.values())
    assert doc["graphs"] == counts
    assert doc["version"] and len(doc["digest"]) == 64
    assert doc["query_processes"] == 2  # one per thread (the module's app runs 2)


def test_health_is_503_when_the_query_processes_cannot_answer(settings):
    with app_for(settings) as app:
        client = app.test_client()
        assert client.get("/health").status_code == 200
        app.extensions["kg_served"].executor.close()  # what an old build's executor goes through
        reply = client.get("/health")
        assert reply.status_code == 503 and reply.get_json()["status"] == 503
