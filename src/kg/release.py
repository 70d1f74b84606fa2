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
    SHA256SUMS          checksums of all of the above
    RELEASE.md          a short note: version, counts, files

Every file is deterministic (see kg.export): two releases of the same store are identical.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from pyoxigraph import Store
from rdflib import OWL, RDF, RDFS, Literal, URIRef

from kg import __version__, vocab
from kg import export as ex
from kg.build import protege_graph
from kg.config import Settings
from kg.errors import ExportError
from kg.folders import swap_in
from kg.mediatypes import EXPORT_FORMATS, by_name
from kg.vocab import GRAPHS, ONTOLOGY_IRI, SCAD

NP = rdflib.Namespace(vocab.NANOPUB)
PROV = rdflib.Namespace(vocab.PROV)
CITO = rdflib.Namespace(vocab.CITO)
DCTERMS = rdflib.Namespace(vocab.DCTERMS)
SCADNS = rdflib.Namespace(vocab.SCAD)
NANOPUB_BASE = SCAD + "np/"
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
DATASET = URIRef(SCAD + "dataset")
# What a statement says goes into the assertion graph; where it comes from, into provenance.
PROVENANCE_PREDICATES = {
    SCADNS.assertedBy,
    SCADNS.source,
    SCADNS.locator,
    SCADNS.evidenceType,
    SCADNS.attributionNote,
    SCADNS.curationNote,
}


@dataclass
class ReleaseReport:
    dist: Path
    files: dict[str, int] = field(default_factory=dict)  # name -> bytes
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"  {name:<20} {size:>10,} bytes" for name, size in self.files.items()]
        out += [f"  {name:<20} skipped: {why}" for name, why in self.skipped.items()]
        out.append(f"  written to {self.dist} in {self.seconds * 1000:.0f} ms")
        return out


def stamp_version(graph: rdflib.Graph, version: str = __version__) -> rdflib.Graph:
    """Set the ontology's version IRI and version info; drop owl:imports (everything is merged)."""
    ontology = URIRef(ONTOLOGY_IRI)
    graph.remove((ontology, OWL.versionIRI, None))
    graph.remove((ontology, OWL.versionInfo, None))
    graph.remove((None, OWL.imports, None))
    graph.add((ontology, RDF.type, OWL.Ontology))
    graph.add((ontology, OWL.versionIRI, URIRef(f"{ONTOLOGY_IRI}/{version}")))
    graph.add((ontology, OWL.versionInfo, Literal(version)))
    return graph


def release_graph(parts: dict[str, rdflib.Graph]) -> rdflib.Graph:
    """The Protégé document: ontology + statements, individuals declared, version stamped."""
    return stamp_version(protege_graph(parts["ontology"], parts["statements"]))


def _closure(graph: rdflib.Graph, start: URIRef, follow: set[URIRef]) -> list[tuple]:
    """Triples of `start`, of blank nodes it reaches and of objects of `follow` predicates."""
    triples, todo, seen = [], [start], {start}
    while todo:
        node = todo.pop()
        for s, p, o in graph.triples((node, None, None)):
            triples.append((s, p, o))
            if (isinstance(o, rdflib.BNode) or p in follow) and o not in seen:
                seen.add(o)
                todo.append(o)
    return triples


def statement_iris(graph: rdflib.Graph, ontology: rdflib.Graph) -> list[URIRef]:
    """Every evidence statement (typed with EvidenceStatement or one of its subclasses)."""
    classes = {SCADNS.EvidenceStatement}
    grew = True
    while grew:
        more = {s for c in classes for s in ontology.subjects(RDFS.subClassOf, c)} - classes
        classes |= {c for c in more if isinstance(c, URIRef)}
        grew = bool(more)
    found = {s for c in classes for s in graph.subjects(RDF.type, c) if isinstance(s, URIRef)}
    return sorted(found)


