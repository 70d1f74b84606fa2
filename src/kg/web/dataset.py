"""What a worker serves: the build (its store, its query executor, its result cache, what it
says of itself: version, digest, triples per graph) and the catalogue of canned queries.

Read once per build (the store is immutable between builds). A rebuild writes a new build
folder and swaps the store link to it; `watch()` (started by `kg serve` in every worker) checks
the link every KG_STORE_CHECK seconds and, when it points elsewhere, `reopen()` opens the new
build and starts its query processes first, then swaps them in at once: requests already
running finish on the old build, the next ones get the new one, and no connection is touched.
A new build that cannot be opened is reported and the worker keeps serving the old one.

With KG_BACKEND=sparql the queries go to a SPARQL engine (kg.query.remote_engine) and what is
served is what `kg push` put there: its push record (kg.backends.push) gives the build and the
digest, and `watch()` checks it instead of the store link. The local build, when there is one at
KG_STORE, still gives the search index (it is part of the build, not of the graph) and /store
(without it, /store reads the engine).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app
from pyoxigraph import Store

from kg.backends import push
from kg.catalogue import Catalogue
from kg.config import Settings
from kg.errors import StoreError
from kg.query import executor as executor_mod
from kg.query import remote_engine
from kg.query.executor import QueryStep
from kg.search import SearchIndex
from kg.store import open_read_only
from kg.vocab import DATASET, GRAPHS, OWL, SCAD, VOID
from kg.web.cache import ResultCache

# What the build's metadata graph says of it: the digest of its sources, its version, and the
# triples of each named graph (VoID, counted by the build).
METADATA = GRAPHS["metadata"]
ABOUT = f"""SELECT ?digest ?version ?graph ?triples WHERE {{
  {{ GRAPH <{METADATA}> {{ <{DATASET}> <{SCAD}sourceDigest> ?digest }} }}
  UNION {{ GRAPH <{METADATA}> {{ <{DATASET}> <{OWL}versionInfo> ?version }} }}
  UNION {{ GRAPH <{METADATA}> {{
    <{DATASET}> <{VOID}subset> ?part . ?part <{SCAD}graph> ?graph ; <{VOID}triples> ?triples }} }}
  UNION {{ SELECT ?graph (COUNT(*) AS ?triples) WHERE {{
    GRAPH <{METADATA}> {{ ?s ?p ?o }} BIND(<{METADATA}> AS ?graph) }} GROUP BY ?graph }}
}}"""

T = TypeVar("T")


@dataclass
class Served:
    """The build this worker serves."""

    store_path: Path | None  # the build folder the store link pointed to when it was opened
    store: Store | None  # None: no local build (a remote engine serves)
    executor: QueryStep
    cache: ResultCache
    build_id: str = ""  # the build folder's name (the one pushed, on a remote engine)
    origin: str = ""  # where the graph is read: the build folder, or the engine and the build
    digest: str = ""  # the metadata graph's scad:sourceDigest
    version: str = ""  # owl:versionInfo of the dataset
    graph_counts: dict[str, int] = field(default_factory=dict)
    extras: dict[str, object] = field(default_factory=dict)  # what routes derive once per build

    @property
    def triples(self) -> int:
        return sum(self.graph_counts.values())

    @property
    def tag(self) -> str:
        """Changes whenever the served graph may have changed: the ETag's base."""
        return hashlib.sha256(f"{self.digest}|{self.origin}".encode()).hexdigest()[:16]

    def derived(self, key: str, make: Callable[[], T]) -> T:
        """`make()`, computed once for this build (VoID partitions, the OpenAPI document…)."""
        value = self.extras.get(key)
        if value is None:
            value = self.extras[key] = make()
        return value


def open_build(settings: Settings, build: Path) -> Served:
    """Open a build: its store, its query processes, what its metadata says."""
    store = open_read_only(build)
    executor = executor_mod.from_settings(settings, build)
    cache = ResultCache(settings.cache_size, settings.cache_entry_max)
    served = Served(build, store, executor, cache, build.name, str(build))
    return _read_metadata(served)


def open_remote(settings: Settings) -> Served:
    """The graph a SPARQL engine serves, as its push record says (kg.backends.push)."""
    executor = remote_engine.from_settings(settings)
    build, digest = remote_target(executor)
    local = Path(settings.store).resolve()
    has_local = local.is_dir()
    cache = ResultCache(settings.cache_size, settings.cache_entry_max)
    served = Served(
        local if has_local else None,
        open_read_only(local) if has_local else None,
        executor,
        cache,
        build,
        f"{executor.engine.shown}#{build}",
    )
    served = _read_metadata(served)
    served.digest = served.digest or digest
    return served


