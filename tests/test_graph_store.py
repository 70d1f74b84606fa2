"""The read-only Graph Store Protocol at /store, over a real server."""

import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph
import pytest
from conftest import Server

from kg.vocab import GRAPHS


def fetch(server: Server, query: str = "", accept: str | None = None, method: str = "GET"):
    request = urllib.request.Request(f"{server.url}/store{query}", method=method)
    if accept:
        request.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get_content_type(), err.read()


def graph_query(name: str) -> str:
    return "?" + urllib.parse.urlencode({"graph": GRAPHS[name]})


def test_named_graph_as_turtle_matches_the_store(server, store):
    status, media_type, body = fetch(server, graph_query("ontology"), "text/turtle")
    assert (status, media_type) == (200, "text/turtle")
    triples = list(pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.TURTLE))
    expected = list(
        store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(GRAPHS["ontology"]))
    )
    assert len(triples) == len(expected) > 900


def test_whole_dataset_keeps_graph_names(server, store):
    status, media_type, body = fetch(server, "", "application/n-quads")
    assert (status, media_type) == (200, "application/n-quads")
    quads = list(pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.N_QUADS))
    assert len(quads) == len(store)
    assert {q.graph_name.value for q in quads} == set(GRAPHS.values())


def test_default_graph_is_the_union_without_duplicates(server, store):
    status, _, body = fetch(server, "?default", "application/n-triples")
    assert status == 200
    triples = set(body.decode().splitlines())
    union = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    )
    assert len(triples) == int(next(union)["n"].value)


def test_format_parameter_and_head(server):
    status, media_type, body = fetch(server, graph_query("metadata") + "&format=jsonld")
    assert (status, media_type) == (200, "application/ld+json") and body.startswith(b"[")
    status, media_type, body = fetch(server, graph_query("metadata"), method="HEAD")
    assert status == 200 and body == b""


@pytest.mark.parametrize(
    ("query", "accept", "status"),
    [
        ("?graph=https%3A%2F%2Fw3id.org%2Fscad%2Fgraph%2Fnone", "text/turtle", 404),
        ("?graph=a&graph=b", "text/turtle", 400),
        ("?graph=https%3A%2F%2Fw3id.org%2Fscad%2Fgraph%2Fontology", "image/png", 406),
    ],
)
def test_errors(server, query, accept, status):
    assert fetch(server, query, accept)[0] == status


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_writes_are_refused_and_the_store_unchanged(server, store, method):
    before = len(store)
    status, _, body = fetch(server, graph_query("statements"), method=method)
    assert status == 405 and b"read-only" in body
    assert len(store) == before
