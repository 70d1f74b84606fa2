"""What a worker knows about the build it serves: its store, version, counts and query executor.

Read once per build (the store is immutable between builds). A rebuild writes a new build
folder and swaps the store link to it; `watch()` (started by `kg serve` in every worker) checks
the link every KG_STORE_CHECK seconds and, when it points elsewhere, `reopen()` opens the new
build and starts its query processes first, then swaps them in at once: requests already
running finish on the old build, the next ones get the new one, and no connection is touched.
A new build that cannot be opened is reported and the worker keeps serving the old one.
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

from kg import vocab
from kg.store import open_read_only, triple_counts
from kg.web import executor as executor_mod

SOURCE_DIGEST = vocab.SCAD + "sourceDigest"
DATASET = vocab.SCAD + "dataset"


@dataclass
class Served:
    """The build this worker serves."""

    store_path: Path  # the build folder the store link pointed to when it was opened
    store: Store
    digest: str  # the metadata graph's scad:sourceDigest
    version: str  # owl:versionInfo of the dataset
    graph_counts: dict[str, int] = field(default_factory=dict)

    @property
    def build_id(self) -> str:
        return self.store_path.name

    @property
    def triples(self) -> int:
        return sum(self.graph_counts.values())

    @property
    def tag(self) -> str:
        """Changes whenever the served graph may have changed: the ETag's base."""
        return hashlib.sha256(f"{self.digest}|{self.store_path}".encode()).hexdigest()[:16]


_lock = threading.RLock()
T = TypeVar("T")


def _once(key: str, make: Callable[[], T]) -> T:
    """The app's `extensions[key]`, made by `make()` the first time (once, across threads)."""
    ext = current_app.extensions
    value = ext.get(key)
    if value is None:
        with _lock:
            value = ext.get(key)
            if value is None:
                value = ext[key] = make()
    return value


def served() -> Served:
    return _once("kg_served", lambda: _read(Path(current_app.config["KG"].store).resolve()))


def get_store() -> Store:
    """The served build's store, opened read-only and shared by the worker's requests."""
    return served().store


def _read(build: Path) -> Served:
    store = open_read_only(build)
    digest = version = ""
    query = f"""SELECT ?d ?v WHERE {{ GRAPH <{vocab.GRAPHS["metadata"]}> {{
        OPTIONAL {{ <{DATASET}> <{SOURCE_DIGEST}> ?d }}
        OPTIONAL {{ <{DATASET}> <http://www.w3.org/2002/07/owl#versionInfo> ?v }} }} }}"""
    for row in store.query(query):
        digest = row["d"].value if row["d"] is not None else digest
        version = row["v"].value if row["v"] is not None else version
    return Served(build, store, digest, version, triple_counts(store))


def get_executor() -> executor_mod.Executor:
    """This worker's query processes (started on first use, or by warm_up)."""

    return _once(
        "kg_executor",
        lambda: executor_mod.from_settings(current_app.config["KG"], served().store_path),
    )


def warm_up(app: Flask) -> None:
    """Open the store and start the query processes before the first request."""
    with app.app_context():
        served()
        get_executor()


# What belongs to one build: dropped from the app's extensions when another build is swapped in
# (the executor and what was read from the store are made anew for it on first use).
BUILD_KEYS = ("kg_served", "kg_executor", "kg_result_cache", "kg_endpoint", "kg_void")
_reopening = threading.Lock()


def reopen(app: Flask) -> bool:
    """Serve the build the store link points to now, if it is not the one served; True if so.

    Raises StoreError (the old build stays) when the new one cannot be opened.
    """
    with _reopening:  # the watcher and an update may both ask
        with app.app_context():
            current = served()
        target = Path(app.config["KG"].store).resolve()
        if target == current.store_path:
            return False
        fresh = _read(target)
        executor = executor_mod.from_settings(app.config["KG"], fresh.store_path)
        with _lock:
            old = app.extensions.get("kg_executor")
            for key in BUILD_KEYS:
                app.extensions.pop(key, None)
            app.extensions["kg_served"], app.extensions["kg_executor"] = fresh, executor
    if old is not None:  # its running queries finish within their time limit
        timer = threading.Timer(old.timeout + 5, old.close)
        timer.daemon = True
        timer.start()
    logging.getLogger("kg.serve").info("now serving build %s", fresh.build_id)
    return True


def watch(app: Flask, interval: float) -> threading.Thread:
    """Check the store link every `interval` seconds and reopen() when it has moved."""
    log = logging.getLogger("kg.serve")

    def loop() -> None:
        failed: Path | None = None  # a build that would not open is not retried
        while True:
            time.sleep(interval)
            target = Path(app.config["KG"].store).resolve()
            if target == failed:
                continue
            try:
                reopen(app)
                failed = None
            except Exception as exc:  # keep serving the old build
                failed = target
                log.error("cannot serve the new build %s, keeping the old one: %s", target, exc)

    thread = threading.Thread(target=loop, name="kg-store-watch", daemon=True)
    thread.start()
    return thread
