"""Read step: parse every source file of ontology/ into graphs, naming file, line and column on error.

Layout of the sources folder:
  *.ttl          the TBox and the stubs of external terms  -> graph "ontology"
  data/*.ttl     the curated individuals and statements    -> graph "statements"
  shapes.ttl     SHACL shapes (used to validate, not stored)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
import rdflib

from kg.errors import SourceError

SHAPES_FILE = "shapes.ttl"


@dataclass
class SourceFile:
    path: Path
    text: str
    graph: rdflib.Graph


@dataclass
class Sources:
    """The parsed sources, grouped by the named graph they go to."""

    root: Path
    ontology: list[SourceFile] = field(default_factory=list)
    statements: list[SourceFile] = field(default_factory=list)
    shapes: rdflib.Graph = field(default_factory=rdflib.Graph)
    digest: str = ""

    def merged(self, part: str) -> rdflib.Graph:
        graph = rdflib.Graph()
        for source in getattr(self, part):
            graph += source.graph
        return graph

    def files(self) -> list[SourceFile]:
        return self.ontology + self.statements


def parse_file(path: Path) -> SourceFile:
    """Parse one Turtle file; a syntax error becomes a SourceError with its position."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        raise SourceError(path, None, None, f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(path, None, None, f"not UTF-8: {exc.reason}") from exc
    try:
        # pyoxigraph reports exact positions; rdflib then builds the graph the validators need.
        for _ in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.as_uri()):
            pass
    except SyntaxError as exc:
        message = exc.msg.split(": ", 1)[-1] if ": " in exc.msg else exc.msg
        raise SourceError(path, exc.lineno, exc.offset, f"Turtle syntax error: {message}") from exc
    graph = rdflib.Graph()
    try:
        graph.parse(data=text, format="turtle", publicID=path.as_uri())
    except Exception as exc:  # rdflib accepts what pyoxigraph accepts; keep the file in the message
        raise SourceError(path, None, None, f"Turtle error: {exc}") from exc
    return SourceFile(path, text, graph)


def read_sources(root: Path) -> Sources:
    """Parse every source under `root` in a fixed order (so builds are reproducible)."""
    root = root.resolve()
    if not root.is_dir():
        raise SourceError(root, None, None, "sources folder not found")
    sources = Sources(root=root)
    digest = hashlib.sha256()
    tbox_paths = sorted(p for p in root.glob("*.ttl") if p.name != SHAPES_FILE)
    data_paths = sorted((root / "data").glob("*.ttl"))
    if not tbox_paths:
        raise SourceError(root, None, None, "no ontology (*.ttl) files found")
    for part, paths in (("ontology", tbox_paths), ("statements", data_paths)):
        for path in paths:
            source = parse_file(path)
            getattr(sources, part).append(source)
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + source.text.encode())
    shapes_path = root / SHAPES_FILE
    if shapes_path.exists():
        sources.shapes = parse_file(shapes_path).graph
    sources.digest = digest.hexdigest()
    return sources


def locate(source: SourceFile, iri: str, prefixes: dict[str, str]) -> int | None:
    """The first line of a source that mentions an IRI (full or prefixed), for error messages."""
    names = {f"<{iri}>"}
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace):
            names.add(f"{prefix}:{iri[len(namespace) :]}")
    for number, line in enumerate(source.text.splitlines(), 1):
        if not line.lstrip().startswith("#") and any(name in line for name in names):
            return number
    return None
