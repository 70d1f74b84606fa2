"""`kg push`: the current build into the SPARQL engine, replaced atomically for its readers.

1. the build's four graphs are written to files (streamed: bounded memory) under staging names
   `urn:x-kg:staging:<build>:<graph>` and loaded into the engine (its adapter knows how);
2. one SPARQL Update replaces each served graph by its staging graph and rewrites the push
   record, a graph of its own (`urn:x-kg:push`: the build's source digest and build name);
   engines apply one update request as one transaction, so a query sees the old four graphs or
   the new four, never a mix;
3. the service (KG_BACKEND=sparql) reads the push record: its ETags are computed from it, and a
   new push is picked up within KG_STORE_CHECK seconds, with a fresh result cache.

Staging graphs are outside the dataset the service queries (kg.backends.engine names its four
graphs explicitly), so a push in progress is never seen. Exports are always written from the
build, never read back from an engine.
"""

from __future__ import annotations

import datetime
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat

from kg.backends import adapter_for
from kg.config import Settings
from kg.store import open_read_only
from kg.vocab import DATASET, GRAPHS, SCAD

PUSH_GRAPH = "urn:x-kg:push"
DIGEST, BUILD, PUSHED = "urn:x-kg:digest", "urn:x-kg:build", "urn:x-kg:pushed"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"

# What the engine serves, by the push record (no rows: nothing was pushed by `kg push`).
PUSHED_QUERY = f"""SELECT ?digest ?build FROM NAMED <{PUSH_GRAPH}> WHERE {{
  GRAPH <{PUSH_GRAPH}> {{ <{PUSH_GRAPH}> <{DIGEST}> ?digest ; <{BUILD}> ?build }}
}}"""


@dataclass
class PushReport:
    build: str
    digest: str
    quads: int
    engine: str
    seconds: float

    def line(self) -> str:
        return (
            f"pushed build {self.build} ({self.quads} statements, digest {self.digest[:12]}) "
            f"to {self.engine} in {self.seconds:.1f} s"
        )


class BuildDump:
    """The build's graphs as files in a temporary folder (kg.backends.engine.Dump)."""

    def __init__(self, store: pyoxigraph.Store, folder: Path):
        self.store, self.folder = store, folder
        self._files = 0

    def _path(self, suffix: str) -> Path:
        self._files += 1
        return self.folder / f"{self._files}{suffix}"

    def _quads(self, iri: str) -> Iterator[Quad]:
        return self.store.quads_for_pattern(None, None, None, NamedNode(iri))

    def graph(self, iri: str) -> Path:
        path = self._path(".nt")
        self.store.dump(str(path), RdfFormat.N_TRIPLES, from_graph=NamedNode(iri))
        return path

    def dataset(self, names: Mapping[str, str]) -> Path:
        path = self._path(".nq")

        def renamed() -> Iterator[Quad]:
            for iri, staging in names.items():
                target = NamedNode(staging)
                for q in self._quads(iri):
                    yield Quad(q.subject, q.predicate, q.object, target)

        with path.open("wb") as out:
            pyoxigraph.serialize(renamed(), out, RdfFormat.N_QUADS)
        return path


def source_digest(store: pyoxigraph.Store) -> str:
    metadata = NamedNode(GRAPHS["metadata"])
    for q in store.quads_for_pattern(
        NamedNode(DATASET), NamedNode(SCAD + "sourceDigest"), None, metadata
    ):
        return q.object.value
    return ""


def switch_update(staged: Mapping[str, str], digest: str, build: str) -> str:
    """The one update that puts the staging graphs in place and records the push."""
    ops = []
    for graph, staging in staged.items():
        ops += [
            f"DROP SILENT GRAPH <{graph}>",
            f"ADD SILENT <{staging}> TO <{graph}>",
            f"DROP SILENT GRAPH <{staging}>",
        ]
    now = Literal(datetime.datetime.now(datetime.UTC).isoformat(), datatype=NamedNode(XSD_DATETIME))
    record = (
        f"<{PUSH_GRAPH}> <{DIGEST}> {Literal(digest)} ; <{BUILD}> {Literal(build)} ; "
        f"<{PUSHED}> {now} ."
    )
    ops += [
        f"DROP SILENT GRAPH <{PUSH_GRAPH}>",
        f"INSERT DATA {{ GRAPH <{PUSH_GRAPH}> {{ {record} }} }}",
    ]
    return " ;\n".join(ops)


def push(settings: Settings, log: Callable[[str], None] = lambda _m: None) -> PushReport:
    """Load the build at KG_STORE into the engine at KG_SPARQL_ENDPOINT (see the module)."""
    started = time.monotonic()
    engine = adapter_for(settings)
    build_dir = Path(settings.store).resolve()
    store = open_read_only(settings.store)
    digest, build = source_digest(store), build_dir.name
    staged = {iri: f"urn:x-kg:staging:{build}:{name}" for name, iri in GRAPHS.items()}
    timeout = settings.export_timeout
    drop_staging = " ;\n".join(f"DROP SILENT GRAPH <{s}>" for s in staged.values())
    try:
        engine.update(drop_staging, timeout)  # what a failed push of this build left
        with tempfile.TemporaryDirectory(prefix="kg-push-") as folder:
            dump = BuildDump(store, Path(folder))
            log(f"loading build {build} into {engine.shown} under staging names")
            engine.load(staged, dump, timeout)
        log("switching the served graphs to the new ones")
        engine.update(switch_update(staged, digest, build), timeout)
    finally:
        engine.close()
    return PushReport(build, digest, len(store), engine.shown, time.monotonic() - started)
