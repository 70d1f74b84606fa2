"""kg.curation.diff: `kg diff OLD NEW` between two builds or two release folders reports the
statements and entities added, removed and changed, with the changed fields."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import QUERIES, SOURCES, Built
from test_templates import ROW, write_template

from kg.build import build
from kg.config import Settings
from kg.curation.diff import diff
from kg.release import release
from kg.store import open_read_only


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The review with one value changed (allogeneic MSCT's response rate in SLE, 60 → 65) and
    one statement added from a template row."""
    root = tmp_path_factory.mktemp("diff")
    sources = root / "ontology"
    shutil.copytree(SOURCES, sources)
    s4 = sources / "data" / "statements-s4-msct.ttl"
    text = s4.read_text(encoding="utf-8")
    old = 'scad:measure scad:response-rate ;\n    scad:value "60"^^xsd:decimal ;'
    assert text.count(old) == 1
    s4.write_text(text.replace(old, old.replace('"60"', '"65"')), encoding="utf-8")
    write_template(sources / "templates" / "added.tsv", [{**ROW, "status": "accepted"}])
    store = root / "store"
    build(sources, store, None, log=lambda _m: None)
    return store


def test_a_row_added_and_a_value_changed_are_exactly_the_two_changes(built: Built, changed):
    result = diff(built.store_path, changed)
    assert [(c.change, c.kind, c.iri.rsplit("/", 1)[1]) for c in result.changes] == [
        ("added", "statement", "stmt-test-trm"),
        ("changed", "statement", "stmt-allo-msct-sle-response"),
    ]
    assert result.changes[1].fields == {"out-allo-msct-sle-response.value": (["60"], ["65"])}
    assert result.counts()["statement"] == {"added": 1, "removed": 0, "changed": 1}
    back = diff(changed, built.store_path)
    assert [(c.change, c.iri.rsplit("/", 1)[1]) for c in back.changes] == [
        ("removed", "stmt-test-trm"),
        ("changed", "stmt-allo-msct-sle-response"),
    ]


def test_a_build_against_itself_has_no_changes(built: Built):
    assert diff(built.store_path, built.store_path).changes == []


def test_kg_diff_writes_text_json_and_markdown(built: Built, changed, runner, tmp_path):
    old, new = str(built.store_path), str(changed)
    text = runner("diff", old, new).text
    assert "statements: 1 added, 0 removed, 1 changed" in text
    assert "out-allo-msct-sle-response.value: 60 → 65" in text
    assert "+ statement scad:stmt-test-trm" in text
    data = json.loads(runner("diff", old, new, "--format", "json").text)
    assert [c["id"] for c in data["added"]] == ["scad:stmt-test-trm"]
    assert data["changed"][0]["fields"] == {
        "out-allo-msct-sle-response.value": {"old": ["60"], "new": ["65"]}
    }
    assert data["removed"] == []
    markdown = runner("diff", old, new, "--format", "markdown").text
    assert "### Added" in markdown and "`out-allo-msct-sle-response.value`: 60 → 65" in markdown


def test_release_folders_are_compared_by_their_dataset_file(
    built: Built, changed, runner, tmp_path
):
    folders = []
    for name, store in (("old", built.store_path), ("new", changed)):
        folder = tmp_path / name
        folder.mkdir()
        ran = runner("export", "--store", str(store), "-o", str(folder / "scad-dataset.nq"))
        assert ran.code == 0
        folders.append(folder)
    result = diff(*folders)
    assert [(c.change, c.iri.rsplit("/", 1)[1]) for c in result.changes] == [
        ("added", "stmt-test-trm"),
        ("changed", "stmt-allo-msct-sle-response"),
    ]


def test_a_missing_side_is_a_clear_error(built: Built, runner, tmp_path):
    ran = runner("diff", str(built.store_path), str(tmp_path / "nothing"))
    assert ran.code == 5 and "neither a store nor a release folder" in ran.stderr


def test_a_release_notes_its_changes_since_the_release_it_replaces(built: Built, changed, tmp_path):
    dist = tmp_path / "dist"
    for store in (built.store_path, changed):
        settings = Settings(store=store, output=built.output, sources=SOURCES, queries=QUERIES)
        release(open_read_only(store), dist, log=lambda _m: None, settings=settings)
        note = (dist / "latest" / "RELEASE.md").read_text(encoding="utf-8")
        if store == built.store_path:
            assert "## Changes since" not in note  # the first release has nothing to compare with
    assert "## Changes since the previous release" in note
    assert "statements: 1 added, 0 removed, 1 changed" in note
    assert "`out-allo-msct-sle-response.value`: 60 → 65" in note
