"""The SPARQL 1.1 Protocol service as a client sees it: a real `kg serve` on 127.0.0.1, spoken to
with SPARQLWrapper, rdflib's SPARQLStore and plain HTTP."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph
import pytest
import rdflib
from conftest import start_server, stop_server
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from kg import vocab
from kg.store import open_read_only, triple_counts

TIMEOUT = 2.0
MAX_ROWS = 50
MAX_BODY = 20_000
DATASET = f"{vocab.SCAD}dataset"
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def srv(built):
    server = start_server(
        built.store_path,
        {
            "KG_QUERY_TIMEOUT": str(TIMEOUT),
            "KG_MAX_ROWS": str(MAX_ROWS),
            "KG_MAX_BODY": str(MAX_BODY),
            "KG_WORKERS": "2",
            "KG_THREADS": "2",
            "KG_ACCESS_LOG": "",
        },
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def endpoint(srv) -> str:
    return srv.url + "/sparql"


def http(url, *, data=None, headers=None, method=None):
    """(status, headers, body) of a request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def get(endpoint, query=None, headers=None, **params):
    if query is not None:
        params["query"] = query
    return http(f"{endpoint}?{urllib.parse.urlencode(params, doseq=True)}", headers=headers)


def json_rows(body: bytes) -> list[dict]:
    return json.loads(body)["results"]["bindings"]


# --- methods -------------------------------------------------------------------------------------

LOOKUP = f"SELECT ?p ?o WHERE {{ <{DATASET}> ?p ?o }}"


@pytest.mark.parametrize("how", ["GET", "POST-form", "POST-direct"])
def test_sparqlwrapper_every_method(endpoint, how):
    client = SPARQLWrapper(endpoint)
    client.setQuery(LOOKUP)
    client.setReturnFormat(JSON)
    if how != "GET":
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED if how == "POST-form" else POSTDIRECTLY)
    result = client.query().convert()
    predicates = {b["p"]["value"] for b in result["results"]["bindings"]}
    assert vocab.SCAD + "sourceDigest" in predicates


