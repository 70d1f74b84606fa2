"""The result cache: serialised query results of the served build, least recently used first out.

Keys start with the build's tag (graph version), so a new build never sees an old result; each
worker keeps its own cache (it is rebuilt empty when a reload starts new workers).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Protocol

MAX_TOTAL_BYTES = 64 * 1024 * 1024


class ResultCache:
    def __init__(
        self, max_entries: int, max_entry_bytes: int, max_total_bytes: int = MAX_TOTAL_BYTES
    ):
        self.max_entries, self.max_entry_bytes = max_entries, max_entry_bytes
        self.max_total_bytes = max_total_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def get(self, key: Hashable) -> bytes | None:
        if not self.enabled:
            return None
        with self._lock:
            body = self._items.get(key)
            if body is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        if not self.enabled or len(body) > self.max_entry_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._items[key] = body
            self._bytes += len(body)
            while self._items and (
                len(self._items) > self.max_entries or self._bytes > self.max_total_bytes
            ):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def recording(self, key: Hashable, stream: Stream) -> Recording:
        """`stream`, passed through; its whole body is put under `key` when it ends (if it fits)."""
        return Recording(self, key, stream)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "entries": len(self._items),
                "bytes": self._bytes,
                "hits": self.hits,
                "misses": self.misses,
            }


class Stream(Protocol):
    def __next__(self) -> bytes: ...
    def close(self) -> None: ...


class Recording:
    """A streamed result on its way to the client, kept for the cache as it goes."""

    def __init__(self, cache: ResultCache, key: Hashable, stream: Stream):
        self.cache, self.key, self.stream = cache, key, stream
        self.parts: list[bytes] | None = []  # None once it is over the entry size
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self.stream)
        except StopIteration:
            if self.parts is not None:
                self.cache.put(self.key, b"".join(self.parts))
                self.parts = None
            raise
        if self.parts is not None:
            self.size += len(chunk)
            if self.size > self.cache.max_entry_bytes:
                self.parts = None
            else:
                self.parts.append(chunk)
        return chunk

    def close(self) -> None:
        self.parts = None
        self.stream.close()
