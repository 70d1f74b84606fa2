from pathlib import Path

import pytest
from breakage import sources_with
from conftest import SOURCES

from kg.errors import ValidationError
from kg.sources import read_sources
from kg.validate import validate


def test_project_sources_are_valid():
    validate(read_sources(SOURCES))


def test_undeclared_property_is_named_with_file_and_line(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "undeclared.ttl",
        'scad:x a owl:NamedIndividual , scad:Disease ;\n  rdfs:label "x"@en , "x"@zh ;\n  scad:notAProperty scad:y .\n',
    )
    with pytest.raises(ValidationError) as err:
        validate(read_sources(root))
    assert any(
        "data/undeclared.ttl:7: undeclared property scad:notAProperty" in p
        for p in err.value.problems
    )


def test_undeclared_class_is_refused(tmp_path: Path):
    root = sources_with(
        tmp_path, "cls.ttl", 'scad:x a scad:NoSuchClass ;\n  rdfs:label "x"@en , "x"@zh .\n'
    )
    with pytest.raises(ValidationError, match="undeclared class scad:NoSuchClass"):
        validate(read_sources(root))


def test_statement_without_source_is_refused(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "nosource.ttl",
        """scad:stmt-test a owl:NamedIndividual , scad:OutcomeStatement ;
  rdfs:label "test statement"@en , "测试陈述"@zh ;
  scad:therapy scad:test-therapy ; scad:condition scad:test-disease ;
  scad:locator scad:loc-s2-p1 ;
  scad:summary "A test."@en , "测试。"@zh .
scad:test-therapy a owl:NamedIndividual , scad:Drug ; rdfs:label "t"@en , "t"@zh .
scad:test-disease a owl:NamedIndividual , scad:Disease ; rdfs:label "d"@en , "d"@zh .
""",
    )
    with pytest.raises(ValidationError) as err:
        validate(read_sources(root))
    assert any("scad:stmt-test" in p and "source" in p for p in err.value.problems)


def test_missing_chinese_label_is_refused(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "label.ttl",
        'scad:x a owl:NamedIndividual , scad:Disease ;\n  rdfs:label "only English"@en .\n',
    )
    with pytest.raises(ValidationError, match=r"scad:x .*Chinese"):
        validate(read_sources(root))


def test_float_on_a_datatype_property_is_refused(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "float.ttl",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'scad:o a owl:NamedIndividual , scad:Outcome ;\n  rdfs:label "o"@en , "o"@zh ;\n  scad:value "1.5"^^xsd:float .\n',
    )
    with pytest.raises(ValidationError, match="outside the reasoner's datatype map"):
        validate(read_sources(root))
