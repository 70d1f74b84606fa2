import pytest
import rdflib
from breakage import PREFIXES
from conftest import SOURCES
from rdflib import RDF, RDFS, URIRef

from kg.errors import ReasoningError
from kg.reason import reason
from kg.sources import read_sources

SCAD = rdflib.Namespace("https://w3id.org/scad/")


@pytest.fixture(scope="module")
def parts():
    sources = read_sources(SOURCES)
    return sources.merged("ontology"), sources.merged("statements")


def test_inferences_include_defined_classes_and_type_closure(parts):
    tbox, data = parts
    extra = rdflib.Graph().parse(
        data=PREFIXES
        + """
scad:t a owl:NamedIndividual , scad:MSCT ; scad:donorType scad:allogeneic .
""",
        format="turtle",
    )
    inferred = reason(tbox, data + extra)
    assert (SCAD.t, RDF.type, SCAD.AllogeneicMSCT) in inferred  # defined class, found by HermiT
    assert (SCAD.t, RDF.type, SCAD.AllogeneicCellTherapy) in inferred
    assert (SCAD.t, RDF.type, SCAD.Intervention) in inferred  # closure over named superclasses
    assert (SCAD.AllogeneicMSCT, RDFS.subClassOf, SCAD.AllogeneicCellTherapy) in inferred
    assert not any(o == URIRef("http://www.w3.org/2002/07/owl#Thing") for o in inferred.objects())


def test_inconsistent_individual_is_refused(parts):
    tbox, data = parts
    bad = rdflib.Graph().parse(
        data=PREFIXES + "scad:x a owl:NamedIndividual , scad:Disease , scad:Intervention .",
        format="turtle",
    )
    with pytest.raises(ReasoningError, match="inconsistent"):
        reason(tbox, data + bad)


def test_unsatisfiable_class_is_named(parts):
    tbox, data = parts
    bad = rdflib.Graph().parse(
        data=PREFIXES
        + "scad:Chimera a owl:Class ; rdfs:subClassOf scad:Disease , scad:Intervention .",
        format="turtle",
    )
    with pytest.raises(ReasoningError, match="unsatisfiable.*Chimera"):
        reason(tbox + bad, data)
