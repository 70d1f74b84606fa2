"""The read-only Graph Store Protocol at /store, through Flask's test client on the build."""

import urllib.parse

import pyoxigraph
import pytest

from kg.vocab import GRAPHS


def fetch(client, query: str = "", accept: str | None = None, method: str = "GET"):
    reply = client.open(
        f"/store{query}", method=method, headers={"Accept": accept} if accept else {}
    )
    return reply.status_code, reply.mimetype, reply.data


def graph_query(name: str) -> str:
    return "?" + urllib.parse.urlencode({"graph": GRAPHS[name]})


def test_named_graph_as_turtle_matches_the_store(client, store):
    status, media_type, body = fetch(client, graph_query("ontology"), "text/turtle")
    assert (status, media_type) == (200, "text/turtle")
    triples = list(pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.TURTLE))
    expected = list(
        store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(GRAPHS["ontology"]))
    )
    assert len(triples) == len(expected) > 900


def test_whole_dataset_keeps_graph_names(client, store):
    status, media_type, body = fetch(client, "", "application/n-quads")
    assert (status, media_type) == (200, "application/n-quads")
    quads = list(pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.N_QUADS))
    assert len(quads) == len(store)
    assert {q.graph_name.value for q in quads} == set(GRAPHS.values())


def test_default_graph_is_the_union_without_duplicates(client, store):
    status, _, body = fetch(client, "?default", "application/n-triples")
    assert status == 200
    triples = set(body.decode().splitlines())
    union = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    )
    assert len(triples) == int(next(union)["n"].value)


def test_format_parameter_and_head(client):
    status, media_type, body = fetch(client, graph_query("metadata") + "&format=jsonld")
    assert (status, media_type) == (200, "application/ld+json") and body.startswith(b"[")
    status, media_type, body = fetch(client, graph_query("metadata"), method="HEAD")
    assert status == 200 and body == b""


@pytest.mark.parametrize(
    ("query", "accept", "status"),
    [
        ("?graph=https%3A%2F%2Fw3id.org%2Fscad%2Fgraph%2Fnone", "text/turtle", 404),
        ("?graph=a&graph=b", "text/turtle", 400),
        ("?graph=https%3A%2F%2Fw3id.org%2Fscad%2Fgraph%2Fontology", "image/png", 406),
    ],
)
def test_errors(client, query, accept, status):
    assert fetch(client, query, accept)[0] == status


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_writes_are_refused_and_the_store_unchanged(client, store, method):
    before = len(store)
    status, _, body = fetch(client, graph_query("statements"), method=method)
    assert status == 405 and b"read-only" in body
    assert len(store) == before
