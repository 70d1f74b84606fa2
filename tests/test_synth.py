"""kg synth: valid synthetic statements, reproducible by seed, in their own namespace; a
generated 10³-statement graph builds (refusing nothing) and the build's outputs stay small."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SOURCES
from pyoxigraph import NamedNode, RdfFormat, parse

from kg import synth
from kg.build import build
from kg.store import open_read_only
from kg.vocab import GRAPHS, SCAD

N = 1000


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "synth.ttl"
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "synth", str(N), "-o", str(path), "--seed", "7"],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="module")
def synthetic_build(synthetic, tmp_path_factory):
    root = tmp_path_factory.mktemp("synth-build")
    report = build(SOURCES, root / "store", root / "out" / "scad.owl", lambda _m: None, [synthetic])
    return root, report


def test_same_seed_same_file_other_seed_other_file(synthetic):
    vocab = synth.vocabulary(SOURCES)
    again, other = io.StringIO(), io.StringIO()
    synth.write(N, vocab, again, seed=7)
    synth.write(N, vocab, other, seed=8)
    assert again.getvalue() == synthetic.read_text(encoding="utf-8")
    assert other.getvalue() != again.getvalue()


def test_every_new_iri_is_synthetic_and_real_terms_are_reused(synthetic):
    subjects, objects = set(), set()
    for t in parse(path=str(synthetic), format=RdfFormat.TURTLE):
        subjects.add(t.subject.value)
        if isinstance(t.object, NamedNode):
            objects.add(t.object.value)
    assert all(s.startswith(synth.SYNTH) for s in subjects)
    vocab = synth.vocabulary(SOURCES)
    used = {o[len(SCAD) :] for o in objects if o.startswith(SCAD) and not o.startswith(synth.SYNTH)}
    assert len(used & set(vocab.therapies)) > 20 and len(used & set(vocab.diseases)) > 15
    assert len(used & set(vocab.measures)) > 10 and set(vocab.units) <= used
    refs = {s for s in subjects if s.startswith(synth.SYNTH + "ref-")}
    assert len(refs) == N // synth.STATEMENTS_PER_REFERENCE


def test_generated_graph_builds_with_every_statement(synthetic_build):
    root, report = synthetic_build
    store = open_read_only(root / "store")
    rows = store.query(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{GRAPHS['inferred']}> "
        f"{{ ?s a <{SCAD}EvidenceStatement> }} FILTER STRSTARTS(STR(?s), '{synth.SYNTH}') }}"
    )
    assert int(next(iter(rows))["n"].value) == N  # each typed by the rules as a statement
    assert report.counts["statements"] > 25 * N


def test_outputs_stay_small_at_size(synthetic_build):
    root, _ = synthetic_build
    out = root / "out"
    evidence = (out / "pictures" / "evidence-map.dot").read_text(encoding="utf-8")
    assert "outcomes in all" in evidence and "busiest pairs" in evidence  # summarised
    assert len(evidence) < 200_000
    page = (out / "ontology" / "EvidenceStatement.html").read_text(encoding="utf-8")
    listed = re.search(r"(\d+) individuals in the graph \(the first 40 are listed\)", page)
    assert listed and int(listed.group(1)) > N
