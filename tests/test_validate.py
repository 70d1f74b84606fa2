"""kg.validate: OWL checks and SHACL (pyshacl-turbo, slice by slice), every problem with its file
and line; pyshacl's findings are the reference."""

from pathlib import Path

import pyshacl
import pytest
import rdflib
from breakage import sources_with, validated
from conftest import SOURCES

from kg.errors import ValidationError
from kg.validate import short

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def problems(root: Path) -> list[str]:
    with pytest.raises(ValidationError) as err:
        validated(root)
    return err.value.problems


def test_project_sources_are_valid():
    validated(SOURCES)


def test_undeclared_property_is_named_with_file_and_line(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "undeclared.ttl",
        'scad:x a owl:NamedIndividual , scad:Disease ;\n  rdfs:label "x"@en , "x"@zh ;\n  scad:notAProperty scad:y .\n',
    )
    assert "data/undeclared.ttl:7: undeclared property scad:notAProperty" in problems(root)


def test_undeclared_class_is_refused(tmp_path: Path):
    root = sources_with(
        tmp_path, "cls.ttl", 'scad:x a scad:NoSuchClass ;\n  rdfs:label "x"@en , "x"@zh .\n'
    )
    assert "data/cls.ttl:5: undeclared class scad:NoSuchClass" in problems(root)


NO_SOURCE = """scad:stmt-test a owl:NamedIndividual , scad:OutcomeStatement ;
  rdfs:label "test statement"@en , "测试陈述"@zh ;
  scad:therapy scad:test-therapy ; scad:condition scad:test-disease ;
  scad:locator scad:loc-s2-p1 ;
  scad:summary "A test."@en , "测试。"@zh .
scad:test-therapy a owl:NamedIndividual , scad:Drug ; rdfs:label "t"@en , "t"@zh .
scad:test-disease a owl:NamedIndividual , scad:Disease ; rdfs:label "d"@en , "d"@zh .
"""


def test_shacl_violation_names_file_and_line_of_the_node(tmp_path: Path):
    root = sources_with(tmp_path, "nosource.ttl", NO_SOURCE)
    expected = (
        "data/nosource.ttl:5: scad:stmt-test scad:source: an evidence statement needs a source"
    )
    assert any(p.startswith(expected) for p in problems(root))


def test_missing_chinese_label_is_refused(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "label.ttl",
        'scad:x a owl:NamedIndividual , scad:Disease ;\n  rdfs:label "only English"@en .\n',
    )
    assert (
        "data/label.ttl:5: scad:x rdfs:label: rdfs:label is missing in Chinese (@zh)"
        in problems(root)
    )


def test_float_on_a_datatype_property_is_refused(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "float.ttl",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'scad:o a owl:NamedIndividual , scad:Outcome ;\n  rdfs:label "o"@en , "o"@zh ;\n  scad:value "1.5"^^xsd:float .\n',
    )
    assert any(
        p.startswith("data/float.ttl:8: ") and "outside the reasoner's datatype map" in p
        for p in problems(root)
    )


BROKEN = """@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
scad:stmt-x a owl:NamedIndividual , scad:OutcomeStatement ; rdfs:label "s"@en , "陈述"@zh ;
  scad:therapy scad:sle ; scad:condition scad:sle ; scad:locator scad:loc-s2-p1 , scad:loc-s2-p2 ;
  scad:outcome scad:out-x ; scad:summary "s"@en .
scad:out-x a owl:NamedIndividual , scad:Outcome ; rdfs:label "o"@en ; scad:measure scad:response-rate ;
  scad:lowerBound "50"^^xsd:decimal ; scad:upperBound "10"^^xsd:decimal ;
  scad:followUp "2"^^xsd:decimal ; scad:value "1.5" .
"""


def test_every_violation_pyshacl_finds_is_listed(tmp_path: Path):
    """The same shapes and broken data through pyshacl (the reference) and through the build."""
    root = sources_with(tmp_path, "broken.ttl", BROKEN)
    data = rdflib.Graph()
    for path in [*sorted(root.glob("*.ttl")), *sorted((root / "data").glob("*.ttl"))]:
        if path.name != "shapes.ttl":
            data.parse(path, format="turtle")
    shapes = rdflib.Graph().parse(root / "shapes.ttl", format="turtle")
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    assert not conforms
    expected = set()
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        where = short(str(report.value(result, SH.focusNode)))
        path = report.value(result, SH.resultPath)
        expected.add(where + (f" {short(str(path))}" if isinstance(path, rdflib.URIRef) else ""))
    assert len(expected) >= 8  # source, locator, summary, therapy's class, unit, bounds, …
    shacl = [p for p in problems(root) if p.startswith("data/broken.ttl:")]
    found = {p.split(": ", 2)[1] for p in shacl}
    assert found == expected
    assert all(p.split(":")[1].isdigit() for p in shacl)  # each with its line
