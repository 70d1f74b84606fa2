"""kg.exchange: every file re-read by its own ecosystem's reader, and its rows counted against the
store by independent queries.

- KGX: each node and edge validated by LinkML against the Biolink model that PyPI's
  `biolink-model` ships (closed classes: a misspelt column fails), predicates and categories
  checked against Biolink's hierarchy, one edge per therapy-condition pair of each statement;
- SSSOM: parsed and validated by sssom-py, the justification column read raw (sssom-py fills a
  missing one silently), one row per skos mapping of the store;
- Neo4j: the `neo4j-admin database import` header convention, typed values, unique ids and
  referential integrity;
- Parquet: read by pyarrow, pandas and DuckDB, decimals exact.
"""

from __future__ import annotations

import csv
import importlib.resources
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas
import pyarrow.parquet as pq
import pytest
from linkml.validator import Validator
from linkml.validator.plugins import JsonschemaValidationPlugin
from linkml_runtime.utils.schemaview import SchemaView
from sssom.constants import SchemaValidationType
from sssom.parsers import parse_sssom_table
from sssom.validators import validate

from kg import exchange
from kg.errors import ExportError
from kg.exchange import biolink, tables
from kg.exchange.identifiers import curie, expand
from kg.vocab import GRAPHS, sparql_prologue

BIOLINK_YAML = str(importlib.resources.files("biolink_model") / "schema" / "biolink_model.yaml")
ST = f"<{GRAPHS['statements']}>"
NEO4J_TYPES = {"int", "long", "float", "double", "boolean", "byte", "short", "char", "string"}
NEO4J_TYPES |= {"point", "date", "localtime", "time", "localdatetime", "datetime", "duration"}


