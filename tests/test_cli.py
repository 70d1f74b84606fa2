import json
import subprocess
import sys

from conftest import Built


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_help_shows_the_store_default():
    result = kg("--help")
    assert result.returncode == 0
    assert "KG_STORE" in result.stdout and "var/store" in result.stdout


def test_query_text_as_table(built: Built):
    result = kg(
        "query",
        "--store",
        str(built.store_path),
        "SELECT ?l WHERE { <https://w3id.org/scad/sun-2025> <https://w3id.org/scad/doi> ?l }",
    )
    assert result.returncode == 0, result.stderr
    assert "10.3760/cma.j.cn141217-20250204-00032" in result.stdout and "(1 row)" in result.stdout


def test_query_file_as_json_csv_tsv(built: Built, tmp_path):
    qfile = tmp_path / "q.rq"
    qfile.write_text(
        "SELECT ?n WHERE { <https://w3id.org/scad/sun-2025> <https://w3id.org/scad/citationNumber> ?n }"
    )
    out = kg("query", "--store", str(built.store_path), "-f", str(qfile), "--format", "json")
    assert json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"] == "1"
    assert kg(
        "query", "--store", str(built.store_path), "-f", str(qfile), "--format", "csv"
    ).stdout.split() == ["n", "1"]
    assert (
        kg(
            "query", "--store", str(built.store_path), "-f", str(qfile), "--format", "tsv"
        ).stdout.split()[0]
        == "?n"
    )


def test_construct_as_turtle(built: Built):
    result = kg(
        "query",
        "--store",
        str(built.store_path),
        "--format",
        "turtle",
        "CONSTRUCT { <https://w3id.org/scad/sun-2025> ?p ?o } WHERE { <https://w3id.org/scad/sun-2025> ?p ?o }",
    )
    assert result.returncode == 0 and "cma.j.cn141217" in result.stdout


def test_malformed_query_gives_position_and_exit_code(built: Built):
    result = kg("query", "--store", str(built.store_path), "SELECT ?x WHERE { ?x ?y }")
    assert result.returncode == 6
    assert "line 1" in result.stderr or "column" in result.stderr


def test_missing_store_exit_code(tmp_path):
    result = kg("query", "--store", str(tmp_path / "none"), "ASK {}")
    assert result.returncode == 5 and "kg build" in result.stderr


def test_ask_as_table(built: Built):
    result = kg("query", "--store", str(built.store_path), "ASK { ?s ?p ?o }")
    assert result.returncode == 0 and result.stdout == "true\n"
