"""The whole build: refusals leave the old store untouched, and two builds give the same triples."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from breakage import sources_with
from conftest import SOURCES, Built

from kg.build import build
from kg.store import open_read_only


def _quads(store_path: Path) -> set[str]:
    store = open_read_only(store_path)
    return {str(q) for q in store}


def _kg_build(sources: Path, store: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "build",
            "--sources",
            str(sources),
            "--store",
            str(store),
            "--owl",
            str(store.parent / "refused.owl"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> tuple[Path, str, int]:
    """A good store of its own, that every refused build below must leave as it is."""
    store_path = tmp_path_factory.mktemp("good") / "store"
    build(SOURCES, store_path, None, log=lambda _m: None)
    return store_path, os.readlink(store_path), len(_quads(store_path))


BROKEN = {
    "bad-turtle": (
        "bad.ttl",
        "scad:x a owl:NamedIndividual , .\n",
        2,
        r"bad\.ttl:5:\d+: Turtle syntax error",
    ),
    "undeclared-property": (
        "undeclared.ttl",
        'scad:x a owl:NamedIndividual , scad:Disease ;\n  rdfs:label "x"@en , "x"@zh ;\n  scad:bogus scad:y .\n',
        3,
        r"undeclared\.ttl:7: undeclared property scad:bogus",
    ),
    "statement-without-source": (
        "nosource.ttl",
        'scad:stmt-x a owl:NamedIndividual , scad:OutcomeStatement ;\n  rdfs:label "s"@en , "陈述"@zh ;\n'
        "  scad:therapy scad:tx ; scad:condition scad:dx ; scad:locator scad:loc-s2-p1 ;\n"
        '  scad:summary "s"@en , "陈述"@zh .\n'
        'scad:tx a owl:NamedIndividual , scad:Drug ; rdfs:label "t"@en , "t"@zh .\n'
        'scad:dx a owl:NamedIndividual , scad:Disease ; rdfs:label "d"@en , "d"@zh .\n',
        3,
        r"scad:stmt-x scad:source: an evidence statement needs a source reference",
    ),
    "inconsistent-axiom": (
        "inconsistent.ttl",
        'scad:x a owl:NamedIndividual , scad:Disease , scad:Intervention ;\n  rdfs:label "x"@en , "x"@zh .\n',
        4,
        r"inconsistent",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_source_is_refused_and_store_untouched(case, tmp_path, good_store):
    store_path, target, count = good_store
    name, text, code, message = BROKEN[case]
    result = _kg_build(sources_with(tmp_path, name, text), store_path)
    assert result.returncode == code, result.stderr
    assert __import__("re").search(message, result.stderr), result.stderr
    assert os.readlink(store_path) == target
    assert len(_quads(store_path)) == count
    assert not (store_path.parent / "refused.owl").exists()


def test_check_writes_nothing(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "--check", "--store", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "nothing written" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_report_gives_triples_per_graph_and_time_per_step(built: Built):
    report = built.report
    assert set(report.counts) == {"ontology", "statements", "inferred", "metadata"}
    assert all(n > 0 for n in report.counts.values())
    assert (
        list(report.timings)
        == ["read", "validate", "reason", "store", "search", "owl", "docs", "pictures"][
            : len(report.timings)
        ]
    )
    assert {"read", "validate", "reason", "store"} <= set(report.timings)


def test_second_build_yields_the_same_triples(built: Built, tmp_path):
    build(SOURCES, tmp_path / "again", tmp_path / "again.owl", log=lambda _m: None)
    assert _quads(tmp_path / "again") == _quads(built.store_path)


def test_rebuild_swaps_in_atomically_and_keeps_a_previous_build(tmp_path):
    store_path = tmp_path / "store"
    build(SOURCES, store_path, None, log=lambda _m: None)
    first = os.readlink(store_path)
    build(SOURCES, store_path, None, log=lambda _m: None)
    second = os.readlink(store_path)
    assert first != second and store_path.is_symlink()
    builds = sorted(p.name for p in (tmp_path / "store.builds").iterdir())
    assert Path(second).name in builds and len(builds) <= 2
