"""Expected answers of the canned queries that are not competency questions (queries/*.rq),
run the way the API and the CLI run them: values checked and bound by kg.catalogue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import MSCT_MECHANISMS, run_canned

S = "https://w3id.org/scad/"


@pytest.fixture(scope="module")
def run(engine, catalogue):
    """A canned query by name, checked and bound as the API and the CLI do it; rows as dicts."""
    return lambda name, **values: run_canned(engine, catalogue, name, **values)


def column(rows: list[dict], name: str) -> list:
    return [r[name] for r in rows]


# ---------------------------------------------------------------------------------------------
# timeline


def test_timeline_in_date_order_with_precision(run):
    rows = run("timeline")
    by_event = {r["event"]: r for r in rows}
    assert by_event[S + "ev-1970s-ra-allogeneic-bmt"]["date"] == "1970"
    assert by_event[S + "ev-1970s-ra-allogeneic-bmt"]["precision"] == "decade"
    assert by_event[S + "ev-1993-marmont-proposal"]["precision"] == "year"
    dates = column(rows, "date")
    assert dates == sorted(dates)
    for year in ("1970", "1993", "1997", "2007", "2022", "2024-10"):
        assert year in dates
    assert "2025-07" in dates  # July 2025: month precision kept
    assert any(d.startswith("2024-12") for d in dates) or any(
        d.startswith("2025-01") for d in dates
    )
    marmont = by_event[S + "ev-1993-marmont-proposal"]
    assert "Marmont" in marmont["label"] and marmont["kinds"] == "milestone"
    assert S + "stmt-1993-marmont-proposes-hsct-sle" in marmont["statements"].split()
    assert "10.3760/cma.j.cn141217-20250204-00032" in marmont["dois"].split()


def test_timeline_from_to_and_chinese(run):
    rows = run("timeline", **{"from": "2020", "to": "2024", "lang": "zh"})
    years = {r["date"][:4] for r in rows}
    assert years and years <= {"2020", "2021", "2022", "2023", "2024"}
    assert {"2022", "2024"} <= years
    assert all(r["lang"] == "zh" for r in rows)
    assert any("年" in (r["label"] or "") for r in rows)
    assert run("timeline", **{"from": "2025-07"})[0]["date"] >= "2025"


# ---------------------------------------------------------------------------------------------
# therapies and diseases with counts


def test_therapies_with_counts(run):
    rows = {r["therapy"]: r for r in run("therapies-with-counts")}
    msct = rows[S + "allogeneic-msct"]
    assert msct["label"] == "allogeneic MSCT"
    assert "allogeneic MSCT" in msct["kinds"]  # the most specific (inferred) class
    assert int(msct["statements"]) >= 10
    for therapy in (
        "autologous-hsct",
        "cyclophosphamide",
        "tocilizumab",
        "silibinin",
        "curcumin",
        "car-t",
    ):
        assert S + therapy in rows, therapy
    counts = [int(r["statements"]) for r in rows.values()]
    assert counts == sorted(counts, reverse=True)


def test_therapies_of_one_class(run):
    drugs = {r["therapy"] for r in run("therapies-with-counts", **{"class": "scad:Drug"})}
    assert {S + "cyclophosphamide", S + "tocilizumab", S + "silibinin", S + "curcumin"} <= drugs
    assert S + "allogeneic-msct" not in drugs
    zh = {r["therapy"]: r["label"] for r in run("therapies-with-counts", lang="zh")}
    assert (
        zh[S + "allogeneic-msct"] == "异体间充质干细胞移植" or "间充质" in zh[S + "allogeneic-msct"]
    )


def test_diseases_with_counts(run):
    rows = {r["disease"]: r for r in run("diseases-with-counts", lang="zh")}
    sle = rows[S + "sle"]
    assert sle["labelZh"].startswith("系统性红斑狼疮") and sle["label"] == sle["labelZh"]
    assert sle["labelEn"] == "systemic lupus erythematosus"
    assert int(sle["statements"]) >= 5 and int(sle["therapies"]) >= 3
    assert rows[S + "lupus-nephritis"]["labelZh"].startswith("狼疮肾炎")
    assert rows[S + "ra"]["labelZh"].startswith("类风湿关节炎")
    assert int(rows[S + "acute-gvhd"]["statements"]) >= 1


# ---------------------------------------------------------------------------------------------
# compare two therapies


def outcome(rows, measure_label: str) -> dict:
    return next(r for r in rows if r["measureLabel"] and measure_label in r["measureLabel"])


def test_compare_allogeneic_msct_with_autologous_hsct(run):
    rows = run("compare-therapies")  # defaults: allogeneic MSCT vs autologous HSCT
    assert {r["therapy"] for r in rows} == {S + "allogeneic-msct", S + "autologous-hsct"}
    assert {"efficacy", "safety"} <= set(column(rows, "aspect"))
    msct = [r for r in rows if r["therapy"] == S + "allogeneic-msct" and r["aspect"] == "efficacy"]
    response = outcome(msct, "response")
    assert Decimal(response["value"]) == 60 and response["unitLabel"] == "percent"
    five_year = [r for r in msct if r["followUp"] and Decimal(r["followUp"]) == 5]
    values = {r["measureLabel"]: Decimal(r["value"]) for r in five_year if r["value"]}
    assert sorted(values.values()) == [25, 29, 34]  # relapse, mortality reduction, remission
    assert all(r["followUpUnitLabel"] == "year" for r in five_year)
    safety = [r for r in rows if r["therapy"] == S + "allogeneic-msct" and r["aspect"] == "safety"]
    assert any(r["statement"] == S + "stmt-allo-msct-no-serious-adverse-events" for r in safety)
    assert all(r["dois"] for r in rows)


def test_compare_hsct_ranges_and_approximations(run):
    rows = run("compare-therapies", a="scad:hsct", b="scad:allogeneic-msct")
    hsct = [r for r in rows if r["therapy"] == S + "hsct"]
    relapse = outcome(hsct, "relapse")
    assert Decimal(relapse["value"]) == 40 and relapse["approximate"] == "true"
    assert Decimal(relapse["followUp"]) == 1 and relapse["followUpUnitLabel"] == "year"
    trm = outcome(hsct, "transplant-related mortality")
    assert (Decimal(trm["lowerBound"]), Decimal(trm["upperBound"])) == (2, 17)
    assert trm["value"] is None  # a range, not a point value
    assert relapse["a"] == S + "hsct" and relapse["b"] == S + "allogeneic-msct"


# ---------------------------------------------------------------------------------------------
# mechanisms and limitations by therapy


def test_mechanisms_of_hsct_and_msct(run):
    hsct = set(column(run("mechanisms-by-therapy", therapy="scad:hsct"), "mechanism"))
    assert {
        S + "immune-ablation",
        S + "tolerance-induction-lymphocyte-regeneration",
        S + "new-immune-balance",
    } <= hsct
    msct = set()
    for therapy in ("scad:msct", "scad:allogeneic-msct"):
        msct |= set(column(run("mechanisms-by-therapy", therapy=therapy), "mechanism"))
    assert {S + m for m in MSCT_MECHANISMS} <= msct
    everything = run("mechanisms-by-therapy")
    assert {S + "hsct", S + "msct", S + "allogeneic-msct"} <= set(column(everything, "therapy"))
    assert all(r["dois"] and r["locatorLabel"] for r in everything)


def test_limitations_of_allogeneic_hsc_and_autologous_cells(run):
    allo = set(column(run("limitations-by-therapy", therapy="scad:allogeneic-hsct"), "limitation"))
    assert {S + "rejection", S + "large-scale-ex-vivo-expansion"} <= allo
    for therapy in ("autologous-hsct", "autologous-msct"):
        found = set(column(run("limitations-by-therapy", therapy=f"scad:{therapy}"), "limitation"))
        assert {S + "limited-efficacy", S + "relapse"} <= found, therapy
    zh = run("limitations-by-therapy", therapy="scad:allogeneic-hsct", lang="zh")
    assert all(r["lang"] == "zh" for r in zh) and any(
        "排" in (r["limitationLabel"] or "") for r in zh
    )


# ---------------------------------------------------------------------------------------------
# statements by reference and by section


def test_statements_by_reference(run):
    rows = run("statements-by-reference")
    refs = set(column(rows, "reference"))
    assert {S + "sun-2025", S + "jasim-2022", S + "chen-2025"} <= refs
    assert all(r["doi"] for r in rows if r["reference"] != S + "eular-ssc-2023")  # DOI unchecked
    chen = run("statements-by-reference", reference="scad:chen-2025")
    assert chen and {r["doi"] for r in chen} == {"10.3389/fimmu.2025.1616231"}
    assert any("244" in (r["summary"] or "") for r in chen)
    jasim = run("statements-by-reference", reference="scad:jasim-2022")
    assert {r["doi"] for r in jasim} == {"10.1186/s13287-022-02782-7"}


def test_statements_by_section_in_reading_order(run):
    rows = run("statements-by-section")
    sections = [int(r["sectionNumber"]) for r in rows]
    assert sections == sorted(sections) and set(range(0, 8)) <= set(sections)
    point8 = run("statements-by-section", sectionNumber="4", pointNumber="8")
    assert S + "stmt-allo-msct-refractory-sle-5y" in column(point8, "statement")
    assert {r["point"] for r in point8} == {"8"} and {r["sectionNumber"] for r in point8} == {"4"}
    section2 = run("statements-by-section", sectionNumber="2")
    assert {r["sectionNumber"] for r in section2} == {"2"}
    assert {"1", "2", "3", "4", "5", "6"} <= {r["point"] for r in section2 if r["point"]}


# ---------------------------------------------------------------------------------------------
# search and describe


@pytest.mark.parametrize("text", ["狼疮", "lupus", "LUPUS"])
def test_search_finds_lupus_in_both_languages(run, text):
    rows = {r["entity"]: r for r in run("search", q=text)}
    assert S + "sle" in rows and S + "lupus-nephritis" in rows
    assert int(rows[S + "sle"]["statements"]) >= 5  # with their statements
    assert int(rows[S + "lupus-nephritis"]["statements"]) >= 1
    assert text.lower() in rows[S + "sle"]["matched"].lower()


def test_search_summaries_and_chinese_labels(run):
    rows = run("search", q="Marmont", lang="zh")
    assert S + "stmt-1993-marmont-proposes-hsct-sle" in column(rows, "entity")
    lupus = run("search", q="lupus", lang="zh")
    sle = next(r for r in lupus if r["entity"] == S + "sle")
    assert sle["label"].startswith("系统性红斑狼疮")
    assert run("search", q="no such text anywhere 12345") == []


def test_search_ranks_with_the_index(run):
    """The canned query keeps its columns and takes the index's ranking: best match first."""
    rows = run("search", q="系統性紅斑狼瘡", lang="zh")
    assert rows[0]["entity"] == S + "sle" and rows[0]["matched"] == "系统性红斑狼疮"
    assert list(rows[0]) == ["entity", "label", "kinds", "matched", "statements", "q", "lang"]
    assert rows[0]["kinds"] == "自身免疫性疾病" and int(rows[0]["statements"]) >= 5


