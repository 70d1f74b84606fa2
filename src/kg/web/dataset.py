"""What a worker knows about the build it serves: its version, counts and query executor.

Read once per worker process (the store is immutable between builds; a rebuilt store is picked
up by new workers on a graceful reload, `kill -HUP <master pid>`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app

from kg import vocab
from kg.store import triple_counts
from kg.web import executor as executor_mod
from kg.web.db import get_store

SOURCE_DIGEST = vocab.SCAD + "sourceDigest"
DATASET = vocab.SCAD + "dataset"


@dataclass
class Served:
    """The build this worker serves."""

    store_path: Path  # the build folder the store link pointed to when the worker started
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
    return _once("kg_served", lambda: _read(current_app.config["KG"].store))


def _read(store_link: Path) -> Served:
    store = get_store()
    digest = version = ""
    query = f"""SELECT ?d ?v WHERE {{ GRAPH <{vocab.GRAPHS["metadata"]}> {{
        OPTIONAL {{ <{DATASET}> <{SOURCE_DIGEST}> ?d }}
        OPTIONAL {{ <{DATASET}> <http://www.w3.org/2002/07/owl#versionInfo> ?v }} }} }}"""
    for row in store.query(query):
        digest = row["d"].value if row["d"] is not None else digest
        version = row["v"].value if row["v"] is not None else version
    return Served(Path(store_link).resolve(), digest, version, triple_counts(store))


def get_executor() -> executor_mod.Executor:
    """This worker's query processes (started on first use, or by warm_up)."""

    def make() -> executor_mod.Executor:
        ex = executor_mod.from_settings(current_app.config["KG"], served().store_path)
        executor_mod.set_default(ex)
        return ex

    return _once("kg_executor", make)


def warm_up(app: Flask) -> None:
    """Open the store and start the query processes before the first request."""
    with app.app_context():
        served()
        get_executor()
