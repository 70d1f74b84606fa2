"""Who says what (issue 13): the article the graph is curated from asserts every statement, and
each statement is credited to the work the article names for it; plus one precision test for
each reading fixed by that issue (E1–E6, M1–M3 and the attribution note of the MSC list), all
against the graph built by the real build."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from breakage import sources_with, validated
from conftest import ROOT
from pyoxigraph import NamedNode

from kg.errors import ValidationError
from kg.release import NANOPUB_BASE, ReleaseReport, nanopublication_quads, release_note

SCAD = "https://w3id.org/scad/"
PROV = "http://www.w3.org/ns/prov#"
CITO = "http://purl.org/spar/cito/"
ARTICLE = SCAD + "hangi-article"
PREFIXES = f"""PREFIX scad: <{SCAD}> PREFIX prov: <{PROV}> PREFIX cito: <{CITO}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
# The statements of the article's paragraph on reference [4] and on reference [2].
CHEN_2025 = {
    "stmt-chen-2025-review-published",
    "stmt-chen-2025-trials-phase",
    "stmt-chen-2025-most-studied-diseases",
    "stmt-chen-2025-leading-countries",
    "stmt-chen-2025-academic-funding",
    "stmt-chen-2025-strategies",
}
JASIM_2022 = {
    "stmt-jasim-2022-review-scope",
    "stmt-jasim-2022-msc-conventional-synergy",
    "stmt-jasim-2022-msc-mechanisms",
}


def select(store, query: str) -> list[dict]:
    results = store.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [{n: (None if s[n] is None else s[n].value) for n in names} for s in results]


def ask(store, query: str) -> bool:
    return bool(store.query(PREFIXES + query, use_default_graph_as_union=True))


def values(store, subject: str, prop: str) -> set[str]:
    rows = select(store, f"SELECT ?o WHERE {{ <{SCAD}{subject}> {prop} ?o }}")
    return {r["o"] for r in rows}


def texts(store, subject: str, prop: str, lang: str) -> list[str]:
    rows = select(
        store,
        f'SELECT ?o WHERE {{ <{SCAD}{subject}> {prop} ?o FILTER(langMatches(lang(?o), "{lang}")) }}',
    )
    return [r["o"] for r in rows]


def local(iri: str) -> str:
    return iri[len(SCAD) :] if iri.startswith(SCAD) else iri


# ---------------------------------------------------------------------------------------------
# the document as the asserting source


def test_the_article_is_its_own_document_derived_from_sun_2025(store):
    assert ask(store, f"ASK {{ <{ARTICLE}> a scad:WebArticle , scad:Document , prov:Entity }}")
    assert not ask(store, f"ASK {{ <{ARTICLE}> a scad:Reference }}")
    assert values(store, "hangi-article", "scad:issuedBy") == {SCAD + "hangi-stem-cells"}
    assert values(store, "hangi-article", "prov:wasDerivedFrom") == {SCAD + "sun-2025"}
    cited = {local(i) for i in values(store, "hangi-article", "cito:cites")}
    assert cited == {"sun-2025", "jasim-2022", "chen-2024", "chen-2025", "eular-ssc-2023"}
    # what the text does not show (title, author, date, address) is left open, and said so
    assert not values(store, "hangi-article", "dcterms:title")
    assert not values(store, "hangi-article", "dcterms:issued")
    notes = texts(store, "hangi-article", "scad:curationNote", "en")
    assert any("title" in n and "date" in n for n in notes), notes
    assert texts(store, "hangi-article", "scad:curationNote", "zh")


def test_sections_belong_to_the_article(store):
    rows = select(store, "SELECT ?s ?d WHERE { ?s a scad:ReviewSection ; scad:inDocument ?d }")
    assert len(rows) == 9 and {r["d"] for r in rows} == {ARTICLE}


