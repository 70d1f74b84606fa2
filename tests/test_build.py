"""The whole build: refusals leave the old store untouched, and two builds give the same triples."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from breakage import sources_with
from conftest import SOURCES, Built

from kg.build import build
from kg.errors import ValidationError
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
        == ["read", "validate", "review", "reason", "store", "search", "owl", "docs", "pictures"][
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


def _copy_sources(tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "ontology"
    shutil.copytree(SOURCES, root)
    return root


def _reused(report, step: str) -> tuple[int, int]:
    found = __import__("re").search(r"(\d+) of (\d+) reused", report.reused[step])
    return int(found.group(1)), int(found.group(2))


def test_rebuild_after_one_file_changed_rechecks_only_that_file(tmp_path):
    root = _copy_sources(tmp_path)
    store, cache = tmp_path / "store", tmp_path / "store.cache"
    first = build(root, store, None, log=lambda _m: None, cache_dir=cache)
    hits, slices = _reused(first, "validate")
    assert hits == 0 and slices >= 13
    entities = root / "data" / "entities.ttl"
    entities.write_text(
        entities.read_text(encoding="utf-8")
        + "\nscad:new-disease a owl:NamedIndividual , scad:Disease ;\n"
        '    rdfs:label "a new disease"@en , "新疾病"@zh .\n',
        encoding="utf-8",
    )
    second = build(root, store, None, log=lambda _m: None, cache_dir=cache)
    assert _reused(second, "validate") == (slices - 1, slices)  # entities.ttl's slice only
    assert second.reused["reason"].startswith("TBox classification: 1 of 1 reused")
    assert second.counts["statements"] == first.counts["statements"] + 4
    build(root, tmp_path / "plain", None, log=lambda _m: None)
    assert _quads(store) == _quads(tmp_path / "plain")  # the cache changes nothing but time


def test_cache_does_not_hide_what_a_change_breaks_in_other_files(tmp_path):
    """A slice's key is its content, the types of what it points to included: retyping the
    review (in review.ttl) breaks the statements that cite it, in files that did not change."""
    root = _copy_sources(tmp_path)
    store, cache = tmp_path / "store", tmp_path / "store.cache"
    build(root, store, None, log=lambda _m: None, cache_dir=cache)
    target = os.readlink(store)
    review = root / "data" / "review.ttl"
    text = review.read_text(encoding="utf-8")
    review.write_text(
        text.replace(
            "scad:sun-2025 a owl:NamedIndividual , scad:ReviewArticle",
            "scad:sun-2025 a owl:NamedIndividual , scad:Journal",
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as err:
        build(root, store, None, log=lambda _m: None, cache_dir=cache)
    cited = [p for p in err.value.problems if "scad:source" in p and "statements-s4-msct.ttl:" in p]
    assert cited, err.value.problems
    assert os.readlink(store) == target


def test_the_version_is_written_in_one_place_and_stamped_by_the_build(store):
    """kg.__version__ is the version: the package metadata reads it, the build stamps it."""
    from importlib.metadata import version

    from kg import __version__
    from kg.vocab import GRAPHS, ONTOLOGY_IRI

    assert version("kg") == __version__
    assert "versionIRI" not in (SOURCES / "scad.ttl").read_text(encoding="utf-8")
    rows = store.query(
        f"SELECT ?v ?i WHERE {{ GRAPH <{GRAPHS['ontology']}> {{ <{ONTOLOGY_IRI}> "
        "<http://www.w3.org/2002/07/owl#versionIRI> ?v ; <http://www.w3.org/2002/07/owl#versionInfo> ?i } }"
    )
    assert [(r["v"].value, r["i"].value) for r in rows] == [
        (f"{ONTOLOGY_IRI}/{__version__}", __version__)
    ]
