"""Coverage of the review by the graph: every item of tests/data/coverage.tsv resolves, every
statement is sourced and located, every scad: entity is labelled in English and Chinese, every
number and date of the review is in the graph, and nothing under ontology/ or queries/ copies the
review's Chinese text."""

from __future__ import annotations

import csv
import gzip
import re
from decimal import Decimal

import pytest
from conftest import ROOT, TIMELINE

SCAD = "https://w3id.org/scad/"
SEED = ROOT / "tests" / "data" / "source" / "000_a9ce8c544dc19b6d.txt.gz"  # see its README
COVERAGE = ROOT / "tests" / "data" / "coverage.tsv"
GRAPHS = (SCAD + "graph/ontology", SCAD + "graph/statements")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
COPY_RUN = 14  # this many Han characters in a row, identical to the review, count as copying
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
# A year that is part of a name, not a date: "2023年EULAR…推荐" is the recommendations' "2023 update".
NAMED_YEAR = re.compile(r"(\d{4})年(?=EULAR)")


def seed_text() -> str:
    return gzip.decompress(SEED.read_bytes()).decode("utf-8")


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
    text = NAMED_YEAR.sub(" ", text)  # names: see the named-year test
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
    assert NAMED_YEAR.findall(split_seed(seed_text())[0]) == ["2023"]


