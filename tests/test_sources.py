from pathlib import Path

import pytest
from breakage import sources_with

from kg.errors import SourceError
from kg.sources import read_sources


def test_reads_every_source_into_its_graph():
    from conftest import SOURCES

    sources = read_sources(SOURCES)
    assert {s.path.name for s in sources.ontology} >= {"scad.ttl", "external.ttl"}
    assert "review.ttl" in {s.path.name for s in sources.statements}
    assert len(sources.shapes) > 0
    assert len(sources.digest) == 64


def test_syntax_error_names_file_line_and_column(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "broken.ttl",
        'scad:x a owl:NamedIndividual ;\n  rdfs:label "x"@en .\nscad:y scad:z ;; .\n',
    )
    with pytest.raises(SourceError) as err:
        read_sources(root)
    assert err.value.path.name == "broken.ttl"
    assert err.value.line == 7  # 4 prefix lines + 3
    assert err.value.column is not None
    assert "broken.ttl:7:15:" in str(err.value)


def test_undeclared_prefix_is_a_syntax_error(tmp_path: Path):
    root = sources_with(tmp_path, "prefix.ttl", "nope:x a owl:NamedIndividual .\n")
    with pytest.raises(SourceError, match=r"prefix\.ttl:5:\d+: .*nope"):
        read_sources(root)


def test_missing_folder_is_reported(tmp_path: Path):
    with pytest.raises(SourceError, match="not found"):
        read_sources(tmp_path / "absent")
