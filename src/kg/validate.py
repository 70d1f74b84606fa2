"""Validate step: OWL checks (declarations, property kinds, datatypes) and the SHACL shapes, run on
the new store; every problem is listed with the file and line where it stands.

The OWL checks are a few aggregate queries over the store (linear in the data). The SHACL shapes
are run by pyshacl-turbo (a native engine, pySHACL's behaviour) slice by slice: a slice is the
triples of a run of subjects of one source file, the blank nodes they reach, the types of what
they point to and the TBox's subclass links — all that our shapes read (paths of length one,
`sh:class` through `rdfs:subClassOf`). Memory stays bounded by the slice, and a slice's result
is cached under the digest of its content: after one file changes, only the slices whose
content changed are checked again.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pyoxigraph
import pyshacl_turbo
import rdflib
from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, Store
from rdflib import OWL, RDF, RDFS, XSD

import kg.workers
from kg.buildcache import CheckCache, digest
from kg.errors import Problem, ValidationError
from kg.sources import DATA, TBOX, SourceFile, Sources, locate
from kg.vocab import GRAPHS, PREFIXES

BUILT_IN = (str(RDF), str(RDFS), str(OWL))
PROPERTY_KINDS = {
    OWL.ObjectProperty: "object",
    OWL.DatatypeProperty: "datatype",
    OWL.AnnotationProperty: "annotation",
}
# What HermiT accepts on datatype properties (OWL 2 datatype map, the subset we use).
REASONER_DATATYPES = {
    XSD.decimal,
    XSD.integer,
    XSD.nonNegativeInteger,
    XSD.boolean,
    XSD.string,
    RDF.langString,
}
SHACL = rdflib.Namespace("http://www.w3.org/ns/shacl#")
# Slices: a new slice starts at a subject whose hash falls on a boundary once the slice holds
# MIN_SUBJECTS, or at MAX_SUBJECTS; boundaries set by content stay put when a file grows.
MIN_SUBJECTS, MAX_SUBJECTS, BOUNDARY = 5_000, 20_000, 2_048
ENGINE = "pyshacl-turbo " + metadata.version("pyshacl-turbo")


def short(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and prefix:
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


class Problems:
    """Problems found, each about an IRI; `lines()` puts the file and line in front of each,
    `table()` gives the same as rows of the problem table (a template's subject by its row)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, list[SourceFile], str, bool, str]] = []

    def add(
        self, iri: str, files: list[SourceFile], text: str, subject: bool = False, where: str = ""
    ) -> None:
        """`text` the whole message; `where` the node (and path) it names, if it starts with it."""
        self.found.append((iri, files, text, subject, where))

    def _positions(self) -> list[tuple[SourceFile | None, int | None]]:
        """The file and line (a template's: row) of each problem, each Turtle file read once."""
        wanted: dict[Path, set[tuple[str, bool]]] = {}
        for iri, files, _text, subject, _where in self.found:
            for f in files:
                if not f.rows:
                    wanted.setdefault(f.path, set()).add((iri, subject))
        lines_of: dict[tuple[Path, str, bool], int] = {}
        for path, keys in wanted.items():
            for subject in (False, True):
                iris = {iri for iri, s in keys if s is subject}
                if iris:
                    for iri, line in locate(path, iris, subject=subject).items():
                        lines_of[(path, iri, subject)] = line

        def line_in(f: SourceFile, iri: str, subject: bool) -> int | None:
            return f.rows.get(iri) if f.rows else lines_of.get((f.path, iri, subject))

        out: list[tuple[SourceFile | None, int | None]] = []
        for iri, files, _text, subject, _where in self.found:
            placed = [(f, line_in(f, iri, subject)) for f in files]
            found = next(((f, n) for f, n in placed if n is not None), None)
            out.append(found or ((files[0], None) if files else (None, None)))
        return out

    def lines(self) -> list[str]:
        """`data/x.ttl:12: text` (looked up only on failure)."""
        out = []
        for (f, line), (_iri, _files, text, _s, _w) in zip(
            self._positions(), self.found, strict=True
        ):
            where = "" if f is None else f"{f.rel}:{line}: " if line is not None else f"{f.rel}: "
            out.append(where + text)
        return list(dict.fromkeys(out))

    def table(self) -> list[Problem]:
        """The problems as rows of the problem table: file, line, the property as the column,
        the rule broken, the node as the value."""
        rows: dict[Problem, None] = {}
        for (f, line), (_iri, _files, text, _s, where) in zip(
            self._positions(), self.found, strict=True
        ):
            node, _, path = where.partition(" ")
            rule = text[len(where) + 2 :] if where and text.startswith(where + ": ") else text
            fix = (
                "see the rule; the shapes are in ontology/shapes.ttl"
                if where
                else "declare it in ontology/scad.ttl, or correct the name"
            )
            rows[Problem("" if f is None else f.rel, line, path, "", rule, node, fix)] = None
        return list(rows)


# ---------------------------------------------------------------------------------------------
# OWL checks


def declared_kinds(tbox: rdflib.Graph) -> dict[rdflib.URIRef, set[str]]:
    kinds: dict[rdflib.URIRef, set[str]] = {}
    for rdf_type, kind in PROPERTY_KINDS.items():
        for prop in tbox.subjects(RDF.type, rdf_type):
            kinds.setdefault(prop, set()).add(kind)
    return kinds


def check_owl(store: Store, sources: Sources, tbox: rdflib.Graph, problems: Problems) -> None:
    """Every predicate and class used is declared, with one kind, and used as its kind says."""
    kinds = declared_kinds(tbox)
    classes = {str(c) for c in tbox.subjects(RDF.type, OWL.Class)}
    kind_of = {str(p): next(iter(k)) for p, k in kinds.items()}
    for prop, found in sorted(kinds.items()):
        if len(found) > 1:
            problems.add(
                str(prop),
                sources.part(TBOX),
                f"{short(str(prop))} is declared as {' and '.join(sorted(found))} property at once",
            )
    for part in (TBOX, DATA):
        files = sources.part(part)
        graph = GRAPHS[part]
        uses = store.query(
            f"SELECT ?p ?lit ?dt ?lang WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} "
            "BIND(isLITERAL(?o) AS ?lit) BIND(IF(?lit, DATATYPE(?o), ?none) AS ?dt) "
            "BIND(IF(?lit, LANG(?o), '') AS ?lang) } GROUP BY ?p ?lit ?dt ?lang"
        )
        for row in uses:
            p = row["p"].value
            literal = row["lit"].value == "true"
            if not p.startswith(BUILT_IN) and p not in kind_of:
                problems.add(p, files, f"undeclared property {short(p)}")
                continue
            kind = kind_of.get(p)
            if kind == "object" and literal:
                problems.add(p, files, f"object property {short(p)} used with a literal")
            elif kind == "datatype" and not literal:
                problems.add(p, files, f"datatype property {short(p)} used with an IRI")
            elif kind == "datatype" and not row["lang"].value:
                datatype = row["dt"].value
                if rdflib.URIRef(datatype) not in REASONER_DATATYPES:
                    problems.add(
                        datatype,
                        files,
                        f"datatype {short(datatype)} on {short(p)} is outside the reasoner's "
                        "datatype map",
                    )
        used = store.query(
            f"SELECT DISTINCT ?c WHERE {{ GRAPH <{graph}> {{ ?s a ?c }} FILTER isIRI(?c) }}"
        )
        for row in used:
            c = row["c"].value
            if not c.startswith(BUILT_IN) and c not in classes:
                problems.add(c, files, f"undeclared class {short(c)}")


# ---------------------------------------------------------------------------------------------
# SHACL, slice by slice


def slices(source: SourceFile) -> Iterator[list[NamedNode | BlankNode]]:
    """The subjects of one file in runs; where a run ends depends on the subjects themselves."""
    run: list[NamedNode | BlankNode] = []
    for subject in source.subjects:
        run.append(subject)
        n = len(run)
        if n >= MAX_SUBJECTS or (
            n >= MIN_SUBJECTS and zlib.crc32(subject.value.encode()) % BOUNDARY == 0
        ):
            yield run
            run = []
    if run:
        yield run


def slice_quads(store: Store, subjects: list[NamedNode | BlankNode], hierarchy: list[Quad]):
    """What the shapes read about `subjects`: their triples (and of the blank nodes they reach),
    the triples of the nodes they point to (their types for sh:class, what a SPARQL constraint
    joins with, e.g. the works an asserting document cites), and the TBox's subclass links. Index lookups only
    (a join with a VALUES block of thousands of subjects is far slower in Oxigraph)."""
    graphs = [NamedNode(GRAPHS[TBOX]), NamedNode(GRAPHS[DATA])]
    triples: set[pyoxigraph.Triple] = set()
    todo, seen = list(subjects), set(subjects)
    while todo:
        node = todo.pop()
        for graph in graphs:
            for q in store.quads_for_pattern(node, None, None, graph):
                triples.add(q.triple)
                if isinstance(q.object, BlankNode) and q.object not in seen:
                    seen.add(q.object)  # blank nodes: reached from the subject that holds them
                    todo.append(q.object)
    pointed = {t.object for t in triples if not isinstance(t.object, pyoxigraph.Literal)} - seen
    for node in pointed:  # one hop out: the shapes' SPARQL constraints read the nodes pointed to
        for graph in graphs:
            for q in store.quads_for_pattern(node, None, None, graph):
                triples.add(q.triple)
    triples.update(q.triple for q in hierarchy)
    return sorted(triples, key=str)


def _rdflib_term(term: NamedNode | BlankNode) -> rdflib.term.Node:
    return rdflib.URIRef(term.value) if isinstance(term, NamedNode) else rdflib.BNode(term.value)


def check_slice(program, triples: list[pyoxigraph.Triple], focus: list) -> list[list[str]]:
    """[focus, path, message] of every violation among the focus nodes of one slice."""
    data = Store()
    data.extend(Quad(t.subject, t.predicate, t.object) for t in triples)
    # every target in the slice is checked (faster than naming focus nodes), only the slice's
    # own subjects are kept: the nodes it points to are checked in their own slices
    conforms, report, _ = program.validate(data, allow_warnings=True)
    if conforms:
        return []
    wanted = {str(_rdflib_term(f)) for f in focus}
    out = []
    for result in report.subjects(RDF.type, SHACL.ValidationResult):
        node = report.value(result, SHACL.focusNode)
        if str(node) not in wanted:
            continue
        path = report.value(result, SHACL.resultPath)
        message = report.value(result, SHACL.resultMessage)
        out.append(
            [
                str(node),
                str(path) if isinstance(path, rdflib.URIRef) else "",
                str(message or report.value(result, SHACL.sourceConstraintComponent)),
            ]
        )
    return sorted(out)


Subjects = list[NamedNode | BlankNode]
SliceResult = tuple[str, list[list[str]], bool]  # cache key, [focus, path, message]…, reused


class SliceChecker:
    """Checks slices of one store: gathers a slice's triples, looks its digest up in the cache,
    runs the shapes on a miss and stores the result. One per process (the build's or a worker's)."""

    def __init__(self, store: Store, shapes: Path, shapes_digest: str, cache: CheckCache):
        self.store, self.shapes, self.shapes_digest, self.cache = (
            store,
            shapes,
            shapes_digest,
            cache,
        )
        self.hierarchy = list(
            store.quads_for_pattern(
                None, NamedNode(str(RDFS.subClassOf)), None, NamedNode(GRAPHS[TBOX])
            )
        )
        self.program: pyshacl_turbo.CompiledShapes | None = None

    def check(self, subjects: Subjects) -> SliceResult:
        triples = slice_quads(self.store, subjects, self.hierarchy)
        text = pyoxigraph.serialize(triples, format=RdfFormat.N_TRIPLES)
        key = digest("shacl", self.shapes_digest, ENGINE, text)
        found = self.cache.load(key)
        if found is not None:
            return key, found, True
        if self.program is None:
            self.program = pyshacl_turbo.CompiledShapes(
                self.shapes.read_text(encoding="utf-8"),
                shacl_graph_format="turtle",
                advanced=True,
            )
        found = check_slice(self.program, triples, subjects)
        self.cache.put(key, found)
        return key, found, False


# Below this many subjects the slices are checked in the build's process (starting workers
# costs more than they save).
PARALLEL_SUBJECTS = 2_000
_worker: SliceChecker | None = None  # a worker process's checker


def _start_worker(store_dir: str, shapes: Path, shapes_digest: str, cache: Path | None) -> None:
    global _worker
    _worker = SliceChecker(Store.read_only(store_dir), shapes, shapes_digest, CheckCache(cache))


def _check_in_worker(subjects: Subjects) -> SliceResult:
    assert _worker is not None
    return _worker.check(subjects)


def slice_results(
    store: Store, sources: Sources, cache: CheckCache, jobs: list[Subjects], store_dir: Path | None
) -> Iterator[SliceResult]:
    """Each slice's result, in the order of `jobs`: on worker processes that open the store
    read-only (when it is on disk and large enough), else here."""
    assert sources.shapes is not None
    workers = kg.workers.count()
    if store_dir is None or workers < 2 or sum(map(len, jobs)) < PARALLEL_SUBJECTS:
        checker = SliceChecker(store, sources.shapes, sources.shapes_digest, cache)
        yield from map(checker.check, jobs)
        return
    store.flush()  # the workers read what is on disk
    init = (str(store_dir), sources.shapes, sources.shapes_digest, cache.folder)
    with kg.workers.pool(workers, _start_worker, init) as executor:
        yield from kg.workers.ordered(executor, _check_in_worker, jobs, ahead=2 * workers)


def check_shapes(
    store: Store,
    sources: Sources,
    cache: CheckCache,
    problems: Problems,
    store_dir: Path | None = None,
) -> None:
    """Run the shapes over every slice of every file (cached by the slice's digest)."""
    if sources.shapes is None:
        return
    jobs = [(source, subjects) for source in sources.files for subjects in slices(source)]
    results = slice_results(store, sources, cache, [subjects for _, subjects in jobs], store_dir)
    for (source, _), (key, found, reused) in zip(jobs, results, strict=True):
        cache.note("shacl", key, hit=reused)
        for focus, path, message in found:
            where = short(focus) + (f" {short(path)}" if path else "")
            problems.add(focus, [source], f"{where}: {message}", subject=True, where=where)


def validate(
    store: Store,
    sources: Sources,
    tbox: rdflib.Graph,
    cache: CheckCache,
    store_dir: Path | None = None,
) -> str:
    """Run every check; raise ValidationError listing every problem. Returns what was reused.

    `store_dir`: where `store` is on disk, for the worker processes that check the slices."""
    problems = Problems()
    check_owl(store, sources, tbox, problems)
    check_shapes(store, sources, cache, problems, store_dir)
    if problems.found:
        raise ValidationError(problems.lines(), problems.table())
    return f"SHACL slices: {cache.reused('shacl')}"