def test_a_year_in_a_name_is_in_the_title_and_not_the_date(store):
    """The EULAR recommendations' "2023 update" is their name; they appeared in October 2024."""
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?title ?issued WHERE {{ ?g a scad:Guideline ; dcterms:title ?title ;
                                       dcterms:issued ?issued }}""",
    )
    for year in NAMED_YEAR.findall(split_seed(seed_text())[0]):
        named = [r for r in rows if f"{year} update" in r["title"]]
        assert named and all(not r["issued"].startswith(year) for r in named), (year, rows)


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
    start = review.index("现有药物")
    copied = f'    scad:summary "{review[start : start + 20]}"@zh .'  # 20 characters of the review
    assert copied_runs(review, copied)
    assert not copied_runs(review, '    scad:summary "现有药物大多只能压住症状"@zh .')


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(ROOT).as_posix()
        for p in [*ROOT.glob("ontology/**/*.ttl"), *ROOT.glob("queries/*.rq")]
    ),
)
def test_no_line_copies_the_review(path: str):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert not copied_runs(seed_text(), text)


# ---------------------------------------------------------------------------------------------
# every number of the review with its meaning: value or bounds, inclusiveness, unit, approximation,
# follow-up window, and the statement (therapy, condition, population, locator) that carries it

# outcome | value | lower | upper | lower inclusive | upper inclusive | unit | approximate |
# follow-up | follow-up unit ("-" for none), as the review means each number
OUTCOME_TABLE = """
out-ad-patients-china            80000000 -    -   -     -     unit-persons         true  - -
out-1970s-ra-patients            4        -    -   -     -     unit-patients        -     - -
out-1970s-long-term-remission    1        -    -   -     -     unit-patients        -     - -
out-1997-sle-patients            1        -    -   -     -     unit-patients        -     - -
out-hsct-patients-worldwide      -        4000 -   false -     unit-patients        -     - -
out-allo-hsct-mortality          -        30   50  true  true  unit-percent         -     - -
out-research-history-30y         30       -    -   -     -     unit-year            true  - -
out-hsct-relapse-1y              40       -    -   -     -     unit-percent         true  1 unit-year
out-myeloablative-white-cells    0        -    -   -     -     -                    -     - -
out-myeloablative-trm            -        2    17  true  true  unit-percent         -     - -
out-chen-2025-trial-count        244      -    -   -     -     unit-trials          -     - -
out-chen-2025-phase-1-2          83.6     -    -   -     -     unit-percent         -     - -
out-chen-2025-academic-funding   50       -    -   -     -     unit-percent         true  - -
out-allo-msct-dose               -    1000000  -   true  -     unit-cells-per-kg    -     - -
out-allo-msct-infusions          1        -    -   -     -     unit-infusions       -     - -
out-allo-msct-sle-response       60       -    -   -     -     unit-percent         -     - -
out-allo-msct-sle-mortality-reduction-5y 29 -  -   -     -     unit-percent         -     5 unit-year
out-allo-msct-sle-remission-5y   34       -    -   -     -     unit-percent         -     5 unit-year
out-allo-msct-sle-relapse-5y     25       -    -   -     -     unit-percent         -     5 unit-year
"""

# outcome | statement | therapy | condition | population ("-" for none) | locator
CARRIER_TABLE = """
out-ad-patients-china stmt-ad-burden-china conventional-drugs autoimmune-disease pop-ad-china loc-s1-para1
out-1970s-ra-patients stmt-1970s-ra-allogeneic-bmt allogeneic-bone-marrow-transplantation ra pop-ra-gold-severe-aplastic-anaemia loc-s1-para2
out-1970s-long-term-remission stmt-1970s-arthritis-improved allogeneic-bone-marrow-transplantation ra pop-ra-gold-severe-aplastic-anaemia loc-s1-para2
out-1997-sle-patients stmt-1997-first-autologous-bm-hsct-sle autologous-bone-marrow-hsct sle pop-sle loc-s1-para4
out-hsct-patients-worldwide stmt-hsct-over-4000-refractory-patients hsct autoimmune-disease pop-refractory-ad loc-s1-para4
out-allo-hsct-mortality stmt-allo-hsct-rejection-mortality allogeneic-hsct autoimmune-disease - loc-s2-para1
out-research-history-30y stmt-research-history-30-years stem-cell-therapy autoimmune-disease - loc-s2-para1
out-hsct-relapse-1y stmt-hsct-relapse-1y hsct autoimmune-disease pop-refractory-ad loc-s2-p1
out-myeloablative-white-cells stmt-myeloablative-complications hsct autoimmune-disease - loc-s2-p2
out-myeloablative-trm stmt-myeloablative-trm hsct autoimmune-disease - loc-s2-p2
out-chen-2025-trial-count stmt-chen-2025-trials-phase stem-cell-therapy autoimmune-disease - loc-s3-para5
out-chen-2025-phase-1-2 stmt-chen-2025-trials-phase stem-cell-therapy autoimmune-disease - loc-s3-para5
out-chen-2025-academic-funding stmt-chen-2025-academic-funding stem-cell-therapy autoimmune-disease - loc-s3-para5
out-allo-msct-dose stmt-allo-msct-regimen allogeneic-msct sle - loc-s4-p1
out-allo-msct-infusions stmt-allo-msct-regimen allogeneic-msct sle - loc-s4-p1
out-allo-msct-sle-response stmt-allo-msct-sle-response allogeneic-msct sle pop-sle loc-s4-p1
out-allo-msct-sle-mortality-reduction-5y stmt-allo-msct-refractory-sle-5y allogeneic-msct sle pop-refractory-sle loc-s4-p8
out-allo-msct-sle-remission-5y stmt-allo-msct-refractory-sle-5y allogeneic-msct sle pop-refractory-sle loc-s4-p8
out-allo-msct-sle-relapse-5y stmt-allo-msct-refractory-sle-5y allogeneic-msct sle pop-refractory-sle loc-s4-p8
"""


def parse_table(text: str) -> dict[str, list[str | None]]:
    rows = [line.split() for line in text.strip().splitlines()]
    return {r[0]: [None if c == "-" else c for c in r[1:]] for r in rows}


OUTCOMES = parse_table(OUTCOME_TABLE)
CARRIERS = parse_table(CARRIER_TABLE)


def outcome_rows(store) -> dict[str, dict]:
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?o ?value ?lower ?upper ?lowerIncl ?upperIncl ?unit ?approximate ?followUp ?followUpUnit
        WHERE {{
          ?o a scad:Outcome .
          OPTIONAL {{ ?o scad:value ?value }} OPTIONAL {{ ?o scad:lowerBound ?lower }}
          OPTIONAL {{ ?o scad:upperBound ?upper }} OPTIONAL {{ ?o scad:lowerBoundInclusive ?lowerIncl }}
          OPTIONAL {{ ?o scad:upperBoundInclusive ?upperIncl }} OPTIONAL {{ ?o scad:unit ?unit }}
          OPTIONAL {{ ?o scad:approximate ?approximate }} OPTIONAL {{ ?o scad:followUp ?followUp }}
          OPTIONAL {{ ?o scad:followUpUnit ?followUpUnit }}
        }}""",
    )
    return {r["o"][len(SCAD) :]: r for r in rows}


def test_every_outcome_is_one_of_the_review_numbers(store):
    assert set(outcome_rows(store)) == set(OUTCOMES)


@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_outcome_value_bounds_unit_and_window(store, outcome):
    row = outcome_rows(store)[outcome]
    value, lower, upper, lower_incl, upper_incl, unit, approx, follow_up, follow_unit = OUTCOMES[
        outcome
    ]

    def dec(v):
        return None if v is None else Decimal(v)

    assert dec(row["value"]) == dec(value)
    assert (dec(row["lower"]), dec(row["upper"])) == (dec(lower), dec(upper))
    assert (row["lowerIncl"], row["upperIncl"]) == (lower_incl, upper_incl)
    assert row["unit"] == (None if unit is None else SCAD + unit)
    assert (row["approximate"] or "false") == (approx or "false")
    assert dec(row["followUp"]) == dec(follow_up)
    assert row["followUpUnit"] == (None if follow_unit is None else SCAD + follow_unit)


