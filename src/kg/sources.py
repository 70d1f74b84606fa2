"""Read step: parse every source file straight into the new Oxigraph store, naming file, line and
column on a syntax error.

Layout of the sources folder:
  *.ttl          the TBox and the stubs of external terms  -> graph "ontology"
  data/*.ttl     the curated individuals and statements    -> graph "statements"
  shapes.ttl     SHACL shapes (used to validate, not stored)
  templates/*.tsv  curation templates (kg.curation.template), read once the Turtle is stored
Extra data files (`kg build --extra FILE`, `KG_EXTRA_SOURCES`: e.g. what `kg synth` writes) go
to "statements" too.

No in-memory graph of all the data is made: each file is streamed through Oxigraph's parser
into the store, and only what later steps need is kept per file: its digest, its subjects in
file order (the SHACL step checks them in slices) and its size. Blank nodes get canonical
labels (`<graph>-<hash>`, a hash of what surrounds them) so that two builds from the same
sources hold the same quads, whatever order the files are read in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
import rdflib
from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, Store

from kg.errors import SourceError
from kg.vocab import GRAPHS

SHAPES_FILE = "shapes.ttl"
TEMPLATE_SUFFIX = ".tsv"
TBOX, DATA = "ontology", "statements"


@dataclass
class SourceFile:
    """One source file: where it is, which graph it goes to, what it held."""

    path: Path
    rel: str  # as shown in messages: scad.ttl, data/review.ttl, or the path of an extra file
    part: str  # TBOX or DATA
    digest: str = ""
    triples: int = 0
    subjects: list[NamedNode | BlankNode] = field(default_factory=list)  # in file order
    rows: dict[str, int] = field(default_factory=dict)  # a template's subjects: IRI -> first row


@dataclass
class Sources:
    """The sources read into a store, grouped by the named graph they went to."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)
    shapes: Path | None = None
    templates: list[SourceFile] = field(default_factory=list)  # *.tsv, read after the Turtle
    shapes_digest: str = ""
    digest: str = ""  # of every stored source, in order (the build's identity)

    def part(self, name: str) -> list[SourceFile]:
        return [f for f in self.files if f.part == name]

    @property
    def tbox_digest(self) -> str:
        return hashlib.sha256("".join(f.digest for f in self.part(TBOX)).encode()).hexdigest()


def source_files(root: Path, extra: Iterable[Path] = ()) -> Sources:
    """The files of a sources folder (and extra data files), in the fixed order they are read."""
    root = root.resolve()
    if not root.is_dir():
        raise SourceError(root, None, None, "sources folder not found")
    tbox = sorted(p for p in root.glob("*.ttl") if p.name != SHAPES_FILE)
    if not tbox:
        raise SourceError(root, None, None, "no ontology (*.ttl) files found")
    sources = Sources(root=root)
    for path in tbox:
        sources.files.append(SourceFile(path, path.name, TBOX))
    for path in sorted((root / "data").glob("*.ttl")):
        sources.files.append(SourceFile(path, f"data/{path.name}", DATA))
    for path in sorted((root / "templates").glob("*.tsv")):
        sources.templates.append(SourceFile(path, f"templates/{path.name}", DATA))
    for path in extra:
        path = Path(path).resolve()
        if not path.is_file():
            raise SourceError(path, None, None, "extra source file not found")
        listed = sources.templates if path.suffix == TEMPLATE_SUFFIX else sources.files
        listed.append(SourceFile(path, str(path), DATA))
    shapes = root / SHAPES_FILE
    if shapes.exists():
        sources.shapes = shapes
        sources.shapes_digest = file_digest(shapes)
    return sources


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise SourceError(path, None, None, f"cannot read: {exc.strerror}") from exc
    return digest.hexdigest()


def parse(path: Path) -> Iterator[Quad]:
    """The quads of one Turtle file; a syntax error becomes a SourceError with its position."""
    try:
        yield from pyoxigraph.parse(path=str(path), format=RdfFormat.TURTLE, base_iri=path.as_uri())
    except SyntaxError as exc:
        message = exc.msg.split(": ", 1)[-1] if ": " in exc.msg else exc.msg
        raise SourceError(path, exc.lineno, exc.offset, f"Turtle syntax error: {message}") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(path, None, None, f"not UTF-8: {exc.reason}") from exc
    except OSError as exc:
        raise SourceError(path, None, None, f"cannot read: {exc.strerror}") from exc


