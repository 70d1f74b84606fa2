"""kg.reason: HermiT classifies the TBox, the rules give the data's consequences; both refuse."""

import shutil
from pathlib import Path

import pytest
import rdflib
from breakage import PREFIXES, sources_with
from conftest import SOURCES, Built
from pyoxigraph import NamedNode, Store
from rdflib import RDF, RDFS, URIRef

from kg.buildcache import CheckCache
from kg.errors import ReasoningError
from kg.export import from_oxigraph
from kg.reason import reason, reason_with_hermit
from kg.sources import read_sources, tbox_graph
from kg.store import open_read_only
from kg.vocab import GRAPHS

SCAD = rdflib.Namespace("https://w3id.org/scad/")


def reasoned(root: Path) -> rdflib.Graph:
    """Read `root` into a store in memory, run the reason step; the inferred graph."""
    store = Store()
    read_sources(root, store)
    reason(store, tbox_graph(store), CheckCache(None))
    return graph_of(store, "inferred")


def graph_of(store: Store, name: str) -> rdflib.Graph:
    return from_oxigraph(store.quads_for_pattern(None, None, None, NamedNode(GRAPHS[name])))


def test_inferred_graph_equals_hermits_on_the_review(built: Built):
    """The rules + HermiT on the TBox give exactly what HermiT over TBox and data gave."""
    store = open_read_only(built.store_path)
    reference = reason_with_hermit(graph_of(store, "ontology"), graph_of(store, "statements"))
    inferred = graph_of(store, "inferred")
    assert len(inferred) > 400
    assert set(inferred) == set(reference)


def test_inferences_include_defined_classes_and_type_closure(tmp_path):
    root = sources_with(
        tmp_path,
        "t.ttl",
        "scad:t a owl:NamedIndividual , scad:MSCT ; scad:donorType scad:allogeneic .\n",
    )
    inferred = reasoned(root)
    assert (SCAD.t, RDF.type, SCAD.AllogeneicMSCT) in inferred  # defined class, by the rules
    assert (SCAD.t, RDF.type, SCAD.AllogeneicCellTherapy) in inferred
    assert (SCAD.t, RDF.type, SCAD.Intervention) in inferred  # closure over named superclasses
    assert (SCAD.AllogeneicMSCT, RDFS.subClassOf, SCAD.AllogeneicCellTherapy) in inferred  # HermiT
    assert not any(o == URIRef("http://www.w3.org/2002/07/owl#Thing") for o in inferred.objects())


def test_inconsistent_individual_is_refused(tmp_path):
    root = sources_with(
        tmp_path, "bad.ttl", "scad:x a owl:NamedIndividual , scad:Disease , scad:Intervention .\n"
    )
    with pytest.raises(ReasoningError, match=r"inconsistent(.|\n)*scad/x.*disjoint"):
        reasoned(root)


def test_disjointness_through_the_rules_is_refused(tmp_path):
    """A type found by a rule (the domain of scad:therapy) clashes with an asserted one."""
    root = sources_with(
        tmp_path,
        "bad.ttl",
        "scad:x a owl:NamedIndividual , scad:Disease ; scad:therapy scad:hsct .\n",
    )
    with pytest.raises(ReasoningError, match="inconsistent"):
        reasoned(root)


def test_two_values_of_a_functional_data_property_are_refused(tmp_path):
    root = sources_with(
        tmp_path,
        "bad.ttl",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'scad:o a owl:NamedIndividual , scad:Outcome ; scad:value "1"^^xsd:decimal , "2"^^xsd:decimal .\n'
        'scad:p a owl:NamedIndividual , scad:Outcome ; scad:value "1"^^xsd:decimal , "1.0"^^xsd:decimal .\n',
    )
    with pytest.raises(ReasoningError, match=r"scad/o> has two values") as err:
        reasoned(root)
    assert "scad/p>" not in str(err.value)  # 1 and 1.0 are one decimal value


def test_unsatisfiable_class_is_named(tmp_path):
    root = tmp_path / "ontology"
    shutil.copytree(SOURCES, root)
    (root / "chimera.ttl").write_text(
        PREFIXES
        + "scad:Chimera a owl:Class ; rdfs:subClassOf scad:Disease , scad:Intervention .\n",
        encoding="utf-8",
    )
    with pytest.raises(ReasoningError, match="unsatisfiable.*Chimera"):
        reasoned(root)


def test_an_axiom_the_rules_do_not_cover_is_refused(tmp_path):
    root = tmp_path / "ontology"
    shutil.copytree(SOURCES, root)
    (root / "inverse.ttl").write_text(
        PREFIXES + "scad:treatedBy a owl:ObjectProperty ; owl:inverseOf scad:therapy .\n",
        encoding="utf-8",
    )
    with pytest.raises(ReasoningError, match="do not cover.*inverseOf"):
        reasoned(root)
