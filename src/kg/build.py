"""`kg build`: sources -> validate -> reason -> store, plus the merged OWL file for Protégé.

Each step is its own module; this one only runs them in order, times them and reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import rdflib
from rdflib import OWL, RDF, RDFS, XSD, Literal, URIRef
from rdflib.compare import to_canonical_graph

from kg import __version__
from kg.docs import write_docs
from kg.pictures import write_pictures
from kg.reason import reason
from kg.search import write_index
from kg.sources import read_sources
from kg.store import rdflib_quads, write_store
from kg.validate import validate
from kg.vocab import GRAPHS, ONTOLOGY_IRI, PREFIXES, SCAD

T = TypeVar("T")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
SCADNS = rdflib.Namespace(SCAD)


@dataclass
class BuildReport:
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    store_dir: Path | None = None
    owl_file: Path | None = None

    def lines(self) -> list[str]:
        out = [f"  {step:<10} {seconds * 1000:8.0f} ms" for step, seconds in self.timings.items()]
        out.append(f"  {'total':<10} {sum(self.timings.values()) * 1000:8.0f} ms")
        out += [f"  graph {name:<11} {n:6d} triples" for name, n in self.counts.items()]
        if self.store_dir:
            out.append(f"  store      {self.store_dir}")
        if self.owl_file:
            out.append(f"  Protégé    {self.owl_file}")
        return out


def _timed(report: BuildReport, step: str, func: Callable[[], T], log: Callable[[str], None]) -> T:
    start = time.perf_counter()
    result = func()
    report.timings[step] = time.perf_counter() - start
    log(f"{step}: done in {report.timings[step] * 1000:.0f} ms")
    return result


def metadata_graph(parts: dict[str, rdflib.Graph], digest: str) -> rdflib.Graph:
    """VoID description of the dataset: triples per graph, classes, properties, licence, version."""
    g = rdflib.Graph()
    dataset = URIRef(SCAD + "dataset")
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDFS.label, Literal("SCAD knowledge graph", lang="en")))
    g.add((dataset, RDFS.label, Literal("干细胞治疗自身免疫病知识图谱", lang="zh")))
    g.add((dataset, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    g.add((dataset, OWL.versionInfo, Literal(__version__)))
    # The dataset's source is the one the ontology header names: the article it is curated from.
    for source in parts["ontology"].objects(URIRef(ONTOLOGY_IRI), DCTERMS.source):
        g.add((dataset, DCTERMS.source, source))
    g.add((dataset, VOID.uriSpace, Literal(SCAD)))
    g.add((dataset, SCADNS.sourceDigest, Literal(digest)))
    union = rdflib.Graph()
    for name, graph in parts.items():
        union += graph
        sub = URIRef(GRAPHS[name] + "#void")
        g.add((dataset, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, SCADNS.graph, URIRef(GRAPHS[name])))
        g.add((sub, VOID.triples, Literal(len(graph), datatype=XSD.integer)))
    classes = set(union.subjects(RDF.type, OWL.Class)) | set(union.objects(None, RDF.type))
    properties = set(union.predicates())
    g.add((dataset, VOID.triples, Literal(len(union), datatype=XSD.integer)))
    g.add((dataset, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    g.add((dataset, VOID.properties, Literal(len(properties), datatype=XSD.integer)))
    g.add(
        (dataset, VOID.distinctSubjects, Literal(len(set(union.subjects())), datatype=XSD.integer))
    )
    return g


def protege_graph(ontology: rdflib.Graph, statements: rdflib.Graph) -> rdflib.Graph:
    """Ontology + statements as one OWL document, every individual declared (no guessing)."""
    merged = rdflib.Graph()
    for prefix, iri in PREFIXES.items():
        merged.bind(prefix, iri)
    merged += ontology
    merged += statements
    classes = set(merged.subjects(RDF.type, OWL.Class))
    for subject, cls in list(merged.subject_objects(RDF.type)):
        if cls in classes and isinstance(subject, URIRef):
            merged.add((subject, RDF.type, OWL.NamedIndividual))
    return merged


def build(
    sources_dir: Path,
    store_path: Path | None,
    owl_file: Path | None,
    log: Callable[[str], None] = print,
) -> BuildReport:
    """Run the whole build; with store_path None (--check) nothing is written."""
    report = BuildReport()
    sources = _timed(report, "read", lambda: read_sources(sources_dir), log)
    _timed(report, "validate", lambda: validate(sources), log)
    ontology = to_canonical_graph(sources.merged("ontology"))
    statements = to_canonical_graph(sources.merged("statements"))
    inferred = _timed(report, "reason", lambda: reason(ontology, statements), log)
    parts = {"ontology": ontology, "statements": statements, "inferred": inferred}
    parts["metadata"] = metadata_graph(parts, sources.digest)
    report.counts = {name: len(g) for name, g in parts.items()}
    if store_path is None:
        return report
    quads = {name: rdflib_quads(g, GRAPHS[name]) for name, g in parts.items()}

    # The search index is written into the new build folder before the store link moves to it
    # (timed on its own: the store step's time is the rest).
    def index(build_dir: Path) -> None:
        _timed(report, "search", lambda: write_index(build_dir), log)

    report.store_dir = _timed(
        report, "store", lambda: write_store(store_path, quads, before_swap=index), log
    )
    report.timings["store"] -= report.timings["search"]
    report.timings["search"] = report.timings.pop("search")  # listed after the store step
    if owl_file is not None:

        def write_owl() -> Path:
            owl_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = owl_file.with_suffix(owl_file.suffix + ".tmp")
            protege_graph(ontology, statements).serialize(tmp, format="xml", encoding="utf-8")
            tmp.replace(owl_file)
            return owl_file

        report.owl_file = _timed(report, "owl", write_owl, log)
        # Output steps for people: the ontology's HTML pages and the Graphviz pictures.
        out = owl_file.parent
        _timed(
            report,
            "docs",
            lambda: write_docs(ontology, statements, inferred, out / "ontology"),
            log,
        )
        _timed(
            report,
            "pictures",
            lambda: write_pictures(ontology, statements, out / "pictures", log),
            log,
        )
    return report
