"""Copies of the real sources with one thing broken, for the tests of the build's refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SOURCES

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
