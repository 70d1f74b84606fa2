"""Export step: the graph in every form users take it away in, byte-for-byte reproducible and in
bounded memory, whatever the size of the store.

Two exports of the same store are identical, so that a diff between releases shows real changes
only:

- blank nodes keep the labels the build gave them (`_:ontology-3758ebf5531b`: their graph and a
  hash of what surrounds them, see `kg.sources.canonical_blank_nodes`); a small graph made
  elsewhere (a description) is canonicalised here (RGDA1, `rdflib.compare`);
- triples are written in sorted order: the store is read as N-Triples (or N-Quads) lines,
  sorted in runs of `CHUNK` lines spilled to a temporary folder and merged (repeats dropped),
  then written by Oxigraph's serialisers (Turtle, TriG, RDF/XML, N-Triples, N-Quads), which
  keep that order and every literal's lexical form; JSON-LD is written node by node from the
  same sorted stream (compacted with our prefixes, keys and values sorted);
- prefixes are the fixed table of `kg.vocab.PREFIXES`.

Memory is bounded by `CHUNK` lines whatever the store's size; on a terminal, a progress line
counts the triples written. OWL/XML and functional syntax are rendered by the OWL API (a tiny
Java step, `kg/java/OwlConvert.java`) when a JDK and Debian's `libowlapi-java` are installed;
CSV/TSV are the evidence-table query.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

import pyoxigraph
import rdflib
from pyoxigraph import NamedNode, RdfFormat, Store
from rdflib import BNode
from rdflib.compare import to_canonical_graph

from kg import exchange
from kg.catalogue import Catalogue, bind
from kg.config import Settings
from kg.errors import ExportError
from kg.mediatypes import EXCHANGE_FORMATS, EXPORT_FORMATS, Format, by_extension, by_name
from kg.query.executor import Executor
from kg.vocab import GRAPHS, ONTOLOGY_IRI, PREFIXES

GRAPH_NAMES: tuple[str, ...] = tuple(GRAPHS)
CHUNK = 500_000  # lines sorted in memory at a time
OWL = PREFIXES["owl"]
RDF_TYPE = NamedNode(PREFIXES["rdf"] + "type")
XSD_STRING = PREFIXES["xsd"] + "string"
OXIGRAPH_FORMATS = {"turtle": RdfFormat.TURTLE, "rdfxml": RdfFormat.RDF_XML}
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
# Reading, in sorted order and bounded memory


def new_graph() -> rdflib.Graph:
    """An empty rdflib graph with exactly our prefixes bound, in their fixed order."""
    graph = rdflib.Graph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def canonical(graph: rdflib.Graph, label: str) -> rdflib.Graph:
    """A small graph (a description) with stable blank-node labels (`<label>-<hash>`)."""
    if not any(isinstance(t, BNode) for triple in graph for t in (triple[0], triple[2])):
        return graph
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
    for triple in triples:
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


def triples_of(store: Store, names: Iterable[str]) -> Iterator[pyoxigraph.Triple]:
    """The triples of the chosen named graphs (repeats across graphs included)."""
    for name in names:
        for quad in store.quads_for_pattern(None, None, None, NamedNode(GRAPHS[name])):
            yield quad.triple


def quads_of(store: Store, names: Iterable[str]) -> Iterator[pyoxigraph.Quad]:
    for name in names:
        yield from store.quads_for_pattern(None, None, None, NamedNode(GRAPHS[name]))


def count_of(store: Store, names: Iterable[str]) -> int:
    """Triples in the chosen graphs (an upper bound of their union, for progress)."""
    return sum(
        int(
            next(
                iter(
                    store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPHS[n]}> {{ ?s ?p ?o }} }}")
                )
            )["n"].value
        )
        for n in names
    )


def sorted_lines(items: Iterable, fmt: RdfFormat, workdir: Path) -> Iterator[bytes]:
    """Triples (N_TRIPLES) or quads (N_QUADS) as sorted lines without repeats, newline-ended.

    Runs of CHUNK items are sorted in memory and spilled to `workdir`, then merged."""
    runs: list[Path] = []
    items = iter(items)
    while True:
        chunk = list(islice(items, CHUNK))
        if not chunk:
            break
        lines = sorted(
            {line + b"\n" for line in pyoxigraph.serialize(chunk, format=fmt).splitlines()}
        )
        if not runs and len(chunk) < CHUNK:
            yield from lines
            return
        run = workdir / f"run-{len(runs):05d}"
        run.write_bytes(b"".join(lines))
        runs.append(run)
    files = [run.open("rb") for run in runs]
    try:
        previous = None
        for line in heapq.merge(*files):
            if line != previous:
                yield line
                previous = line
    finally:
        for f in files:
            f.close()


def sorted_file(items: Iterable, fmt: RdfFormat, workdir: Path) -> Path:
    """`sorted_lines` written to a file in `workdir` (to be parsed again as a stream)."""
    path = workdir / (
        "sorted.nq"
        if fmt == RdfFormat.N_QUADS
        else f"sorted-{len(list(workdir.glob('sorted-*')))}.nt"
    )
    with path.open("wb") as out:
        for line in sorted_lines(items, fmt, workdir):
            out.write(line)
    for run in workdir.glob("run-*"):
        run.unlink()
    return path


def parse_sorted(path: Path) -> Iterator[pyoxigraph.Triple]:
    return pyoxigraph.parse(path=str(path), format=RdfFormat.N_TRIPLES)


def protege_triples(store: Store, version: str | None = None) -> Iterator[pyoxigraph.Triple]:
    """Ontology + statements as one OWL document, every individual declared (no guessing);
    with `version`, the version IRI and info stamped and owl:imports dropped (all is merged)."""
    ontology = NamedNode(ONTOLOGY_IRI)
    restamped = {NamedNode(OWL + "versionIRI"), NamedNode(OWL + "versionInfo")}
    imports = NamedNode(OWL + "imports")
    for t in triples_of(store, PROTEGE_GRAPHS):
        if version and (
            t.predicate == imports or (t.subject == ontology and t.predicate in restamped)
        ):
            continue
        yield t
    graphs = " ".join(f"<{GRAPHS[n]}>" for n in PROTEGE_GRAPHS)
    individual = NamedNode(OWL + "NamedIndividual")
    for row in store.query(
        f"SELECT DISTINCT ?s WHERE {{ VALUES ?g {{ {graphs} }} VALUES ?h {{ {graphs} }} "
        f"GRAPH ?g {{ ?s a ?c }} GRAPH ?h {{ ?c a <{OWL}Class> }} FILTER isIRI(?s) }}"
    ):
        yield pyoxigraph.Triple(row["s"], RDF_TYPE, individual)
    if version:
        yield pyoxigraph.Triple(ontology, RDF_TYPE, NamedNode(OWL + "Ontology"))
        yield pyoxigraph.Triple(
            ontology, NamedNode(OWL + "versionIRI"), NamedNode(f"{ONTOLOGY_IRI}/{version}")
        )
        yield pyoxigraph.Triple(
            ontology, NamedNode(OWL + "versionInfo"), pyoxigraph.Literal(version)
        )


# ---------------------------------------------------------------------------------------------
# Writing (every writer reads a sorted stream; all deterministic)


def _compact(iri: str) -> str:
    best = ""
    for prefix, namespace in PREFIXES.items():
        if (
            iri.startswith(namespace)
            and len(iri) > len(namespace)
            and len(namespace) > len(PREFIXES.get(best, ""))
        ):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def _jsonld_value(term: Any) -> dict[str, str]:
    if isinstance(term, NamedNode):
        return {"@id": _compact(term.value)}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@language": term.language, "@value": term.value}
    if term.datatype.value == XSD_STRING:
        return {"@value": term.value}
    return {"@type": _compact(term.datatype.value), "@value": term.value}


def _jsonld_node(subject: Any, triples: list[pyoxigraph.Triple]) -> str:
    node: dict[str, Any] = {"@id": _jsonld_value(subject)["@id"]}
    for t in triples:
        if t.predicate == RDF_TYPE and not isinstance(t.object, pyoxigraph.Literal):
            node.setdefault("@type", []).append(_jsonld_value(t.object)["@id"])
        else:
            node.setdefault(_compact(t.predicate.value), []).append(_jsonld_value(t.object))
    for values in node.values():
        if isinstance(values, list):
            values.sort(key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return json.dumps(node, sort_keys=True, ensure_ascii=False, indent=2)


def write_jsonld(triples: Iterable[pyoxigraph.Triple], out: IO[bytes]) -> None:
    """Compacted JSON-LD (our context embedded), one node object per subject, in stream order:
    the triples of a subject must come together (they do in a sorted stream)."""
    context = json.dumps(CONTEXT["@context"], indent=2, ensure_ascii=False).replace("\n", "\n  ")
    out.write(b'{\n  "@context": ' + context.encode() + b',\n  "@graph": [')
    first, subject, group = True, None, []

    def flush() -> None:
        nonlocal first
        if group:
            text = _jsonld_node(subject, group).replace("\n", "\n    ")
            out.write((("\n    " if first else ",\n    ") + text).encode("utf-8"))
            first = False

    for t in triples:
        if t.subject != subject:
            flush()
            subject, group = t.subject, []
        group.append(t)
    flush()
    out.write(b"\n  ]\n}\n")


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


def owl_api(rdfxml_file: Path, kind: str, out: IO[bytes]) -> None:
    """OWL/XML (`owx`) or functional syntax (`ofn`) of an RDF/XML file, by the OWL API."""
    classes = _owl_converter()
    with tempfile.TemporaryDirectory(prefix="kg-owl-") as tmp:
        target = Path(tmp) / f"out.{kind}"
        result = subprocess.run(
            ["java", "-cp", f"{classes}{os.pathsep}{OWL_API_CLASSPATH}", "OwlConvert"]
            + [str(rdfxml_file), kind, str(target)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ExportError(f"the OWL API could not convert: {result.stderr.strip()[-500:]}")
        with target.open("rb") as f:
            shutil.copyfileobj(f, out)


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
        if self.enabled and (self.done % 10_000 < n or self.done == self.total):
            self.stream.write(f"\r{self.label}: {self.done:,}/{self.total:,}")
            self.stream.flush()

    def counted(self, items: Iterable) -> Iterator:
        for item in items:
            self.step(1)
            yield item

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def write_sorted(
    path: Path, fmt: Format, out: IO[bytes], progress: Progress, workdir: Path
) -> None:
    """A sorted N-Triples file in any triple format (OWL API formats through RDF/XML)."""
    if fmt.name == "ntriples":
        with path.open("rb") as f:
            for line in f:
                out.write(line)
                progress.step(1)
        return
    if fmt.name in OWL_API_FORMATS:
        rdfxml = workdir / "for-owl-api.owl"
        with rdfxml.open("wb") as f:
            write_sorted(path, by_name("rdfxml", EXPORT_FORMATS), f, progress, workdir)
        owl_api(rdfxml, OWL_API_FORMATS[fmt.name], out)
        return
    triples = progress.counted(parse_sorted(path))
    if fmt.name == "jsonld":
        write_jsonld(triples, out)
    elif fmt.name in OXIGRAPH_FORMATS:
        pyoxigraph.serialize(triples, out, OXIGRAPH_FORMATS[fmt.name], prefixes=PREFIXES)
    else:
        raise ExportError(f"{fmt.name} is not a graph format here")


def write_triples(triples: Iterable, fmt: Format, out: IO[bytes], progress: Progress) -> int:
    """Triples in a triple format, sorted and without repeats; returns the triples written."""
    with tempfile.TemporaryDirectory(prefix="kg-export-") as tmp:
        path = sorted_file(triples, RdfFormat.N_TRIPLES, Path(tmp))
        write_sorted(path, fmt, out, progress, Path(tmp))
    progress.close()
    return progress.done


def write_quads(
    store: Store, names: Iterable[str], fmt: Format, out: IO[bytes], progress: Progress
) -> int:
    """The chosen graphs with their names: N-Quads (sorted lines) or TriG (graph by graph)."""
    with tempfile.TemporaryDirectory(prefix="kg-export-") as tmp:
        if fmt.name == "nquads":
            for line in sorted_lines(quads_of(store, names), RdfFormat.N_QUADS, Path(tmp)):
                out.write(line)
                progress.step(1)
        else:
            files = {
                n: sorted_file(triples_of(store, [n]), RdfFormat.N_TRIPLES, Path(tmp))
                for n in names
            }
            quads = (
                pyoxigraph.Quad(t.subject, t.predicate, t.object, NamedNode(GRAPHS[n]))
                for n, path in files.items()
                for t in parse_sorted(path)
            )
            pyoxigraph.serialize(progress.counted(quads), out, RdfFormat.TRIG, prefixes=PREFIXES)
    progress.close()
    return progress.done


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
    """Write the chosen graphs, the evidence table or an exchange format (SSSOM: the one that is
    a single file) to `out`; return triples/quads written (rows for the tables)."""
    if fmt in EXCHANGE_FORMATS:
        return exchange.write_stream(store, fmt.name, out)
    if fmt.name in TABLE_FORMATS:
        lines = 0
        for chunk in evidence_table(settings, fmt, lang):
            out.write(chunk)
            lines += chunk.count(b"\n")
        return max(0, lines - 1)
    names = graph_names(graphs, fmt)
    progress = Progress(f"export {fmt.name}", count_of(store, names), progress_stream)
    if fmt.name in QUAD_FORMATS:
        return write_quads(store, names, fmt, out, progress)
    return write_triples(triples_of(store, names), fmt, out, progress)


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
    """`export` into a file, written beside it and renamed into place when complete (the folder
    formats of kg.exchange write their files into the folder `path`)."""
    if fmt in EXCHANGE_FORMATS:
        return exchange.write_path(store, fmt.name, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as out:
            count = export(store, fmt, out, graphs, lang, progress_stream, settings=settings)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def write_protege(store: Store, path: Path, version: str | None = None) -> Path:
    """The Protégé document (see `protege_triples`) as RDF/XML, replaced only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    rdfxml = by_name("rdfxml", EXPORT_FORMATS)
    try:
        with tmp.open("wb") as out:
            write_triples(
                protege_triples(store, version), rdfxml, out, Progress("owl", 0, io.StringIO())
            )
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def serialize_graph(graph: rdflib.Graph, fmt: Format, label: str = "b") -> bytes:
    """One small graph (a description) in a triple format, deterministically."""
    if fmt.name not in ("turtle", "rdfxml", "jsonld", "ntriples"):
        raise ExportError(f"{fmt.name} is not a graph format here")
    data = canonical(graph, label).serialize(format="nt", encoding="utf-8")
    buffer = io.BytesIO()
    write_triples(
        pyoxigraph.parse(data, format=RdfFormat.N_TRIPLES),
        fmt,
        buffer,
        Progress("", 0, io.StringIO()),
    )
    return buffer.getvalue()
