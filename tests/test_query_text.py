"""Reading a request before the store sees it: form, SERVICE/LOAD, volatility, the row cap."""

from __future__ import annotations

import pytest

from kg.errors import QueryError
from kg.query import text as query_text


def test_query_text_reading():
    info = query_text.read("PREFIX a: <http://x/>\nselect * { ?s ?p ?o } VALUES ?s { a:b }")
    assert info.form == "SELECT" and not info.calls_out and info.values_at is not None
    capped = info.capped(10)
    assert "LIMIT 10" in capped and capped.index("LIMIT 10") < capped.index("VALUES")
    assert query_text.read("SELECT * {?s ?p ?o} LIMIT 5").capped(10).endswith("LIMIT 5")
    assert query_text.read("SELECT * {?s ?p ?o} LIMIT 50").capped(10).endswith("LIMIT 10")
    assert query_text.read("SELECT * { { SELECT * {?s ?p ?o} LIMIT 50 } }").limit is None
    assert query_text.read("ASK {}").capped(10) == "ASK {}"
    assert query_text.read("SELECT (RAND() AS ?r) {}").volatile
    assert query_text.read("CONSTRUCT WHERE { ?s ?p ?o }").is_graph
    with pytest.raises(QueryError):
        query_text.read("hello")
