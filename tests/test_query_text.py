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


SHAPES = [
    "SELECT ?s ?o WHERE { ?s ?p ?o }",
    "SELECT ?o WHERE { ?s ?p ?o }",  # the bound variable not projected
    "SELECT ?s ?o WHERE { { SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 1 } }",
    "SELECT ?o ?n WHERE { ?t ?p ?o { SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?q ?r } GROUP BY ?s } }",
    'ASK { ?s <http://ex/p> "y" }',
    "SELECT ?s WHERE { ?s ?p ?o FILTER(BOUND(?s)) }",
    "CONSTRUCT { ?s <http://ex/q> ?o } WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("query", SHAPES)
def test_values_bind_as_pyoxigraph_substitutions_do(query):
    """bind_values gives the answers pyoxigraph's substitutions give, whatever the query's shape."""
    from pyoxigraph import Literal, NamedNode, Quad, Store, Variable

    store = Store()
    for s, o in (("a", "x"), ("b", "y"), ("c", "z")):
        store.add(Quad(NamedNode(f"http://ex/{s}"), NamedNode("http://ex/p"), Literal(o)))
    term = NamedNode("http://ex/b")
    by_values = store.query(query_text.bind_values(query, {"s": term}))
    try:
        by_substitution = store.query(query, substitutions={Variable("s"): term})
    except RuntimeError:  # pyoxigraph substitutes projected variables only
        by_substitution = store.query(
            query.replace("SELECT ?o", "SELECT ?s ?o", 1), substitutions={Variable("s"): term}
        )

    def answers(results) -> object:
        if isinstance(results, bool) or type(results).__name__ == "QueryBoolean":
            return bool(results)
        if type(results).__name__ == "QueryTriples":
            return sorted(str(t) for t in results)
        names = [v.value for v in results.variables if v.value != "s"] or ["s"]
        return sorted(tuple(str(r[n]) for n in names) for r in results)

    assert answers(by_values) == answers(by_substitution)


def test_a_bound_variable_has_its_value_in_nested_groups_too():
    """Groups are evaluated from the inside out: the value must be in each group that uses it
    (a nested OPTIONAL's filter, a UNION branch), as if the name were replaced by the term."""
    from pyoxigraph import Literal, NamedNode, Quad, Store

    store = Store()
    store.add(
        Quad(NamedNode("http://ex/a"), NamedNode("http://ex/label"), Literal("a", language="zh"))
    )
    nested = """SELECT ?s ?l WHERE { ?s ?p ?o OPTIONAL { OPTIONAL {
        ?s <http://ex/label> ?l FILTER(LANG(?l) = COALESCE(?lang, "en")) } } }"""
    rows = list(store.query(query_text.bind_values(nested, {"lang": Literal("zh")})))
    assert [r["l"].value for r in rows] == ["a"]
    union = "SELECT ?x WHERE { { ?s <http://ex/nothing> ?x } UNION { BIND(?s AS ?x) } }"
    rows = list(store.query(query_text.bind_values(union, {"s": NamedNode("http://ex/a")})))
    assert [r["x"].value for r in rows] == ["http://ex/a"]
    data = "SELECT ?k WHERE { VALUES ?k { <http://ex/k> } ?k ?p ?o }"  # a data block stays data
    assert "VALUES ?k { <http://ex/k> }" in query_text.bind_values(data, {"o": Literal("x")})
