"""kg.export: every format re-parsed (rdflib and pyoxigraph) gives the store's graphs back, and
two exports made in separate processes (different hash seeds) are byte-identical."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import owlready2
import pyoxigraph
import pytest
import rdflib
from pyoxigraph import NamedNode
from rdflib.compare import isomorphic

from kg import export as ex
from kg.config import Settings
from kg.errors import ExportError
from kg.vocab import GRAPHS

TRIPLE_FORMATS = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}
QUAD_FORMATS = {"nquads": "nquads", "trig": "trig"}
EXTENSIONS = {"turtle": "ttl", "ntriples": "nt", "rdfxml": "rdf", "jsonld": "jsonld"}
EXTENSIONS |= {"nquads": "nq", "trig": "trig"}
OX_FORMATS = {
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "rdfxml": pyoxigraph.RdfFormat.RDF_XML,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
    "nquads": pyoxigraph.RdfFormat.N_QUADS,
    "trig": pyoxigraph.RdfFormat.TRIG,
}
EXPORT_ALL = """
import sys
from pathlib import Path
from kg import export as ex
from kg.config import Settings
from kg.store import open_read_only
store, out = open_read_only(Path(sys.argv[1])), Path(sys.argv[2])
settings = Settings(store=Path(sys.argv[1]))
for name, ext in {exts!r}.items():
    ex.export_file(store, ex.export_format(name), out / f"scad.{{ext}}", settings=settings)
"""


def store_graph(store: pyoxigraph.Store, names) -> rdflib.Graph:
    """The union of the named graphs, read straight from the store (lexical forms exact)."""
    return ex.from_oxigraph(
        q
        for name in names
        for q in store.quads_for_pattern(None, None, None, NamedNode(GRAPHS[name]))
    )


def export_bytes(store, settings: Settings, fmt, graphs=None) -> bytes:
    buffer = io.BytesIO()
    ex.export(store, fmt, buffer, graphs, progress_stream=io.StringIO(), settings=settings)
    return buffer.getvalue()


def oxigraph_parse(data: bytes, fmt: str) -> list:
    return list(pyoxigraph.parse(data, format=OX_FORMATS[fmt]))


@pytest.fixture(scope="module")
def exports(built, tmp_path_factory) -> dict[str, Path]:
    """Every RDF format exported twice, by two processes with different hash seeds."""
    folders = {}
    for seed in ("1", "2"):
        out = tmp_path_factory.mktemp(f"export-seed{seed}")
        env = dict(os.environ, PYTHONHASHSEED=seed)
        script = EXPORT_ALL.format(exts=EXTENSIONS)
        subprocess.run(
            [sys.executable, "-c", script, str(built.store_path), str(out)], env=env, check=True
        )
        folders[seed] = out
    return folders


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_two_exports_are_byte_identical(exports, fmt):
    name = f"scad.{EXTENSIONS[fmt]}"
    first, second = (exports["1"] / name).read_bytes(), (exports["2"] / name).read_bytes()
    assert first and first == second


@pytest.mark.parametrize("fmt", sorted(TRIPLE_FORMATS))
def test_triple_formats_round_trip(store, exports, fmt):
    data = (exports["1"] / f"scad.{EXTENSIONS[fmt]}").read_bytes()
    expected = store_graph(store, GRAPHS)
    by_rdflib = rdflib.Graph().parse(data=data, format=TRIPLE_FORMATS[fmt])
    assert len(by_rdflib) == len(expected)
    assert isomorphic(by_rdflib, store_graph_as_parsed(store))
    by_oxigraph = ex.from_oxigraph(oxigraph_parse(data, fmt))
    assert isomorphic(by_oxigraph, expected)  # exact terms: lexical forms are kept


def store_graph_as_parsed(store: pyoxigraph.Store) -> rdflib.Graph:
    """The store's union as rdflib sees it after its own parsing (it normalises some literals)."""
    dump = store.dump(format=pyoxigraph.RdfFormat.N_QUADS)
    dataset = rdflib.Dataset()
    dataset.parse(data=dump, format="nquads")
    graph = rdflib.Graph()
    for name in GRAPHS.values():
        graph += dataset.graph(rdflib.URIRef(name))
    return graph


@pytest.mark.parametrize("fmt", sorted(QUAD_FORMATS))
def test_quad_formats_keep_the_named_graphs(store, exports, fmt):
    data = (exports["1"] / f"scad.{EXTENSIONS[fmt]}").read_bytes()
    quads = oxigraph_parse(data, fmt)
    assert {q.graph_name.value for q in quads} == set(GRAPHS.values())
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format=QUAD_FORMATS[fmt])
    for iri in GRAPHS.values():
        expected = ex.from_oxigraph(store.quads_for_pattern(None, None, None, NamedNode(iri)))
        by_oxigraph = ex.from_oxigraph(q for q in quads if q.graph_name.value == iri)
        assert isomorphic(by_oxigraph, expected), iri
        by_rdflib = dataset.graph(rdflib.URIRef(iri))
        assert len(by_rdflib) == len(expected), iri