def test_describe_entity_lists_every_statement_touching_it(run):
    rows = run("describe-entity", entity="scad:sle")
    statements = set(column(rows, "statement"))
    assert S + "stmt-1993-marmont-proposes-hsct-sle" in statements  # as its condition
    assert S + "stmt-allo-msct-sle-response" in statements
    assert S + "stmt-allo-msct-refractory-sle-5y" in statements  # through its population
    via = {r["via"] for r in rows}
    assert S + "condition" in via
    assert all(r["entity"] == S + "sle" for r in rows)
    msct = run("describe-entity", entity="scad:allogeneic-msct")
    assert S + "therapy" in column(msct, "via")
    assert run("describe-entity", entity="https://example.org/nothing") == []


def test_every_list_query_takes_lang_and_pages(run, catalogue):
    for name, values in [
        ("timeline", {}),
        ("therapies-with-counts", {}),
        ("diseases-with-counts", {}),
        ("statements-by-section", {}),
        ("search", {"q": "MSC"}),
    ]:
        query = catalogue.get(name)
        assert query.parameter("lang") is not None and query.paginated, name
        full = run(name, **values)
        page = run(name, limit="2", offset="1", **values)
        assert page == full[1:3], name


# ---------------------------------------------------------------------------------------------
# The command line: `kg queries`, `kg query NAME --param …` locally and against a service


