"""The graph in the formats its field exchanges (the export step, beside `kg.export`'s RDF):

    kgx       kgx/nodes.tsv, kgx/edges.tsv   Biolink pipelines (KGX, Monarch, RTX-KG2)
    sssom     scad.sssom.tsv                 SSSOM tools: every mapping to an external term
    neo4j     neo4j/*.csv                    `neo4j-admin database import`
    parquet   parquet/*.parquet              pandas, pyarrow, Polars, DuckDB

Each is read from the store by SPARQL (`kg.exchange.tables`), streamed in IRI order and written
deterministically; `kg release` writes all of them plus the citation records (`citation`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pyoxigraph import Store

from kg.errors import ExportError
from kg.exchange import kgx, neo4j, parquet, sssom

# name -> (writer, its place in a release, whether that place is a folder)
WRITERS: dict[str, tuple[Callable[[Store, Path], dict[Path, int]], str, bool]] = {
    "kgx": (kgx.write, "kgx", True),
    "sssom": (sssom.write, "scad.sssom.tsv", False),
    "neo4j": (neo4j.write, "neo4j", True),
    "parquet": (parquet.write, "parquet", True),
}


def write_path(store: Store, name: str, path: Path) -> int:
    """`kg export --format NAME -o PATH`: a folder for kgx, neo4j and parquet, a file for sssom.
    Returns the rows written."""
    writer, _, is_folder = WRITERS[name]
    if is_folder and path.exists() and not path.is_dir():
        raise ExportError(f"{name} writes a folder of files, and {path} is a file")
    return sum(writer(store, path).values())


def write_stream(store: Store, name: str, out: IO[bytes]) -> int:
    """`kg export --format sssom` to standard output; the folder formats need `-o DIR`."""
    if WRITERS[name][2]:
        raise ExportError(f"{name} writes a folder of files: give -o DIR")
    text = io.StringIO(newline="\n")
    count = sssom.write_to(store, text)
    out.write(text.getvalue().encode("utf-8"))
    return count


def write_release(store: Store, folder: Path) -> dict[str, dict[Path, int]]:
    """Every format into its place under `folder`: name -> rows per file written."""
    return {name: writer(store, folder / place) for name, (writer, place, _) in WRITERS.items()}