def test_nquads_lines_are_sorted(exports):
    lines = (exports["1"] / "scad.nq").read_bytes().splitlines()
    assert lines == sorted(lines)


def test_blank_node_labels_are_stable_and_named_after_their_graph(exports):
    text = (exports["1"] / "scad.nt").read_text(encoding="utf-8")
    labels = {word for line in text.splitlines() for word in line.split() if word.startswith("_:")}
    assert labels, "the TBox has class expressions, so blank nodes"
    assert all(label.startswith(("_:ontology-", "_:statements-")) for label in labels)


def test_jsonld_embeds_the_published_context(exports):
    import json

    doc = json.loads((exports["1"] / "scad.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == ex.CONTEXT["@context"]
    assert doc["@context"]["scad"] == "https://w3id.org/scad/"


def test_chosen_graphs_only(store, settings):
    fmt = ex.export_format("turtle")
    data = export_bytes(store, settings, fmt, ["ontology", "metadata"])
    parsed = ex.from_oxigraph(oxigraph_parse(data, "turtle"))
    assert isomorphic(parsed, store_graph(store, ["ontology", "metadata"]))


def test_format_from_file_name_and_errors():
    assert ex.export_format(None, "x/scad.ttl").name == "turtle"
    assert ex.export_format(None, "scad.owl").name == "rdfxml"
    assert ex.export_format(None, "scad.nq").name == "nquads"
    assert ex.export_format(None, "table.tsv").name == "tsv"
    with pytest.raises(ExportError):
        ex.export_format(None, "scad.docx")
    with pytest.raises(ExportError):
        ex.export_format("yaml")
    with pytest.raises(ExportError):
        ex.graph_names(["everything"], ex.export_format("turtle"))


def test_cli_export_to_file_and_stdout(built, tmp_path):
    out = tmp_path / "statements.nq"
    kg = [sys.executable, "-m", "kg.cli", "export", "--store", str(built.store_path)]
    subprocess.run(kg + ["--graph", "statements", "-o", str(out)], check=True)
    quads = list(pyoxigraph.parse(out.read_bytes(), format=pyoxigraph.RdfFormat.N_QUADS))
    assert {q.graph_name.value for q in quads} == {GRAPHS["statements"]}
    piped = subprocess.run(kg + ["--format", "nq", "--graph", "statements"], capture_output=True)
    assert piped.returncode == 0 and piped.stdout == out.read_bytes()
    bad = subprocess.run(kg + ["--format", "yaml"], capture_output=True, text=True)
    assert bad.returncode == ExportError.exit_code and "unknown export format" in bad.stderr


def test_owl_xml_and_functional_syntax_by_the_owl_api(store, settings, tmp_path):
    owx = export_bytes(store, settings, ex.export_format("owlxml"))
    assert owx == export_bytes(store, settings, ex.export_format("owlxml"))
    path = tmp_path / "scad.owx"
    path.write_bytes(owx)
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    assert onto.base_iri.startswith("https://w3id.org/scad/")
    assert world["https://w3id.org/scad/MSCT"] is not None
    ofn = export_bytes(store, settings, ex.export_format("ofn")).decode("utf-8")
    assert ofn.startswith("Prefix(") and "Ontology(<https://w3id.org/scad/ontology>" in ofn
    assert (
        "Declaration(Class(scad:MSCT))" in ofn
        or "Declaration(Class(<https://w3id.org/scad/MSCT>))" in ofn
    )
    world.close()


def test_evidence_table_csv_and_tsv(store, settings, run_query):
    data = export_bytes(store, settings, ex.export_format("csv"))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert rows, "the evidence table has rows"
    for column in ("statement", "therapy", "condition", "measure", "value", "source_doi"):
        assert column in rows[0]
    assert len(rows) == len(run_query("evidence-table"))  # every row: no cap on an export
    assert data == export_bytes(store, settings, ex.export_format("csv"))
    tsv = export_bytes(store, settings, ex.export_format("tsv")).decode("utf-8")
    assert tsv.splitlines()[0].startswith("?statement\t")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal(store, settings):
    stream, out = Terminal(), io.BytesIO()
    written = ex.export(
        store, ex.export_format("nquads"), out, progress_stream=stream, settings=settings
    )
    assert written == len(out.getvalue().splitlines()) > 4000
    text = stream.getvalue()
    assert text.startswith("\rexport nquads: ") and text.endswith(f"{written:,}/{written:,}\n")


@pytest.mark.parametrize("fmt", ["nquads", "turtle", "jsonld"])
def test_sorting_in_runs_on_disk_gives_the_same_bytes(store, settings, monkeypatch, fmt):
    """Memory is bounded by CHUNK lines: with tiny runs (merged from disk) the export is the same."""
    whole = export_bytes(store, settings, ex.export_format(fmt))
    monkeypatch.setattr(ex, "CHUNK", 500)
    assert export_bytes(store, settings, ex.export_format(fmt)) == whole