def test_cli_lists_the_queries(capsys):
    from kg.cli import main

    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    assert "search\n    Search labels and summaries" in out
    assert "--q (string required)" in out
    assert "--therapy (iri scad:Intervention)" in out


def test_cli_runs_a_canned_query_locally(built, capsys):
    from kg.cli import main

    store = str(built.store_path)
    assert main(["query", "search", "--store", store, "--q", "狼疮", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("entity,label,kinds,matched,statements,q,lang")
    assert S + "lupus-nephritis" in out
    args = ["query", "timeline", "--store", store, "--param", "from=2020", "--lang=zh"]
    assert main([*args, "--limit", "2"]) == 0
    table = capsys.readouterr().out
    assert "(2 rows)" in table and "2022" in table and "1993" not in table
    assert (
        main(
            [
                "query",
                "mechanisms-by-therapy",
                "--store",
                store,
                "--therapy",
                "scad:hsct",
                "--format",
                "json",
            ]
        )
        == 0
    )
    assert '"immune-ablation"' in capsys.readouterr().out.replace(S, '"')


def test_cli_reports_bad_parameters(built, capsys):
    from kg.cli import main

    store = str(built.store_path)
    assert (
        main(["query", "describe-entity", "--store", store, "--entity", "x> } ; DROP ALL ; #"]) == 6
    )
    assert "parameter 'entity'" in capsys.readouterr().err
    assert main(["query", "search", "--store", store]) == 6
    assert "parameter 'q'" in capsys.readouterr().err
    assert main(["query", "ASK {}", "--store", store, "--lang", "zh"]) != 0


def test_cli_against_a_running_service(server, capsys):
    from kg.cli import main

    assert (
        main(["query", "search", "--endpoint", server.url, "--q", "lupus", "--format", "csv"]) == 0
    )
    assert S + "sle" in capsys.readouterr().out
    assert main(["query", "search", "--endpoint", server.url, "--q", "lupus", "--limit", "1"]) == 0
    assert "(1 row)" in capsys.readouterr().out
    assert main(["query", "compare-therapies", "--endpoint", server.url, "--a", "scad:sle"]) == 6
    assert "parameter 'a'" in capsys.readouterr().err
    assert main(["queries", "--endpoint", server.url]) == 0
    assert "describe-entity" in capsys.readouterr().out
