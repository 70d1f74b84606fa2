"""A scratch SQLite database in a temporary folder: where the index step spills what it would
otherwise hold in memory for the whole graph (every entity's rows, every English term), for
SQLite to sort, deduplicate and count on disk, in memory that does not grow with the graph."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch_db(table: str, columns: tuple[str, ...]) -> Iterator[sqlite3.Connection]:
    """A new database with one empty `table` of `columns`, deleted on exit."""
    with tempfile.TemporaryDirectory(prefix="kg-search-") as tmp:
        db = sqlite3.connect(Path(tmp) / "scratch.sqlite")
        try:
            db.execute("PRAGMA journal_mode = OFF")  # scratch: nothing to recover
            db.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
            yield db
        finally:
            db.close()