def test_every_statement_is_asserted_by_the_article_alone(store):
    rows = select(
        store,
        """SELECT ?s (COUNT(DISTINCT ?d) AS ?n) (SAMPLE(?d) AS ?doc) WHERE {
             ?s a scad:EvidenceStatement . OPTIONAL { ?s scad:assertedBy ?d } } GROUP BY ?s""",
    )
    assert len(rows) > 90
    assert not [r["s"] for r in rows if r["n"] != "1" or r["doc"] != ARTICLE]


def test_every_credited_work_is_one_the_article_cites(store):
    rows = select(
        store,
        """SELECT ?s ?r WHERE { ?s a scad:EvidenceStatement ; scad:assertedBy ?d ; scad:source ?r .
             FILTER NOT EXISTS { ?d cito:cites ?r } }""",
    )
    assert not rows


def statements_of(run_query, reference: str) -> set[str]:
    rows = run_query("statements-by-reference", reference=NamedNode(SCAD + reference))
    return {local(r["statement"]) for r in rows}


def test_chen_2025_reports_its_six_statements_and_sun_2025_none_of_them(run_query):
    assert statements_of(run_query, "chen-2025") == CHEN_2025
    assert statements_of(run_query, "jasim-2022") == JASIM_2022
    sun = statements_of(run_query, "sun-2025")
    assert len(sun) > 70 and not sun & (CHEN_2025 | JASIM_2022)


def test_statements_by_reference_says_who_asserts_and_who_is_credited(run_query):
    rows = run_query("statements-by-reference", reference=NamedNode(SCAD + "chen-2025"))
    assert {r["assertedBy"] for r in rows} == {ARTICLE}
    assert all("Hangi" in r["assertedByLabel"] for r in rows)
    assert all("Chen Y" in r["creditedToLabel"] for r in rows)


def test_provenance_question_gives_asserted_by_and_credited_to(run_query):
    rows = run_query("cq10-statement-provenance", reference=NamedNode(SCAD + "chen-2025"))
    assert {local(r["statement"]) for r in rows} == CHEN_2025
    assert all(r["assertedBy"] == ARTICLE and "Chen Y" in r["creditedTo"] for r in rows)


def test_evidence_table_has_asserted_by_and_credited_to_columns(run_query):
    rows = run_query("evidence-table", reference=NamedNode(SCAD + "chen-2025"))
    assert rows and all("Hangi" in r["asserted_by"] for r in rows)
    assert all("Chen Y" in r["credited_to"] and "Sun" not in r["credited_to"] for r in rows)


def test_sun_2025_is_credited_with_nothing_it_cannot_report(store):
    """Sun 2025 (DOI stamped 2025-02-04) appeared before [4] (July 2025)."""
    rows = select(
        store,
        """SELECT ?s WHERE { ?s scad:source scad:sun-2025 .
             { ?s scad:about scad:chen-2025 } UNION { ?s scad:event/scad:reference scad:chen-2025 } }""",
    )
    assert not rows


def test_nanopublication_provenance_names_the_article_and_the_credited_work(store):
    np = NANOPUB_BASE + "stmt-chen-2025-trials-phase"
    provenance = {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in nanopublication_quads(store)
        if q.graph_name.value == f"{np}#provenance"
    }
    assertion = f"{np}#assertion"
    assert (assertion, PROV + "wasDerivedFrom", ARTICLE) in provenance
    assert (assertion, CITO + "citesAsEvidence", SCAD + "chen-2025") in provenance
    assert not any(o == SCAD + "sun-2025" for _s, _p, o in provenance)


def test_release_note_and_descriptions_say_what_the_source_is(store):
    note = release_note(ReleaseReport(dist=Path("dist")), {})
    assert "republished" in note and "Hangi Stem Cells" in note
    rows = select(
        store,
        """SELECT ?d WHERE { <https://w3id.org/scad/ontology> dcterms:description ?d
             FILTER(langMatches(lang(?d), "en")) }""",
    )
    assert rows and all("republished" in r["d"] and "Sun" in r["d"] for r in rows)
    assert not any("curated from Sun" in r["d"] for r in rows)
    sources = {
        r["s"] for r in select(store, f"SELECT ?s WHERE {{ <{SCAD}dataset> dcterms:source ?s }}")
    }
    assert sources == {ARTICLE}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    opening = readme.split("\n\n")[1]
    assert "republished" in opening and "Hangi Stem Cells" in opening
    assert "[2]" in opening and "[4]" in opening


