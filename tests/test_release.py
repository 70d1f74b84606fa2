"""kg.release: the Protégé OWL loads and classifies, labels in both languages, the nanopublication
TriG has its four graphs per statement, checksums hold, the citation records (CITATION.cff,
schema.org, DCAT) name the source document and its credited works with the files' checksums, the
release is versioned (dist/<version>, dist/latest), and a second release is identical."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import owlready2
import pyoxigraph
import pytest
import rdflib
import yaml
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
    assert report.dist == (folder / __version__).resolve()
    return report.dist


def release_files(dist: Path) -> list[str]:
    return sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def owl_graph(dist) -> rdflib.Graph:
    return rdflib.Graph().parse(dist / "scad.owl", format="xml")


def test_release_has_every_file(dist):
    names = set(release_files(dist))
    expected = {"scad.owl", "scad.ttl", "scad.jsonld", "scad-nanopubs.trig", "scad-dataset.trig"}
    expected |= {"scad-dataset.nq", "context.jsonld", "SHA256SUMS", "RELEASE.md"}
    expected |= {"kgx/nodes.tsv", "kgx/edges.tsv", "scad.sssom.tsv", "CITATION.cff"}
    expected |= {"dataset.jsonld", "dataset.dcat.ttl", "neo4j/relationships.csv"}
    expected |= {f"parquet/{t}.parquet" for t in ("entities", "statements", "outcomes", "edges")}
    assert expected <= names
    if shutil.which("javac"):
        assert {"scad.owx", "scad.ofn"} <= names


def test_release_is_versioned_and_latest_points_at_it(dist):
    assert dist.name == __version__
    latest = dist.parent / "latest"
    assert latest.is_symlink() and latest.resolve() == dist


def test_checksums_hold(dist):
    lines = (dist / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == len(release_files(dist)) - 1
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
    assert header.startswith(
        "statement,therapy,therapy_label,condition,condition_label,measure,measure_label,value"
    )


def test_second_release_by_the_cli_is_identical(built, dist, tmp_path):
    other = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "release", "--quiet"]
        + ["--store", str(built.store_path), "--dist", str(other), "--queries", str(QUERIES)],
        check=True,
        capture_output=True,
    )
    assert (other / "latest" / "SHA256SUMS").read_bytes() == (dist / "SHA256SUMS").read_bytes()
    for name in release_files(dist):
        assert (other / "latest" / name).read_bytes() == (dist / name).read_bytes(), name


# ---------------------------------------------------------------------------------------------
# Citation records


def store_works(store) -> tuple[set[str], set[str]]:
    """The web addresses (the DOI's, else the IRI) of the source document (whose sections the
    locators point into: the republished article, which has no DOI) and of the works credited
    (the statements' sources and the numbered references), from the store."""

    def urls(text: str) -> set[str]:
        rows = store.query(
            "PREFIX scad: <https://w3id.org/scad/>\n"
            f"SELECT DISTINCT ?w ?doi WHERE {{ {text} OPTIONAL {{ ?w scad:doi ?doi }} }}",
            use_default_graph_as_union=True,
        )
        return {f"https://doi.org/{r['doi'].value}" if r["doi"] else r["w"].value for r in rows}

    source = urls("?section scad:inDocument ?w .")
    credited = urls("{ ?s scad:source ?w } UNION { ?w scad:citationNumber ?n }")
    return source, credited - source


def data_files(dist: Path) -> dict[str, str]:
    """Every file the citation records describe (all but themselves and the note/checksums)."""
    records = {"CITATION.cff", "dataset.jsonld", "dataset.dcat.ttl", "RELEASE.md", "SHA256SUMS"}
    return {
        name: hashlib.sha256((dist / name).read_bytes()).hexdigest()
        for name in release_files(dist)
        if name not in records
    }


def test_citation_cff_names_the_source_and_its_credited_works(dist, store):
    cff = yaml.safe_load((dist / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors"):
        assert cff[key], key
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["version"] == __version__ and cff["license"] == "CC-BY-4.0"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cff["date-released"])
    for person in cff["authors"] + [a for r in cff["references"] for a in r["authors"]]:
        assert set(person) in ({"name"}, {"family-names", "given-names"}), person
    for reference in cff["references"]:
        assert {"type", "title", "authors"} <= set(reference)
    source, credited = store_works(store)
    assert source == {SCAD + "hangi-article"} and credited
    assert cff["references"][0]["url"] in source and "doi" not in cff["references"][0]
    assert source | credited == {r["url"] for r in cff["references"]}


def test_schema_org_dataset_parses_offline_with_checksums(dist, store):
    graph = rdflib.Graph().parse(dist / "dataset.jsonld", format="json-ld")
    schema = rdflib.Namespace("https://schema.org/")
    dataset = URIRef(SCAD + "dataset")
    assert (dataset, RDF.type, schema.Dataset) in graph
    assert str(graph.value(dataset, schema.version)) == __version__
    assert (
        str(graph.value(dataset, schema.license)) == "https://creativecommons.org/licenses/by/4.0/"
    )
    downloads = {
        str(graph.value(d, schema.contentUrl)): str(graph.value(d, schema.sha256))
        for d in graph.objects(dataset, schema.distribution)
    }
    assert downloads == data_files(dist)
    source, credited = store_works(store)
    based_on = {str(o) for o in graph.objects(dataset, schema.isBasedOn)}
    cited = {str(o) for o in graph.objects(dataset, schema.citation)}
    assert based_on == source
    assert credited <= cited
    assert json.loads((dist / "dataset.jsonld").read_text())["@type"] == "Dataset"


def test_dcat_record_lists_every_file_with_its_checksum(dist):
    quads = pyoxigraph.parse(
        (dist / "dataset.dcat.ttl").read_bytes(), format=pyoxigraph.RdfFormat.TURTLE
    )
    store = pyoxigraph.Store()
    store.extend([pyoxigraph.Quad(t.subject, t.predicate, t.object) for t in quads])
    rows = store.query(
        """PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX spdx: <http://spdx.org/rdf/terms#>
        SELECT ?name ?sum WHERE { ?d a dcat:Dataset ; dcat:version ?v ; dcterms:license ?l ;
          dcat:distribution ?f . ?f dcterms:title ?name ; spdx:checksum/spdx:checksumValue ?sum }"""
    )
    assert {r["name"].value: r["sum"].value for r in rows} == data_files(dist)
    assert rdflib.Graph().parse(dist / "dataset.dcat.ttl", format="turtle")  # rdflib reads it too