def select(store, text: str) -> list[tuple]:
    results = store.query(sparql_prologue() + text, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [tuple(s[n] for n in names) for s in results]


def count(store, text: str) -> int:
    return int(select(store, text)[0][0].value)


def read_tsv(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]
    return rows


def values(cell: str) -> list[str]:
    return cell.split("|") if cell else []


@pytest.fixture(scope="module")
def out(store, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exchange")
    done = exchange.write_release(store, folder)
    failed = {name: str(result) for name, result in done.items() if isinstance(result, Exception)}
    assert not failed, failed
    return folder


@pytest.fixture(scope="module")
def biolink_view() -> SchemaView:
    return SchemaView(BIOLINK_YAML)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(BIOLINK_YAML, validation_plugins=[JsonschemaValidationPlugin(closed=True)])


def biolink_class(view: SchemaView, category: str) -> str:
    """`biolink:ChemicalOrDrugOrTreatment…` -> the schema's class name (`chemical or drug …`)."""
    name = category.removeprefix("biolink:")
    match = [c for c in view.all_classes() if c.replace(" ", "").lower() == name.lower()]
    assert match, f"{category} is not a Biolink class"
    return match[0]


def biolink_slot(view: SchemaView, predicate: str) -> str:
    name = predicate.removeprefix("biolink:").replace("_", " ")
    assert view.get_slot(name) is not None, f"{predicate} is not a Biolink slot"
    return name


def ancestors(view: SchemaView, element: str) -> set[str]:
    return set(view.class_ancestors(element, mixins=True))


# ---------------------------------------------------------------------------------------------
# KGX


# LinkML's JSON Schema for the multivalued type designator `category` is unsatisfiable (an array
# type with a string enum: no value passes), so each row is validated as an instance of each of
# its categories with `category` left to the checks against the Biolink hierarchy below.
CATEGORY_REQUIRED = "'category' is a required property in /"


def kgx_problems(validator, view, row: dict[str, str]) -> list[str]:
    """LinkML's findings for a TSV row as an instance of each of its categories; a cell is split
    on `|` where Biolink says the slot is multivalued."""
    problems = []
    categories = values(row.get("category", ""))
    assert categories, f"{row['id']}: no category"
    for category in categories:
        target = biolink_class(view, category)
        instance = {}
        for column, cell in row.items():
            if cell == "" or column == "category":
                continue
            slot = (
                view.induced_slot(column.replace("_", " "), target)
                if column.replace("_", " ") in view.all_slots()
                else None
            )
            instance[column] = values(cell) if slot is not None and slot.multivalued else cell
        report = validator.validate(instance, target)
        problems += [
            f"{row['id']}: {r.message}" for r in report.results if r.message != CATEGORY_REQUIRED
        ]
    return problems


def test_kgx_nodes_validate_against_the_biolink_model(out, validator, biolink_view):
    rows = read_tsv(out / "kgx" / "nodes.tsv")
    assert rows
    problems = [p for row in rows for p in kgx_problems(validator, biolink_view, row)]
    assert not problems, "\n".join(problems[:20])


def test_kgx_edges_validate_against_the_biolink_model(out, validator, biolink_view):
    rows = read_tsv(out / "kgx" / "edges.tsv")
    assert rows
    problems = [p for row in rows for p in kgx_problems(validator, biolink_view, row)]
    assert not problems, "\n".join(problems[:20])


def test_linkml_refuses_a_broken_edge(out, validator, biolink_view):
    """The validation can fail: an unknown column, a knowledge level outside the enum."""
    row = read_tsv(out / "kgx" / "edges.tsv")[0] | {
        "knowledge_level": "asserted",
        "statement_iri": "x",
    }
    problems = kgx_problems(validator, biolink_view, row)
    assert any("asserted" in p for p in problems) and any("statement_iri" in p for p in problems)


def test_one_kgx_edge_per_therapy_condition_pair_of_each_statement(out, store):
    rows = read_tsv(out / "kgx" / "edges.tsv")
    pairs = select(
        store,
        f"SELECT ?s ?t ?c WHERE {{ GRAPH {ST} {{ ?s scad:therapy ?t ; scad:condition ?c }} }}",
    )
    expected = sorted((curie(s.value), curie(t.value), curie(c.value)) for s, t, c in pairs)
    found = sorted((r["has_evidence"], r["subject"], r["object"]) for r in rows)
    assert len(rows) == len(pairs) > 100
    assert found == expected
    assert len({r["id"] for r in rows}) == len(rows)


def test_kgx_predicates_and_categories_follow_biolink(out, biolink_view):
    nodes = {r["id"]: values(r["category"]) for r in read_tsv(out / "kgx" / "nodes.tsv")}
    treatment = biolink_class(biolink_view, biolink.TREATMENT_ASSOCIATION)
    some_sense = "treats or applied or studied to treat"
    for row in read_tsv(out / "kgx" / "edges.tsv"):
        assert row["subject"] in nodes and row["object"] in nodes, row["id"]
        slot = biolink_slot(biolink_view, row["predicate"])
        assert "related to" in biolink_view.slot_ancestors(slot), row["predicate"]
        if row["category"] == biolink.TREATMENT_ASSOCIATION:
            assert some_sense in biolink_view.slot_ancestors(slot, mixins=True), row["id"]
            subject = {
                a
                for c in nodes[row["subject"]]
                for a in ancestors(biolink_view, biolink_class(biolink_view, c))
            }
            obj = {
                a
                for c in nodes[row["object"]]
                for a in ancestors(biolink_view, biolink_class(biolink_view, c))
            }
            assert "chemical or drug or treatment" in subject, row["id"]
            assert "disease or phenotypic feature" in obj, row["id"]
        else:
            assert biolink_class(biolink_view, row["category"]) == "association"
    assert treatment in biolink_view.all_classes()


def test_kgx_knowledge_level_and_agent_type_are_biolink_enum_values(out, biolink_view):
    levels = set(biolink_view.get_enum("KnowledgeLevelEnum").permissible_values)
    agents = set(biolink_view.get_enum("AgentTypeEnum").permissible_values)
    rows = read_tsv(out / "kgx" / "edges.tsv")
    assert {r["knowledge_level"] for r in rows} <= levels
    assert {r["agent_type"] for r in rows} <= agents


def test_treats_only_for_approved_or_recommended_therapies(out, store):
    kinds: dict[str, set[str]] = {}
    for s, k in select(store, f"SELECT ?s ?k WHERE {{ GRAPH {ST} {{ ?s a ?k }} }}"):
        kinds.setdefault(curie(s.value), set()).add(k.value.rsplit("/", 1)[-1])
    rows = read_tsv(out / "kgx" / "edges.tsv")
    treats = [r for r in rows if r["predicate"] == "biolink:treats"]
    assert treats
    for row in treats:
        assert kinds[row["has_evidence"]] & {"ApprovalStatement", "RecommendationStatement"}
    msct_sle = [
        r for r in rows if r["subject"] == "scad:allogeneic-msct" and r["object"] == "scad:sle"
    ]
    assert msct_sle and all(r["predicate"] != "biolink:treats" for r in msct_sle)


def test_kgx_nodes_carry_the_store_s_labels_and_exact_matches(out, store):
    rows = {r["id"]: r for r in read_tsv(out / "kgx" / "nodes.tsv")}
    assert rows["scad:sle"]["category"] == "biolink:Disease"
    assert rows["scad:allogeneic-msct"]["category"] == "biolink:Treatment"
    matches: dict[str, set[str]] = {}
    for s, o in select(store, f"SELECT ?s ?o WHERE {{ GRAPH {ST} {{ ?s skos:exactMatch ?o }} }}"):
        matches.setdefault(curie(s.value), set()).add(curie(o.value))
    for node, row in rows.items():
        assert set(values(row["xref"])) == matches.get(node, set()), node
    labels = dict(
        (curie(s.value), label.value)
        for s, label in select(
            store,
            f'SELECT ?s ?l WHERE {{ GRAPH {ST} {{ ?s rdfs:label ?l FILTER(LANG(?l) = "en") }} }}',
        )
    )
    assert all(row["name"] == labels[node] for node, row in rows.items())


# ---------------------------------------------------------------------------------------------
# SSSOM


def test_sssom_parses_and_validates(out):
    msdf = parse_sssom_table(out / "scad.sssom.tsv")
    kinds = [
        SchemaValidationType.JsonSchema,
        SchemaValidationType.PrefixMapCompleteness,
        SchemaValidationType.StrictCurieFormat,
    ]
    reports = validate(msdf, kinds, fail_on_error=False)
    assert all(not report.results for report in reports.values()), reports
    assert msdf.metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"


def test_one_sssom_row_per_mapping_in_the_store(out, store):
    msdf = parse_sssom_table(out / "scad.sssom.tsv")
    found = sorted(
        (
            msdf.converter.expand(r.subject_id),
            msdf.converter.expand(r.predicate_id),
            msdf.converter.expand(r.object_id),
        )
        for r in msdf.df.itertuples()
    )
    expected = sorted(
        {
            (s.value, p.value, o.value)
            for s, p, o in select(
                store,
                f"""SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
                VALUES ?p {{ skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch }}
                FILTER(?g IN (<{GRAPHS["ontology"]}>, {ST}) && STRSTARTS(STR(?s), STR(scad:))) }}""",
            )
        }
    )
    assert len(found) == len(expected) > 100
    assert found == expected


def test_every_sssom_row_states_its_justification(out):
    """Read raw: sssom-py would have filled a missing justification."""
    rows = read_tsv(out / "scad.sssom.tsv")
    assert rows and all(r["mapping_justification"] == "semapv:ManualMappingCuration" for r in rows)
    assert all(r["author_label"] and r["mapping_date"] for r in rows)
    header = [
        line for line in (out / "scad.sssom.tsv").read_text().splitlines() if line.startswith("#")
    ]
    assert "#curie_map:" in header and any(line.startswith("#license: ") for line in header)


# ---------------------------------------------------------------------------------------------
# Neo4j


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def typed(header: list[str]) -> list[tuple[str, str | None, bool]]:
    """(name, type, array) per column: `point:int` -> ('point', 'int', False)."""
    out = []
    for column in header:
        name, _, kind = column.partition(":")
        array = kind.endswith("[]")
        out.append((name, kind.removesuffix("[]") or None, array))
    return out


def test_neo4j_files_follow_the_import_header_convention(out):
    folder = out / "neo4j"
    node_files = ["entities.csv", "statements.csv", "outcomes.csv"]
    for name in node_files:
        header, rows = read_csv(folder / name)
        assert header[0].endswith(":ID") and ":LABEL" in header, name
        for column, kind, _ in typed(header):
            if column and kind and kind not in ("ID",):
                assert kind in NEO4J_TYPES, f"{name}: {column}:{kind}"
        for row in rows:
            assert len(row) == len(header), name
            for cell, (column, kind, array) in zip(row, typed(header), strict=True):
                assert "\n" not in cell and "\r" not in cell
                items = cell.split("|") if array and cell else [cell] if cell else []
                for item in items:
                    if kind in ("int", "long"):
                        int(item)
                    elif kind == "double":
                        float(item)
                    elif kind == "boolean":
                        assert item in ("true", "false"), f"{name}: {column}={item}"
    for name in ("relationships.csv", "biolink-edges.csv"):
        header, rows = read_csv(folder / name)
        assert header[:3] == [":START_ID", ":END_ID", ":TYPE"], name
        assert all(len(r) == len(header) and r[2] for r in rows)


def test_neo4j_ids_are_unique_and_every_relationship_joins_two_nodes(out):
    folder = out / "neo4j"
    ids: list[str] = []
    for name in ("entities.csv", "statements.csv", "outcomes.csv"):
        ids += [row[0] for row in read_csv(folder / name)[1]]
    assert len(ids) == len(set(ids))
    known = set(ids)
    for name in ("relationships.csv", "biolink-edges.csv"):
        _, rows = read_csv(folder / name)
        assert rows
        dangling = [r for r in rows if r[0] not in known or r[1] not in known]
        assert not dangling, f"{name}: {dangling[:3]}"


def test_neo4j_counts_match_the_store(out, store):
    folder = out / "neo4j"
    statements = count(
        store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a scad:EvidenceStatement }"
    )
    outcomes = count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a scad:Outcome }")
    links = count(
        store,
        f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ST} {{ ?s ?p ?o . ?s a owl:NamedIndividual .
        ?o a owl:NamedIndividual }} FILTER(?p != rdf:type) }}""",
    )
    assert len(read_csv(folder / "statements.csv")[1]) == statements
    assert len(read_csv(folder / "outcomes.csv")[1]) == outcomes
    assert len(read_csv(folder / "relationships.csv")[1]) == links
    assert len(read_csv(folder / "biolink-edges.csv")[1]) == len(
        read_tsv(out / "kgx" / "edges.tsv")
    )
    labels = {row[0]: row[1].split("|") for row in read_csv(folder / "entities.csv")[1]}
    assert {"Entity", "Intervention", "AllogeneicMSCT"} <= set(labels["scad:allogeneic-msct"])


# ---------------------------------------------------------------------------------------------
# Parquet


def store_decimals(store) -> dict[tuple[str, str], Decimal]:
    rows = select(
        store,
        f"""SELECT ?o ?p ?v WHERE {{ GRAPH {ST} {{ ?o ?p ?v }}
        VALUES ?p {{ scad:value scad:lowerBound scad:upperBound scad:followUp }} }}""",
    )
    return {(curie(o.value), p.value.rsplit("/", 1)[-1]): Decimal(v.value) for o, p, v in rows}


def test_parquet_tables_read_by_pyarrow_with_the_store_s_counts(out, store):
    folder = out / "parquet"
    statements = count(
        store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a scad:EvidenceStatement }"
    )
    outcomes = count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a scad:Outcome }")
    assert pq.read_table(folder / "statements.parquet").num_rows == statements
    assert pq.read_table(folder / "outcomes.parquet").num_rows == outcomes
    assert pq.read_table(folder / "edges.parquet").num_rows == len(
        read_tsv(out / "kgx" / "edges.tsv")
    )
    assert pq.read_table(folder / "entities.parquet").num_rows == len(
        read_csv(out / "neo4j" / "entities.csv")[1]
    )
    schema = pq.read_schema(folder / "outcomes.parquet")
    assert str(schema.field("value").type).startswith("decimal128(38,")
    assert str(schema.field("approximate").type) == "bool"
    assert (
        str(pq.read_schema(folder / "statements.parquet").field("therapy").type)
        == "list<element: string>"
    )


def test_parquet_decimals_are_exact_in_pyarrow_pandas_and_duckdb(out, store):
    path = out / "parquet" / "outcomes.parquet"
    expected = store_decimals(store)
    assert expected
    columns = {
        "value": "value",
        "lowerBound": "lower_bound",
        "upperBound": "upper_bound",
        "followUp": "follow_up",
    }
    table = pq.read_table(path).to_pylist()
    by_id = {row["id"]: row for row in table}
    for (outcome, prop), value in expected.items():
        assert by_id[outcome][columns[prop]] == value, (outcome, prop)
    frame = pandas.read_parquet(path)
    assert len(frame) == len(table)
    trm = frame.set_index("id").loc["scad:out-myeloablative-trm"]
    assert (trm["lower_bound"], trm["upper_bound"]) == (Decimal("2"), Decimal("17"))
    (low, high), *_ = duckdb.sql(
        f"SELECT lower_bound, upper_bound FROM '{path}' WHERE id = 'scad:out-myeloablative-trm'"
    ).fetchall()
    assert (low, high) == (Decimal("2"), Decimal("17"))
    share = duckdb.sql(f"SELECT value FROM '{path}' WHERE value > 83 AND value < 84").fetchall()
    assert share == [(Decimal("83.6"),)]


def test_duckdb_joins_the_tables(out):
    folder = out / "parquet"
    rows = duckdb.sql(
        f"""SELECT e.predicate, count(*) FROM '{folder / "edges.parquet"}' e
        JOIN '{folder / "statements.parquet"}' s ON s.id = e.statement
        JOIN '{folder / "entities.parquet"}' t ON t.id = e.subject
        GROUP BY e.predicate ORDER BY e.predicate"""
    ).fetchall()
    assert sum(n for _, n in rows) == len(read_tsv(out / "kgx" / "edges.tsv"))


# ---------------------------------------------------------------------------------------------
# Determinism and the CLI


def test_a_second_export_is_byte_identical(out, store, tmp_path):
    exchange.write_release(store, tmp_path)
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    for name in first:
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_kg_export_writes_each_format(built, out, tmp_path):
    run = [sys.executable, "-m", "kg.cli", "export", "--store", str(built.store_path)]
    for name, place in (("kgx", "kgx"), ("neo4j", "neo4j"), ("parquet", "parquet")):
        subprocess.run(
            [*run, "--format", name, "-o", str(tmp_path / place)], check=True, capture_output=True
        )
        for file in (out / place).iterdir():
            assert (tmp_path / place / file.name).read_bytes() == file.read_bytes(), file.name
    sssom = subprocess.run([*run, "--format", "sssom"], check=True, capture_output=True).stdout
    assert sssom == (out / "scad.sssom.tsv").read_bytes()
    refused = subprocess.run([*run, "--format", "kgx"], capture_output=True, text=True)
    assert refused.returncode == 7 and "give -o DIR" in refused.stderr


def test_curies_round_trip():
    for iri in (
        "http://purl.obolibrary.org/obo/MONDO_0007915",
        "https://w3id.org/scad/sle",
        "https://w3id.org/biolink/vocab/Disease",
        "http://www.w3.org/2004/02/skos/core#exactMatch",
    ):
        assert expand(curie(iri)) == iri


def test_a_statement_kind_without_a_biolink_predicate_is_refused(store):
    statement = next(
        s for s in tables.statements(store) if s.relation("therapy") and s.relation("condition")
    )
    with pytest.raises(ExportError, match="NewKindStatement"):
        list(biolink.edges([replace(statement, kinds=("NewKindStatement",))]))
    safety = replace(statement, kinds=("SafetyStatement",))
    assert {e.predicate for e in biolink.edges([safety])} == {
        "biolink:related_to_at_instance_level"
    }