def test_entity_page_lists_asserted_by_and_credited_to(server):
    with urllib.request.urlopen(server.url + "/scad/scleroderma", timeout=20) as reply:
        page = reply.read().decode("utf-8")
    assert 'href="/scad/hangi-article"' in page
    assert "asserted by" in page and "credited to" in page
    assert "https://doi.org/10.3389/fimmu.2025.1616231" in page


# ---------------------------------------------------------------------------------------------
# the shapes that keep it so


def refused(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ValidationError) as err:
        validated(sources_with(tmp_path, "extra.ttl", text))
    return err.value.problems


PREFIX_EXTRA = (
    "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)
STATEMENT = """scad:stmt-x a owl:NamedIndividual , scad:OutcomeStatement ;
  rdfs:label "s"@en , "陈述"@zh ; scad:therapy scad:msct ; scad:condition scad:sle ;
  scad:locator scad:loc-s2-p1 ; scad:summary "s"@en , "陈述"@zh ;
"""


def test_a_statement_needs_its_asserting_document(tmp_path):
    problems = refused(tmp_path, STATEMENT + "  scad:source scad:sun-2025 .\n")
    assert any("scad:stmt-x scad:assertedBy" in p for p in problems), problems


def test_a_statement_is_credited_only_to_a_work_its_document_cites(tmp_path):
    text = STATEMENT + "  scad:assertedBy scad:hangi-article ; scad:source scad:ref-y .\n"
    text += 'scad:ref-y a owl:NamedIndividual , scad:ReviewArticle ; rdfs:label "y"@en , "y"@zh ;\n'
    text += '  dcterms:title "y"@en ; dcterms:issued "2020"^^xsd:gYear .\n'
    problems = refused(tmp_path, PREFIX_EXTRA + text)
    assert any("scad:stmt-x" in p and "cites" in p for p in problems), problems


# ---------------------------------------------------------------------------------------------
# E1 the EULAR recommendations: "2023 update" is their name, October 2024 their publication


def test_e1_eular_recommendations_are_dated_by_their_publication(store):
    rows = select(
        store,
        """SELECT ?issued ?print ?volume ?pages ?journal ?title WHERE {
             scad:eular-ssc-2023 dcterms:issued ?issued ; scad:printIssued ?print ;
               scad:volume ?volume ; scad:pages ?pages ; scad:journal ?journal ;
               dcterms:title ?title }""",
    )
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["issued"], row["print"]) == ("2024-10", "2025")
    assert (row["volume"], row["pages"]) == ("84", "29-40")
    assert row["journal"] == SCAD + "ann-rheum-dis" and "2023 update" in row["title"]
    assert ask(store, 'ASK { scad:eular-ssc-2023 dcterms:issued "2024-10"^^xsd:gYearMonth }')
    assert ask(store, 'ASK { scad:eular-ssc-2023 scad:printIssued "2025"^^xsd:gYear }')
    event = select(
        store,
        """SELECT ?d ?p WHERE { scad:ev-2023-eular-ssc-recommendations scad:date ?d ;
             scad:datePrecision ?p }""",
    )
    assert event == [{"d": "2024-10", "p": SCAD + "month"}]
    for lang in ("en", "zh"):
        for label in texts(store, "ev-2023-eular-ssc-recommendations", "rdfs:label", lang):
            assert label.startswith(("October 2024", "2024年10月")), label
    # the DOI reported for them could not be verified: not recorded, and the note says why
    assert not values(store, "eular-ssc-2023", "scad:doi")
    assert any("DOI" in n for n in texts(store, "eular-ssc-2023", "scad:curationNote", "en"))


