"""kg.curation.template (and its resolver and problem table): spreadsheets of evidence read into
the graph, every broken cell reported at once, the served store untouched by a refused build."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pyoxigraph
import pytest
from conftest import ROOT, SOURCES
from pyoxigraph import NamedNode, RdfFormat, Store

from kg.build import build
from kg.curation.columns import HEADER
from kg.curation.problems import column_letter
from kg.curation.resolve import Resolver
from kg.curation.template import TemplateReader, write_empty
from kg.errors import TemplateError
from kg.sources import SourceFile, tbox_graph
from kg.vocab import GRAPHS, SCAD

EXAMPLE = ROOT / "ontology" / "templates" / "review-examples.tsv"
STATUS = NamedNode(SCAD + "reviewStatus")
CURATION = {SCAD + "reviewStatus", SCAD + "curator", SCAD + "curationDate"}

# A new statement of the review's facts (§2 point ②, the transplant-related mortality of
# myeloablative conditioning) under a test id, once as template rows, once as Turtle by hand.
ROW = {
    "id": "scad:stmt-test-trm",
    "kind": "safety statement | scad:LimitationStatement",
    "label_en": "Test: transplant-related mortality 2%–17%",
    "label_zh": "测试:移植相关死亡率2%~17%",
    "therapy": "HSCT",
    "conditioning": "清髓预处理",
    "condition": "autoimmune disease (AD)",
    "limitation": "high mortality",
    "measure": "transplant-related mortality",
    "lower": "2",
    "upper": "17",
    "lower_inclusive": "true",
    "upper_inclusive": "TRUE",
    "unit": "%",
    "source": "scad:sun-2025",
    "asserted_by": "scad:hangi-article",
    "locator": "scad:loc-s2-p2",
    "evidence_type": "obo:ECO_0006016",
    "summary_en": "Test row: mortality after myeloablative conditioning, 2% to 17%.",
    "summary_zh": "测试行:清髓预处理后死亡率2%至17%。",
    "curator": "0000-0002-1825-0097 | A. Curator",
    "date": "2026-12-02",
    "status": "submitted",
}
TURTLE = """
@prefix scad: <https://w3id.org/scad/> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix obo:  <http://purl.obolibrary.org/obo/> .

scad:stmt-test-trm a owl:NamedIndividual , scad:SafetyStatement , scad:LimitationStatement ;
    rdfs:label "Test: transplant-related mortality 2%–17%"@en , "测试:移植相关死亡率2%~17%"@zh ;
    scad:therapy scad:hsct ;
    scad:conditioning scad:myeloablative-conditioning ;
    scad:condition scad:autoimmune-disease ;
    scad:limitation scad:high-mortality ;
    scad:outcome scad:stmt-test-trm-outcome-1 ;
    scad:assertedBy scad:hangi-article ;
    scad:source scad:sun-2025 ;
    scad:locator scad:loc-s2-p2 ;
    scad:evidenceType obo:ECO_0006016 ;
    scad:summary "Test row: mortality after myeloablative conditioning, 2% to 17%."@en ,
        "测试行:清髓预处理后死亡率2%至17%。"@zh ;
    scad:curator <https://orcid.org/0000-0002-1825-0097> , "A. Curator" ;
    scad:curationDate "2026-12-02"^^xsd:date ;
    scad:reviewStatus scad:status-submitted .

scad:stmt-test-trm-outcome-1 a owl:NamedIndividual , scad:Outcome ;
    scad:measure scad:transplant-related-mortality ;
    scad:lowerBound "2"^^xsd:decimal ;
    scad:upperBound "17"^^xsd:decimal ;
    scad:lowerBoundInclusive true ;
    scad:upperBoundInclusive true ;
    scad:unit scad:unit-percent .
