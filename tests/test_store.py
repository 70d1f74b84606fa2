import pytest
from conftest import triples_per_graph

from kg.errors import StoreError
from kg.store import open_read_only
from kg.vocab import GRAPHS


def test_one_named_graph_per_part(built):
    counts = triples_per_graph(built.store_path)
    assert set(counts) == set(GRAPHS.values())
    assert all(n > 0 for n in counts.values())


def test_default_graph_is_the_union(store, built):
    union = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", use_default_graph_as_union=True
    )
    total = sum(triples_per_graph(built.store_path).values())
    distinct = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    )
    assert int(next(union)["n"].value) == int(next(distinct)["n"].value) <= total


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="run `kg build` first"):
        open_read_only(tmp_path / "nothing")


def test_unopenable_store_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "CURRENT").write_text("garbage")
    with pytest.raises(StoreError, match="cannot open the store"):
        open_read_only(bad)


def test_several_readers_share_the_store(built):
    a, b = open_read_only(built.store_path), open_read_only(built.store_path)
    assert len(a) == len(b) > 0
