"""The SPARQL service as real clients see it over real HTTP: a `kg serve` on 127.0.0.1 (two
workers), spoken to with SPARQLWrapper, rdflib's SPARQLStore and plain HTTP; what only a real
server shows: long request lines, concurrency while a query runs away, no outgoing connection."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import rdflib
from conftest import start_server, stop_server
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from kg import vocab

TIMEOUT = 2.0
MAX_ROWS = 50
MAX_BODY = 20_000
DATASET = f"{vocab.SCAD}dataset"
# The dataset's own description, its class and property partitions left out (they are many)
LOOKUP = f"SELECT ?p ?o WHERE {{ <{DATASET}> ?p ?o FILTER(!STRENDS(STR(?p), 'Partition')) }}"
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


def test_sparqlwrapper_ask_construct_bad_query_and_update(endpoint):
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
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)
    client.setQuery("DELETE WHERE { ?s ?p ?o }")
    with pytest.raises((SPARQLWrapperException, urllib.error.HTTPError)):
        client.query()


def test_rdflib_sparqlstore(endpoint):
    store = SPARQLStore(endpoint, returnFormat="json")
    assert len(list(store.query(LOOKUP))) > 5
    count = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))[0])
    assert count > MAX_ROWS  # one row: the cap does not change a COUNT
    graph = rdflib.Graph(store)
    labels = list(graph.triples((rdflib.URIRef(DATASET), rdflib.RDFS.label, None)))
    assert len(labels) == 2  # English and Chinese


def test_long_get_request_lines_up_to_the_cap(endpoint):
    # beyond the HTTP server's default header buffer, up to KG_MAX_BODY
    assert get(endpoint, "ASK { ?s ?p ?o } #" + "x" * 6000)[0] == 200
    assert get(endpoint, "ASK { ?s ?p ?o } #" + "x" * MAX_BODY)[0] == 414


class Listener:
    """A TCP listener that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0

    def count(self) -> int:
        """Connections made so far (accepted without waiting: the backlog holds them)."""
        self.sock.setblocking(False)
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return self.connections
            self.connections += 1
            conn.close()

    def close(self):
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
        ok = get(endpoint, f'SELECT * WHERE {{ ?s ?p "SERVICE <{target}> {{ }}" }}')
        assert ok[0] == 200  # the word in a literal is fine
        assert listener.count() == 0
    finally:
        listener.close()


def test_runaway_query_stopped_while_others_are_served(endpoint):
    result: dict = {}
    started_runaway = threading.Event()

    def runaway():
        started = time.monotonic()
        started_runaway.set()
        result["answer"] = get(endpoint, CROSS_PRODUCT, headers={"Accept": "application/json"})
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    started_runaway.wait(5)
    served = []
    while thread.is_alive():
        started = time.monotonic()
        status, _, _ = get(endpoint, f"ASK {{ ?s a ?c . ?c a ?k }} # {len(served)}")
        served.append((status, time.monotonic() - started))
    thread.join()
    status, headers, body = result["answer"]
    assert status == 503 and "Retry-After" in headers
    assert b"time limit" in body and json.loads(body)["status"] == 503
    assert result["seconds"] < TIMEOUT + 1
    assert len(served) > 3 and all(s == 200 and t < 1 for s, t in served)
    assert get(endpoint, "ASK {}")[0] == 200


def test_etag_and_cache_across_workers(endpoint):
    query = f"SELECT ?o WHERE {{ <{DATASET}> ?p ?o }} # {time.time()}"
    status, headers, body = get(endpoint, query)
    assert status == 200 and headers["X-Cache"] == "miss"
    etag = headers["ETag"]
    # every worker gives the same ETag (it depends on the build and the request only)
    replies = [get(endpoint, query) for _ in range(8)]
    assert all(h["ETag"] == etag and b == body for _, h, b in replies)
    assert "hit" in [h["X-Cache"] for _, h, _ in replies]
    status, headers, body = get(endpoint, query, headers={"If-None-Match": etag})
    assert status == 304 and body == b""


def test_cors_preflight(endpoint):
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
    status, headers, _ = get(endpoint, "ASK {}", headers={"Origin": "http://elsewhere.example"})
    assert headers["Access-Control-Allow-Origin"] == "*"
