"""Isolated query execution against the real built store: formats, limits, refusals, timeouts."""

from __future__ import annotations

import threading
import time

import pyoxigraph
import pytest
from conftest import triples_per_graph
from pyoxigraph import NamedNode, Variable

from kg import vocab
from kg.errors import NotAcceptable, QueryError, QueryRefused, QueryTimeout
from kg.query.executor import PREFETCH, Executor

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
NODE = f"<{vocab.SCAD}sle>"  # an entity with a dozen triples of its own


@pytest.fixture(scope="module")
def executor(built):
    ex = Executor(built.store_path, size=2, timeout=2.0, max_rows=100)
    yield ex
    ex.close()


def rows(body: bytes) -> list:
    return list(pyoxigraph.parse_query_results(body, format=pyoxigraph.QueryResultsFormat.JSON))


def test_select_json_through_a_query_process(executor, store):
    fmt, stream = executor.execute(f"SELECT ?p ?o WHERE {{ {NODE} ?p ?o }}")
    assert fmt.name == "json"
    assert stream.body is not None  # small: read whole before returning
    expected = len(list(store.query(f"SELECT * WHERE {{ GRAPH ?g {{ {NODE} ?p ?o }} }}")))
    assert len(rows(stream.read())) == expected > 5


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_select_formats(executor, name):
    fmt, stream = executor.execute(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        accept_format=name,
    )
    body = stream.read()
    if name == "csv":  # lossy: pyoxigraph does not read it back
        assert body.splitlines()[0] == b"g,n" and vocab.GRAPHS["ontology"].encode() in body
        return
    parsed = list(pyoxigraph.parse_query_results(body, format=fmt.results))
    assert {str(r["g"].value) for r in parsed} == set(vocab.GRAPHS.values())


@pytest.mark.parametrize("name", ["turtle", "ntriples", "rdfxml", "jsonld", "nquads", "trig"])
def test_graph_formats(executor, name):
    fmt, stream = executor.execute(f"DESCRIBE {NODE}", accept_format=name)
    triples = list(pyoxigraph.parse(stream.read(), format=fmt.rdf))
    assert len(triples) > 5


def test_ask(executor):
    _, stream = executor.execute("ASK { ?s a ?c }")
    assert stream.read() == b'{"head":{},"boolean":true}'


def test_a_format_that_does_not_fit_the_form(executor):
    with pytest.raises(NotAcceptable) as err:
        executor.execute(f"DESCRIBE {NODE}", accept_format="csv")
    assert "text/turtle" in err.value.offered


def test_rows_are_capped(executor):
    _, stream = executor.execute("SELECT * WHERE { ?s ?p ?o }")
    assert len(rows(stream.read())) == 100
    _, stream = executor.execute("SELECT * WHERE { ?s ?p ?o } LIMIT 100000")
    assert len(rows(stream.read())) == 100
    _, stream = executor.execute("SELECT * WHERE { ?s ?p ?o } LIMIT 7")
    assert len(rows(stream.read())) == 7


def test_substitutions_bind_terms(executor):
    _, stream = executor.execute(
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
        substitutions={Variable("s"): NamedNode(NODE[1:-1])},
    )
    assert len(rows(stream.read())) > 5


def test_dataset_parameters(executor, built):
    ontology = vocab.GRAPHS["ontology"]
    _, stream = executor.execute(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=[ontology]
    )
    count = int(rows(stream.read())[0]["n"].value)
    assert count == triples_per_graph(built.store_path)[ontology]
    _, stream = executor.execute(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[ontology]
    )
    assert [r["g"].value for r in rows(stream.read())] == [ontology]


def test_syntax_error_has_line_and_column_of_the_text_sent(executor):
    with pytest.raises(QueryError) as err:
        executor.execute("SELECT * WHERE {\n  ?s ?p ?o\n")  # capped: LIMIT added at the end
    assert (err.value.line, err.value.column) in ((3, 1), (4, 1))
    assert f"line {err.value.line}, column {err.value.column}" in str(err.value)
    with pytest.raises(QueryError) as err:
        executor.execute("SELECT * WHERE { ?s ?p }")
    assert (err.value.line, err.value.column) == (1, 25)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { service <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SeRvIcE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "PREFIX ex: <http://x/>\nSELECT * WHERE { ?s ex:p 'x' . # comment\n SERVICE ?e { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o SERVICE<http://127.0.0.1:9/>{ ?s ?p ?o } }",
    ],
)
def test_service_is_refused_before_the_store_sees_it(executor, query):
    with pytest.raises(QueryRefused):
        executor.execute(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x/> {}" } LIMIT 1',
        "SELECT * WHERE { ?s ?p '''a\nservice <http://x/> { }''' } LIMIT 1",
        "PREFIX service: <http://x/>\nSELECT ?service WHERE { ?service service:p ?o } LIMIT 1",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> {}\nLIMIT 1",
        "SELECT * WHERE { ?s <http://x/SERVICE> ?o } LIMIT 1",
    ],
)
def test_service_in_a_literal_name_or_comment_is_allowed(executor, query):
    executor.execute(query)[1].read()


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://x/s> <http://x/p> <http://x/o> }",
        "PREFIX x: <http://x/> DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
    ],
)
def test_updates_are_refused(executor, update):
    with pytest.raises(QueryRefused):
        executor.execute(update)