@pytest.mark.parametrize("outcome", sorted(CARRIERS))
def test_outcome_statement_therapy_condition_population_locator(store, outcome):
    statement, therapy, condition, population, locator = CARRIERS[outcome]
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?s ?t ?c ?p ?l WHERE {{
          ?s scad:outcome <{SCAD}{outcome}> ; scad:therapy ?t ; scad:condition ?c ; scad:locator ?l .
          OPTIONAL {{ ?s scad:population ?p }}
        }}""",
    )
    assert {r["s"] for r in rows} == {SCAD + statement}
    assert {r["t"] for r in rows} == {SCAD + therapy}
    assert {r["c"] for r in rows} == {SCAD + condition}
    assert {r["l"] for r in rows} == {SCAD + locator}
    if population:
        assert SCAD + population in {r["p"] for r in rows}


# ---------------------------------------------------------------------------------------------
# every numbered point of the two lists has its own statements


@pytest.mark.parametrize(
    "locator",
    [f"loc-s2-p{n}" for n in range(1, 7)] + [f"loc-s4-p{n}" for n in range(1, 9)],
)
def test_every_numbered_point_has_a_statement(store, locator):
    rows = select(store, f"SELECT ?s WHERE {{ ?s <{SCAD}locator> <{SCAD}{locator}> }}")
    assert rows, locator


def test_points_of_the_msc_list_carry_the_attribution_note(store):
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?s WHERE {{
          ?s scad:locator/scad:section scad:section-4 ; scad:locator/scad:pointNumber ?n .
          FILTER NOT EXISTS {{ ?s scad:attributionNote ?note FILTER(langMatches(lang(?note), "en")) }}
        }}""",
    )
    assert not rows


# ---------------------------------------------------------------------------------------------
# populations keep the review's qualifiers


@pytest.mark.parametrize(
    "statement, population, qualifiers",
    [
        ("stmt-hsct-relapse-1y", "pop-refractory-ad", {"refractory"}),
        ("stmt-hsct-efficacy-refractory-ad", "pop-refractory-ad", {"refractory"}),
        (
            "stmt-eular-2023-hii-ahsct-dcssc",
            "pop-early-progressive-dcssc",
            {"early", "progressive", "poor-prognosis", "without-cardiopulmonary-involvement"},
        ),
        ("stmt-fda-approval-2024-12", "pop-sr-agvhd", {"steroid-refractory"}),
        ("stmt-cde-approval-2025-01", "pop-sr-agvhd", {"steroid-refractory"}),
        ("stmt-autologous-msct-ineffective-sle", "pop-sle-model-mice", {"sle-model-mice"}),
        ("stmt-autologous-msct-ineffective-sle", "pop-sle", {"human-patients"}),
        ("stmt-allo-msct-refractory-sle-5y", "pop-refractory-sle", {"refractory"}),
        (
            "stmt-allo-msct-sle-retreatment",
            "pop-relapsed-refractory-sle",
            {"refractory", "relapsed"},
        ),
        ("stmt-2007-first-allo-bm-msct-sle", "pop-refractory-sle", {"refractory"}),
        (
            "stmt-1970s-ra-allogeneic-bmt",
            "pop-ra-gold-severe-aplastic-anaemia",
            {"severe", "gold-induced"},
        ),
        (
            "stmt-allo-msct-gc-comorbidities",
            "pop-ad-gc-comorbidities",
            {"glucocorticoid-associated"},
        ),
        (
            "stmt-allo-msct-tissue-repair",
            "pop-large-refractory-skin-ulcer",
            {"large-area", "refractory"},
        ),
        ("stmt-trend-early-first-line", "pop-early-ad-first-line", {"early", "first-line"}),
    ],
)
def test_population_qualifiers(store, statement, population, qualifiers):
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?q WHERE {{ <{SCAD}{statement}> scad:population <{SCAD}{population}> .
                          <{SCAD}{population}> scad:qualifier ?q }}""",
    )
    assert {r["q"][len(SCAD) :] for r in rows} >= qualifiers


def test_dates_keep_their_precision(store):
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}>
        SELECT ?e ?d ?p WHERE {{ ?e a scad:Event ; scad:date ?d ; scad:datePrecision ?p }}""",
    )
    got = {(r["d"], r["p"][len(SCAD) :]) for r in rows}
    assert got == set(TIMELINE)


