"""`kg build`: sources -> validate -> reason -> store, plus the files for people (the OWL file
for Protégé, the ontology pages, the pictures).

Each step is its own module; this one only runs them in order, times them and reports. The steps
work on one new on-disk Oxigraph store (in `DIR.builds/`, or a temporary folder for `--check`)
that is swapped in only when every check has passed. A step is a `(name, function)` pair in
`STEPS` / `OUTPUT_STEPS`, so that a new one (a search index, …) is one more line.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rdflib
from pyoxigraph import Literal, NamedNode, Quad, Store

import kg.workers
from kg import __version__
from kg.buildcache import CheckCache
from kg.curation.review import DEFAULT_SERVED, served_statuses, withhold
from kg.curation.template import read_templates, refuse
from kg.docs import write_docs
from kg.errors import Problem
from kg.export import write_protege
from kg.order import order_quads
from kg.pictures import write_pictures
from kg.reason import reason
from kg.search import write_index
from kg.sources import Sources, read_sources, tbox_graph
from kg.store import discard, finish, new_build, publish
from kg.validate import validate
from kg.vocab import GRAPHS, ONTOLOGY_IRI, PREFIXES, SCAD

VOID = PREFIXES["void"]
DCTERMS = PREFIXES["dcterms"]
XSD_INTEGER = NamedNode(PREFIXES["xsd"] + "integer")
RDF_TYPE = NamedNode(PREFIXES["rdf"] + "type")


@dataclass
class BuildReport:
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    reused: dict[str, str] = field(default_factory=dict)  # step -> what it took from the cache
    withheld: dict[str, int] = field(default_factory=dict)  # review state -> statements not served
    store_dir: Path | None = None
    owl_file: Path | None = None
    elapsed: float | None = None  # wall time: the output steps overlap on worker processes

    def lines(self) -> list[str]:
        out = [f"  {step:<10} {seconds * 1000:8.0f} ms" for step, seconds in self.timings.items()]
        total = sum(self.timings.values()) if self.elapsed is None else self.elapsed
        out.append(f"  {'total':<10} {total * 1000:8.0f} ms")
        out += [f"  graph {name:<11} {n:9,d} triples" for name, n in self.counts.items()]
        out += [f"  reused     {step}: {what}" for step, what in self.reused.items()]
        out += [f"  withheld   {n:,d} {state} statement(s)" for state, n in self.withheld.items()]
        if self.store_dir:
            out.append(f"  store      {self.store_dir}")
        if self.owl_file:
            out.append(f"  Protégé    {self.owl_file}")
        return out


@dataclass
class Build:
    """What the steps share: the new store, the sources read into it, the TBox, the cache."""

    store: Store
    sources: Sources | None = None
    tbox: rdflib.Graph | None = None
    cache: CheckCache = field(default_factory=lambda: CheckCache(None))
    template_problems: list[Problem] = field(default_factory=list)


def _count(store: Store, graph: str) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))["n"].value)


def _one(store: Store, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


def metadata_quads(store: Store, digest: str) -> list[Quad]:
    """VoID description of the dataset: triples per graph, classes, properties, licence, version.

    Counted by queries on the store (linear scans), over the union of the other graphs."""
    meta = NamedNode(GRAPHS["metadata"])
    dataset = NamedNode(SCAD + "dataset")
    quads: list[Quad] = []

    def add(s: NamedNode, p: str, o: Any) -> None:
        quads.append(Quad(s, NamedNode(p), o, meta))

    def integer(n: int) -> Literal:
        return Literal(str(n), datatype=XSD_INTEGER)

    rdfs = PREFIXES["rdfs"]
    add(dataset, RDF_TYPE.value, NamedNode(VOID + "Dataset"))
    add(dataset, rdfs + "label", Literal("SCAD knowledge graph", language="en"))
    add(dataset, rdfs + "label", Literal("干细胞治疗自身免疫病知识图谱", language="zh"))
    add(dataset, DCTERMS + "license", NamedNode("https://creativecommons.org/licenses/by/4.0/"))
    add(dataset, PREFIXES["owl"] + "versionInfo", Literal(__version__))
    # The dataset's source is the one the ontology header names: the article it is curated from.
    for row in store.query(
        f"SELECT ?src WHERE {{ GRAPH <{GRAPHS['ontology']}> {{ <{ONTOLOGY_IRI}> <{DCTERMS}source> ?src }} }}"
    ):
        add(dataset, DCTERMS + "source", row["src"])
    add(dataset, VOID + "uriSpace", Literal(SCAD))
    add(dataset, SCAD + "sourceDigest", Literal(digest))
    parts = ("ontology", "statements", "inferred")
    for name in parts:
        sub = NamedNode(GRAPHS[name] + "#void")
        add(dataset, VOID + "subset", sub)
        add(sub, RDF_TYPE.value, NamedNode(VOID + "Dataset"))
        add(sub, SCAD + "graph", NamedNode(GRAPHS[name]))
        add(sub, VOID + "triples", integer(_count(store, GRAPHS[name])))
    graphs = " ".join(f"<{GRAPHS[n]}>" for n in parts)
    # The inferred graph holds nothing asserted; a triple in both TBox and data counts once.
    shared = _one(
        store,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPHS['ontology']}> {{ ?s ?p ?o }} "
        f"GRAPH <{GRAPHS['statements']}> {{ ?s ?p ?o }} }}",
    )
    total = sum(_count(store, GRAPHS[n]) for n in parts) - shared
    owl_class = PREFIXES["owl"] + "Class"
    classes = _one(
        store,
        f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g "
        f"{{ {{ ?c a <{owl_class}> }} UNION {{ ?x a ?c }} }} }}",
    )
    properties = _one(
        store,
        f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ VALUES ?g {{ {graphs} }} "
        "GRAPH ?g { ?s ?p ?o } }",
    )
    subjects = _one(
        store,
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?g {{ {graphs} }} "
        "GRAPH ?g { ?s ?p ?o } }",
    )
    add(dataset, VOID + "triples", integer(total))
    add(dataset, VOID + "classes", integer(classes))
    add(dataset, VOID + "properties", integer(properties))
    add(dataset, VOID + "distinctSubjects", integer(subjects))
    # Class and property partitions, counted once here so that /void only reads them.
    partitions = (
        (
            "class",
            "entities",
            f"SELECT ?x (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s a ?x }} }} GROUP BY ?x ORDER BY ?x",
        ),
        (
            "property",
            "triples",
            f"SELECT ?x (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?x ?o }} }} GROUP BY ?x ORDER BY ?x",
        ),
    )
    for kind, measure, query in partitions:
        for i, row in enumerate(store.query(query)):
            part = NamedNode(f"{SCAD}dataset#{kind}-{i}")
            add(dataset, f"{VOID}{kind}Partition", part)
            add(part, VOID + kind, row["x"])
            add(part, VOID + measure, integer(int(row["n"].value)))
    return quads


def stamp_version(store: Store) -> None:
    """The ontology's version IRI and version info, from the package's version (kg.__version__,
    the one place it is written; the sources carry none)."""
    ontology, graph = NamedNode(ONTOLOGY_IRI), NamedNode(GRAPHS["ontology"])
    owl = PREFIXES["owl"]
    for name in ("versionIRI", "versionInfo"):
        for quad in list(store.quads_for_pattern(ontology, NamedNode(owl + name), None, graph)):
            store.remove(quad)
    store.add(
        Quad(
            ontology,
            NamedNode(owl + "versionIRI"),
            NamedNode(f"{ONTOLOGY_IRI}/{__version__}"),
            graph,
        )
    )
    store.add(Quad(ontology, NamedNode(owl + "versionInfo"), Literal(__version__), graph))


def _review_step(b: Build, served: frozenset[str], report: BuildReport) -> None:
    """Statements in a state that is not served leave the store before the reasoner runs."""
    report.withheld = withhold(b.store, served)


def _store_step(b: Build) -> None:
    assert b.sources is not None
    b.store.bulk_extend(metadata_quads(b.store, b.sources.digest))
    b.store.bulk_extend(order_quads(b.store))
    finish(b.store)


def _timed(report: BuildReport, step: str, func: Callable[[], Any], log: Callable[[str], None]):
    start = time.perf_counter()
    result = func()
    report.timings[step] = time.perf_counter() - start
    log(f"{step}: done in {report.timings[step] * 1000:.0f} ms")
    return result


# The files for people, each written from the published store (read only) and the TBox.
OutputStep = Callable[[Store, rdflib.Graph, Path, Callable[[str], None]], Any]
OUTPUT_STEPS: dict[str, OutputStep] = {
    "owl": lambda store, _tbox, owl, _log: write_protege(store, owl),
    "docs": lambda store, tbox, owl, _log: write_docs(tbox, store, owl.parent / "ontology"),
    "pictures": lambda store, tbox, owl, log: write_pictures(
        tbox, store, owl.parent / "pictures", log
    ),
}
# Below this many statement triples the output steps run one after the other in the build's
# process (starting workers costs more than they save).
PARALLEL_TRIPLES = 20_000


def run_output(job: tuple[str, str, Path]) -> tuple[float, list[str]]:
    """One output step in a worker process, on the store opened read-only: its time (opening
    included) and what it logged."""
    name, store_dir, owl_file = job
    start = time.perf_counter()
    store = Store.read_only(store_dir)
    messages: list[str] = []
    OUTPUT_STEPS[name](store, tbox_graph(store), owl_file, messages.append)
    return time.perf_counter() - start, messages


def write_outputs(
    report: BuildReport, b: Build, store_dir: Path, owl_file: Path, log: Callable[[str], None]
) -> None:
    """The output steps, on worker processes when the graph is large (each timed and logged in
    the steps' order; the first error raised once all have ended), else here in turn."""
    workers = min(kg.workers.count(), len(OUTPUT_STEPS))
    if workers < 2 or report.counts.get("statements", 0) < PARALLEL_TRIPLES:
        for name, step in OUTPUT_STEPS.items():
            _timed(report, name, lambda step=step: step(b.store, b.tbox, owl_file, log), log)
        return
    jobs = [(name, str(store_dir), owl_file) for name in OUTPUT_STEPS]
    with kg.workers.pool(workers) as executor:
        results = kg.workers.ordered(executor, run_output, jobs, ahead=len(jobs))
        for name, (seconds, messages) in zip(OUTPUT_STEPS, results, strict=True):
            for message in messages:
                log(message)
            report.timings[name] = seconds
            log(f"{name}: done in {seconds * 1000:.0f} ms")


def build(
    sources_dir: Path,
    store_path: Path | None,
    owl_file: Path | None,
    log: Callable[[str], None] = print,
    extra: Iterable[Path] = (),
    cache_dir: Path | None = None,
    serve_statuses: str = DEFAULT_SERVED,
) -> BuildReport:
    """Run the whole build; with store_path None (--check) nothing is kept.

    `extra`: data files (Turtle, or templates: *.tsv) beyond the sources folder; `cache_dir`:
    where check results are kept for the next build (None: no cache); `serve_statuses`: the
    review states kept in the store (KG_SERVE_STATUSES), every statement being checked."""
    served = served_statuses(serve_statuses)
    start = time.perf_counter()
    report = BuildReport()
    work = (
        Path(tempfile.mkdtemp(prefix="kg-check-")) if store_path is None else new_build(store_path)
    )
    b = Build(store=Store(str(work)), cache=CheckCache(cache_dir))

    def read() -> None:
        b.sources = read_sources(sources_dir, b.store, extra)
        stamp_version(b.store)
        b.tbox = tbox_graph(b.store)
        # templates name things by label, so they are read once the Turtle is in the store;
        # their problems are reported with the validation's
        b.template_problems = read_templates(b.sources, b.store, b.tbox)

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("read", read),
        (
            "validate",
            lambda: refuse(
                b.template_problems, lambda: validate(b.store, b.sources, b.tbox, b.cache, work)
            ),
        ),
        ("review", lambda: _review_step(b, served, report)),
        ("reason", lambda: reason(b.store, b.tbox, b.cache)),
        ("store", lambda: _store_step(b)),
        # The search index goes into the build folder before the store link moves to it.
        ("search", lambda: None if store_path is None else write_index(work, b.store)),
    ]
    try:
        for name, func in steps:
            reused = _timed(report, name, func, log)
            if isinstance(reused, str):
                report.reused[name] = reused
        report.counts = {name: _count(b.store, iri) for name, iri in GRAPHS.items()}
    except BaseException:
        del b.store
        discard(work)
        raise
    if store_path is None:
        del b.store
        discard(work)
        return report
    report.store_dir = publish(store_path, work)
    b.cache.prune()
    if owl_file is not None:
        write_outputs(report, b, work, owl_file, log)
        report.owl_file = owl_file
    report.elapsed = time.perf_counter() - start
    return report
