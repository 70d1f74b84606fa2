"""kg.release: the Protégé OWL loads and classifies, labels in both languages, the nanopublication
TriG has its four graphs per statement, checksums hold, and a second release is identical."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import owlready2
import pyoxigraph
import pytest
import rdflib
from conftest import QUERIES
from rdflib import OWL, RDF, RDFS, URIRef
from rdflib.compare import isomorphic

from kg import __version__
from kg.release import NANOPUB_BASE, release
from kg.vocab import ONTOLOGY_IRI, SCAD

ENTITY_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
)


@pytest.fixture(scope="module")
def dist(store, settings, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release") / "dist"
    report = release(store, folder, log=lambda _m: None, settings=settings)
    assert report.dist == folder.resolve()
    return folder


@pytest.fixture(scope="module")
def owl_graph(dist) -> rdflib.Graph:
    return rdflib.Graph().parse(dist / "scad.owl", format="xml")


def test_release_has_every_file(dist):
    names = {p.name for p in dist.iterdir()}
    expected = {"scad.owl", "scad.ttl", "scad.jsonld", "scad-nanopubs.trig", "scad-dataset.trig"}
    expected |= {"scad-dataset.nq", "context.jsonld", "SHA256SUMS", "RELEASE.md"}
    assert expected <= names
    if shutil.which("javac"):
        assert {"scad.owx", "scad.ofn"} <= names


def test_checksums_hold(dist):
    lines = (dist / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == len(list(dist.iterdir())) - 1
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name


def test_release_note_gives_version_and_counts(dist, store):
    note = (dist / "RELEASE.md").read_text(encoding="utf-8")
    assert f"# SCAD knowledge graph {__version__}" in note
    statements = next(
        iter(
            store.query(
                "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a <https://w3id.org/scad/EvidenceStatement> }",
                use_default_graph_as_union=True,
            )
        )
    )["n"].value
    assert f"- evidence statements: {statements}" in note


def test_owl_is_stamped_merged_and_without_imports(owl_graph):
    ontology = URIRef(ONTOLOGY_IRI)
    assert (ontology, RDF.type, OWL.Ontology) in owl_graph
    assert owl_graph.value(ontology, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{__version__}")
    assert not list(owl_graph.triples((None, OWL.imports, None)))
    assert (URIRef(SCAD + "MSCT"), RDF.type, OWL.Class) in owl_graph  # TBox
    assert list(owl_graph.subjects(RDF.type, URIRef(SCAD + "Outcome")))  # and the statements


def test_every_entity_has_both_labels(owl_graph):
    missing = []
    for kind in ENTITY_TYPES:
        for entity in set(owl_graph.subjects(RDF.type, kind)):
            if not str(entity).startswith(SCAD):
                continue
            langs = {label.language for label in owl_graph.objects(entity, RDFS.label)}
            if not {"en", "zh"} <= langs:
                missing.append(f"{entity} {sorted(lang or '-' for lang in langs)}")
    assert not missing, "entities without an English and a Chinese label:\n" + "\n".join(missing)


def test_owl_loads_in_owlready2_and_hermit_classifies_it(dist, tmp_path, monkeypatch):
    owlready2.JAVA_EXE = shutil.which("java")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # owlready2 writes HermiT's input here
    world = owlready2.World(filename=str(tmp_path / "quadstore.sqlite3"))
    onto = world.get_ontology((dist / "scad.owl").as_uri()).load()
    assert onto.base_iri.startswith(SCAD)
    msct = world[SCAD + "MSCT"]
    assert msct is not None and "mesenchymal stem-cell transplantation (MSCT)" in msct.label.en
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert [c for c in world.inconsistent_classes() if c is not owlready2.Nothing] == []
    world.close()


def test_turtle_and_jsonld_are_the_same_graph(dist, owl_graph):
    for name, fmt in (("scad.ttl", "turtle"), ("scad.jsonld", "json-ld")):
        assert isomorphic(rdflib.Graph().parse(dist / name, format=fmt), owl_graph), name


def test_nanopublications_have_their_four_graphs(dist, store):
    data = (dist / "scad-nanopubs.trig").read_bytes()
    quads = list(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TRIG))
    graphs: dict[str, list] = {}
    for q in quads:
        graphs.setdefault(q.graph_name.value, []).append(q)
    statements = [
        row["s"].value
        for row in store.query(
            "SELECT DISTINCT ?s WHERE { ?s a <https://w3id.org/scad/EvidenceStatement> }",
            use_default_graph_as_union=True,
        )
    ]
    assert statements
    for stmt in statements:
        np = NANOPUB_BASE + stmt[len(SCAD) :]
        for part in ("head", "assertion", "provenance", "pubinfo"):
            assert graphs.get(f"{np}#{part}"), f"{np}#{part} missing or empty"
        assertion = {(q.subject.value, q.predicate.value) for q in graphs[f"{np}#assertion"]}
        assert (stmt, SCAD + "therapy") in assertion or (stmt, SCAD + "cellType") in assertion
        provenance = {q.predicate.value for q in graphs[f"{np}#provenance"]}
        assert (
            SCAD + "source" in provenance
            and "http://www.w3.org/ns/prov#wasDerivedFrom" in provenance
        )
    assert len(graphs) == 4 * len(statements)
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format="trig")  # rdflib reads it too
    assert len(list(dataset.graphs())) >= 4 * len(statements)


def test_evidence_csv(dist):
    header = (dist / "evidence.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("statement,therapy,condition,measure,value")


def test_second_release_by_the_cli_is_identical(built, dist, tmp_path):
    other = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "release", "--quiet"]
        + ["--store", str(built.store_path), "--dist", str(other), "--queries", str(QUERIES)],
        check=True,
        capture_output=True,
    )
    assert (other / "SHA256SUMS").read_bytes() == (dist / "SHA256SUMS").read_bytes()