def remote_target(executor: QueryStep) -> tuple[str, str]:
    """(build, digest) of the engine's push record; ("", "") when nothing was pushed."""
    rows = executor.select(push.PUSHED_QUERY)
    if not rows:
        return "", ""
    return rows[0]["build"].value, rows[0]["digest"].value


def open_served(settings: Settings) -> Served:
    """What this worker serves: the build at KG_STORE, or the engine's (KG_BACKEND)."""
    if settings.backend == "sparql":
        return open_remote(settings)
    return open_build(settings, Path(settings.store).resolve())


def _changed(settings: Settings, current: Served) -> bool:
    """Whether what should be served is no longer `current` (a new build or a new push)."""
    if settings.backend == "sparql":
        build, _digest = remote_target(current.executor)
        return build != current.build_id
    return Path(settings.store).resolve() != current.store_path


def _read_metadata(served: Served) -> Served:
    executor = served.executor
    try:
        for row in executor.select(ABOUT):
            if row["digest"] is not None:
                served.digest = row["digest"].value
            if row["version"] is not None:
                served.version = row["version"].value
            if row["graph"] is not None:
                served.graph_counts[row["graph"].value] = int(row["triples"].value)
    except Exception:
        executor.close()
        raise
    return served


_lock = threading.RLock()
_reopening = threading.Lock()


def served() -> Served:
    """The build this worker serves (opened on first use, or by warm_up)."""
    ext = current_app.extensions
    value = ext.get("kg_served")
    if value is None:
        with _lock:
            value = ext.get("kg_served")
            if value is None:
                value = ext["kg_served"] = open_served(current_app.config["KG"])
    return value


def get_catalogue() -> Catalogue:
    """The canned queries of KG_QUERIES (read again when a file changes)."""
    ext = current_app.extensions
    if "kg_catalogue" not in ext:
        with _lock:
            ext.setdefault("kg_catalogue", Catalogue(current_app.config["KG"].queries))
    return ext["kg_catalogue"]


def search_index() -> SearchIndex:
    """The served build's search index (kg.search), opened once per build."""
    build = served()
    if build.store_path is None:
        raise StoreError(
            "search needs the build's index: set KG_STORE to a copy of the pushed build"
        )
    path = build.store_path
    return build.derived("search", lambda: SearchIndex(path))


def get_executor() -> QueryStep:
    """The served build's query processes: how every query of the service runs."""
    return served().executor


def warm_up(app: Flask) -> None:
    """Open the store and start the query processes before the first request. A remote engine
    that does not answer yet is reported and tried again by the first request (503 meanwhile)."""
    with app.app_context():
        try:
            served()
        except StoreError as exc:
            if app.config["KG"].backend != "sparql":
                raise
            logging.getLogger("kg.serve").error("the SPARQL engine is not ready: %s", exc)


def reopen(app: Flask) -> bool:
    """Serve the build the store link points to now, if it is not the one served; True if so.

    Raises StoreError (the old build stays) when the new one cannot be opened.
    """
    with _reopening:  # the watcher and an update may both ask
        with app.app_context():
            current = served()
        if not _changed(app.config["KG"], current):
            return False
        fresh = open_served(app.config["KG"])
        with _lock:
            app.extensions["kg_served"] = fresh
    old = current.executor  # its running queries finish within their time limit
    timer = threading.Timer(old.timeout + 5, old.close)
    timer.daemon = True
    timer.start()
    logging.getLogger("kg.serve").info("now serving build %s", fresh.build_id)
    return True


def watch(app: Flask, interval: float) -> threading.Thread:
    """Check the store link (or the engine's push record) every `interval` seconds and
    reopen() when it has moved."""
    log = logging.getLogger("kg.serve")

    def loop() -> None:
        failed: Path | None = None  # a build that would not open is not retried
        reported = ""  # an engine that is down is reported once, not every `interval`
        while True:
            time.sleep(interval)
            settings = app.config["KG"]
            target = Path(settings.store).resolve() if settings.backend == "embedded" else None
            if target is not None and target == failed:
                continue
            try:
                reopen(app)
                failed, reported = None, ""
            except Exception as exc:  # keep serving the old build (an engine may be down)
                failed = target
                if str(exc) != reported:
                    what = target or "the SPARQL engine's push"
                    log.error("cannot serve the new build %s, keeping the old one: %s", what, exc)
                reported = str(exc)

    thread = threading.Thread(target=loop, name="kg-store-watch", daemon=True)
    thread.start()
    return thread