# ---------------------------------------------------------------------------------------------
# E2 point ④ of the HSCT section: nothing says the dcSSc progresses fast


def test_e2_point_4_does_not_say_fast_progression(store):
    for summary in texts(store, "stmt-eular-2023-hii-ahsct-dcssc", "scad:summary", "zh"):
        assert "快" not in summary and "迅速" not in summary, summary
    for summary in texts(store, "stmt-eular-2023-hii-ahsct-dcssc", "scad:summary", "en"):
        assert "rapid" not in summary and "fast" not in summary, summary
    notes = texts(store, "pop-early-progressive-dcssc", "scad:curationNote", "en")
    assert any("progressive" in n and "ambiguous" in n for n in notes), notes
    assert texts(store, "pop-early-progressive-dcssc", "scad:curationNote", "zh")


# ---------------------------------------------------------------------------------------------
# E3 the six statements on [4]: credited to [4] alone, about stem-cell therapy in general


@pytest.mark.parametrize("statement", sorted(CHEN_2025))
def test_e3_statements_on_chen_2025_are_credited_to_it_alone(store, statement):
    assert values(store, statement, "scad:source") == {SCAD + "chen-2025"}
    therapies = values(store, statement, "scad:therapy")
    assert therapies == {SCAD + "stem-cell-therapy"}, therapies


# ---------------------------------------------------------------------------------------------
# E4 the 1997 case opened a new chapter; the text does not call it the first


def test_e4_the_1997_event_is_not_called_the_first(store):
    for lang, words in (("en", ("first",)), ("zh", ("首次", "首例", "第一"))):
        for label in texts(store, "ev-1997-first-autologous-hsct-sle", "rdfs:label", lang):
            assert not any(w in label.lower() for w in words), label


# ---------------------------------------------------------------------------------------------
# E5 the [2] paragraph gives the MSC mechanisms as potential


def test_e5_mechanisms_of_review_2_stay_potential(store):
    for prop in ("scad:summary", "rdfs:label"):
        for text in texts(store, "stmt-jasim-2022-msc-mechanisms", prop, "en"):
            assert "potential" in text or "may" in text, text
        for text in texts(store, "stmt-jasim-2022-msc-mechanisms", prop, "zh"):
            assert "可能" in text or "潜在" in text, text


# ---------------------------------------------------------------------------------------------
# E6 point ⑦ of the MSC section names no comparator


def test_e6_point_7_makes_no_contrast_with_autologous_hsct(store):
    statement = "stmt-allo-msct-practical-advantages"
    assert not values(store, statement, "scad:comparator")
    assert SCAD + "ComparisonStatement" not in values(store, statement, "a")
    for lang, word in (("en", "autologous"), ("zh", "自体")):
        for text in texts(store, statement, "scad:summary", lang):
            assert word not in text, text


# ---------------------------------------------------------------------------------------------
# M1 the white-cell count of zero has no unit in the text, and none in the graph


def test_m1_white_cell_count_has_no_invented_unit(store):
    outcome = "out-myeloablative-white-cells"
    assert not values(store, outcome, "scad:unit")
    assert ask(
        store, f"ASK {{ <{SCAD}{outcome}> scad:noUnit true ; scad:value ?v FILTER(?v = 0) }}"
    )
    assert texts(store, outcome, "scad:curationNote", "en")
    assert not ask(store, "ASK { scad:unit-cells-per-litre ?p ?o }")


def outcome_text(unit: str) -> str:
    return (
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'scad:out-x a owl:NamedIndividual , scad:Outcome ; rdfs:label "o"@en , "o"@zh ;\n'
        f'  scad:measure scad:white-cell-count ; scad:value "3"^^xsd:decimal {unit}.\n'
    )


def test_m1_an_outcome_without_a_unit_must_say_so(tmp_path):
    problems = refused(tmp_path, outcome_text(""))
    assert any("scad:out-x" in p and "unit" in p for p in problems), problems


