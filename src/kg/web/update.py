"""SPARQL Update, when KG_UPDATE_TOKEN enables it: applied to a copy of the served build.

The served store stays read-only (several workers and query processes read it). An update
copies the current build, applies the update to the copy in a separate process (with the query
time limit), indexes the copy for search and swaps the store link to it as `kg build` does. This worker serves the new build
at once; the others pick it up as they pick up any rebuild (kg.web.dataset.watch), or, with
that check off, by a graceful restart of the workers (SIGHUP to `kg serve`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

from flask import Response, current_app

from kg.errors import QueryError, QueryRefused, QueryTimeout, StoreError
from kg.query import text as query_text
from kg.search import write_index
from kg.store import swap_link
from kg.vocab import GRAPHS, SCAD, VOID
from kg.web.dataset import reopen

# The build's VoID counts of each named graph, counted again after an update.
RECOUNT = f"""PREFIX void: <{VOID}>
DELETE {{ GRAPH <{GRAPHS["metadata"]}> {{ ?part void:triples ?old }} }}
INSERT {{ GRAPH <{GRAPHS["metadata"]}> {{ ?part void:triples ?n }} }}
WHERE {{
  GRAPH <{GRAPHS["metadata"]}> {{ ?part <{SCAD}graph> ?g ; void:triples ?old }}
  {{ SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g }}
}}"""
_APPLY = (
    "import sys, pyoxigraph\n"
    "store = pyoxigraph.Store(sys.argv[1])\n"
    "try:\n"
    "    store.update(sys.stdin.read())\n"
    "except SyntaxError as exc:\n"
    "    print(exc, file=sys.stderr); sys.exit(3)\n"
    "store.update(sys.argv[2])\n"
    "store.flush()\n"
)


def apply_update(text: str) -> Response:
    settings = current_app.config["KG"]
    info = query_text.read(text)
    if info.form != "UPDATE":
        raise QueryError("not an update: send queries as query=")
    if info.calls_out:
        raise QueryRefused(
            "LOAD and SERVICE are not allowed: this service makes no outgoing requests"
        )
    link = settings.store
    current = link.resolve()
    new = current.parent / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-update"
    shutil.copytree(current, new, ignore=shutil.ignore_patterns("LOCK"))
    try:
        done = subprocess.run(
            [sys.executable, "-c", _APPLY, str(new), RECOUNT],
            input=text.encode(),
            capture_output=True,
            timeout=settings.query_timeout,
        )
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(new, ignore_errors=True)
        raise QueryTimeout(f"update stopped after {settings.query_timeout:g} s") from exc
    if done.returncode != 0:
        shutil.rmtree(new, ignore_errors=True)
        message = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
        if done.returncode == 3:
            raise QueryError(message[0])
        raise StoreError(f"update failed: {message[0]}")
    try:
        write_index(new)  # the copy's search index, made anew for the updated graph
    except StoreError:
        shutil.rmtree(new, ignore_errors=True)
        raise
    swap_link(link, new)
    reopen(current_app._get_current_object())
    server = current_app.config.get("KG_SERVER_PID")  # set by kg.serve.worker_app
    if server and settings.store_check <= 0:
        os.kill(server, signal.SIGHUP)
    body = f"update applied to a new build ({new.name}); the workers switch to it\n"
    return Response(body, 200, content_type="text/plain; charset=utf-8")
