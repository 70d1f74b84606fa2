"""Coverage of the review by the graph: every item of tests/data/coverage.tsv resolves, every
statement is sourced and located, every scad: entity is labelled in English and Chinese, every
number and date of the review is in the graph, and nothing under ontology/ or queries/ copies the
review's Chinese text."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

from kg.config import PROJECT_ROOT

SCAD = "https://w3id.org/scad/"
SEED = Path("/work/shared/seed/000_a9ce8c544dc19b6d.txt")
COVERAGE = PROJECT_ROOT / "tests" / "data" / "coverage.tsv"
GRAPHS = (SCAD + "graph/ontology", SCAD + "graph/statements")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
COPY_RUN = 14  # this many Han characters in a row, identical to the review, count as copying
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"the seed review {SEED} is not available here")
    return SEED.read_text(encoding="utf-8")


def split_seed(text: str) -> tuple[str, str]:
    """The review's body and its reference list (the rehosting site's disclaimer left out)."""
    body, _, rest = text.partition("References:")
    refs = rest.split("Disclaimer:")[0]
    return body, refs


def select(store, query: str) -> list[dict]:
    results = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [{n: (None if s[n] is None else s[n].value) for n in names} for s in results]


def expand(curie: str) -> str:
    return SCAD + curie[len("scad:") :] if curie.startswith("scad:") else curie


# ---------------------------------------------------------------------------------------------
# coverage.tsv


def coverage_rows() -> list[dict]:
    with COVERAGE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_coverage_table_is_well_formed():
    rows = coverage_rows()
    assert rows and list(rows[0]) == ["item", "kind", "section", "iri"]
    kinds = {r["kind"] for r in rows}
    for kind in ("number", "date", "person", "organisation", "disease", "therapy", "reference"):
        assert kind in kinds, kind
    for r in rows:
        assert r["item"] and r["iri"].startswith("scad:"), r
        assert r["section"].isdigit() and 0 <= int(r["section"]) <= 8, r


def test_every_coverage_row_resolves(store):
    query = f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{SCAD}')) }}"
    subjects = {r["s"] for r in select(store, query)}
    missing = [(r["item"], r["iri"]) for r in coverage_rows() if expand(r["iri"]) not in subjects]
    assert not missing


# ---------------------------------------------------------------------------------------------
# statements: source and locator


def test_every_statement_has_a_doi_or_guideline_source(store):
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?s WHERE {{
          ?s a scad:EvidenceStatement .
          FILTER NOT EXISTS {{
            ?s scad:source ?r .
            {{ ?r scad:doi ?doi }} UNION {{ ?r a scad:Guideline }}
          }}
        }}""",
    )
    assert not rows


def test_every_statement_has_exactly_one_locator(store):
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?s (COUNT(DISTINCT ?l) AS ?n) WHERE {{
          ?s a scad:EvidenceStatement .
          OPTIONAL {{ ?s scad:locator ?l . ?l scad:section ?section }}
        }} GROUP BY ?s HAVING (COUNT(DISTINCT ?l) != 1)""",
    )
    assert not rows


def test_every_statement_has_summaries_in_both_languages(store):
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?s WHERE {{
          ?s a scad:EvidenceStatement .
          FILTER(NOT EXISTS {{ ?s scad:summary ?en FILTER(langMatches(lang(?en), "en")) }}
              || NOT EXISTS {{ ?s scad:summary ?zh FILTER(langMatches(lang(?zh), "zh")) }})
        }}""",
    )
    assert not rows


def test_quantitative_statements_have_one_therapy_and_one_condition(store):
    """So that the evidence table has exactly one row per outcome."""
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?s WHERE {{ ?s scad:outcome ?o ; scad:therapy ?t ; scad:condition ?c }}
        GROUP BY ?s HAVING (COUNT(DISTINCT ?t) != 1 || COUNT(DISTINCT ?c) != 1)""",
    )
    assert not rows


# ---------------------------------------------------------------------------------------------
# labels


def test_every_scad_entity_has_english_and_chinese_labels(store):
    values = " ".join(f"<{g}>" for g in GRAPHS)
    rows = select(
        store,
        f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?s WHERE {{
          VALUES ?g {{ {values} }}
          GRAPH ?g {{ ?s ?p ?o }}
          FILTER(STRSTARTS(STR(?s), "{SCAD}"))
          FILTER(NOT EXISTS {{ ?s rdfs:label ?en FILTER(langMatches(lang(?en), "en")) }}
              || NOT EXISTS {{ ?s rdfs:label ?zh FILTER(langMatches(lang(?zh), "zh")) }})
        }}""",
    )
    assert not rows


# ---------------------------------------------------------------------------------------------
# numbers and dates of the review


