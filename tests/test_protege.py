"""The merged OWL file that Protégé users open: OWL API and owlready2/HermiT both accept it."""

import shutil
import subprocess
from pathlib import Path

import owlready2
import pytest
import rdflib
from conftest import Built
from rdflib import OWL, RDF, RDFS

JAVA_DIR = Path(__file__).parent / "java"
OWLAPI = Path("/usr/share/java/owlapi-distribution.jar")


@pytest.fixture(scope="module")
def owl_check(tmp_path_factory) -> Path:
    if not (shutil.which("javac") and OWLAPI.exists()):
        pytest.fail("the OWL API check needs javac and libowlapi-java: run scripts/setup.sh --test")
    out = tmp_path_factory.mktemp("owlcheck")
    subprocess.run(
        ["javac", "-cp", "/usr/share/java/*", "-d", str(out), str(JAVA_DIR / "OwlCheck.java")],
        check=True,
        capture_output=True,
    )
    return out


def test_owl_api_loads_cleanly(built: Built, owl_check: Path):
    result = subprocess.run(
        ["java", "-cp", f"{owl_check}:/usr/share/java/*", "OwlCheck", str(built.owl_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = dict(
        line.split(": ", 1)
        for line in result.stdout.splitlines()
        if line.isupper() or ": " in line and line.split(": ", 1)[0].isupper()
    )
    assert report["FORMAT"] == "RDF/XML Syntax"
    assert int(report["AXIOMS"]) > 1000
    assert (report["UNPARSED"], report["GUESSED"], report["DL_VIOLATIONS"]) == ("0", "0", "0"), (
        result.stdout
    )
    assert result.returncode == 0


def test_owlready2_and_hermit_find_it_consistent(built: Built):
    world = owlready2.World()
    onto = world.get_ontology(built.owl_file.as_uri()).load()
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert [c for c in world.inconsistent_classes() if c is not owlready2.Nothing] == []
    assert len(list(onto.classes())) > 50


def test_header_and_bilingual_labels(built: Built):
    g = rdflib.Graph().parse(built.owl_file, format="xml")
    onto = next(g.subjects(RDF.type, OWL.Ontology))
    dc = rdflib.Namespace("http://purl.org/dc/terms/")
    for prop in (OWL.versionIRI, dc.title, dc.description, dc.license, dc.creator, dc.created):
        assert g.value(onto, prop) is not None, prop
    declared = set()
    for kind in (
        OWL.Class,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.NamedIndividual,
    ):
        declared |= {s for s in g.subjects(RDF.type, kind) if isinstance(s, rdflib.URIRef)}
    missing = [
        str(s)
        for s in declared
        if not {lbl.language for lbl in g.objects(s, RDFS.label)} >= {"en", "zh"}
    ]
    assert missing == []
    skos_def = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#definition")
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        undefined = [
            s
            for s in g.subjects(RDF.type, kind)
            if isinstance(s, rdflib.URIRef) and g.value(s, skos_def) is None
        ]
        assert undefined == [], kind
