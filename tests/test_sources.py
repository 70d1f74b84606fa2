from pathlib import Path

import pytest
from breakage import sources_with
from conftest import SOURCES
from pyoxigraph import BlankNode, NamedNode, Store

from kg.errors import SourceError
from kg.sources import DATA, TBOX, read_sources
from kg.vocab import GRAPHS


def test_reads_every_source_into_its_graph():

    store = Store()
    sources = read_sources(SOURCES, store)
    assert {s.path.name for s in sources.part(TBOX)} >= {"scad.ttl", "external.ttl"}
    assert "review.ttl" in {s.path.name for s in sources.part(DATA)}
    assert sources.shapes is not None and sources.shapes.name == "shapes.ttl"
    assert len(sources.digest) == 64
    for part in (TBOX, DATA):
        stored = sum(1 for _ in store.quads_for_pattern(None, None, None, NamedNode(GRAPHS[part])))
        assert stored == sum(f.triples for f in sources.part(part)) > 0


def test_blank_nodes_get_the_same_labels_in_every_read():
    labels = []
    for _ in range(2):
        store = Store()
        read_sources(SOURCES, store)
        labels.append(sorted(q.subject.value for q in store if isinstance(q.subject, BlankNode)))
    assert labels[0] == labels[1] and labels[0]
    assert all(label.startswith("ontology-") for label in labels[0])


def test_extra_files_go_to_the_statements_graph(tmp_path: Path):
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        '<https://w3id.org/scad/synth/x> <http://www.w3.org/2000/01/rdf-schema#label> "x"@en .\n'
    )
    store = Store()
    sources = read_sources(SOURCES, store, [extra])
    assert sources.files[-1].rel == str(extra) and sources.files[-1].part == DATA
    x = NamedNode("https://w3id.org/scad/synth/x")
    assert [q.graph_name.value for q in store.quads_for_pattern(x, None, None)] == [GRAPHS[DATA]]


def test_syntax_error_names_file_line_and_column(tmp_path: Path):
    root = sources_with(
        tmp_path,
        "broken.ttl",
        'scad:x a owl:NamedIndividual ;\n  rdfs:label "x"@en .\nscad:y scad:z ;; .\n',
    )
    with pytest.raises(SourceError) as err:
        read_sources(root, Store())
    assert err.value.path.name == "broken.ttl"
    assert err.value.line == 7  # 4 prefix lines + 3
    assert err.value.column is not None
    assert "broken.ttl:7:15:" in str(err.value)


def test_undeclared_prefix_is_a_syntax_error(tmp_path: Path):
    root = sources_with(tmp_path, "prefix.ttl", "nope:x a owl:NamedIndividual .\n")
    with pytest.raises(SourceError, match=r"prefix\.ttl:5:\d+: .*nope"):
        read_sources(root, Store())


def test_missing_folder_is_reported(tmp_path: Path):
    with pytest.raises(SourceError, match="not found"):
        read_sources(tmp_path / "absent", Store())
