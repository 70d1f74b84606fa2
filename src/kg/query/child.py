"""The query process: holds the store read-only, runs one query at a time, streams the result.

Started by kg.query.executor as `python -P -m kg.query.child STORE`; it imports only the standard
library, pyoxigraph and kg.query.frames, so that it starts in about 50 ms. Its parent may kill it
at any time: that is how a runaway query is stopped, since a pyoxigraph query cannot be
interrupted. The protocol is in kg.query.frames.
"""

from __future__ import annotations

import os
import sys
import time

import pyoxigraph

from kg.query import frames


def _die_with_parent() -> None:
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the parent's pipe closing still ends the loop
        pass


def query_kwargs(request: dict) -> dict:
    """Store.query keyword arguments for a request: its dataset."""
    kwargs: dict = {}
    if request.get("dg") is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["default_graph"] = [
            pyoxigraph.DefaultGraph() if g == "" else pyoxigraph.NamedNode(g) for g in request["dg"]
        ]
    if request.get("ng") is not None:
        kwargs["named_graphs"] = [pyoxigraph.NamedNode(g) for g in request["ng"]]
    return kwargs


def run(store: pyoxigraph.Store, request: dict, out: int) -> None:
    started = time.thread_time()  # CPU time: a busy machine does not make a query look slow
    try:
        results = store.query(request["q"], **query_kwargs(request))
    except SyntaxError as exc:
        frames.send_json(out, frames.ERROR, {"kind": "syntax", "message": str(exc)})
        return
    except Exception as exc:
        frames.send_json(out, frames.ERROR, {"kind": "error", "message": str(exc)})
        return
    if isinstance(results, pyoxigraph.QueryTriples):
        kind, media_type = "graph", request.get("rdf")
        fmt = pyoxigraph.RdfFormat.from_media_type(media_type) if media_type else None
    else:
        kind = "ask" if isinstance(results, pyoxigraph.QueryBoolean) else "select"
        media_type = request.get("results")
        fmt = pyoxigraph.QueryResultsFormat.from_media_type(media_type) if media_type else None
    if fmt is None:
        message = f"no format given for a {kind} result"
        frames.send_json(out, frames.ERROR, {"kind": "format", "message": message})
        return
    writer = frames.FrameWriter(out)
    writer.frame(frames.HEAD, b'{"kind": "%s"}' % kind.encode())
    if request.get("parse_only"):
        writer.finish(frames.END, {})
        return
    try:
        results.serialize(writer, format=fmt)
    except Exception as exc:
        writer.finish(frames.ERROR, {"kind": "error", "message": str(exc)})
        return
    writer.finish(frames.END, {"cpu_ms": (time.thread_time() - started) * 1000})


def main(store_path: str) -> None:
    _die_with_parent()
    inp, out = os.dup(0), os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr, never into the frames
    store = pyoxigraph.Store.read_only(store_path)
    frames.send_json(out, frames.READY, {"pid": os.getpid(), "t": time.time()})
    while True:
        try:
            request = frames.read_request(inp)
        except EOFError:
            return
        run(store, request, out)


if __name__ == "__main__":
    main(sys.argv[1])
