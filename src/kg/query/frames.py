"""The protocol between the executor and its query processes, defined once for both ends.

Standard library only: the query process imports this and pyoxigraph, and nothing else.

    parent -> child   a request: 4-byte big-endian length + JSON
                      {q, results, rdf, dg, ng[, parse_only]}
    child  -> parent  frames of 1 kind byte + 4-byte big-endian length + payload:
                      READY  {"pid": …}                 sent once, when the store is open
                      HEAD   {"kind": select|ask|graph}  the query parsed and runs
                      DATA   bytes                       a chunk of the serialised result
                      ERROR  {"kind": syntax|error|format, "message": …}
                      END    {"cpu_ms": …}               the end of this result, and the CPU
                                                         time the query and its serialisation took
"""

from __future__ import annotations

import json
import os
import select
import struct
import time

READY, HEAD, DATA, ERROR, END = b"R", b"H", b"D", b"E", b"Z"
CHUNK = 64 * 1024  # the child's DATA frames are about this size
_HEAD = struct.Struct(">cI")
_LENGTH = struct.Struct(">I")


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def send_request(fd: int, request: dict) -> None:
    payload = json.dumps(request).encode()
    _write_all(fd, _LENGTH.pack(len(payload)) + payload)


def read_request(fd: int) -> dict:
    """The next request; EOFError when the parent has closed the pipe."""
    (length,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size))
    return json.loads(_read_exact(fd, length))


def _read_exact(fd: int, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return bytes(out)


def send_frame(fd: int, kind: bytes, payload: bytes = b"") -> None:
    _write_all(fd, _HEAD.pack(kind, len(payload)) + payload)


def send_json(fd: int, kind: bytes, document: dict) -> None:
    send_frame(fd, kind, json.dumps(document).encode())


class FrameWriter:
    """A binary file for pyoxigraph's serialisers that turns what it is given into DATA frames
    of about CHUNK bytes; frames are written together, so a small result is one write."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = bytearray()  # the DATA frame being filled
        self.pending = bytearray()  # frames not yet written

    def frame(self, kind: bytes, payload: bytes = b"") -> None:
        self.pending += _HEAD.pack(kind, len(payload))
        self.pending += payload

    def write(self, data: bytes) -> int:
        self.buf += data
        if len(self.buf) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buf:
            self.frame(DATA, bytes(self.buf))
            self.buf.clear()
        if len(self.pending) >= CHUNK:
            self._send_pending()

    def _send_pending(self) -> None:
        _write_all(self.fd, self.pending)
        self.pending = bytearray()

    def finish(self, kind: bytes, document: dict | None = None) -> None:
        """Write what is buffered, then a last frame (END or ERROR)."""
        if self.buf:
            self.frame(DATA, bytes(self.buf))
            self.buf.clear()
        self.frame(kind, json.dumps(document).encode() if document is not None else b"")
        self._send_pending()


class FrameReader:
    """The parent's end: frames read with a deadline (TimeoutError past it, EOFError when the
    process is gone)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = bytearray()

    def _fill(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(self.fd, max(n - len(self.buf), 256 * 1024))
            if not chunk:
                raise EOFError
            self.buf += chunk

    def read(self, deadline: float) -> tuple[bytes, bytes]:
        """The next frame but READY: (kind, payload)."""
        while True:
            self._fill(_HEAD.size, deadline)
            kind, length = _HEAD.unpack_from(self.buf)
            self._fill(_HEAD.size + length, deadline)
            payload = bytes(self.buf[_HEAD.size : _HEAD.size + length])
            del self.buf[: _HEAD.size + length]
            if kind != READY:
                return kind, payload
