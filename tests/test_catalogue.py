"""The canned-query header parser and parameter binding (kg.catalogue)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import QUERIES
from pyoxigraph import Literal, NamedNode, Quad, Store, Variable

from kg import catalogue as cat
from kg.errors import HeaderError, ParameterError, UnknownQuery
from kg.query.executor import Executor
from kg.vocab import SCAD

XSD = "http://www.w3.org/2001/XMLSchema#"

GOOD = """\
# title: Statements about a therapy
# description: Every statement about one therapy,
#   continued on a second line.
# tags: therapy, test
# param ?lang: lang = en ; Language of labels (en or zh)
# param ?therapy: iri scad:Intervention = scad:allogeneic-msct ; The therapy
# param ?q: string required ; Text to search for
# param ?n: integer ; A number
# param ?x: decimal = 1.5
# param ?d: date
# example: ?therapy=scad:hsct&lang=zh
PREFIX scad: <https://w3id.org/scad/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label ?lang ?therapy ?q ?n ?x ?d WHERE {
  ?s scad:therapy ?therapy .
  OPTIONAL { ?s rdfs:label ?label FILTER(LANG(?label) = COALESCE(?lang, "en")) }
  FILTER(CONTAINS(STR(?label), ?q) && COALESCE(?n, 1) > 0 && COALESCE(?x, 1) > 0)
  FILTER(COALESCE(YEAR(?d), 0) >= 0)
}
"""


def write(tmp_path: Path, text: str, name: str = "sample") -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


def test_header_is_read_into_dataclasses(tmp_path):
    query = cat.parse_query_file(write(tmp_path, GOOD))
    assert query.name == "sample"
    assert query.title == "Statements about a therapy"
    assert query.description == "Every statement about one therapy, continued on a second line."
    assert query.tags == ("therapy", "test")
    assert query.examples == ("?therapy=scad:hsct&lang=zh",)
    assert query.form == "SELECT" and query.paginated
    by_name = {p.name: p for p in query.parameters}
    assert list(by_name) == ["lang", "therapy", "q", "n", "x", "d"]
    assert by_name["lang"] == cat.Parameter(
        "lang", "lang", None, "en", False, "Language of labels (en or zh)"
    )
    assert by_name["therapy"].of_class == SCAD + "Intervention"
    assert by_name["therapy"].default == "scad:allogeneic-msct"
    assert by_name["q"].required and by_name["q"].default is None
    assert by_name["n"].type == "integer" and by_name["n"].description == "A number"
    assert by_name["x"].default == "1.5" and by_name["x"].description == ""


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("# description: d\n", "no title"),
        ("# title: t\n", "no description"),
        ("# title: t\n# description: d\n# parm ?a: string\n", "unknown header key 'parm'"),
        ("# title: t\n# description: d\n# param ?a: text\n", "unknown type 'text'"),
        ("# title: t\n# description: d\n# param a string\n", "not `?name: type"),
        ("# title: t\n# description: d\n# param ?a: integer = ten\n", "default of ?a"),
        ("# title: t\n# description: d\n# param ?a: string required = x\n", "both required"),
        (
            "# title: t\n# description: d\n# param ?a: string\n# param ?a: string\n",
            "declared twice",
        ),
        ("# title: t\n# description: d\n# param ?limit: integer\n", "reserved"),
        ("# title: t\n# description: d\n# param ?a: string scad:Thing\n", "unexpected"),
        ("# title: t\n# description: d\n# param ?nowhere: string\n", "does not occur"),
        ("# title: t\n# description: d\n# example: ?b=1\n", "undeclared parameter 'b'"),
        (
            "# title: t\n# description: d\n# param ?a: integer\n# example: ?a=x\n",
            "example value of ?a",
        ),
    ],
)
def test_malformed_headers_name_the_file(tmp_path, header, message):
    path = write(tmp_path, header + "SELECT ?a WHERE { ?s ?p ?a }\n", name="broken")
    with pytest.raises(HeaderError) as info:
        cat.parse_query_file(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_header_error_gives_the_line(tmp_path):
    path = write(tmp_path, "# title: t\n# description: d\n\n# param ?a: float\nSELECT ?a {}\n")
    with pytest.raises(HeaderError) as info:
        cat.parse_query_file(path)
    assert info.value.line == 4
    assert f"{path}:4:" in str(info.value)


def test_a_query_that_does_not_parse_names_the_file(tmp_path):
    path = write(tmp_path, "# title: t\n# description: d\nSELECT ?a WHERE { ?s ?p }\n")
    with pytest.raises(HeaderError, match="does not parse") as info:
        cat.parse_query_file(path)
    assert str(path) in str(info.value)


def test_a_parameter_needs_no_projection_and_bound_sees_its_value(tmp_path):
    text = (
        "# title: t\n# description: d\n# param ?a: string\n"
        "SELECT ?s WHERE { ?s ?p ?o FILTER(BOUND(?a) && ?o = ?a) }\n"
    )
    query = cat.parse_query_file(write(tmp_path, text))
    store = Store(str(tmp_path / "store"))
    g = NamedNode("http://ex/g")
    store.add(Quad(NamedNode("http://ex/s"), NamedNode("http://ex/p"), Literal("x"), g))
    store.add(Quad(NamedNode("http://ex/t"), NamedNode("http://ex/p"), Literal("y"), g))
    store.flush()
    del store
    with Executor(tmp_path / "store") as engine:
        call = cat.bind(query, {"a": "x"})
        rows = engine.select(call.text(), **{k.value: v for k, v in call.substitutions.items()})
        assert [r["s"].value for r in rows] == ["http://ex/s"]


def test_bad_file_name(tmp_path):
    with pytest.raises(HeaderError, match="file name"):
        cat.parse_query_file(write(tmp_path, GOOD, name="Bad Name"))


def test_catalogue_collects_errors_when_asked(tmp_path):
    write(tmp_path, GOOD, name="good")
    write(tmp_path, "# title: only a title\nSELECT * {}\n", name="bad")
    with pytest.raises(HeaderError):
        cat.load_catalogue(tmp_path)
    errors: list[HeaderError] = []
    assert list(cat.load_catalogue(tmp_path, errors)) == ["good"]
    assert len(errors) == 1 and errors[0].path.name == "bad.rq"


def test_every_project_query_has_a_valid_header():
    queries = cat.load_catalogue(QUERIES)  # raises HeaderError naming the first bad file
    mine = {
        "timeline",
        "therapies-with-counts",
        "diseases-with-counts",
        "compare-therapies",
        "mechanisms-by-therapy",
        "limitations-by-therapy",
        "statements-by-reference",
        "statements-by-section",
        "search",
        "describe-entity",
    }
    assert mine <= set(queries)
    for query in queries.values():
        assert query.title and query.description, query.name
        if query.form == "SELECT" and any(p.name == "lang" for p in query.parameters):
            assert query.parameter("lang").default == "en", query.name


# ---------------------------------------------------------------------------------------------
# Values -> terms


def param(ptype: str, of_class: str | None = None, name: str = "p") -> cat.Parameter:
    return cat.Parameter(name, ptype, of_class)


@pytest.mark.parametrize(
    ("ptype", "raw", "term"),
    [
        ("iri", "scad:sle", NamedNode(SCAD + "sle")),
        ("iri", "sle", NamedNode(SCAD + "sle")),
        ("iri", "<https://w3id.org/scad/sle>", NamedNode(SCAD + "sle")),
        (
            "iri",
            "http://purl.obolibrary.org/obo/MONDO_0007915",
            NamedNode("http://purl.obolibrary.org/obo/MONDO_0007915"),
        ),
        ("iri", "obo:MONDO_0007915", NamedNode("http://purl.obolibrary.org/obo/MONDO_0007915")),
        ("string", "lupus", Literal("lupus")),
        ("string", "狼疮", Literal("狼疮")),
        ("lang", "ZH", Literal("zh")),
        ("integer", "+42", Literal("42", datatype=NamedNode(XSD + "integer"))),
        ("decimal", "2.50", Literal("2.50", datatype=NamedNode(XSD + "decimal"))),
        ("decimal", "1e2", Literal("100", datatype=NamedNode(XSD + "decimal"))),
        ("date", "1993", Literal("1993", datatype=NamedNode(XSD + "gYear"))),
        ("date", "2024-12", Literal("2024-12", datatype=NamedNode(XSD + "gYearMonth"))),
        ("date", "2025-01-31", Literal("2025-01-31", datatype=NamedNode(XSD + "date"))),
    ],
)
def test_values_become_typed_terms(ptype, raw, term):
    assert cat.to_term(param(ptype), raw) == term


@pytest.mark.parametrize(
    ("ptype", "raw"),
    [
        ("iri", "x> } ; DROP ALL ; #"),
        ("iri", "http://a b"),
        ("iri", "unknownprefix:thing x"),
        ("iri", ""),
        ("lang", "fr"),
        ("integer", "4.5"),
        ("integer", "1 UNION"),
        ("decimal", "NaN"),
        ("decimal", "one"),
        ("date", "1993-13"),
        ("date", "2025-02-30"),
        ("date", "yesterday"),
        ("string", "x" * (cat.MAX_STRING + 1)),
    ],
)
def test_bad_values_name_the_parameter(ptype, raw):
    with pytest.raises(ParameterError) as info:
        cat.to_term(param(ptype, name="therapy"), raw)
    assert info.value.parameter == "therapy"
    assert "therapy" in str(info.value) and "expected" in str(info.value)


def test_injection_text_is_bound_as_a_literal_and_changes_nothing(tmp_path):
    """A string value is one literal: the query keeps its shape and matches nothing extra."""
    store = Store(str(tmp_path / "store"))
    s, p = NamedNode("http://ex/s"), NamedNode("http://ex/label")
    store.add(Quad(s, p, Literal("lupus"), NamedNode("http://ex/g")))
    store.add(Quad(NamedNode("http://ex/secret"), p, Literal("hidden"), NamedNode("http://ex/g")))
    store.flush()
    del store
    text = (
        "# title: t\n# description: d\n# param ?q: string required\n"
        "SELECT ?s ?q WHERE { ?s <http://ex/label> ?l FILTER(CONTAINS(?l, ?q)) }\n"
    )
    query = cat.CannedQuery(
        "t", Path("t.rq"), "t", "d", text, "SELECT", parameters=(param("string", name="q"),)
    )
    with Executor(tmp_path / "store") as engine:
        for attack in ['"} UNION { ?s ?p ?o }', 'x") || true || ("', "x> } ; DROP ALL ; #"]:
            call = cat.bind(query, {"q": attack})
            assert call.substitutions[Variable("q")] == Literal(attack)
            assert call.text() == text  # nothing pasted in
            assert engine.select(call.text(), q=call.substitutions[Variable("q")]) == []
        assert len(engine.select("SELECT * WHERE { ?s ?p ?o }")) == 2


def test_the_catalogue_follows_its_folder(tmp_path):
    catalogue = cat.Catalogue(tmp_path)
    assert catalogue.queries() == {}
    write(tmp_path, GOOD, name="good")
    assert list(catalogue.queries()) == ["good"] and catalogue.has_file("good")
    write(tmp_path, "# title: only a title\nSELECT * {}\n", name="bad")
    assert list(catalogue.queries()) == ["good"]  # the bad one is left out, and said why
    assert [e.path.name for e in catalogue.errors] == ["bad.rq"]
    with pytest.raises(HeaderError, match="description"):
        catalogue.get("bad")
    with pytest.raises(UnknownQuery):
        catalogue.get("missing")
    (tmp_path / "good.rq").unlink()
    assert catalogue.queries() == {} and not catalogue.has_file("good")


def test_bind_applies_defaults_requires_and_refuses_unknown_names(engine, catalogue):
    query = catalogue.get("compare-therapies")
    call = cat.bind(query, {}, engine=engine)
    assert call.substitutions[Variable("a")] == NamedNode(SCAD + "allogeneic-msct")
    assert call.substitutions[Variable("lang")] == Literal("en")
    with pytest.raises(ParameterError) as info:
        cat.bind(query, {"c": "scad:hsct"}, engine=engine)
    assert info.value.parameter == "c"
    with pytest.raises(ParameterError) as info:
        cat.bind(catalogue.get("search"), {}, engine=engine)
    assert info.value.parameter == "q" and "required" in info.value.expected


def test_iri_must_be_of_the_declared_class(engine, catalogue):
    query = catalogue.get("compare-therapies")
    assert cat.bind(query, {"a": "scad:hsct"}, engine=engine).substitutions[
        Variable("a")
    ] == NamedNode(SCAD + "hsct")
    with pytest.raises(ParameterError) as info:
        cat.bind(query, {"a": "scad:sle"}, engine=engine)  # a disease, not an intervention
    assert info.value.parameter == "a" and "scad:Intervention" in info.value.expected
    with pytest.raises(ParameterError):
        cat.bind(query, {"b": "https://example.org/not-in-the-graph"}, engine=engine)


def test_allowed_values_come_from_the_graph(engine, catalogue):
    therapy = catalogue.get("mechanisms-by-therapy").parameter("therapy")
    allowed = dict(cat.allowed_values(engine, therapy, 100))
    assert allowed[SCAD + "allogeneic-msct"] == "allogeneic MSCT"
    assert SCAD + "sle" not in allowed
    assert cat.allowed_values(engine, param("lang"), 100) == [("en", "en"), ("zh", "zh")]
    assert cat.allowed_values(engine, param("string"), 100) == []
    assert cat.allowed_values(engine, therapy, 3) is None  # more than 3: not listed


def test_pagination_is_parsed_and_capped(catalogue):
    query = catalogue.get("timeline")
    call = cat.bind(query, {"limit": "5", "offset": "10"}, max_limit=100)
    assert (call.limit, call.offset) == (5, 10)
    assert call.text().rstrip().endswith("OFFSET 10\nLIMIT 5")
    assert cat.bind(query, {}, max_limit=100).limit == 100
    assert cat.bind(query, {}, max_limit=100, default_limit=20).limit == 20
    assert cat.bind(query, {}, max_limit=100, default_limit=500).limit == 100
    for bad in ({"limit": "-1"}, {"limit": "many"}, {"limit": "101"}, {"offset": "1; DROP"}):
        with pytest.raises(ParameterError) as info:
            cat.bind(query, bad, max_limit=100)
        assert info.value.parameter in bad


def test_a_page_mark_puts_the_page_in_its_sub_select(catalogue, tmp_path):
    query = catalogue.get("statements-by-section")
    assert (query.page_unit, catalogue.get("timeline").page_unit) == ("statements", "rows")
    text = cat.bind(query, {"limit": "5", "offset": "10"}, max_limit=100).text()
    inner, outer = text.split("# page of statements")
    assert inner.rstrip().endswith("ORDER BY ?order OFFSET 10 LIMIT 5")
    assert "LIMIT" not in outer and "OFFSET" not in outer
    two = tmp_path / "two.rq"
    two.write_text(
        "# title: t\n# description: d\nSELECT ?s WHERE {\n"
        "  { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s # page of statements\n  }\n"
        "  { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s # page of statements\n  }\n}\n",
        encoding="utf-8",
    )
    with pytest.raises(HeaderError) as info:
        cat.parse_query_file(two)
    assert info.value.line == 6 and "one `# page of …` mark" in str(info.value)
