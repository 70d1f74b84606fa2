"""`kg release`: the files of a release, written from the store into dist/.

    scad.owl            ontology + statements as one OWL document for Protégé (RDF/XML, no
                        imports, every individual declared, version IRI stamped)
    scad.ttl            the same in Turtle
    scad.jsonld         the same in JSON-LD (context embedded; also as context.jsonld)
    scad.owx, scad.ofn  the same in OWL/XML and functional syntax (when the OWL API is installed)
    scad-dataset.trig   every named graph (ontology, statements, inferred, metadata), graphs kept
    scad-dataset.nq     the same in N-Quads
    scad-nanopubs.trig  one nanopublication per evidence statement: head, assertion, provenance
                        and publication-info graphs
    evidence.csv        the evidence table in English (evidence-zh.csv: in Chinese)
    context.jsonld      the JSON-LD context
    kgx/                KGX nodes.tsv and edges.tsv (Biolink), see kg.exchange
    scad.sssom.tsv      every mapping to an external term (SSSOM)
    neo4j/              CSV files for `neo4j-admin database import`
    parquet/            entities, statements, outcomes and edges as Parquet tables
    CITATION.cff        how to cite the release (also dataset.jsonld: schema.org Dataset;
                        dataset.dcat.ttl: DCAT), with the source document, credited works, checksums
    SHA256SUMS          checksums of all of the above
    RELEASE.md          a short note: version, counts, files

The release goes into `dist/<version>/` (built beside it, swapped in when complete) and
`dist/latest` points at it. Every file is deterministic (see kg.export, kg.exchange): two
releases of the same store are identical.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyoxigraph
from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, Store, Triple
from pyoxigraph import Literal as OxLiteral
from rdflib import OWL, RDFS

from kg import __version__, exchange, vocab
from kg import export as ex
from kg.config import Settings
from kg.curation.diff import RELEASE_FILE, diff
from kg.errors import ExportError
from kg.exchange import citation
from kg.exchange.metadata import about
from kg.folders import swap_in
from kg.mediatypes import EXPORT_FORMATS
from kg.vocab import GRAPHS, ONTOLOGY_IRI, PREFIXES, SCAD


def _namespace(base: str) -> Callable[[str], NamedNode]:
    return lambda local: NamedNode(base + local)


NP = _namespace(vocab.NANOPUB)
PROV = _namespace(vocab.PROV)
CITO = _namespace(vocab.CITO)
DCT = _namespace(vocab.DCTERMS)
S = _namespace(SCAD)
RDF_TYPE = NamedNode(vocab.RDF + "type")
NANOPUB_BASE = SCAD + "np/"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
DATASET = SCAD + "dataset"
# What a statement says goes into the assertion graph; where it comes from, into provenance.
PROVENANCE_PREDICATES = {
    S("assertedBy"),
    S("source"),
    S("locator"),
    S("evidenceType"),
    S("attributionNote"),
    S("curationNote"),
}


@dataclass
class ReleaseReport:
    dist: Path
    files: dict[str, int] = field(default_factory=dict)  # name -> bytes
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why
    changes: str = ""  # Markdown: the diff against the release that was in `dist` before
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"  {name:<20} {size:>10,} bytes" for name, size in self.files.items()]
        out += [f"  {name:<20} skipped: {why}" for name, why in self.skipped.items()]
        out.append(f"  written to {self.dist} in {self.seconds * 1000:.0f} ms")
        return out


def statement_iris(store: Store) -> list[NamedNode]:
    """Every evidence statement (typed with EvidenceStatement or one of its subclasses)."""
    rows = store.query(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH <{GRAPHS['statements']}> {{ ?s a ?c }} "
        f"GRAPH <{GRAPHS['ontology']}> {{ ?c <{RDFS.subClassOf}>* <{SCAD}EvidenceStatement> }} "
        "FILTER isIRI(?s) } ORDER BY ?s"
    )
    return [row["s"] for row in rows]


def _closure(store: Store, start: NamedNode, follow: set[NamedNode]) -> list[Triple]:
    """Triples of `start`, of blank nodes it reaches and of objects of `follow` predicates."""
    graph = NamedNode(GRAPHS["statements"])
    triples, todo, seen = [], [start], {start}
    while todo:
        node = todo.pop()
        for q in store.quads_for_pattern(node, None, None, graph):
            triples.append(q.triple)
            if (isinstance(q.object, BlankNode) or q.predicate in follow) and q.object not in seen:
                seen.add(q.object)
                todo.append(q.object)
    return triples


def _objects(store: Store, subject: object, predicate: NamedNode) -> list:
    graph = NamedNode(GRAPHS["statements"])
    return sorted(
        (q.object for q in store.quads_for_pattern(subject, predicate, None, graph)), key=str
    )


def nanopublication_quads(store: Store) -> Iterator[Quad]:
    """Four graphs per statement (head, assertion, provenance, publication info), statement by
    statement in IRI order, each graph's triples sorted: a stream, whatever the store's size."""
    t = Triple
    for stmt in statement_iris(store):
        np_iri = NamedNode(NANOPUB_BASE + stmt.value[len(SCAD) :])
        head, assertion, provenance, pubinfo = (
            NamedNode(f"{np_iri.value}#{g}") for g in ("head", "assertion", "provenance", "pubinfo")
        )
        parts: dict[NamedNode, list[Triple]] = {
            head: [],
            assertion: [],
            provenance: [],
            pubinfo: [],
        }
        parts[head] = [
            t(np_iri, RDF_TYPE, NP("Nanopublication")),
            t(np_iri, NP("hasAssertion"), assertion),
            t(np_iri, NP("hasProvenance"), provenance),
            t(np_iri, NP("hasPublicationInfo"), pubinfo),
        ]
        for triple in _closure(store, stmt, {S("outcome")}):
            in_prov = triple.subject == stmt and triple.predicate in PROVENANCE_PREDICATES
            parts[provenance if in_prov else assertion].append(triple)
        # Asserted by the article the graph is curated from; credited to the work it names.
        for document in _objects(store, stmt, S("assertedBy")):
            parts[provenance].append(t(assertion, PROV("wasDerivedFrom"), document))
            for p in (NamedNode(str(RDFS.label)), S("issuedBy")):
                for o in _objects(store, document, p):
                    parts[provenance].append(t(document, p, o))
        for source in _objects(store, stmt, S("source")):
            parts[provenance].append(t(assertion, CITO("citesAsEvidence"), source))
            for doi in _objects(store, source, S("doi")):
                parts[provenance].append(t(source, S("doi"), doi))
        for locator in _objects(store, stmt, S("locator")):
            for label in _objects(store, locator, NamedNode(str(RDFS.label))):
                parts[provenance].append(t(locator, NamedNode(str(RDFS.label)), label))
        parts[pubinfo] = [
            t(np_iri, DCT("license"), NamedNode(LICENSE)),
            t(np_iri, DCT("creator"), OxLiteral("SCAD knowledge-graph team")),
            t(np_iri, PROV("wasDerivedFrom"), NamedNode(DATASET)),
            t(np_iri, NamedNode(str(OWL.versionInfo)), OxLiteral(__version__)),
        ]
        for graph, triples in parts.items():
            for triple in sorted(set(triples), key=str):
                yield Quad(triple.subject, triple.predicate, triple.object, graph)


def _one(store: Store, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


def counts(store: Store) -> dict[str, int]:
    """Triples per graph and how many of our terms of each kind (queries on the store)."""
    out = {
        f"triples in graph {name}": _one(
            store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
        )
        for name, iri in GRAPHS.items()
    }

    def ours(graph: str, pattern: str) -> int:
        return _one(
            store,
            f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH <{GRAPHS[graph]}> {{ {pattern} }} "
            f"FILTER(isIRI(?x) && STRSTARTS(STR(?x), '{SCAD}')) }}",
        )

    for name, cls in (
        ("classes", OWL.Class),
        ("object properties", OWL.ObjectProperty),
        ("datatype properties", OWL.DatatypeProperty),
        ("annotation properties", OWL.AnnotationProperty),
    ):
        out[name] = ours("ontology", f"?x a <{cls}>")
    out["individuals"] = ours("statements", f"?x a <{OWL.NamedIndividual}>")
    out["evidence statements"] = len(statement_iris(store))
    out["outcomes"] = ours("statements", f"?x a <{SCAD}Outcome>")
    out["references"] = ours("statements", f"?x <{SCAD}doi> ?d")
    return out


def release_note(report: ReleaseReport, sums: dict[str, str]) -> str:
    lines = [
        f"# SCAD knowledge graph {__version__}",
        "",
        f"Ontology `{ONTOLOGY_IRI}`, version IRI `{ONTOLOGY_IRI}/{__version__}`; "
        "licence CC BY 4.0. Open `scad.owl` in Protégé (File > Open); every other file is the "
        "same graph in another form. Each file is reproducible byte for byte from the same sources.",
        "",
        "## Source",
        "",
        "Curated from a Chinese web article on stem-cell therapy for autoimmune disease, "
        "republished by a stem-cell company (Hangi Stem Cells), that builds on Sun Lingyun's 2025 "
        "review (its reference [1]) and adds two more reviews, Jasim et al. 2022 [2] and Chen Y et "
        "al. 2025 [4]. Every statement is asserted by that article (`scad:assertedBy`) and credited "
        "to the work the article names for it (`scad:source`); each nanopublication's provenance "
        "graph says both.",
        "",
        "## Counts",
        "",
        *[f"- {name}: {n}" for name, n in report.counts.items()],
        "",
        "## Files",
        "",
        "| file | bytes | sha256 |",
        "|---|---:|---|",
        *[f"| {name} | {size} | `{sums[name][:16]}…` |" for name, size in report.files.items()],
    ]
    if report.skipped:
        lines += ["", "## Not in this release", ""]
        lines += [f"- {name}: {why}" for name, why in report.skipped.items()]
    if report.changes:
        lines += ["", report.changes.rstrip()]
    return "\n".join(lines) + "\n"


def point_latest(dist: Path, version: str) -> None:
    """Make `dist/latest` a link to `dist/<version>` (replaced in one rename)."""
    link, tmp = dist / "latest", dist / f".latest.{os.getpid()}.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(version, target_is_directory=True)
    os.replace(tmp, link)


def release(
    store: Store, dist: Path, log: Callable[[str], None] = print, *, settings: Settings
) -> ReleaseReport:
    """Write a complete release into `dist/<version>` (built beside it, swapped in when complete)
    and point `dist/latest` at it."""
    start = time.perf_counter()
    root = dist.resolve()
    dist = root / __version__
    root.mkdir(parents=True, exist_ok=True)
    work = dist.with_name(f".{dist.name}.tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    report = ReleaseReport(dist=dist)
    report.counts = counts(store)
    previous = (root / "latest").resolve()  # the latest release before this one, any version
    if (previous / RELEASE_FILE).is_file():
        report.changes = diff(previous, store, "the previous release", "this release").markdown()
    quiet = ex.Progress("", 0, io.StringIO())

    def write(name: str, writer: Callable[[IO[bytes]], object]) -> None:
        with (work / name).open("wb") as out:
            writer(out)
        report.files[name] = (work / name).stat().st_size
        log(f"release: {name} ({report.files[name]:,} bytes)")

    fmt = {f.name: f for f in EXPORT_FORMATS}
    with tempfile.TemporaryDirectory(prefix="kg-release-") as tmp:
        owl = ex.sorted_file(ex.protege_triples(store, __version__), RdfFormat.N_TRIPLES, Path(tmp))
        for name, kind in (
            ("scad.owl", "rdfxml"),
            ("scad.ttl", "turtle"),
            ("scad.jsonld", "jsonld"),
        ):
            write(
                name, lambda out, kind=kind: ex.write_sorted(owl, fmt[kind], out, quiet, Path(tmp))
            )
        for name, kind in (("scad.owx", "owx"), ("scad.ofn", "ofn")):
            try:
                write(name, lambda out, kind=kind: ex.owl_api(work / "scad.owl", kind, out))
            except ExportError as exc:
                (work / name).unlink(missing_ok=True)
                report.files.pop(name, None)
                report.skipped[name] = str(exc)
                log(f"release: {name} skipped: {exc}")
    for name, kind in (("scad-dataset.trig", "trig"), ("scad-dataset.nq", "nquads")):
        write(name, lambda out, kind=kind: ex.write_quads(store, GRAPHS, fmt[kind], out, quiet))
    write(
        "scad-nanopubs.trig",
        lambda out: pyoxigraph.serialize(
            nanopublication_quads(store), out, RdfFormat.TRIG, prefixes=PREFIXES
        ),
    )
    csv = fmt["csv"]
    for name, lang in (("evidence.csv", "en"), ("evidence-zh.csv", "zh")):
        write(name, lambda out, lang=lang: out.writelines(ex.evidence_table(settings, csv, lang)))
    write("context.jsonld", lambda out: out.write(ex.context_document()))
    for files in exchange.write_release(store, work).values():
        for path, rows in files.items():
            relative = path.relative_to(work).as_posix()
            report.files[relative] = path.stat().st_size
            report.counts[f"rows in {relative}"] = rows
            log(f"release: {relative} ({rows:,} rows)")
    sums = {name: _sha256(work / name) for name in report.files}
    listed = {name: (report.files[name], sums[name]) for name in sorted(report.files)}
    for path in citation.write(about(store), work, listed):
        report.files[path.name] = path.stat().st_size
        sums[path.name] = _sha256(path)
        log(f"release: {path.name} ({report.files[path.name]:,} bytes)")
    report.seconds = time.perf_counter() - start
    write("RELEASE.md", lambda out: out.write(release_note(report, sums).encode("utf-8")))
    sums["RELEASE.md"] = _sha256(work / "RELEASE.md")
    write(
        "SHA256SUMS",
        lambda out: out.write("".join(f"{sums[n]}  {n}\n" for n in sorted(sums)).encode()),
    )
    swap_in(work, dist)
    point_latest(root, dist.name)
    report.seconds = time.perf_counter() - start
    return report


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