def graph_numbers(store) -> tuple[set[Decimal], set[tuple[int, int]]]:
    """Every value, bound and follow-up as a number; every date's year as a number; every
    year-month as a pair."""
    numbers: set[Decimal] = set()
    months: set[tuple[int, int]] = set()
    for r in select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?v WHERE {{
          VALUES ?p {{ scad:value scad:lowerBound scad:upperBound scad:followUp }}
          ?x ?p ?v }}""",
    ):
        numbers.add(Decimal(r["v"]))
    for r in select(
        store,
        f"""PREFIX scad: <{SCAD}> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?d WHERE {{ ?x scad:date|dcterms:issued ?d }}""",
    ):
        year, _, month = r["d"].partition("-")
        numbers.add(Decimal(int(year)))
        if month:
            months.add((int(year), int(month[:2])))
    return numbers, months


def review_numbers(body: str) -> tuple[list[Decimal], list[tuple[int, int]]]:
    """The numbers and year-months written in the review's body, read as the text means them."""
    text = re.sub(r"\[\d+\]", " ", body)  # citation marks: see the reference-list test
    months = [(int(y), int(m)) for y, m in re.findall(r"(\d{4})年(\d{1,2})月", text)]
    text = re.sub(r"(\d{4})年(\d{1,2})月", " ", text)
    numbers: list[Decimal] = []
    for mantissa, exponent in re.findall(r"(\d+)×10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", text):
        numbers.append(Decimal(mantissa) * 10 ** int(exponent.translate(SUPERSCRIPTS)))
    text = re.sub(r"\d+×10[⁰¹²³⁴⁵⁶⁷⁸⁹]+", " ", text)
    for century, decade in re.findall(r"(\d+)世纪(\d+)年代", text):
        numbers.append(Decimal((int(century) - 1) * 100 + int(decade)))
    text = re.sub(r"\d+世纪\d+年代", " ", text)
    for value in re.findall(r"(\d+(?:\.\d+)?)万", text):
        numbers.append(Decimal(value) * 10_000)
    text = re.sub(r"\d+(?:\.\d+)?万", " ", text)
    text = re.sub(r"IL-\d+|\d+型", " ", text)  # names: interleukin-6, type 1 diabetes
    numbers += [Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", text)]
    return numbers, months


def test_review_numbers_are_what_we_expect():
    numbers, months = review_numbers(split_seed(seed_text())[0])
    expected = {
        80_000_000,
        1970,
        4,
        1,
        1993,
        1997,
        4000,
        30,
        50,
        40,
        0,
        2,
        17,
        2023,
        2007,
        2022,
        244,
        Decimal("83.6"),
        1_000_000,
        60,
        5,
        29,
        34,
        25,
    }
    assert {Decimal(n) for n in expected} == set(numbers)
    assert set(months) == {(2025, 7), (2024, 12), (2025, 1)}


def test_every_number_and_date_of_the_review_is_in_the_graph(store):
    numbers, months = review_numbers(split_seed(seed_text())[0])
    in_graph, graph_months = graph_numbers(store)
    assert not [n for n in numbers if n not in in_graph]
    assert not [m for m in months if m not in graph_months]


def test_every_number_of_the_reference_list_is_in_the_references(store):
    refs = split_seed(seed_text())[1]
    dois = {d.rstrip(".") for d in re.findall(r"10\.\d{4,9}/[^\s。)]+", refs)}
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?doi ?issued ?volume ?issue ?pages ?article ?n WHERE {{
          ?r a scad:Reference ; dcterms:issued ?issued .
          OPTIONAL {{ ?r scad:doi ?doi }} OPTIONAL {{ ?r scad:volume ?volume }}
          OPTIONAL {{ ?r scad:issue ?issue }} OPTIONAL {{ ?r scad:pages ?pages }}
          OPTIONAL {{ ?r scad:articleNumber ?article }} OPTIONAL {{ ?r scad:citationNumber ?n }}
        }}""",
    )
    assert dois <= {r["doi"] for r in rows}
    known: set[int] = set()
    for r in rows:
        for key in ("issued", "volume", "issue", "article", "n"):
            if r[key]:
                known.add(int(r[key][:4] if key == "issued" else r[key]))
        if r["pages"]:
            known |= {int(p) for p in r["pages"].split("-")}
    text = refs
    for doi in dois:
        text = text.replace(doi, " ")
    numbers = {int(n) for n in re.findall(r"\d+", text)}
    assert not numbers - known


# ---------------------------------------------------------------------------------------------
# no copying of the review's Chinese text


def copied_runs(review: str, text: str) -> list[str]:
    review_han = "".join(HAN.findall(review))
    grams = {review_han[i : i + COPY_RUN] for i in range(len(review_han) - COPY_RUN + 1)}
    found = []
    for line in text.splitlines():
        if "dcterms:title" in line:  # a reference's title is quoted exactly, by design
            continue
        han = "".join(HAN.findall(line))
        found += [
            han[i : i + COPY_RUN]
            for i in range(len(han) - COPY_RUN + 1)
            if han[i : i + COPY_RUN] in grams
        ]
    return found


def test_copy_check_catches_a_copied_sentence():
    review = seed_text()
    copied = '    scad:summary "现有药物治疗多仅能控制症状,难以实现标本兼治"@zh .'
    assert copied_runs(review, copied)
    assert not copied_runs(review, '    scad:summary "现有药物大多只能压住症状"@zh .')


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(PROJECT_ROOT).as_posix()
        for p in [*PROJECT_ROOT.glob("ontology/**/*.ttl"), *PROJECT_ROOT.glob("queries/*.rq")]
    ),
)
def test_no_line_copies_the_review(path: str):
    text = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    assert not copied_runs(seed_text(), text)