def test_autoimmune_inflammatory_is_not_autoinflammatory(store):
    """§3's 自身免疫性炎症性疾病 and reference [3]'s autoinflammatory diseases are different groups."""
    rows = select(
        store,
        f"""PREFIX scad: <{SCAD}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?d ?zh WHERE {{
          <{SCAD}stmt-jasim-2022-msc-conventional-synergy> scad:condition ?d .
          ?d rdfs:label ?zh FILTER(lang(?zh) = "zh") }}""",
    )
    assert "自身免疫性炎症性疾病" in {r["zh"] for r in rows}
    assert SCAD + "autoinflammatory-disease" not in {r["d"] for r in rows}


# ---------------------------------------------------------------------------------------------
# external identifiers: only verified rows of the shared identifier table, for the right concept

IDS = ROOT / "tests" / "data" / "ids.tsv"  # the checked identifiers (see tests/data/README.md)
MAPPINGS = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")


def verified_ids() -> set[str]:
    found: set[str] = set()
    with IDS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["status"] == "verified":
                for part in re.split(r"\s*/\s*", row["id"]):
                    if re.fullmatch(r"[A-Za-z]+:[A-Z]?\d+", part.strip()):
                        found.add(part.strip().replace(":", "_"))
    return found


def test_every_obo_mapping_is_a_verified_identifier(store):
    values = " ".join(f"skos:{m}" for m in MAPPINGS)
    rows = select(
        store,
        f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT DISTINCT ?x WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?x
          FILTER(STRSTARTS(STR(?x), "http://purl.obolibrary.org/obo/")) }}""",
    )
    used = {r["x"].rsplit("/", 1)[1] for r in rows}
    assert used and not used - verified_ids()


@pytest.mark.parametrize(
    "entity, identifier",
    [
        ("dcssc", "DOID_1580"),  # DOID's 'diffuse scleroderma', no MONDO exact mapping
        ("autoimmune-liver-disease", "MONDO_0016264"),  # autoimmune hepatitis
        ("autoimmune-liver-disease", "DOID_2048"),
        ("gold-preparation", "CHEBI_5516"),  # one gold salt among several
    ],
)
def test_near_concepts_are_close_matches_only(store, entity, identifier):
    obo = "http://purl.obolibrary.org/obo/" + identifier
    skos = "http://www.w3.org/2004/02/skos/core#"
    assert not store.query(
        f"ASK {{ <{SCAD}{entity}> <{skos}exactMatch> <{obo}> }}", use_default_graph_as_union=True
    )
    assert store.query(
        f"ASK {{ <{SCAD}{entity}> <{skos}closeMatch> <{obo}> }}", use_default_graph_as_union=True
    )


@pytest.mark.parametrize(
    "entity",
    [
        "pop-early-progressive-dcssc",  # 无心肺疾病进展 read one of two ways
        "stmt-nonmyeloablative-cyclophosphamide-alone",  # a drug regimen, not conditioning
        "out-myeloablative-white-cells",  # zero, given without a unit
        "out-research-history-30y",  # 'nearly' as an approximate value
        "eular-ssc-2023",  # '2023 update' is a name; the DOI left out, unverified
        "hangi-article",  # title, author, date and address left open
        "stmt-review-aims",  # 'this article' and aims credited to [1]
        "stmt-allo-msct-refractory-sle-5y",  # absolute or relative fall not said
        "ev-2024-12-fda-approval",  # the month of each approval is read from a range
        "ev-2025-01-cde-approval",
        "ev-1970s-ra-allogeneic-bmt",  # the decade as 1970; the place from 'European'
        "ev-1997-first-autologous-hsct-sle",  # the place from the team's nationality
        "out-chen-2025-academic-funding",  # 'nearly half' without a figure
        "dcssc",  # DOID:1580 a close match only
    ],
)
def test_curators_inferences_are_said_to_be_ours(store, entity):
    rows = select(store, f"SELECT ?n WHERE {{ <{SCAD}{entity}> <{SCAD}curationNote> ?n }}")
    assert rows, entity


@pytest.mark.parametrize(
    "statement", ["stmt-jasim-2022-msc-conventional-synergy", "stmt-jasim-2022-msc-mechanisms"]
)
def test_paragraph_after_review_2_carries_an_attribution_note(store, statement):
    """The paragraph may summarise reference [3] rather than [2]: say so, in both languages."""
    rows = select(store, f"SELECT ?n WHERE {{ <{SCAD}{statement}> <{SCAD}attributionNote> ?n }}")
    notes = [r["n"] for r in rows]
    assert any("[3]" in n for n in notes) and len(notes) == 2
