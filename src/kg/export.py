"""Export step: the graph in every form users take it away in, byte-for-byte reproducible.

Two exports of the same store are identical, so that a diff between releases shows real changes
only. That takes three things:

- blank nodes get stable labels: each graph is canonicalised (RGDA1, `rdflib.compare`) and every
  blank node is named after its graph and its canonical hash (`_:ontology-3758ebf5531b`), so a
  label does not move when an unrelated node is added;
- triples are written in a fixed order: sorted, then written by Oxigraph's serialisers (Turtle,
  TriG, RDF/XML, N-Triples, N-Quads), which keep that order and every literal's lexical form;
  JSON-LD (rdflib, compacted with our context) has its nodes and values sorted after compaction;
- prefixes are the fixed table of `kg.vocab.PREFIXES`.

N-Triples and N-Quads are written line by line (with progress on a terminal); OWL/XML and
functional syntax are rendered by the OWL API (a tiny Java step, `kg/java/OwlConvert.java`) when
a JDK and Debian's `libowlapi-java` are installed; CSV/TSV are the evidence-table query.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import pyoxigraph
import rdflib
from pyoxigraph import NamedNode, Store
from rdflib import BNode
from rdflib.compare import to_canonical_graph

from kg.catalogue import Catalogue, bind
from kg.config import Settings
from kg.errors import ExportError
from kg.mediatypes import EXPORT_FORMATS, Format, by_extension, by_name
from kg.query.executor import Executor
from kg.vocab import GRAPHS, PREFIXES

GRAPH_NAMES: tuple[str, ...] = tuple(GRAPHS)
PROTEGE_GRAPHS: tuple[str, ...] = ("ontology", "statements")
QUAD_FORMATS = ("nquads", "trig")
OWL_API_FORMATS = {"owlxml": "owx", "ofn": "ofn"}
TABLE_FORMATS = ("csv", "tsv")
EVIDENCE_QUERY = "evidence-table"  # the canned query whose rows are the evidence table
OWL_API_CLASSPATH = "/usr/share/java/*"
OWL_CONVERT_SOURCE = Path(__file__).parent / "java" / "OwlConvert.java"

# The JSON-LD context of every JSON-LD document we write: published at /context.jsonld and as
# dist/context.jsonld, and embedded whole in each export so that it parses offline.
CONTEXT: dict[str, Any] = {"@context": dict(PREFIXES)}


# ---------------------------------------------------------------------------------------------
# Choosing what to export


def export_format(name: str | None, filename: str | None = None) -> Format:
    """The format named by --format, or else implied by the output file's extension."""
    fmt = None
    if name:
        fmt = by_name(name, EXPORT_FORMATS)
        if fmt is None:
            known = ", ".join(f.name for f in EXPORT_FORMATS)
            raise ExportError(f"unknown export format {name!r} (known: {known})")
    elif filename:
        fmt = by_extension(filename, EXPORT_FORMATS)
        if fmt is None:
            raise ExportError(f"cannot tell the format from {filename!r}: give --format")
    else:
        raise ExportError("give --format, or an output file whose extension names the format")
    return fmt


def graph_names(chosen: Iterable[str] | None, fmt: Format) -> tuple[str, ...]:
    """The named graphs to export: those chosen, else all (ontology + statements for OWL)."""
    chosen = list(chosen or [])
    for name in chosen:
        if name not in GRAPHS:
            raise ExportError(f"unknown graph {name!r} (known: {', '.join(GRAPH_NAMES)})")
    if chosen:
        return tuple(n for n in GRAPH_NAMES if n in chosen)
    return PROTEGE_GRAPHS if fmt.name in OWL_API_FORMATS else GRAPH_NAMES


# ---------------------------------------------------------------------------------------------
# Reading and canonicalising


