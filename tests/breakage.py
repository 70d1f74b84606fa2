"""Copies of the real sources with one thing broken, for the tests of the build's refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SOURCES
from pyoxigraph import Store

from kg.buildcache import CheckCache
from kg.sources import read_sources, tbox_graph
from kg.validate import validate

PREFIXES = """@prefix scad: <https://w3id.org/scad/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def sources_with(tmp_path: Path, name: str, text: str) -> Path:
    """The project's sources plus one extra data file `data/<name>` holding `text`."""
    root = tmp_path / "ontology"
    shutil.copytree(SOURCES, root)
    (root / "data" / name).write_text(PREFIXES + text, encoding="utf-8")
    return root


def validated(root: Path) -> None:
    """Read and validate a sources folder as the build does (in a store of its own, no cache)."""
    store = Store()
    sources = read_sources(root, store)
    validate(store, sources, tbox_graph(store), CheckCache(None))
