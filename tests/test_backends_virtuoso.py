"""KG_ENGINE=virtuoso (kg.backends.virtuoso): a real Virtuoso (Debian's, installed by apt when
missing) on loopback in a temporary folder, `kg push` into it by the Graph Store Protocol with
HTTP digest authentication, and the service in front of it: the same graphs (none of Virtuoso's
system graphs), the same bytes on /sparql where Virtuoso's answers differ only in form (booleans,
language tags, typed literals, blank node labels), every canned query answered as the embedded
store answers it, its compiler's errors as 400, its partial ("anytime") results refused as a
time-out."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import app_for
from engines import Engine, virtuoso
from flask import Flask
from test_backends import calls_that_differ, examples

from kg.backends.http import Body
from kg.backends.push import push
from kg.backends.virtuoso import Virtuoso, language_tag
from kg.config import Settings
from kg.errors import QueryTimeout

PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
PREFIXES = """PREFIX scad: <https://w3id.org/scad/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
FORMS = [
    PREFIXES + "SELECT ?label WHERE { scad:MSCT rdfs:label ?label } ORDER BY ?label",
    PREFIXES
    + "SELECT ?a ?v WHERE { ?o scad:approximate ?a ; scad:value ?v } ORDER BY ?a ?v LIMIT 20",
    PREFIXES + "ASK { ?o scad:approximate true }",
]
CREDENTIALS = {"sparql_user": "dba", "sparql_password": "dba"}  # a new database's


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with virtuoso() as server:
        yield server


@pytest.fixture(scope="module")
def remote_app(settings: Settings, engine: Engine) -> Iterator[Flask]:
    push(Settings(store=settings.store, engine="virtuoso", sparql_endpoint=engine.url,
                  sparql_user="dba", sparql_password="dba"))  # fmt: skip
    overrides = {"backend": "sparql", "engine": "virtuoso", "sparql_endpoint": engine.url}
    with app_for(settings, **overrides, **CREDENTIALS) as app:
        yield app


def sparql(app: Flask, query: str, accept: str) -> tuple[int, bytes]:
    reply = app.test_client().get(
        "/sparql", query_string={"query": query}, headers={"Accept": accept}
    )
    return reply.status_code, reply.data


def test_the_same_graphs_and_none_of_virtuosos_own(app: Flask, remote_app: Flask):
    assert sparql(remote_app, PER_GRAPH, "text/csv") == sparql(app, PER_GRAPH, "text/csv")
    health = remote_app.test_client().get("/health").json
    assert health["digest"] == app.test_client().get("/health").json["digest"]
    assert health["backend"] == "sparql" and "dba" not in json.dumps(health)


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+json", "text/csv", "text/tab-separated-values"]
)
def test_literals_come_back_in_the_embedded_stores_form(app: Flask, remote_app: Flask, accept):
    for query in FORMS:
        assert sparql(remote_app, query, accept) == sparql(app, query, accept), query


def test_every_canned_query_answers_as_on_the_embedded_store(app: Flask, remote_app: Flask):
    assert len(examples(app)) >= 40
    assert calls_that_differ(app, remote_app) == []


def test_blank_nodes_come_back_as_blank_nodes(app: Flask, remote_app: Flask):
    query = "SELECT ?c WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?c FILTER(isBlank(?c)) }"
    accept = "application/sparql-results+json"
    status, body = sparql(remote_app, query, accept)
    terms = [row["c"] for row in json.loads(body)["results"]["bindings"]]
    local = json.loads(sparql(app, query, accept)[1])["results"]["bindings"]
    assert status == 200 and len(terms) == len(local) > 0
    assert {t["type"] for t in terms} == {"bnode"}


def test_its_compiler_errors_are_query_errors(remote_app: Flask):
    query = "SELECT ?x WHERE { ?x ?p ?o FILTER(NOSUCHFUNCTION(?x)) }"
    reply = remote_app.test_client().get("/sparql", query_string={"query": query})
    assert reply.status_code == 400 and reply.json["error"] == "QueryError"


class _Anytime:
    """A reply marked as Virtuoso marks results cut at its time limit."""

    closed = False

    def header(self, name: str) -> str | None:
        return "S1TAT" if name == "X-SQL-State" else None

    def close(self) -> None:
        self.closed = True


def test_partial_results_are_a_time_out_never_an_answer():
    reply = _Anytime()
    with pytest.raises(QueryTimeout, match="partial results"):
        Virtuoso("http://127.0.0.1:1/sparql").check(reply)  # type: ignore[arg-type]
    assert reply.closed


def test_language_tags_in_bcp47_case():
    assert language_tag("zh-hans") == "zh-Hans"
    assert language_tag("en-gb") == "en-GB"
    assert language_tag("ZH") == "zh"
    assert Body(b"x").read() == b"x"
