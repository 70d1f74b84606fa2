"""What a rebuild may reuse: the results of checks, keyed by a digest of exactly what they read.

A check (the SHACL shapes over one slice of the data, HermiT over the TBox) is a pure function of
its input, so its result is stored under the SHA-256 of that input (and of the code's version);
a rebuild after one source file changed finds every other result under the same key. Entries
not used by a build are removed at its end, so the cache holds one build's worth.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from kg import __version__

FORMAT = "1"  # bump when what is cached changes shape


def digest(*parts: bytes | str) -> str:
    """The key of an input made of these parts (lengths included, so parts cannot run together)."""
    h = hashlib.sha256(f"kg {__version__} cache {FORMAT}\0".encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(f"{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


class CheckCache:
    """A folder of JSON results; `None` folder: a cache that remembers nothing (kg build --check)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.used: set[str] = set()
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def get(self, kind: str, key: str) -> Any | None:
        value = self.load(key)
        self.note(kind, key, hit=value is not None)
        return value

    def load(self, key: str) -> Any | None:
        """The result stored under `key`, or None; counted by nobody (a worker process's look-up,
        which the build then `note`s)."""
        if self.folder is None:
            return None
        try:
            return json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def note(self, kind: str, key: str, hit: bool) -> None:
        """Count a look-up of `key` (made here or in a worker) and keep its entry."""
        self.used.add(key)
        counts = self.hits if hit else self.misses
        counts[kind] = counts.get(kind, 0) + 1

    def put(self, key: str, value: Any) -> None:
        self.used.add(key)
        if self.folder is None:
            return
        tmp = self.folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.folder / f"{key}.json")

    def reused(self, kind: str) -> str:
        """`3 of 4 reused` for one kind of check."""
        hits, misses = self.hits.get(kind, 0), self.misses.get(kind, 0)
        return f"{hits} of {hits + misses} reused"

    def prune(self) -> None:
        """Drop every entry this build did not use."""
        if self.folder is None:
            return
        for path in self.folder.glob("*.json"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)