def test_runaway_query_is_stopped_and_others_go_on(executor):
    killed = executor.killed
    result: dict = {}

    def runaway():
        started = time.monotonic()
        try:
            executor.execute(CROSS_PRODUCT)[1].read()
        except QueryTimeout as exc:
            result["error"] = exc
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    assert executor.wait_until_busy(1, timeout=5)  # the runaway holds one process
    started = time.monotonic()
    _, stream = executor.execute("ASK { ?s ?p ?o }")  # the pool's other process answers
    assert stream.read().endswith(b"true}")
    assert time.monotonic() - started < 0.5
    thread.join(10)
    assert isinstance(result.get("error"), QueryTimeout)
    assert result["seconds"] < executor.timeout + 1
    assert executor.killed == killed + 1
    # the killed process was replaced: both slots work again
    for _ in range(3):
        executor.execute("ASK {}")[1].read()
    assert len(executor.pids()) == executor.size


def test_large_results_stream_in_chunks(built):
    ex = Executor(built.store_path, size=1, timeout=10, max_rows=1_000_000)
    try:
        query = "CONSTRUCT { ?s ?p ?o . ?o ?p ?s } WHERE { ?s ?p ?o }"
        fmt, stream = ex.execute(query, accept_format="ntriples")
        assert stream.body is None  # bigger than the prefetch: streamed
        chunks = list(stream)
        assert len(chunks) > 1 and sum(map(len, chunks)) > PREFETCH
        assert len(list(pyoxigraph.parse(b"".join(chunks), format=fmt.rdf))) > 1000
        ex.execute("ASK {}")[1].read()  # the process is free again
        # closing a stream early replaces the process instead of reading the rest
        _, stream = ex.execute(query, accept_format="ntriples")
        next(iter(stream))
        stream.close()
        assert ex.execute("ASK {}")[1].read().endswith(b"true}")
    finally:
        ex.close()


def test_index_lookups_run_inline_while_the_pool_is_busy(built):
    ex = Executor(built.store_path, size=1, timeout=2.0, max_rows=100)
    try:
        thread = threading.Thread(
            target=lambda: pytest.raises(QueryTimeout, ex.execute, CROSS_PRODUCT)
        )
        thread.start()
        assert ex.wait_until_busy(1, timeout=5)  # the only query process runs the cross product
        started = time.monotonic()
        _, stream = ex.execute(f"SELECT ?p ?o WHERE {{ {NODE} ?p ?o }}")
        assert len(rows(stream.read())) > 5
        _, stream = ex.execute(f"DESCRIBE {NODE}", accept_format="ntriples")
        assert stream.read().count(b"\n") > 5
        assert time.monotonic() - started < 0.5
        thread.join(10)
        _, stream = ex.execute("SELECT * WHERE { ?s ?p ?o }")  # a scan: capped rows
        assert len(rows(stream.read())) == 100
    finally:
        ex.close()


def test_a_query_once_answered_fast_runs_inline_after(built):
    query = "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type"

    def seconds_while_busy(ex: Executor, text: str) -> float:
        """How long `text` takes while the only query process runs a cross product (answered,
        or given up at the time limit waiting for the process)."""
        busy = threading.Thread(
            target=lambda: pytest.raises(QueryTimeout, ex.execute, CROSS_PRODUCT)
        )
        busy.start()
        assert ex.wait_until_busy(1, timeout=5)
        started = time.monotonic()
        try:
            assert len(rows(ex.execute(text)[1].read())) > 2
        except QueryTimeout as exc:
            assert "no query process became free" in str(exc)
        took = time.monotonic() - started
        busy.join(10)
        return took

    ex = Executor(built.store_path, size=1, timeout=1.5, max_rows=100, inline_under_ms=1000)
    never = Executor(built.store_path, size=1, timeout=1.5, max_rows=100, inline_under_ms=0)
    try:
        for executor in (ex, never):
            executor.execute(query)[1].read()  # the first run is in the query process
        assert seconds_while_busy(ex, query) < 0.3  # known to be fast: did not wait
        assert seconds_while_busy(ex, query + " LIMIT 3") > 0.8  # not seen before: waited
        assert seconds_while_busy(never, query) > 0.8  # inline_under_ms=0: always isolated
    finally:
        ex.close()
        never.close()


def test_a_closed_executor_ends_its_streams_without_starting_processes(built):
    ex = Executor(built.store_path, size=1, timeout=10, max_rows=1_000_000)
    query = "CONSTRUCT { ?s ?p ?o . ?o ?p ?s } WHERE { ?s ?p ?o }"
    _, stream = ex.execute(query, accept_format="ntriples")
    next(iter(stream))
    ex.close()  # as an old build's executor is, while a slow client still reads
    with pytest.raises(QueryTimeout):
        list(stream)
    assert ex.pids() == []
