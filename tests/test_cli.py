"""The `kg` command line on the real build: ad-hoc queries in every format, errors and their exit
codes, the refusals the service makes, `kg info`. (Canned queries: test_canned_queries.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

SUN = "<https://w3id.org/scad/sun-2025>"


def test_the_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("kg ")


def test_info_names_the_folders_the_store_and_where_each_comes_from(runner, settings):
    ran = runner("info")
    assert ran.code == 0
    assert f"a checkout: {ROOT}" in ran.text
    store_line = next(line for line in ran.text.splitlines() if "KG_STORE" in line)
    assert str(settings.store) in store_line and "(environment)" in store_line
    sources_line = next(line for line in ran.text.splitlines() if "KG_SOURCES" in line)
    assert str(ROOT / "ontology") in sources_line and "(default)" in sources_line
    assert "KG_QUERY_TIMEOUT" in ran.text and "KG_CORS_ORIGINS" in ran.text


def test_query_text_as_table(runner):
    ran = runner("query", f"SELECT ?l WHERE {{ {SUN} <https://w3id.org/scad/doi> ?l }}")
    assert ran.code == 0, ran.stderr
    assert "10.3760/cma.j.cn141217-20250204-00032" in ran.text and "(1 row)" in ran.text


def test_query_file_as_json_csv_tsv(runner, tmp_path):
    qfile = tmp_path / "q.rq"
    qfile.write_text(f"SELECT ?n WHERE {{ {SUN} <https://w3id.org/scad/citationNumber> ?n }}")
    out = runner("query", "-f", str(qfile), "--format", "json")
    assert json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"] == "1"
    assert runner("query", "-f", str(qfile), "--format", "csv").text.split() == ["n", "1"]
    assert runner("query", "-f", str(qfile), "--format", "tsv").text.split()[0] == "?n"
    assert "(1 row)" in runner("query", "-", stdin=qfile.read_text()).text


def test_construct_as_turtle_and_as_a_table(runner):
    construct = f"CONSTRUCT {{ {SUN} ?p ?o }} WHERE {{ {SUN} ?p ?o }}"
    ran = runner("query", "--format", "turtle", construct)
    assert ran.code == 0 and "cma.j.cn141217" in ran.text
    table = runner("query", construct)
    assert table.code == 0 and table.text.splitlines()[0].startswith("<https://w3id.org/scad/")


def test_ask_as_table(runner):
    ran = runner("query", "ASK { ?s ?p ?o }")
    assert ran.code == 0 and ran.text == "true\n"


def test_malformed_query_gives_position_and_exit_code(runner):
    ran = runner("query", "SELECT ?x WHERE { ?x ?y }")
    assert ran.code == 6 and "syntax error at line 1, column 26" in ran.stderr


def test_service_and_load_are_refused_as_the_service_refuses_them(runner):
    for query in (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "LOAD <http://127.0.0.1:9/x.ttl>",
        "INSERT DATA { <http://x/s> <http://x/p> <http://x/o> }",
    ):
        ran = runner("query", query)
        assert ran.code == 6 and ran.stdout == b""
        assert "not allowed" in ran.stderr or "read-only" in ran.stderr


def test_a_format_that_does_not_fit_the_query(runner):
    ran = runner("query", "--format", "turtle", "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert ran.code == 6 and "offered" in ran.stderr


def test_the_row_cap_and_time_limit_apply(runner):
    ran = runner(
        "query", "--format", "csv", "SELECT * WHERE { ?s ?p ?o }", env={"KG_MAX_ROWS": "7"}
    )
    assert ran.code == 0 and len(ran.text.splitlines()) == 1 + 7
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    ran = runner("query", cross, env={"KG_QUERY_TIMEOUT": "0.5"})
    assert ran.code == 6 and "time limit" in ran.stderr


def test_missing_store_exit_code(runner, tmp_path):
    ran = runner("query", "--store", str(tmp_path / "none"), "ASK {}")
    assert ran.code == 5 and "kg build" in ran.stderr


def test_a_malformed_setting_is_named(runner):
    ran = runner("query", "ASK {}", env={"KG_QUERY_TIMEOUT": "soon"})
    assert ran.code == 8 and "KG_QUERY_TIMEOUT must be a number" in ran.stderr