def new_graph() -> rdflib.Graph:
    """An empty rdflib graph with exactly our prefixes bound, in their fixed order."""
    graph = rdflib.Graph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def _sort_key(triple: tuple) -> tuple[str, str, str]:
    return tuple(term.n3() for term in triple)  # type: ignore[return-value]


def canonical(graph: rdflib.Graph, label: str) -> rdflib.Graph:
    """`graph` with stable blank-node labels (`<label>-<hash>`), filled in sorted order."""
    triples: Iterable[tuple] = graph
    if any(isinstance(t, BNode) for triple in graph for t in (triple[0], triple[2])):
        names: dict[BNode, BNode] = {}

        def rename(term: Any) -> Any:
            if not isinstance(term, BNode):
                return term
            if term not in names:
                names[term] = BNode(f"{label}-{str(term).removeprefix('cb')[:12]}")
            return names[term]

        triples = [tuple(rename(t) for t in triple) for triple in to_canonical_graph(graph)]
        if len(set(names.values())) != len(names):  # a clash of 48-bit prefixes: keep them whole
            triples = [
                tuple(BNode(f"{label}-{t}") if isinstance(t, BNode) else t for t in triple)
                for triple in to_canonical_graph(graph)
            ]
    out = new_graph()
    for triple in sorted(triples, key=_sort_key):
        out.add(triple)
    return out


def to_rdflib(term: Any) -> Any:
    """A pyoxigraph term as an rdflib term, lexical forms kept exactly (no normalisation)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language, normalize=False)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=False)


def from_oxigraph(triples: Iterable[pyoxigraph.Triple | pyoxigraph.Quad]) -> rdflib.Graph:
    """pyoxigraph triples (or quads, graph dropped) as an rdflib graph."""
    graph = rdflib.Graph(bind_namespaces="none")
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph


def read_graphs(store: Store, names: Iterable[str]) -> dict[str, rdflib.Graph]:
    """The chosen named graphs of the store, each canonicalised (see `canonical`)."""
    return {
        name: canonical(
            from_oxigraph(store.quads_for_pattern(None, None, None, NamedNode(GRAPHS[name]))),
            name,
        )
        for name in names
    }


def union(graphs: Iterable[rdflib.Graph]) -> rdflib.Graph:
    triples = {t for g in graphs for t in g}
    out = new_graph()
    for triple in sorted(triples, key=_sort_key):
        out.add(triple)
    return out


# ---------------------------------------------------------------------------------------------
# Serialising (each returns or yields bytes; all deterministic)


def ntriples_lines(graph: rdflib.Graph) -> list[bytes]:
    """One N-Triples line per triple, sorted (rdflib's own order depends on hashing)."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return sorted(line for line in data.splitlines() if line.strip())


def oxigraph_triples(graph: rdflib.Graph) -> list[pyoxigraph.Triple]:
    """The triples of `graph` as pyoxigraph terms, in sorted order, blank-node labels kept."""
    data = b"".join(line + b"\n" for line in ntriples_lines(graph))
    return list(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES))


def oxigraph_quads(graphs: dict[str, rdflib.Graph]) -> list[pyoxigraph.Quad]:
    """Graph IRI -> graph as pyoxigraph quads, graph by graph in the mapping's order."""
    return [
        pyoxigraph.Quad(t.subject, t.predicate, t.object, NamedNode(iri))
        for iri, graph in graphs.items()
        for t in oxigraph_triples(graph)
    ]


def _write(items: list, fmt: pyoxigraph.RdfFormat) -> bytes:
    """Oxigraph's writer: terms exactly as stored, prefixes from our table (sorted by IRI)."""
    return pyoxigraph.serialize(items, format=fmt, prefixes=PREFIXES)


def ntriples(graph: rdflib.Graph) -> bytes:
    return _write(oxigraph_triples(graph), pyoxigraph.RdfFormat.N_TRIPLES)


