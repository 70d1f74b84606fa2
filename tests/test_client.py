"""kg.open(): the notebook API gives the same answers as the service's `/queries/<name>` — the
embedded store compared with Flask's test client for every canned query and its examples, a
real service compared with the embedded store — and its rows become pandas / Arrow frames."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import pyarrow as pa
import pytest
from conftest import QUERIES
from pyoxigraph import QueryResultsFormat, parse_query_results

import kg
from kg import catalogue as cat
from kg.client import Graph, Rows
from kg.errors import KgError, ParameterError, UnknownQuery


@pytest.fixture(scope="module")
def graph(built) -> Iterator[Graph]:
    with kg.open(built.store_path) as opened:
        assert opened.settings.queries.resolve() == QUERIES.resolve()  # the service's catalogue
        yield opened


def calls() -> list[tuple[str, dict[str, str]]]:
    """Every canned query with its defaults, and once more per example of its header."""
    out = []
    for query in cat.Catalogue(QUERIES).queries().values():
        out.append((query.name, {}))
        for example in query.examples:
            params = dict(parse_qsl(example.lstrip("?")))
            params.pop("format", None)
            out.append((query.name, params))
    return out


def web_terms(client, name: str, params: dict[str, str]) -> tuple[list[str], list[tuple]]:
    response = client.get(f"/queries/{name}?{urlencode({**params, 'format': 'json'})}")
    assert response.status_code == 200, response.get_data(as_text=True)
    results = parse_query_results(response.get_data(), format=QueryResultsFormat.JSON)
    names = [v.value for v in results.variables]
    return names, [tuple(str(s[n]) if s[n] is not None else None for n in names) for s in results]


@pytest.mark.parametrize(
    ("name", "params"), calls(), ids=lambda v: v if isinstance(v, str) else urlencode(v)
)
def test_canned_answers_equal_the_web_api(graph, client, name, params):
    try:
        rows = graph.canned(name, **params)
    except ParameterError as exc:  # a required parameter left out: the service says 400 too
        response = client.get(f"/queries/{name}?{urlencode({**params, 'format': 'json'})}")
        assert response.status_code == 400
        assert response.get_json()["parameter"] == exc.parameter
        return
    if isinstance(rows, bool):
        response = client.get(f"/queries/{name}?{urlencode({**params, 'format': 'json'})}")
        assert rows == response.get_json()["boolean"]
        return
    names, expected = web_terms(client, name, params)
    assert list(rows.variables) == names
    assert [tuple(None if t is None else str(t) for t in row) for row in rows.terms] == expected


def test_a_service_gives_the_embedded_answers(graph, server):
    remote = kg.open(server.url)
    assert remote.queries() == graph.queries()
    for name, params in (("search", {"q": "狼疮", "lang": "zh"}), ("timeline", {})):
        local, there = graph.canned(name, **params), remote.canned(name, **params)
        assert local.variables == there.variables and list(local) == list(there)
    text = "SELECT ?o ?v WHERE { ?o <https://w3id.org/scad/lowerBound> ?v } ORDER BY ?o"
    assert list(remote.query(text)) == list(graph.query(text))
    assert remote.query("ASK { ?s a <https://w3id.org/scad/Outcome> }") is True


def test_rows_become_frames_with_exact_decimals(graph):
    rows = graph.query(
        "SELECT ?o ?low ?high WHERE { ?o <https://w3id.org/scad/lowerBound> ?low ; "
        "<https://w3id.org/scad/upperBound> ?high } ORDER BY ?o"
    )
    assert isinstance(rows, Rows) and len(rows) > 0
    trm = next(r for r in rows if r["o"].endswith("out-myeloablative-trm"))
    assert (trm["low"], trm["high"]) == (Decimal("2"), Decimal("17"))
    table = rows.to_arrow()
    assert pa.types.is_decimal(table.schema.field("low").type) and table.num_rows == len(rows)
    frame = rows.to_pandas()
    assert list(frame.columns) == ["o", "low", "high"] and len(frame) == len(rows)
    assert Decimal("17") in set(frame["high"])
    counts = graph.canned("therapies-with-counts").to_arrow()
    assert any(pa.types.is_integer(f.type) for f in counts.schema)


def test_parameters_are_checked_as_by_the_service(graph):
    with pytest.raises(ParameterError):
        graph.canned("compare-therapies", a="scad:sle")  # not an intervention
    with pytest.raises(UnknownQuery):
        graph.canned("no-such-query")
    with pytest.raises(KgError):
        kg.open("/nonexistent/store")


def test_import_kg_stays_light():
    code = "import sys, kg; print(','.join(m for m in ('pyoxigraph', 'rdflib', 'pandas', 'pyarrow', 'flask') if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    assert loaded.stdout.strip() == ""
