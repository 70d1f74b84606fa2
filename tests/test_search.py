"""The search index (kg.search) on the real build: what clinicians type finds what they mean,
in either language, in Traditional characters, in pinyin and with typos; type-ahead from the
first character; the type filter; marked snippets; and the index goes with its build."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from conftest import SOURCES
from pyoxigraph import Literal, NamedNode, Variable
from tantivy import Query

from kg.build import build
from kg.errors import KgError, SourceError, StoreError
from kg.search import FOLDER, SearchIndex
from kg.search.analysis import fold
from kg.store import write_store
from kg.vocab import SCAD

SLE = SCAD + "sle"
MARK = re.compile(r"<mark>(.*?)</mark>")

# Names (labels and alternative labels) of the entities type-ahead offers: members of our
# classes that are not statements, outcomes or locators (kg.search.documents.NOT_SUGGESTED).
NAMES = f"""
PREFIX scad: <{SCAD}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?e ?name WHERE {{
  ?e rdfs:label|skos:altLabel ?name ; a ?c .
  FILTER(STRSTARTS(STR(?e), STR(scad:)) && STRSTARTS(STR(?c), STR(scad:)))
  FILTER NOT EXISTS {{ ?e a ?claim VALUES ?claim {{ scad:EvidenceStatement scad:Outcome scad:Locator }} }}
}}"""


def iris(results) -> list[str]:
    return [hit.iri for hit in results.hits]


def marked(snippet: str) -> list[str]:
    return [html.unescape(m) for m in MARK.findall(snippet)]


# ---------------------------------------------------------------------------------------------
# The acceptance queries


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("狼疮", "狼疮"),
        ("系統性紅斑狼瘡", "系统性红斑狼疮"),  # Traditional: folded to Simplified
        ("hongban langchuang", "红斑狼疮"),  # pinyin of 红斑狼疮
        ("lupus", "lupus"),
        ("lupis", "lupus"),  # a typo, corrected to the nearest indexed word
    ],
)
def test_acceptance_queries_put_sle_in_the_top_two(search_index, text, mark):
    results = search_index.search(text)
    assert SLE in iris(results)[:2], [h.label for h in results.hits]
    sle = next(h for h in results.hits if h.iri == SLE)
    assert mark in marked(sle.snippet)  # the snippet marks what matched
    assert results.total >= len(results.hits) >= 1


def test_chinese_query_shows_chinese_labels_unless_asked(search_index):
    zh = search_index.search("狼疮")
    assert (
        zh.hits[0].iri == SLE and zh.hits[0].label == "系统性红斑狼疮" and zh.hits[0].lang == "zh"
    )
    en = search_index.search("狼疮", lang="en")
    assert en.hits[0].label == "systemic lupus erythematosus" and en.hits[0].lang == "en"
    assert marked(en.hits[0].snippet) == ["狼疮"]  # the snippet stays the text that matched


def test_english_is_stemmed_and_every_word_must_match(search_index):
    plural = iris(search_index.search("mesenchymal stem cells"))
    singular = iris(search_index.search("mesenchymal stem cell"))
    assert plural == singular and SCAD + "mesenchymal-stem-cell" in plural[:3]
    assert search_index.search("lupus cyclophosphamide zzzqqq").total == 0
    assert search_index.search("the of and").total == 0  # stop words only: nothing to find


NAMED = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?e ?word WHERE {{
  ?e rdfs:label|skos:altLabel ?name
  FILTER(STRSTARTS(STR(?e), "{SCAD}") && CONTAINS(LCASE(STR(?name)), LCASE(?word)))
}}"""


@pytest.mark.parametrize("word", ["Marmont", "lupus", "cyclophosphamide", "EULAR"])
def test_a_name_match_ranks_above_a_text_match(search_index, store, word):
    """Entities whose label or alternative label has the word come before those found only
    in a definition, summary or title (words chosen so that containing them is matching them)."""
    named = {
        row["e"].value
        for row in store.query(
            NAMED, use_default_graph_as_union=True, substitutions={Variable("word"): Literal(word)}
        )
    }
    found = iris(search_index.search(word, limit=500))
    assert named and set(found) >= named, word
    ranks = [iri in named for iri in found]
    assert ranks == sorted(ranks, reverse=True), [
        (h.label, h.score) for h in search_index.search(word).hits
    ]


def test_paging_is_the_ranking_cut(search_index):
    full = iris(search_index.search("MSC", limit=100))
    assert len(full) > 6
    assert iris(search_index.search("MSC", limit=3, offset=2)) == full[2:5]
    assert search_index.search("MSC", offset=10**9).hits == []  # far past the end: nothing


def test_type_filter_keeps_members_of_the_class_and_its_subclasses(search_index, store):
    everything = set(iris(search_index.search("lupus", limit=100)))
    diseases = iris(search_index.search("lupus", type_iri=SCAD + "Disease", limit=100))
    populations = iris(search_index.search("lupus", type_iri=SCAD + "Population", limit=100))
    assert SLE in diseases and SCAD + "lupus-nephritis" in diseases
    assert SCAD + "pop-lupus-nephritis" in populations and SLE not in populations
    assert set(diseases) | set(populations) <= everything
    for iri in diseases:
        assert store.query(
            "ASK { ?e a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?c }",
            use_default_graph_as_union=True,
            substitutions={
                Variable("e"): NamedNode(iri),
                Variable("c"): NamedNode(SCAD + "Disease"),
            },
        )
    assert search_index.search("lupus", type_iri=SCAD + "NoSuchClass").total == 0


