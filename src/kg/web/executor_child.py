"""The query process: holds the store read-only, runs one query at a time, streams the result.

Started by `kg.web.executor` as `python -P executor_child.py STORE` (by path, so it imports only
the standard library and pyoxigraph and starts in ~50 ms). Its parent may kill it at any time:
that is how a runaway query is stopped, since a pyoxigraph query cannot be interrupted.

Protocol on stdin/stdout, one request at a time:
  parent -> child   4-byte big-endian length + JSON {q, results, rdf, dg, ng, subs}
  child  -> parent  frames of 1 kind byte + 4-byte length + payload:
                    H {"kind": select|ask|graph}   the query parsed and runs
                    D bytes                        a chunk of the serialised result
                    E {"kind": syntax|error, "message": ...}
                    Z {"cpu_ms": ...}                end of this result, and the CPU time the
                                                   query and its serialisation took
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time

CHUNK = 64 * 1024
_HEAD = struct.Struct(">cI")


class _FrameWriter:
    """A binary file for pyoxigraph's serialisers: D frames of about CHUNK bytes.

    Frames are written to the pipe together, so a small result (H, D, Z) is one write.
    """

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = bytearray()  # the D frame being filled
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
            self.frame(b"D", bytes(self.buf))
            self.buf.clear()
        if len(self.pending) >= CHUNK:
            self.send_pending()

    def send_pending(self) -> None:
        data = memoryview(self.pending)
        while data:
            data = data[os.write(self.fd, data) :]
        self.pending = bytearray()

    def finish(self, kind: bytes, payload: bytes = b"") -> None:
        if self.buf:
            self.frame(b"D", bytes(self.buf))
            self.buf.clear()
        self.frame(kind, payload)
        self.send_pending()


def send(fd: int, kind: bytes, payload: bytes = b"") -> None:
    data = memoryview(_HEAD.pack(kind, len(payload)) + payload)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exact(fd: int, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return bytes(out)


def _die_with_parent() -> None:
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the parent's pipe closing still ends the loop
        pass


def _term(text: str):
    import pyoxigraph

    quad = next(
        iter(
            pyoxigraph.parse(
                f"<urn:kg:s> <urn:kg:p> {text} .", format=pyoxigraph.RdfFormat.N_TRIPLES
            )
        )
    )
    return quad.object


def query_kwargs(request: dict) -> dict:
    """Store.query keyword arguments for a request: dataset and substitutions."""
    import pyoxigraph

    kwargs: dict = {}
    if request.get("dg") is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["default_graph"] = [
            pyoxigraph.DefaultGraph() if g == "" else pyoxigraph.NamedNode(g) for g in request["dg"]
        ]
    if request.get("ng") is not None:
        kwargs["named_graphs"] = [pyoxigraph.NamedNode(g) for g in request["ng"]]
    if request.get("subs"):
        kwargs["substitutions"] = {
            pyoxigraph.Variable(k): _term(v) for k, v in request["subs"].items()
        }
    return kwargs


def run(store, request: dict, out: int) -> None:
    import pyoxigraph

    kwargs = query_kwargs(request)
    started = time.thread_time()  # CPU time: a busy machine does not make a query look slow
    try:
        results = store.query(request["q"], **kwargs)
    except SyntaxError as exc:
        send(out, b"E", json.dumps({"kind": "syntax", "message": str(exc)}).encode())
        return
    except Exception as exc:
        send(out, b"E", json.dumps({"kind": "error", "message": str(exc)}).encode())
        return
    if isinstance(results, pyoxigraph.QueryTriples):
        kind, fmt = "graph", request.get("rdf")
        fmt = pyoxigraph.RdfFormat.from_media_type(fmt) if fmt else None
    else:
        kind = "ask" if isinstance(results, pyoxigraph.QueryBoolean) else "select"
        fmt = request.get("results")
        fmt = pyoxigraph.QueryResultsFormat.from_media_type(fmt) if fmt else None
    if fmt is None:
        message = f"no format given for a {kind} result"
        send(out, b"E", json.dumps({"kind": "format", "message": message, "result": kind}).encode())
        return
    writer = _FrameWriter(out)
    writer.frame(b"H", json.dumps({"kind": kind}).encode())
    if request.get("parse_only"):
        writer.finish(b"Z")
        return
    try:
        results.serialize(writer, format=fmt)
    except Exception as exc:
        writer.finish(b"E", json.dumps({"kind": "error", "message": str(exc)}).encode())
        return
    cpu_ms = (time.thread_time() - started) * 1000
    writer.finish(b"Z", json.dumps({"cpu_ms": cpu_ms}).encode())


def main(store_path: str) -> None:
    _die_with_parent()
    inp, out = os.dup(0), os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr, never into the frames
    import pyoxigraph

    store = pyoxigraph.Store.read_only(store_path)
    send(out, b"R", json.dumps({"pid": os.getpid(), "t": time.time()}).encode())
    while True:
        try:
            (length,) = struct.unpack(">I", _read_exact(inp, 4))
            request = json.loads(_read_exact(inp, length))
        except EOFError:
            return
        run(store, request, out)


if __name__ == "__main__":
    main(sys.argv[1])
