"""The competency questions (shared/competency-questions.md), one test each, run through their
canned queries (queries/cqNN-*.rq) against the graph built by the real build; plus the evidence
table."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import MSCT_MECHANISMS, TIMELINE
from pyoxigraph import Literal, NamedNode

SCAD = "https://w3id.org/scad/"
SUN_2025_DOI = "10.3760/cma.j.cn141217-20250204-00032"


def iri(local: str) -> NamedNode:
    return NamedNode(SCAD + local)


def local(value: str | None) -> str | None:
    return value[len(SCAD) :] if value and value.startswith(SCAD) else value


def num(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def test_cq01_therapies_by_kind(run_query, store):
    rows = run_query("cq01-therapies-by-kind")
    group = {local(r["therapy"]): r["group"] for r in rows}
    for therapy in (
        "autologous-hsct",
        "allogeneic-hsct",
        "autologous-msct",
        "allogeneic-msct",
        "allogeneic-bone-marrow-msct",
        "car-t",
    ):
        assert group[therapy] == "cell therapy", therapy
    for drug in (
        "glucocorticoids",
        "immunosuppressants",
        "biologics",
        "small-molecule-drugs",
        "cyclophosphamide",
        "tocilizumab",
        "ifn-gamma",
        "non-myeloablative-cyclophosphamide",  # a drug regimen: cyclophosphamide alone
    ):
        assert group[drug] == "drug", drug
    for herb in ("silibinin", "curcumin"):
        assert group[herb] == "herbal (TCM) active ingredient", herb
    assert len([r for r in rows if local(r["therapy"]) == "curcumin"]) == 1  # listed once
    zh = {local(r["therapy"]): r for r in run_query("cq01-therapies-by-kind", lang="zh")}
    assert zh["silibinin"]["label"] == "水飞蓟宾"
    assert zh["silibinin"]["group"] == "中药活性成分"
    assert zh["autologous-hsct"]["donor"] == "自体"
    # the reasoner's defined classes are in the store
    for individual, cls in (
        ("autologous-hsct", "AutologousHSCT"),
        ("allogeneic-hsct", "AllogeneicHSCT"),
        ("allogeneic-msct", "AllogeneicMSCT"),
        ("autologous-msct", "AutologousMSCT"),
        ("allogeneic-bone-marrow-msct", "BoneMarrowMSCT"),
    ):
        ask = f"ASK {{ <{SCAD}{individual}> a <{SCAD}{cls}> }}"
        assert store.query(ask, use_default_graph_as_union=True), (individual, cls)


def test_cq02_allogeneic_msct_in_sle(run_query):
    rows = run_query(
        "cq02-allogeneic-msct-outcomes", therapy=iri("allogeneic-msct"), condition=iri("sle")
    )
    by_measure = {local(r["measure"]): r for r in rows}
    response = by_measure["response-rate"]
    assert num(response["value"]) == 60 and response["unitLabel"] == "percent"
    for measure, value in (
        ("mortality-reduction", 29),
        ("clinical-remission-rate", 34),
        ("relapse-rate", 25),
    ):
        row = by_measure[measure]
        assert num(row["value"]) == value, measure
        assert num(row["followUp"]) == 5 and row["followUpUnitLabel"] == "year", measure
        assert row["unitLabel"] == "percent"
        assert SUN_2025_DOI in row["dois"]
        assert "refractory SLE" in row["populations"]
    assert by_measure["mortality-reduction"]["directionLabel"] == "decrease"
    dose = by_measure["cell-dose"]
    assert num(dose["lower"]) == 1_000_000 and dose["value"] is None
    assert all(SUN_2025_DOI in r["dois"] for r in rows)


def test_cq03_relapse_after_hsct(run_query):
    rows = run_query("cq03-relapse-after-hsct", therapy=iri("hsct"), measure=iri("relapse-rate"))
    assert len(rows) == 1
    row = rows[0]
    assert num(row["value"]) == 40
    assert row["approximate"] == "true"
    assert num(row["followUp"]) == 1 and row["followUpUnitLabel"] == "year"
    assert row["unitLabel"] == "percent"
    assert row["doi"] == SUN_2025_DOI
    assert "point ①" in row["locatorLabel"]


def test_cq04_conditioning_regimens(run_query):
    # an empty GROUP_CONCAT may come back unbound: read it as ""
    rows = [
        {k: ("" if v is None else v) for k, v in r.items()}
        for r in run_query("cq04-conditioning-regimens")
    ]
    by_regimen: dict[str, list[dict]] = {}
    for r in rows:
        by_regimen.setdefault(local(r["regimen"]), []).append(r)
    myelo = [r for r in by_regimen["myeloablative-conditioning"] if r["role"] == "conditioning"]
    assert any(
        "2-17" in r["outcomes"] and "transplant-related mortality" in r["outcomes"] for r in myelo
    )
    assert any("high complication rate" in r["limitations"] for r in myelo)
    assert any("white-cell count" in r["outcomes"] and ": 0 " in r["outcomes"] for r in myelo)
    assert any(local(r["statement"]) == "stmt-myeloablative-infection-death" for r in myelo)
    assert "zero" in myelo[0]["regimenDescription"]
    non_myelo = by_regimen["non-myeloablative-conditioning"]
    assert any(
        local(r["statement"]) == "stmt-non-myeloablative-lower-risk"
        and "decrease" in r["directions"]
        for r in non_myelo
    )
    none = by_regimen["no-conditioning"]
    regimen = next(r for r in none if local(r["statement"]) == "stmt-allo-msct-regimen")
    assert ">= 1000000" in regimen["outcomes"]
    assert "allogeneic MSCT" in regimen["therapyLabels"]
    assert any(
        local(r["statement"]) == "stmt-allo-msct-conditioning-comparable"
        and r["directions"] == "comparable"
        for r in none
    )
    assert "high-intensity-immunosuppression" in by_regimen


def test_cq05_mechanisms(run_query):
    rows = run_query("cq05-mechanisms-hsct-msct")
    family: dict[str, set[str]] = {}
    for r in rows:
        family.setdefault(r["family"], set()).add(local(r["mechanism"]))
    assert {
        "immune-ablation",
        "tolerance-induction-lymphocyte-regeneration",
        "new-immune-balance",
    } <= family["HSCT"]
    assert family["MSCT"] >= MSCT_MECHANISMS
    # the strategies of the trials of [4] are those of stem-cell therapy in general
    assert "anti-proliferation" in family["other cell therapy"] - family["MSCT"]
    go = {local(r["mechanism"]): r["goTerms"] for r in rows}
    assert "GO_0002682" in go["immunomodulation"]
    assert "GO_0002507" in go["immune-tolerance-induction"]


def test_cq06_timeline(run_query):
    rows = run_query("cq06-timeline")
    timeline = [(r["date"], r["precision"]) for r in rows]
    assert timeline == TIMELINE
    by_date = {r["date"]: r for r in rows}
    assert "four RA patients" in by_date["1970"]["label"]
    assert "Marmont" in by_date["1993"]["agents"] and by_date["1993"]["places"] == "Italy"
    assert "FDA" in by_date["2024-12"]["agents"] and by_date["2024-12"]["places"] == "United States"
    assert "CDE" in by_date["2025-01"]["agents"] and by_date["2025-01"]["places"] == "China"
    assert "Stem Cell Research" in by_date["2022"]["label"]
    assert "EULAR" in by_date["2024-10"]["references"]
    assert "244" in by_date["2025-07"]["label"]
    assert all(r["statements"] for r in rows)


def test_cq07_diseases_in_both_languages(run_query, store):
    rows = {local(r["condition"]): r for r in run_query("cq07-diseases-and-therapies")}
    expected = {
        "sle": ("systemic lupus erythematosus", "系统性红斑狼疮"),
        "lupus-nephritis": ("lupus nephritis", "狼疮肾炎"),
        "ra": ("rheumatoid arthritis", "类风湿关节炎"),
        "dcssc": ("diffuse cutaneous systemic sclerosis", "弥漫性系统性硬化病"),
        "acute-gvhd": ("acute graft-versus-host disease", "急性移植物抗宿主病"),
    }
    for disease, (en, zh) in expected.items():
        assert rows[disease]["labelEn"] == en
        assert rows[disease]["labelZh"] == zh
        assert int(rows[disease]["statements"]) > 0
    assert "allogeneic MSCT" in rows["sle"]["therapies"]
    assert "autologous bone-marrow HSCT" in rows["sle"]["therapies"]
    assert "autologous HSCT" in rows["dcssc"]["therapies"]
    assert "cyclophosphamide" in rows["lupus-nephritis"]["therapies"]
    assert "allogeneic MSCT" in rows["acute-gvhd"]["therapies"]
    # Every disease with a statement that names a therapy lists therapies, also where some of
    # its statements name none (an unbound label used to blank the whole list: AD's).
    with_therapy = {
        local(r["c"].value)
        for r in store.query(
            f"SELECT DISTINCT ?c WHERE {{ ?s <{SCAD}therapy> ?t . "
            f"{{ ?s <{SCAD}condition> ?c }} UNION {{ ?s <{SCAD}population>/<{SCAD}condition> ?c }} }}",
            use_default_graph_as_union=True,
        )
    }
    assert "autoimmune-disease" in with_therapy
    assert {d for d, r in rows.items() if r["therapies"]} == with_therapy
    assert "MONDO_0007915" in rows["sle"]["identifiers"]
    assert "SLE" in rows["sle"]["altLabels"]
    zh = {local(r["condition"]): r for r in run_query("cq07-diseases-and-therapies", lang="zh")}
    assert "异体间充质干细胞移植" in zh["sle"]["therapies"]


def test_cq08_biomarkers(run_query):
    rows = run_query("cq08-biomarkers")
    genes = {local(r["biomarker"]): r["gene"] for r in rows}
    assert genes["ifn-gamma-level"].endswith("HGNC_5438")
    assert genes["il-6-level"].endswith("HGNC_6018")
    selection = [r for r in rows if local(r["statement"]) == "stmt-biomarker-patient-selection"]
    assert {local(r["biomarker"]) for r in selection} == {"ifn-gamma-level", "il-6-level"}
    zh = run_query("cq08-biomarkers", lang="zh")
    assert {"IFN-γ水平", "IL-6水平"} <= {r["biomarkerLabel"] for r in zh}


def test_cq09_guidelines_and_approvals(run_query):
    rows = {local(r["item"]): r for r in run_query("cq09-guidelines-and-approvals")}
    eular = rows["eular-ssc-2023"]
    assert eular["kind"] == "guideline" and eular["date"] == "2024-10"  # the "2023 update"
    assert "EULAR" in eular["agentLabel"]
    assert "high-intensity immunosuppression" in eular["interventionLabel"]
    assert "autologous HSCT" in eular["interventionLabel"]
    assert eular["conditions"] == "diffuse cutaneous systemic sclerosis"
    for qualifier in ("early", "progressive", "poor prognosis", "without cardiopulmonary"):
        assert qualifier in eular["qualifiers"], qualifier
    for item, date, place in (
        ("ev-2024-12-fda-approval", "2024-12", "United States"),
        ("ev-2025-01-cde-approval", "2025-01", "China"),
    ):
        row = rows[item]
        assert row["kind"] == "regulatory approval"
        assert row["date"] == date and row["placeLabel"] == place
        assert row["therapyLabel"] == "allogeneic MSCT"
        assert row["conditions"] == "acute graft-versus-host disease"
        assert row["qualifiers"] == "steroid-refractory"
        assert row["statements"]


def test_cq10_every_statement_has_source_and_locator(run_query, store):
    rows = run_query("cq10-statement-provenance")
    total = int(
        next(
            iter(
                store.query(
                    f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{SCAD}EvidenceStatement> }}",
                    use_default_graph_as_union=True,
                )
            )
        )["n"].value
    )
    assert len(rows) == total > 90
    dois: dict[str, set[str]] = {}
    for r in store.query(
        f"SELECT ?s ?doi WHERE {{ ?s <{SCAD}source>/<{SCAD}doi> ?doi }}",
        use_default_graph_as_union=True,
    ):
        dois.setdefault(r["s"].value, set()).add(r["doi"].value)
    for r in rows:
        # every DOI of its sources, also where one of them has none (the EULAR guideline)
        assert set((r["dois"] or "").split()) == dois.get(r["statement"], set()), r["statement"]
        assert r["dois"] or int(r["guidelineSources"]) > 0, r["statement"]
        assert r["locator"] and r["sectionNumber"] is not None, r["statement"]
        assert r["evidenceType"].startswith("http://purl.obolibrary.org/obo/ECO_"), r["statement"]
    pointed = [r for r in rows if r["sectionNumber"] == "4" and r["pointLabel"]]
    assert len(pointed) >= 8 and all(r["attributionNote"] for r in pointed)
    chen = run_query("cq10-statement-provenance", reference=iri("chen-2025"))
    assert {local(r["statement"]) for r in chen} >= {
        "stmt-chen-2025-trials-phase",
        "stmt-chen-2025-academic-funding",
    }
    assert all("10.3389/fimmu.2025.1616231" in r["dois"] for r in chen)


@pytest.mark.parametrize("text", ["狼疮", "lupus"])
def test_cq11_search_lupus(run_query, text):
    rows = run_query("cq11-search-lupus", q=text)
    diseases = {local(r["disease"]) for r in rows}
    assert diseases == {"sle", "lupus-nephritis"}
    for disease in diseases:
        assert any(r["statement"] for r in rows if local(r["disease"]) == disease)
    zh = run_query("cq11-search-lupus", q=text, lang="zh")
    assert {r["label"] for r in zh} == {"系统性红斑狼疮", "狼疮肾炎"}


def test_cq12_stem_cell_barriers(run_query):
    rows = run_query("cq12-stem-cell-barriers")

    def limits(therapy: str, cell: str) -> set[str]:
        found: set[str] = set()
        for r in rows:
            if local(r["therapy"]) == therapy and r["cellTypeLabel"] and cell in r["cellTypeLabel"]:
                found |= set(r["limitations"].split("; "))
        return found

    allo_hsc = limits("allogeneic-hsct", "HSC")
    assert {"graft rejection", "large-scale ex vivo expansion"} <= allo_hsc
    auto_hsc = limits("autologous-stem-cell-therapy", "HSC")
    assert {"limited efficacy", "relapse"} <= auto_hsc
    assert any("inborn" in x for x in auto_hsc)
    auto_msc = limits("autologous-stem-cell-therapy", "MSC")
    assert {"limited efficacy", "relapse"} <= auto_msc
    assert any("acquired" in x for x in auto_msc)
    # "allogeneic MSC cause no rejection" is not a barrier
    assert not any(
        local(r["therapy"]) == "allogeneic-msct" and "graft rejection" in r["limitations"]
        for r in rows
    )
    only_allo = run_query("cq12-stem-cell-barriers", donor=iri("allogeneic"))
    assert only_allo and all(local(r["donor"]) == "allogeneic" for r in only_allo)


EVIDENCE_COLUMNS = [
    "statement",
    "therapy",
    "therapy_label",
    "condition",
    "condition_label",
    "measure",
    "measure_label",
    "value",
    "lower",
    "upper",
    "unit",
    "approximate",
    "followup",
    "direction",
    "asserted_by",
    "credited_to",
    "source_doi",
    "locator",
    "summary",
]


def test_evidence_table_one_row_per_outcome(run_query, store):
    rows = run_query("evidence-table")
    assert list(rows[0])[: len(EVIDENCE_COLUMNS)] == EVIDENCE_COLUMNS
    outcomes = int(
        next(
            iter(
                store.query(
                    f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ ?o a <{SCAD}Outcome> }}",
                    use_default_graph_as_union=True,
                )
            )
        )["n"].value
    )
    assert len(rows) == outcomes >= 19
    assert all(r["source_doi"] and r["locator"] and r["summary"] for r in rows)
    for column in ("therapy", "condition", "measure"):
        assert all(r[column].startswith(SCAD) and r[f"{column}_label"] for r in rows)
    trm = next(r for r in rows if r["measure_label"] == "transplant-related mortality")
    assert (num(trm["lower"]), num(trm["upper"]), trm["value"]) == (2, 17, None)
    assert trm["unit"] == "percent"
    assert (
        next(r for r in rows if r["measure_label"] == "share of trials in phase I/II")["value"]
        == "83.6"
    )
    relapse = next(
        r for r in rows if r["measure_label"] == "relapse rate" and r["followup"] == "1 year"
    )
    assert num(relapse["value"]) == 40 and relapse["approximate"] == "true"


def test_evidence_table_filters_and_chinese(run_query):
    allo = run_query("evidence-table", therapy=iri("allogeneic-msct"), lang="zh")
    assert {num(r["value"]) for r in allo} >= {Decimal(60), Decimal(29), Decimal(34), Decimal(25)}
    assert all(r["condition_label"] == "系统性红斑狼疮" for r in allo)
    assert any(r["followup"] == "5 年" for r in allo)
    relapse = run_query("evidence-table", measure=iri("relapse-rate"))
    assert sorted(num(r["value"]) for r in relapse) == [25, 40]
    chen = run_query("evidence-table", reference=iri("chen-2025"))
    assert {r["value"] for r in chen} >= {"244", "83.6"}
    assert all("10.3389/fimmu.2025.1616231" in r["source_doi"] for r in chen)
    sle = run_query("evidence-table", condition=iri("sle"))
    assert sle and all(r["condition"] == SCAD + "sle" for r in sle)
    assert run_query("evidence-table", lang=Literal("en"))


def test_evidence_table_keeps_ranges_bounds_and_approximations(run_query):
    """Ranges are one row with two bounds; 'more than' and 'at least' are a lower bound only;
    'about' and 'nearly' are flagged approximate."""
    rows = run_query("evidence-table")

    def row(measure: str, therapy: str) -> dict:
        return next(
            r for r in rows if r["measure_label"] == measure and r["therapy_label"] == therapy
        )

    mortality = row("mortality", "allogeneic HSCT")
    assert (num(mortality["lower"]), num(mortality["upper"]), mortality["value"]) == (30, 50, None)
    assert mortality["unit"] == "percent" and "10.3760" in mortality["source_doi"]
    assert len([r for r in rows if r["measure_label"] == "mortality"]) == 1  # one row, not two
    worldwide = row(
        "number of patients", "haematopoietic stem-cell transplantation (HSCT, donor unspecified)"
    )
    assert num(worldwide["lower"]) == 4000 and worldwide["upper"] is None
    dose = row("cell dose per kg body weight", "allogeneic MSCT")
    assert num(dose["lower"]) == 1_000_000 and dose["upper"] is None and dose["value"] is None
    china = row("estimated number of people affected", "conventional drug therapy")
    assert num(china["value"]) == 80_000_000 and china["approximate"] == "true"
    funding = next(
        r for r in rows if r["measure_label"] == "share of trials funded by academic institutions"
    )
    assert num(funding["value"]) == 50 and funding["upper"] is None  # 近半数: about 50 %
    assert funding["approximate"] == "true"
    years = next(r for r in rows if r["measure_label"] == "length of the research history")
    assert num(years["value"]) == 30 and years["approximate"] == "true"
    flagged = [r for r in rows if r["approximate"] == "true"]
    assert len(flagged) == 4  # 8000万, 约40%, 近30年, 近半数: nothing else is approximate


def test_hsct_and_msct_points_are_all_in_the_graph(run_query):
    """Each of ①–⑥ (HSCT lessons) and ①–⑧ (allogeneic MSCT) has its own statements."""
    rows = run_query("cq10-statement-provenance")
    points: dict[str, set[str]] = {"2": set(), "4": set()}
    for r in rows:
        if r["pointLabel"] and r["sectionNumber"] in points:
            points[r["sectionNumber"]].add(r["pointLabel"])
    assert points["2"] == set("①②③④⑤⑥")
    assert points["4"] == set("①②③④⑤⑥⑦⑧")