def test_sparqlwrapper_ask_construct_and_bad_query(endpoint):
    client = SPARQLWrapper(endpoint)
    client.setQuery("ASK { ?s a ?c }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    client = SPARQLWrapper(endpoint)
    client.setQuery(f"CONSTRUCT {{ <{DATASET}> ?p ?o }} WHERE {{ <{DATASET}> ?p ?o }}")
    graph = client.query().convert()
    assert isinstance(graph, rdflib.Graph) and len(graph) > 5
    client = SPARQLWrapper(endpoint)
    client.setQuery("SELECT * WHERE { ?s ?p }")
    with pytest.raises(QueryBadFormed):
        client.query()


def test_rdflib_sparqlstore(endpoint):
    store = SPARQLStore(endpoint, returnFormat="json")
    rows = list(store.query(LOOKUP))
    assert len(rows) > 5
    result = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    count = int(next(iter(result))[0])
    assert count > MAX_ROWS  # one row: the cap does not change a COUNT
    graph = rdflib.Graph(store)
    labels = list(graph.triples((rdflib.URIRef(DATASET), rdflib.RDFS.label, None)))
    assert len(labels) == 2  # English and Chinese


def test_plain_http_post_form_and_direct(endpoint):
    form = urllib.parse.urlencode({"query": LOOKUP}).encode()
    status, headers, body = http(
        endpoint, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200 and headers["Content-Type"] == "application/sparql-results+json"
    direct = http(
        endpoint + "?format=csv",
        data=LOOKUP.encode(),
        headers={"Content-Type": "application/sparql-query; charset=utf-8"},
    )
    assert direct[0] == 200 and direct[1]["Content-Type"].startswith("text/csv")
    assert direct[2].splitlines()[0] == b"p,o"


def test_head(endpoint):
    status, headers, body = http(
        f"{endpoint}?{urllib.parse.urlencode({'query': LOOKUP})}", method="HEAD"
    )
    assert status == 200 and body == b"" and headers["ETag"]


# --- formats and negotiation ---------------------------------------------------------------------

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
GROUPS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


@pytest.mark.parametrize(("name", "media_type"), SELECT_TYPES.items())
def test_select_formats_by_accept_and_by_format(endpoint, name, media_type):
    by_accept = get(endpoint, GROUPS, headers={"Accept": media_type})
    by_param = get(endpoint, GROUPS, format=name)
    for status, headers, body in (by_accept, by_param):
        assert status == 200 and headers["Content-Type"] == media_type
        for graph in vocab.GRAPHS.values():
            assert graph.encode() in body
    assert by_accept[2] == by_param[2]
    if name != "csv":
        fmt = pyoxigraph.QueryResultsFormat.from_media_type(media_type)
        assert len(list(pyoxigraph.parse_query_results(by_param[2], format=fmt))) == 4


def test_ask_formats(endpoint):
    assert get(endpoint, "ASK {}", format="json")[2] == b'{"head":{},"boolean":true}'
    assert b"<boolean>true</boolean>" in get(endpoint, "ASK {}", format="xml")[2]


@pytest.mark.parametrize(("name", "media_type"), GRAPH_TYPES.items())
def test_graph_formats_by_accept_and_by_format(endpoint, name, media_type):
    query = f"DESCRIBE <{DATASET}>"
    by_accept = get(endpoint, query, headers={"Accept": media_type})
    by_param = get(endpoint, query, format=name)
    for status, headers, body in (by_accept, by_param):
        assert status == 200 and headers["Content-Type"] == media_type
        quads = list(
            pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.from_media_type(media_type))
        )
        assert len(quads) > 5
    assert by_accept[2] == by_param[2]


def test_quality_values_are_honoured(endpoint):
    accept = "text/csv;q=0.5, application/sparql-results+xml;q=0.9, */*;q=0.1"
    assert (
        get(endpoint, GROUPS, headers={"Accept": accept})[1]["Content-Type"] == SELECT_TYPES["xml"]
    )
    accept = "application/sparql-results+json;q=0.2, text/tab-separated-values"
    assert (
        get(endpoint, GROUPS, headers={"Accept": accept})[1]["Content-Type"] == SELECT_TYPES["tsv"]
    )
    accept = "text/turtle;q=0.3, application/n-triples;q=0.8"
    status, headers, _ = get(endpoint, f"DESCRIBE <{DATASET}>", headers={"Accept": accept})
    assert headers["Content-Type"] == GRAPH_TYPES["ntriples"]
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert (
        get(endpoint, GROUPS, headers={"Accept": browser})[1]["Content-Type"] == SELECT_TYPES["xml"]
    )


def test_406_lists_the_offered_types(endpoint):
    status, headers, body = get(endpoint, GROUPS, headers={"Accept": "image/png"})
    assert status == 406
    for media_type in SELECT_TYPES.values():
        assert media_type.encode() in body
    status, _, body = get(endpoint, f"DESCRIBE <{DATASET}>", format="csv")
    assert status == 406 and b"text/turtle" in body
    status, _, body = get(endpoint, GROUPS, headers={"Accept": "image/png, application/json;q=0.5"})
    assert status == 200  # application/json is taken as SPARQL JSON


# --- errors --------------------------------------------------------------------------------------


def test_malformed_query_400_text_and_json(endpoint):
    query = "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER( }"
    status, headers, body = get(endpoint, query)
    assert status == 400 and headers["Content-Type"].startswith("text/plain")
    assert body.startswith(b"error at 3:")
    status, headers, body = get(endpoint, query, headers={"Accept": "application/json"})
    assert status == 400 and headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["status"] == 400 and doc["line"] == 3 and doc["column"] > 0
    assert doc["message"].startswith("error at 3:")
    status, _, body = get(endpoint, "hello world")
    assert status == 400 and b"not a SPARQL query" in body


def test_protocol_errors(endpoint):
    both = f"{endpoint}?{urllib.parse.urlencode({'query': ['ASK {}', 'ASK {}']}, doseq=True)}"
    status, _, body = http(both)
    assert status == 400 and b"once" in body
    assert get(endpoint, headers={"Accept": "*/*"})[0] == 400  # no query at all
    status, headers, _ = http(endpoint, method="PUT", data=b"x")
    assert status == 405 and "POST" in headers["Allow"]
    assert http(endpoint, method="DELETE")[0] == 405
    status, _, body = http(endpoint, data=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert status == 415 and b"application/sparql-query" in body
    form = urllib.parse.urlencode({"query": "ASK {}"}).encode()
    status, _, body = http(
        f"{endpoint}?query=ASK%7B%7D",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400 and b"both" in body
    big = ("SELECT * WHERE { ?s ?p ?o } #" + "x" * MAX_BODY).encode()
    status, _, body = http(endpoint, data=big, headers={"Content-Type": "application/sparql-query"})
    assert status == 413
    form = urllib.parse.urlencode({"query": big.decode()}).encode()
    status, _, _ = http(
        endpoint, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 413
    # a long GET query is fine (beyond the server's default header buffer) up to the cap
    long_query = "ASK { ?s ?p ?o } #" + "x" * 6000
    assert get(endpoint, long_query)[0] == 200
    assert get(endpoint, "ASK { ?s ?p ?o } #" + "x" * MAX_BODY)[0] == 414


# --- dataset parameters ---------------------------------------------------------------------------


def test_default_and_named_graph_uri(endpoint, built):
    counts = triple_counts(open_read_only(built.store_path))
    ontology, statements = vocab.GRAPHS["ontology"], vocab.GRAPHS["statements"]
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = int(json_rows(get(endpoint, count)[2])[0]["n"]["value"])
    assert union == sum(counts.values())  # the default graph is the union
    one = get(endpoint, count, **{"default-graph-uri": ontology})
    assert int(json_rows(one[2])[0]["n"]["value"]) == counts[ontology]
    two = get(endpoint, count, **{"default-graph-uri": [ontology, statements]})
    assert int(json_rows(two[2])[0]["n"]["value"]) == counts[ontology] + counts[statements]
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    named = get(endpoint, graphs, **{"named-graph-uri": [statements]})
    assert [r["g"]["value"] for r in json_rows(named[2])] == [statements]
    # in a POST form, the dataset parameters travel in the body
    form = urllib.parse.urlencode({"query": count, "default-graph-uri": ontology}).encode()
    status, _, body = http(
        endpoint, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert int(json_rows(body)[0]["n"]["value"]) == counts[ontology]


def test_rows_are_capped(endpoint):
    status, _, body = get(endpoint, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 200 and len(json_rows(body)) == MAX_ROWS


# --- safety --------------------------------------------------------------------------------------


class Listener:
    """A TCP listener that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def test_service_never_reaches_a_listener(endpoint):
    listener = Listener()
    try:
        target = f"http://127.0.0.1:{listener.port}/sparql"
        queries = [
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"select * where {{ service silent <{target}> {{ ?s ?p ?o }} }}",
            f"PREFIX x: <http://x/>\nSELECT * WHERE {{ ?s ?p ?o . SeRvIcE <{target}> {{ ?s x:p ?o }} }}",
        ]
        for query in queries:
            for status, _, body in (
                get(endpoint, query),
                http(
                    endpoint,
                    data=query.encode(),
                    headers={"Content-Type": "application/sparql-query"},
                ),
            ):
                assert status == 400, body
                assert b"SERVICE" in body
        time.sleep(0.3)
        assert listener.connections == 0
        # the word in a literal is fine
        ok = get(endpoint, f'SELECT * WHERE {{ ?s ?p "SERVICE <{target}> {{ }}" }}')
        assert ok[0] == 200
        assert listener.connections == 0
    finally:
        listener.close()


def test_update_is_refused_and_the_store_unchanged(endpoint, built):
    before = triple_counts(open_read_only(built.store_path))
    insert = "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
    status, _, body = http(
        endpoint,
        data=urllib.parse.urlencode({"update": insert}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403 and b"read-only" in body
    status, _, _ = http(
        endpoint, data=insert.encode(), headers={"Content-Type": "application/sparql-update"}
    )
    assert status == 403
    status, _, body = get(endpoint, insert)
    assert status == 400 and b"update" in body
    assert http(f"{endpoint}?{urllib.parse.urlencode({'update': insert})}")[0] == 405
    client = SPARQLWrapper(endpoint.replace("/sparql", "/sparql"))
    client.setMethod(POST)
    client.setQuery("DELETE WHERE { ?s ?p ?o }")
    with pytest.raises((SPARQLWrapperException, urllib.error.HTTPError)):
        client.query()
    ask = "ASK { <http://example.org/s> ?p ?o }"
    assert get(endpoint, ask, format="json")[2].endswith(b"false}")
    assert triple_counts(open_read_only(built.store_path)) == before


def test_runaway_query_stopped_while_others_are_served(endpoint):
    result: dict = {}

    def runaway():
        started = time.monotonic()
        result["answer"] = get(endpoint, CROSS_PRODUCT, headers={"Accept": "application/json"})
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    served = []
    while thread.is_alive():
        started = time.monotonic()
        status, _, body = get(endpoint, f"ASK {{ ?s a ?c . ?c a ?k }} # {len(served)}")
        served.append((status, time.monotonic() - started))
        time.sleep(0.1)
    thread.join()
    status, headers, body = result["answer"]
    assert status == 503 and "Retry-After" in headers
    assert b"time limit" in body and json.loads(body)["status"] == 503
    assert result["seconds"] < TIMEOUT + 1
    assert served and all(s == 200 and t < 1 for s, t in served)
    assert get(endpoint, "ASK {}")[0] == 200


# --- caching, validators, CORS -------------------------------------------------------------------


def test_etag_304_and_result_cache(endpoint):
    query = f"SELECT ?o WHERE {{ <{DATASET}> ?p ?o }} # {time.time()}"
    status, headers, body = get(endpoint, query)
    assert status == 200 and headers["X-Cache"] == "miss"
    etag = headers["ETag"]
    assert headers["Cache-Control"].startswith("public, max-age=")
    assert "Server-Timing" in headers
    status, headers2, body2 = get(endpoint, query)
    # two workers: the second may be the other worker's first time
    assert body2 == body and headers2["ETag"] == etag
    hit = [get(endpoint, query)[1]["X-Cache"] for _ in range(6)]
    assert "hit" in hit
    status, headers, body = get(endpoint, query, headers={"If-None-Match": etag})
    assert status == 304 and body == b"" and headers["ETag"] == etag
    status, _, _ = get(endpoint, query, headers={"If-None-Match": '"other"'})
    assert status == 200
    other_format = get(endpoint, query, format="xml")[1]["ETag"]
    assert other_format != etag


def test_volatile_queries_are_not_cached(endpoint):
    status, headers, _ = get(endpoint, "SELECT (RAND() AS ?r) WHERE {}")
    assert status == 200 and headers["Cache-Control"] == "no-store" and "ETag" not in headers


def test_cors(endpoint):
    status, headers, _ = get(endpoint, "ASK {}", headers={"Origin": "http://elsewhere.example"})
    assert headers["Access-Control-Allow-Origin"] == "*"
    status, headers, _ = http(
        endpoint,
        method="OPTIONS",
        headers={
            "Origin": "http://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert status in (200, 204)
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]
    form = urllib.parse.urlencode({"query": "ASK {}"}).encode()
    status, headers, _ = http(
        endpoint,
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://x.example"},
    )
    assert headers["Access-Control-Allow-Origin"] == "*"


# --- descriptions and health ---------------------------------------------------------------------

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")


def test_service_description(endpoint, built):
    status, headers, body = http(endpoint, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"] == "text/turtle"
    graph = rdflib.Graph().parse(data=body, format="turtle")
    service = rdflib.URIRef(endpoint)
    assert (service, rdflib.RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    formats = set(graph.objects(service, SD.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    names = {str(n) for n in graph.objects(None, SD.name)}
    assert names == set(vocab.GRAPHS.values())
    counts = triple_counts(open_read_only(built.store_path))
    dataset = graph.value(service, SD.defaultDataset)
    default = graph.value(dataset, SD.defaultGraph)
    assert int(graph.value(default, VOID.triples)) == sum(counts.values())
    status, headers, body = http(endpoint + "?format=jsonld")
    assert status == 200 and headers["Content-Type"] == "application/ld+json"
    status, headers, _ = http(endpoint, headers={"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")  # followed to /


def test_void(srv, built):
    status, headers, body = http(srv.url + "/void")
    assert status == 200 and headers["Content-Type"] == "text/turtle"
    graph = rdflib.Graph().parse(data=body, format="turtle")
    dataset = rdflib.URIRef(DATASET)
    assert (dataset, rdflib.RDF.type, VOID.Dataset) in graph
    assert graph.value(dataset, rdflib.DCTERMS.license) is not None
    assert graph.value(dataset, rdflib.OWL.versionInfo) is not None
    assert graph.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(srv.url + "/sparql")
    counts = triple_counts(open_read_only(built.store_path))
    per_graph = {
        str(graph.value(subset, rdflib.URIRef(vocab.SCAD + "graph"))): int(
            graph.value(subset, VOID.triples)
        )
        for subset in graph.objects(dataset, VOID.subset)
    }
    for name, count in per_graph.items():
        assert counts[name] == count
    classes = list(graph.objects(dataset, VOID.classPartition))
    properties = list(graph.objects(dataset, VOID.propertyPartition))
    assert len(classes) > 5 and len(properties) > 5
    assert all(graph.value(p, VOID.triples) is not None for p in properties)
    status, headers, _ = http(srv.url + "/void", headers={"Accept": "application/n-triples"})
    assert headers["Content-Type"] == "application/n-triples"


def test_health(srv, built):
    status, headers, body = http(srv.url + "/health")
    assert status == 200
    doc = json.loads(body)
    counts = triple_counts(open_read_only(built.store_path))
    assert doc["status"] == "ok" and doc["triples"] == sum(counts.values())
    assert doc["version"] and len(doc["digest"]) == 64
    assert doc["query_processes"] == 2