def test_user_text_is_never_query_syntax(search_index):
    for text in ["lupus AND NOT sle", "name_en:lupus", '"} UNION {', "lupus*", "(((", "\\"]:
        search_index.search(text)
        search_index.suggest(text)
    assert iris(search_index.search("lupus*")) == iris(search_index.search("lupus"))


def test_snippets_are_escaped_html(search_index):
    team = next(h for h in search_index.search("Marmont").hits if h.iri == SCAD + "marmont-team")
    assert "&#x27;" in team.snippet or "'" not in team.matched  # Marmont's research team
    assert html.unescape(MARK.sub(r"\1", team.snippet)) == team.matched


# ---------------------------------------------------------------------------------------------
# Type-ahead


@pytest.mark.parametrize("prefix", ["狼", "干", "l", "s", "m", "c"])
def test_one_character_suggests_names_starting_with_it(search_index, store, prefix):
    starting = {
        row["e"].value
        for row in store.query(NAMES, use_default_graph_as_union=True)
        if fold(row["name"].value).startswith(fold(prefix))
    }
    assert starting, prefix
    hits = search_index.suggest(prefix).hits
    assert 1 <= len(hits) <= 10
    first = hits[: min(len(starting), len(hits))]
    assert {h.iri for h in first} <= starting, [h.label for h in first]
    for hit in first:  # the name shown as the match starts with the prefix, marked
        assert hit.snippet.lower().startswith("<mark>" + html.escape(prefix).lower())


def test_suggestions_grow_with_the_prefix_and_read_pinyin(search_index):
    for typed in ("sys", "systemic l", "systemic lupus ery", "lupus ery", "hongb", "狼疮"):
        assert SLE in iris(search_index.suggest(typed))[:2], typed
    assert search_index.suggest("systemic lupus erythematosus").hits[0].iri == SLE
    statements = [h for h in search_index.suggest("1997").hits if "stmt-" in h.iri]
    assert statements == []  # type-ahead offers things, not claims


# ---------------------------------------------------------------------------------------------
# The index goes with its build


def test_the_index_is_in_the_build_folder(built):
    folder = built.store_path.resolve() / FOLDER
    assert (folder / "index.json").is_file() and (folder / "entities").is_dir()
    assert built.report.timings["search"] > 0
    assert SearchIndex(built.store_path).entities > 100


def test_the_terms_index_counts_every_english_term_as_the_index_has_it(search_index):
    """The terms are counted as the documents are written (spilled, not held): the same terms
    and counts, in the same order, as the written index's term lists walked name_en first."""
    expected: dict[str, int] = {}
    for field in ("name_en", "text_en"):
        for term, df in search_index.index.searcher().terms_with_prefix(field, ""):
            expected[term] = expected.get(term, 0) + df
    terms = search_index.terms_index.searcher()
    found = terms.search(Query.all_query(), terms.num_docs).hits
    docs = [terms.doc(a) for _s, a in sorted(found, key=lambda h: (h[1].segment_ord, h[1].doc))]
    assert [(d["term"][0], d["df"][0]) for d in docs] == list(expected.items())
    assert search_index.meta["terms"] == len(expected) > 500


def test_the_index_follows_a_rebuild(tmp_path):
    sources = tmp_path / "ontology"
    shutil.copytree(SOURCES, sources)
    store = tmp_path / "store"
    build(sources, store, None, log=lambda _m: None)
    first = SearchIndex(store)
    assert first.search("quillwort").total == 0
    # A curator adds an alternative name; the next build's index has it, the old one does not.
    extra = sources / "data" / "zz-test-name.ttl"
    extra.write_text(
        "@prefix scad: <https://w3id.org/scad/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        'scad:sle skos:altLabel "quillwort"@en .\n',
        encoding="utf-8",
    )
    build(sources, store, None, log=lambda _m: None)
    second = SearchIndex(store)
    assert second.build_dir != first.build_dir == first.build_dir.resolve()
    assert iris(second.search("quillwort")) == [SLE]
    assert iris(second.suggest("quill")) == [SLE]
    assert first.search("quillwort").total == 0  # an open old index stays as it was
    # A build that fails leaves the store and its index as they were.
    extra.write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(SourceError):
        build(sources, store, None, log=lambda _m: None)
    assert SearchIndex(store).build_dir == second.build_dir


def test_a_failed_index_leaves_the_old_build_served(built, tmp_path, monkeypatch):
    from kg import build as build_module

    store = tmp_path / "store"
    build(SOURCES, store, None, log=lambda _m: None)
    good = store.resolve()
    assert (good / FOLDER / "index.json").is_file()

    def broken(build_dir: Path, store=None) -> None:  # noqa: ANN001
        raise StoreError("the index could not be written")

    monkeypatch.setattr(build_module, "write_index", broken)
    with pytest.raises(StoreError):
        build(SOURCES, store, None, log=lambda _m: None)
    assert store.resolve() == good
    assert [p for p in good.parent.iterdir()] == [good]  # the half-made build is gone


def test_a_build_without_an_index_is_a_clear_error(tmp_path):
    store = tmp_path / "store"
    write_store(store, {})
    with pytest.raises(KgError, match="no search index .* run `kg build`"):
        SearchIndex(store)