def nquads_lines(graphs: dict[str, rdflib.Graph]) -> list[bytes]:
    """Sorted N-Quads lines of the named graphs (keyed by name: see GRAPHS)."""
    quads = oxigraph_quads({GRAPHS[name]: graph for name, graph in graphs.items()})
    data = _write(quads, pyoxigraph.RdfFormat.N_QUADS)
    return sorted(line for line in data.splitlines() if line.strip())


def turtle(graph: rdflib.Graph) -> bytes:
    return _write(oxigraph_triples(graph), pyoxigraph.RdfFormat.TURTLE)


def trig(graphs: dict[str, rdflib.Graph]) -> bytes:
    """TriG, one block per named graph (keyed by graph IRI, in the mapping's order)."""
    return _write(oxigraph_quads(graphs), pyoxigraph.RdfFormat.TRIG)


def rdfxml(graph: rdflib.Graph) -> bytes:
    return _write(oxigraph_triples(graph), pyoxigraph.RdfFormat.RDF_XML)


def _sorted_jsonld(value: Any) -> Any:
    """JSON-LD with every array sorted (arrays are unordered in JSON-LD except @list)."""
    if isinstance(value, dict):
        return {
            k: (
                [_sorted_jsonld(v) for v in value[k]]
                if k == "@list" and isinstance(value[k], list)
                else _sorted_jsonld(value[k])
            )
            for k in sorted(value)
        }
    if isinstance(value, list):
        items = [_sorted_jsonld(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def jsonld(graph: rdflib.Graph) -> bytes:
    """Compacted JSON-LD with our context embedded (the same as /context.jsonld)."""
    text = graph.serialize(format="json-ld", context=CONTEXT["@context"], auto_compact=True)
    doc = json.loads(text)
    doc["@context"] = CONTEXT["@context"]
    return (json.dumps(_sorted_jsonld(doc), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def context_document() -> bytes:
    return (json.dumps(CONTEXT, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _owl_converter() -> Path:
    """OwlConvert.class compiled once per source version into a cache folder."""
    if not (shutil.which("javac") and shutil.which("java") and Path("/usr/share/java").is_dir()):
        raise ExportError(
            "OWL/XML and functional syntax need a JDK and the OWL API "
            "(default-jdk-headless, libowlapi-java: run scripts/setup.sh --test)"
        )
    source = OWL_CONVERT_SOURCE.read_bytes()
    cache = Path(tempfile.gettempdir()) / f"kg-owlconvert-{hashlib.sha256(source).hexdigest()[:12]}"
    if not (cache / "OwlConvert.class").exists():
        build = Path(tempfile.mkdtemp(prefix="kg-owlconvert-"))
        result = subprocess.run(
            ["javac", "-cp", OWL_API_CLASSPATH, "-d", str(build), str(OWL_CONVERT_SOURCE)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            shutil.rmtree(build, ignore_errors=True)
            raise ExportError(f"cannot compile the OWL API step: {result.stderr.strip()[-500:]}")
        try:
            build.rename(cache)
        except OSError:  # another process compiled it first
            shutil.rmtree(build, ignore_errors=True)
    return cache


def owl_api(graph: rdflib.Graph, kind: str) -> bytes:
    """OWL/XML (`owx`) or functional syntax (`ofn`) of `graph`, rendered by the OWL API."""
    classes = _owl_converter()
    with tempfile.TemporaryDirectory(prefix="kg-owl-") as tmp:
        source, target = Path(tmp) / "in.owl", Path(tmp) / f"out.{kind}"
        source.write_bytes(rdfxml(graph))
        result = subprocess.run(
            ["java", "-cp", f"{classes}{os.pathsep}{OWL_API_CLASSPATH}", "OwlConvert"]
            + [str(source), kind, str(target)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ExportError(f"the OWL API could not convert: {result.stderr.strip()[-500:]}")
        return target.read_bytes()


def evidence_table(settings: Settings, fmt: Format, lang: str = "en") -> Iterator[bytes]:
    """The evidence table (the `evidence-table` canned query of KG_QUERIES, ?lang bound) as CSV
    or TSV, streamed from a query process with the export's time limit (KG_EXPORT_TIMEOUT) and no
    row cap: a table cut at a cap would be silently incomplete."""
    call = bind(Catalogue(settings.queries).get(EVIDENCE_QUERY), {"lang": lang})
    with Executor(settings.store, timeout=settings.export_timeout, max_rows=0) as engine:
        _, stream = engine.execute(call.text(), substitutions=call.substitutions, accept_format=fmt)
        yield from stream


# ---------------------------------------------------------------------------------------------
# Writing, with progress on a terminal


class Progress:
    """`export: 12,000/40,000 triples` on stderr, redrawn in place, only on a terminal."""

    def __init__(self, label: str, total: int, stream: IO[str] | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.label, self.total, self.done = label, total, 0

    def step(self, n: int) -> None:
        self.done += n
        if self.enabled:
            self.stream.write(f"\r{self.label}: {self.done:,}/{self.total:,}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _write_lines(
    lines: list[bytes], out: IO[bytes], progress: Progress, chunk: int = 10000
) -> None:
    for start in range(0, len(lines), chunk):
        part = lines[start : start + chunk]
        out.write(b"\n".join(part) + b"\n")
        progress.step(len(part))


def export(
    store: Store,
    fmt: Format,
    out: IO[bytes],
    graphs: Iterable[str] | None = None,
    lang: str = "en",
    progress_stream: IO[str] | None = None,
    *,
    settings: Settings,
) -> int:
    """Write the chosen graphs (or the evidence table) to `out`; return triples/quads written
    (rows for the table)."""
    if fmt.name in TABLE_FORMATS:
        lines = 0
        for chunk in evidence_table(settings, fmt, lang):
            out.write(chunk)
            lines += chunk.count(b"\n")
        return max(0, lines - 1)
    names = graph_names(graphs, fmt)
    parts = read_graphs(store, names)
    if fmt.name == "nquads":
        lines = nquads_lines(parts)
        progress = Progress(f"export {fmt.name}", len(lines), progress_stream)
        _write_lines(lines, out, progress)
        progress.close()
        return len(lines)
    if fmt.name == "trig":
        out.write(trig({GRAPHS[name]: graph for name, graph in parts.items()}))
        return sum(len(g) for g in parts.values())
    graph = union(parts.values())
    if fmt.name == "ntriples":
        lines = sorted(line for line in ntriples(graph).splitlines() if line)
        progress = Progress(f"export {fmt.name}", len(lines), progress_stream)
        _write_lines(lines, out, progress)
        progress.close()
        return len(lines)
    writers = {"turtle": turtle, "rdfxml": rdfxml, "jsonld": jsonld}
    if fmt.name in writers:
        out.write(writers[fmt.name](graph))
    elif fmt.name in OWL_API_FORMATS:
        out.write(owl_api(graph, OWL_API_FORMATS[fmt.name]))
    else:
        raise ExportError(f"{fmt.name} is not an export format")
    return len(graph)


def export_file(
    store: Store,
    fmt: Format,
    path: Path,
    graphs: Iterable[str] | None = None,
    lang: str = "en",
    progress_stream: IO[str] | None = None,
    *,
    settings: Settings,
) -> int:
    """`export` into a file, written beside it and renamed into place when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as out:
            count = export(store, fmt, out, graphs, lang, progress_stream, settings=settings)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def serialize_graph(graph: rdflib.Graph, fmt: Format, label: str = "b") -> bytes:
    """One graph (a description, a release part) in a triple format, deterministically."""
    graph = canonical(graph, label)
    writers = {"turtle": turtle, "rdfxml": rdfxml, "jsonld": jsonld, "ntriples": ntriples}
    if fmt.name not in writers:
        raise ExportError(f"{fmt.name} is not a graph format here")
    return writers[fmt.name](graph)