def test_m1_an_outcome_flagged_without_unit_has_none_and_a_note(tmp_path):
    problems = refused(tmp_path, outcome_text("; scad:noUnit true ; scad:unit scad:unit-percent "))
    assert any("scad:out-x" in p and "noUnit" in p for p in problems), problems
    problems = refused(tmp_path / "b", outcome_text("; scad:noUnit true "))
    assert any("scad:out-x" in p and "curation note" in p for p in problems), problems


# ---------------------------------------------------------------------------------------------
# M2 "近" (nearly) is one pattern: an approximate point value, no bound


@pytest.mark.parametrize(
    "outcome, value",
    [("out-research-history-30y", "30"), ("out-chen-2025-academic-funding", "50")],
)
def test_m2_nearly_is_an_approximate_value(store, outcome, value):
    rows = select(
        store,
        f"""SELECT ?v ?a ?lo ?hi WHERE {{ <{SCAD}{outcome}> scad:value ?v ; scad:approximate ?a .
              OPTIONAL {{ <{SCAD}{outcome}> scad:lowerBound ?lo }}
              OPTIONAL {{ <{SCAD}{outcome}> scad:upperBound ?hi }} }}""",
    )
    assert len(rows) == 1 and rows[0]["v"] == value and rows[0]["a"] == "true"
    assert rows[0]["lo"] is None and rows[0]["hi"] is None
    assert texts(store, outcome, "scad:curationNote", "en")


# ---------------------------------------------------------------------------------------------
# M3 point ⑤ of the HSCT section: cyclophosphamide alone, no transplant, no conditioning


def test_m3_cyclophosphamide_alone_is_a_drug_regimen_not_conditioning(store):
    statement = "stmt-nonmyeloablative-cyclophosphamide-alone"
    assert not values(store, statement, "scad:conditioning")
    assert SCAD + "non-myeloablative-cyclophosphamide" in values(store, statement, "scad:therapy")
    regimen = "non-myeloablative-cyclophosphamide"
    assert ask(
        store,
        f"ASK {{ <{SCAD}{regimen}> a scad:DrugRegimen ; scad:givesDrug scad:cyclophosphamide }}",
    )
    assert not ask(store, f"ASK {{ <{SCAD}{regimen}> a scad:ConditioningRegimen }}")


def test_m3_conditioning_without_a_transplant_is_refused(tmp_path):
    text = STATEMENT.replace("scad:msct", "scad:cyclophosphamide")
    text += "  scad:assertedBy scad:hangi-article ; scad:source scad:sun-2025 ;\n"
    text += "  scad:conditioning scad:non-myeloablative-conditioning .\n"
    problems = refused(tmp_path, text)
    assert any("scad:stmt-x" in p and "transplant" in p for p in problems), problems


# ---------------------------------------------------------------------------------------------
# the attribution note of points ①–⑧ of the MSC section


def test_msc_points_credit_sun_by_default_and_keep_the_three_papers_open(store):
    rows = select(
        store,
        """SELECT ?s ?note WHERE { ?s scad:locator/scad:section scad:section-4 ;
             scad:locator/scad:pointNumber ?n ; scad:attributionNote ?note
             FILTER(langMatches(lang(?note), "en")) }""",
    )
    assert len({r["s"] for r in rows}) >= 8
    for r in rows:
        assert "[1], [2] and [4]" in r["note"], r
        assert "figures are those of" not in r["note"], r
        assert values(store, local(r["s"]), "scad:source") == {SCAD + "sun-2025"}
    zh = select(
        store,
        """SELECT ?s WHERE { ?s scad:locator/scad:section scad:section-4 ;
             scad:locator/scad:pointNumber ?n .
             FILTER NOT EXISTS { ?s scad:attributionNote ?z FILTER(langMatches(lang(?z), "zh")) } }""",
    )
    assert not zh