def read_sources(root: Path, store: Store, extra: Iterable[Path] = ()) -> Sources:
    """Parse every source into `store` (graphs "ontology" and "statements"), in a fixed order."""
    sources = source_files(root, extra)
    whole = hashlib.sha256()
    blank: dict[str, list[Quad]] = {TBOX: [], DATA: []}

    def quads() -> Iterator[Quad]:
        for source in sources.files:
            graph = NamedNode(GRAPHS[source.part])
            seen: dict[NamedNode | BlankNode, None] = {}
            # the digest first: a file that cannot be read fails before anything is stored
            source.digest = file_digest(source.path)
            for q in parse(source.path):
                source.triples += 1
                seen.setdefault(q.subject, None)
                if isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode):
                    blank[source.part].append(q)
                else:
                    yield Quad(q.subject, q.predicate, q.object, graph)
            source.subjects = list(seen)
            whole.update(source.rel.encode() + b"\0" + source.digest.encode())

    # one bulk load for all files: each call of the bulk loader writes its own files on disk
    store.bulk_extend(quads())
    for part, quads_ in blank.items():
        names = canonical_blank_nodes(quads_, part)
        graph = NamedNode(GRAPHS[part])
        store.bulk_extend(
            Quad(names.get(q.subject, q.subject), q.predicate, names.get(q.object, q.object), graph)
            for q in quads_
        )
        for source in sources.part(part):
            source.subjects = [names.get(s, s) for s in source.subjects]
    sources.digest = whole.hexdigest()
    return sources


def _term(term: object, colour: dict) -> str:
    return colour[term] if isinstance(term, BlankNode) else str(term)


def canonical_blank_nodes(quads: list[Quad], label: str) -> dict[BlankNode, BlankNode]:
    """Stable names for the blank nodes of `quads`: `<label>-<hash>` of their surroundings.

    Colour refinement: every blank node starts with one colour and is recoloured by the hash of
    its edges (predicate and neighbour, a neighbouring blank node by its colour) until the number
    of colours stops growing. That tells apart every blank node of a tree (what Turtle's `[ ]` and
    lists make) and gives each the same name in every build; nodes it cannot tell apart are
    interchangeable in a tree and are numbered in their sorted order.
    """
    nodes = sorted(
        {t for q in quads for t in (q.subject, q.object) if isinstance(t, BlankNode)},
        key=lambda b: b.value,
    )
    if not nodes:
        return {}
    edges: dict[BlankNode, list[tuple[str, str, object]]] = {b: [] for b in nodes}
    for q in quads:
        if isinstance(q.subject, BlankNode):
            edges[q.subject].append(("out", str(q.predicate), q.object))
        if isinstance(q.object, BlankNode):
            edges[q.object].append(("in", str(q.predicate), q.subject))
    colour = dict.fromkeys(nodes, "")
    count = 1
    while True:
        colour = {
            b: hashlib.sha256(
                "\n".join(sorted(f"{d} {p} {_term(n, colour)}" for d, p, n in edges[b])).encode()
            ).hexdigest()
            for b in nodes
        }
        distinct = len(set(colour.values()))
        if distinct == count or distinct == len(nodes):
            break
        count = distinct
    names: dict[BlankNode, BlankNode] = {}
    used: dict[str, int] = {}
    for b in sorted(nodes, key=lambda b: colour[b]):
        short = colour[b][:12]
        n = used.get(short, 0)
        used[short] = n + 1
        names[b] = BlankNode(f"{label}-{short}" + (f"-{n}" if n else ""))
    return names


# ---------------------------------------------------------------------------------------------
# Finding where a term stands, for messages


TOKEN = re.compile(r"<[^>\s]*>|[A-Za-z][\w.-]*:[\w.-]*[\w-]|[A-Za-z][\w.-]*:")


def prefixes_of(path: Path) -> dict[str, str]:
    """The @prefix / PREFIX declarations of a Turtle file."""
    found = {}
    pattern = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([\w.-]*):\s*<([^>]*)>", re.IGNORECASE)
    with path.open(encoding="utf-8") as f:
        for line in f:
            m = pattern.match(line)
            if m:
                found[m.group(1)] = m.group(2)
    return found


def locate(path: Path, iris: Iterable[str], subject: bool = False) -> dict[str, int]:
    """The first line of `path` naming each IRI (full or prefixed) — as a subject: at the start of
    a line — in one pass over the file, however many IRIs are asked for."""
    wanted = set(iris)
    prefixes = prefixes_of(path)
    found: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith("#") or (subject and line[:1].isspace()):
                continue
            for m in TOKEN.finditer(line):
                token = m.group(0)
                if token.startswith("<"):
                    iri = token[1:-1]
                else:
                    prefix, _, local = token.partition(":")
                    if prefix not in prefixes:
                        continue
                    iri = prefixes[prefix] + local
                if iri in wanted and iri not in found:
                    found[iri] = number
                if subject:
                    break
            if len(found) == len(wanted):
                break
    return found


def tbox_graph(store: Store) -> rdflib.Graph:
    """The stored TBox ("ontology" graph) as an rdflib graph: it is small and constant, and the
    reasoner, the ontology pages and the pictures walk its class expressions."""
    data = pyoxigraph.serialize(
        (q.triple for q in store.quads_for_pattern(None, None, None, NamedNode(GRAPHS[TBOX]))),
        format=RdfFormat.N_TRIPLES,
    )
    return rdflib.Graph().parse(data=data, format="nt")