"""


def write_template(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("# a comment line: row 1 of the spreadsheet\n")
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])
    return path


@pytest.fixture(scope="module")
def resolver(store: Store) -> Resolver:
    return Resolver(store, tbox_graph(store))


def read(resolver: Resolver, path: Path) -> tuple[TemplateReader, set[pyoxigraph.Triple]]:
    reader = TemplateReader(resolver)
    out = io.BytesIO()
    reader.read(SourceFile(path, path.name, "statements"), out)
    quads = pyoxigraph.parse(out.getvalue(), format=RdfFormat.N_QUADS)
    return reader, {q.triple for q in quads}


def test_a_template_row_is_exactly_the_statement_written_by_hand(resolver, tmp_path):
    reader, triples = read(resolver, write_template(tmp_path / "t.tsv", [ROW]))
    assert reader.problems == []
    by_hand = {q.triple for q in pyoxigraph.parse(TURTLE, format=RdfFormat.TURTLE)}
    assert triples == by_hand


def test_the_example_template_says_what_the_turtle_of_the_review_says(resolver, store):
    reader, triples = read(resolver, EXAMPLE)
    assert reader.problems == []
    graph = NamedNode(GRAPHS["statements"])
    facts = [t for t in triples if t.predicate.value not in CURATION]
    assert len(facts) > 60
    missing = [
        t for t in facts if pyoxigraph.Quad(t.subject, t.predicate, t.object, graph) not in store
    ]
    assert missing == []
    statements = {t.subject for t in triples if t.predicate == STATUS}
    assert {s.value.removeprefix(SCAD) for s in statements} == {
        "stmt-hsct-relapse-1y",
        "stmt-myeloablative-trm",
        "stmt-allo-msct-regimen",
    }
    # in the served graph too: the build reads ontology/templates/
    for s in statements:
        assert list(store.quads_for_pattern(s, STATUS, NamedNode(SCAD + "status-accepted")))


def test_names_resolve_by_either_label_and_the_columns_class(resolver):
    disease, unit = SCAD + "Disease", SCAD + "Unit"
    assert resolver.entity("狼疮", disease).iri == SCAD + "sle"
    assert resolver.entity("systemic lupus erythematosus", disease).iri == SCAD + "sle"
    assert resolver.entity("scad:sle", disease).iri == SCAD + "sle"
    # "year" labels a unit and a date precision: the column's class decides, else ambiguous
    assert resolver.entity("year", unit).iri == SCAD + "unit-year"
    ambiguous = resolver.entity("year", "")
    assert not ambiguous.iri and "ambiguous" in ambiguous.rule
    assert "scad:unit-year" in ambiguous.fix and "scad:year" in ambiguous.fix
    wrong = resolver.entity("lupus", SCAD + "Intervention")
    assert not wrong.iri and "scad:sle" in wrong.rule
    assert "unknown" in resolver.entity("lupsu", disease).rule
    assert "not in the graph" in resolver.entity("scad:no-such-thing", disease).rule


BROKEN = [
    # row 3: four broken cells
    {
        **ROW,
        "id": "scad:stmt-test-a",
        "therapy": "lupus",
        "value": "",
        "lower": "2%",
        "unit": "",
        "status": "acepted",
    },
    # row 4: a second outcome of the same statement, lower above upper
    {
        "id": "scad:stmt-test-a",
        "measure": "mortality",
        "lower": "50",
        "upper": "30",
        "unit": "percent",
    },
    # row 5: a new statement without its summaries, a wrong ORCID check digit
    {
        **ROW,
        "id": "scad:stmt-test-b",
        "summary_en": "",
        "summary_zh": "",
        "curator": "0000-0002-1825-0098",
    },
    # row 6: back to the first statement, away from its rows
    {"id": "scad:stmt-test-a", "measure": "mortality", "value": "1", "unit": "%"},
]
EXPECTED = {
    (3, "therapy", "E3"),
    (3, "lower", "S3"),
    (3, "unit", "W3"),
    (3, "status", "AI3"),
    (4, "lower", "S4"),
    (5, "summary_en", "AE5"),
    (5, "summary_zh", "AF5"),
    (5, "curator", "AG5"),
    (6, "id", "A6"),
}


def test_every_broken_cell_is_reported_with_its_file_row_column_and_cell(resolver, tmp_path):
    reader, triples = read(resolver, write_template(tmp_path / "broken.tsv", BROKEN))
    found = {(p.row, p.column, p.cell) for p in reader.problems}
    assert found == EXPECTED
    assert all(p.file == "broken.tsv" and p.rule and p.fix for p in reader.problems)
    assert {p.value for p in reader.problems if p.column == "therapy"} == {"lupus"}
    assert not any(
        t.subject.value.endswith("stmt-test-a") for t in triples
    )  # a broken statement writes nothing


def test_unknown_and_missing_columns_are_reported_on_the_header(resolver, tmp_path):
    header = [h for h in HEADER if h != "locator"] + ["colour"]
    reader, _ = read(resolver, write_template(tmp_path / "h.tsv", [ROW], header))
    on_header = {(p.row, p.column, p.rule) for p in reader.problems if p.row == 2}
    assert (2, "colour", "unknown column") in on_header
    assert (2, "locator", "required column missing") in on_header


def test_a_refused_build_lists_every_problem_and_leaves_the_store_alone(tmp_path, runner):
    store_path = tmp_path / "store"
    build(SOURCES, store_path, None, log=lambda _m: None)
    target = os.readlink(store_path)
    before = sorted(p.name for p in (tmp_path / "store.builds").iterdir())
    bad = write_template(tmp_path / "broken.tsv", BROKEN)
    problems = tmp_path / "problems.tsv"
    ran = runner(
        "build",
        "--store",
        str(store_path),
        "--extra",
        str(bad),
        "--problems",
        str(problems),
        "--quiet",
    )
    assert ran.code == 3
    assert "E3" in ran.stderr and "AG5" in ran.stderr  # the table, printed
    with problems.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert {(int(r["row"]), r["column"], r["cell"]) for r in rows} == EXPECTED
    assert {r["file"] for r in rows} == {str(bad)}
    assert os.readlink(store_path) == target
    assert sorted(p.name for p in (tmp_path / "store.builds").iterdir()) == before
    with pytest.raises(TemplateError):
        build(SOURCES, store_path, None, log=lambda _m: None, extra=[bad])
    assert os.readlink(store_path) == target


def test_shacl_problems_of_turtle_sources_come_as_the_same_table(tmp_path, runner):
    extra = tmp_path / "x.ttl"
    extra.write_text(
        "@prefix scad: <https://w3id.org/scad/> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n\n"
        "scad:stmt-test-shacl a owl:NamedIndividual , scad:OutcomeStatement ;\n"
        "    scad:therapy scad:hsct ; scad:condition scad:sle ;\n"
        "    scad:assertedBy scad:hangi-article ; scad:locator scad:loc-s2-p1 .\n",
        encoding="utf-8",
    )
    problems = tmp_path / "p.tsv"
    ran = runner("build", "--check", "--extra", str(extra), "--problems", str(problems), "--quiet")
    assert ran.code == 3
    with problems.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert {(r["file"], r["row"], r["column"], r["value"]) for r in rows} == {
        (str(extra), "4", "scad:source", "scad:stmt-test-shacl"),
        (str(extra), "4", "scad:summary", "scad:stmt-test-shacl"),
    }


def test_kg_template_new_writes_the_header_and_a_commented_example(
    resolver, store, tmp_path, runner
):
    path = tmp_path / "new.tsv"
    assert runner("template", "new", str(path)).code == 0
    assert runner("template", "new", str(path)).code == 1  # never overwritten
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t") for line in lines if not line.startswith("#")] == [HEADER]
    reader, triples = read(resolver, path)
    assert reader.problems == [] and triples == set()
    # the example, uncommented, is a statement of the review as it stands in the graph
    path.write_text(
        "\n".join(line.removeprefix("# ") if "\t" in line else line for line in lines) + "\n"
    )
    reader, triples = read(resolver, path)
    assert reader.problems == []
    graph = NamedNode(GRAPHS["statements"])
    facts = [t for t in triples if t.predicate.value not in CURATION]
    assert facts and all(
        pyoxigraph.Quad(t.subject, t.predicate, t.object, graph) in store for t in facts
    )


def test_spreadsheet_column_letters():
    assert [column_letter(i) for i in (0, 5, 25, 26, 51, 701, 702)] == [
        "A",
        "F",
        "Z",
        "AA",
        "AZ",
        "ZZ",
        "AAA",
    ]


def test_write_empty_refuses_to_overwrite(tmp_path):
    path = tmp_path / "t.tsv"
    write_empty(path)
    with pytest.raises(FileExistsError):
        write_empty(path)


def test_template_and_shacl_problems_are_refused_together(tmp_path):
    bad = write_template(tmp_path / "broken.tsv", BROKEN)
    turtle = tmp_path / "x.ttl"
    turtle.write_text(
        "@prefix scad: <https://w3id.org/scad/> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "scad:stmt-test-shacl a owl:NamedIndividual , scad:OutcomeStatement ;\n"
        "    scad:therapy scad:hsct ; scad:condition scad:sle ; scad:source scad:sun-2025 ;\n"
        "    scad:assertedBy scad:hangi-article ; scad:locator scad:loc-s2-p1 .\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as caught:
        build(SOURCES, None, None, log=lambda _m: None, extra=[bad, turtle])
    table = caught.value.table
    assert {(p.row, p.column, p.cell) for p in table if p.file == str(bad)} == EXPECTED
    assert {(p.file, p.row, p.column) for p in table if p.file != str(bad)} == {
        (str(turtle), 3, "scad:summary")
    }