def nanopublications(parts: dict[str, rdflib.Graph]) -> dict[str, rdflib.Graph]:
    """Graph IRI -> graph, four graphs per statement, in statement order."""
    statements = parts["statements"]
    graphs: dict[str, rdflib.Graph] = {}
    for stmt in statement_iris(statements, parts["ontology"]):
        local = stmt[len(SCAD) :]
        np_iri = URIRef(NANOPUB_BASE + local)
        head, assertion, provenance, pubinfo = (
            URIRef(f"{np_iri}#{g}") for g in ("head", "assertion", "provenance", "pubinfo")
        )
        g_head, g_assert, g_prov, g_pub = (ex.new_graph() for _ in range(4))
        for g in (g_head, g_assert, g_prov, g_pub):
            g.bind("np", NP)
        g_head.add((np_iri, RDF.type, NP.Nanopublication))
        g_head.add((np_iri, NP.hasAssertion, assertion))
        g_head.add((np_iri, NP.hasProvenance, provenance))
        g_head.add((np_iri, NP.hasPublicationInfo, pubinfo))
        for s, p, o in _closure(statements, stmt, {SCADNS.outcome}):
            (g_prov if s == stmt and p in PROVENANCE_PREDICATES else g_assert).add((s, p, o))
        # Asserted by the article the graph is curated from; credited to the work it names.
        for document in statements.objects(stmt, SCADNS.assertedBy):
            g_prov.add((assertion, PROV.wasDerivedFrom, document))
            for p in (RDFS.label, SCADNS.issuedBy):
                for o in statements.objects(document, p):
                    g_prov.add((document, p, o))
        for source in statements.objects(stmt, SCADNS.source):
            g_prov.add((assertion, CITO.citesAsEvidence, source))
            for doi in statements.objects(source, SCADNS.doi):
                g_prov.add((source, SCADNS.doi, doi))
        for locator in statements.objects(stmt, SCADNS.locator):
            for label in statements.objects(locator, RDFS.label):
                g_prov.add((locator, RDFS.label, label))
        g_pub.add((np_iri, DCTERMS.license, LICENSE))
        g_pub.add((np_iri, DCTERMS.creator, Literal("SCAD knowledge-graph team")))
        g_pub.add((np_iri, PROV.wasDerivedFrom, DATASET))
        g_pub.add((np_iri, OWL.versionInfo, Literal(__version__)))
        for iri, g in ((head, g_head), (assertion, g_assert), (provenance, g_prov)):
            graphs[str(iri)] = g
        graphs[str(pubinfo)] = g_pub
    return graphs


def counts(parts: dict[str, rdflib.Graph]) -> dict[str, int]:
    tbox, data = parts["ontology"], parts["statements"]

    def ours(nodes) -> int:
        return len({n for n in nodes if isinstance(n, URIRef) and str(n).startswith(SCAD)})

    out = {f"triples in graph {name}": len(g) for name, g in parts.items()}
    out["classes"] = ours(tbox.subjects(RDF.type, OWL.Class))
    out["object properties"] = ours(tbox.subjects(RDF.type, OWL.ObjectProperty))
    out["datatype properties"] = ours(tbox.subjects(RDF.type, OWL.DatatypeProperty))
    out["annotation properties"] = ours(tbox.subjects(RDF.type, OWL.AnnotationProperty))
    out["individuals"] = ours(data.subjects(RDF.type, OWL.NamedIndividual))
    out["evidence statements"] = len(statement_iris(data, tbox))
    out["outcomes"] = ours(data.subjects(RDF.type, SCADNS.Outcome))
    out["references"] = ours(data.subjects(SCADNS.doi, None))
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
    return "\n".join(lines) + "\n"


def release(
    store: Store, dist: Path, log: Callable[[str], None] = print, *, settings: Settings
) -> ReleaseReport:
    """Write a complete release into `dist` (built beside it, swapped in when complete)."""
    start = time.perf_counter()
    dist = dist.resolve()
    work = dist.with_name(f".{dist.name}.tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    report = ReleaseReport(dist=dist)
    parts = ex.read_graphs(store, GRAPHS)
    report.counts = counts(parts)
    owl = ex.canonical(release_graph(parts), "owl")

    def write(name: str, data: bytes) -> None:
        (work / name).write_bytes(data)
        report.files[name] = len(data)
        log(f"release: {name} ({len(data):,} bytes)")

    write("scad.owl", ex.rdfxml(owl))
    write("scad.ttl", ex.turtle(owl))
    write("scad.jsonld", ex.jsonld(owl))
    for name, kind in (("scad.owx", "owx"), ("scad.ofn", "ofn")):
        try:
            write(name, ex.owl_api(owl, kind))
        except ExportError as exc:
            report.skipped[name] = str(exc)
            log(f"release: {name} skipped: {exc}")
    write("scad-dataset.trig", ex.trig({GRAPHS[n]: g for n, g in parts.items()}))
    write("scad-dataset.nq", b"".join(line + b"\n" for line in ex.nquads_lines(parts)))
    write("scad-nanopubs.trig", ex.trig(nanopublications(parts)))
    csv = by_name("csv", EXPORT_FORMATS)
    assert csv is not None
    for name, lang in (("evidence.csv", "en"), ("evidence-zh.csv", "zh")):
        write(name, b"".join(ex.evidence_table(settings, csv, lang)))
    write("context.jsonld", ex.context_document())
    sums = {name: hashlib.sha256((work / name).read_bytes()).hexdigest() for name in report.files}
    report.seconds = time.perf_counter() - start
    write("RELEASE.md", release_note(report, sums).encode("utf-8"))
    sums["RELEASE.md"] = hashlib.sha256((work / "RELEASE.md").read_bytes()).hexdigest()
    write("SHA256SUMS", "".join(f"{sums[n]}  {n}\n" for n in sorted(sums)).encode())
    swap_in(work, dist)
    report.seconds = time.perf_counter() - start
    return report
