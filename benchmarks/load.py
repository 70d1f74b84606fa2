#!/usr/bin/env python3
"""Mixed traffic against `kg serve`, bounded in time, on 127.0.0.1 only: SPARQL queries, every
canned query (with its example's values), entity pages (a hub and leaves), VoID, OpenAPI, the
API page and /health, in turn on 64 connections (wrk with a Lua script). Prints requests/s,
p50/p99 latency and what failed. With --kill it also kills a worker (a third of the way in) and
a query process (two thirds in) and reports what was lost and whether they were replaced.

    .venv/bin/python benchmarks/load.py [--store var/store | --url http://127.0.0.1:8000]
                                        [--seconds 60] [--connections 64] [--kill] [--json]

Without --url it starts `kg serve` (2 workers x 4 threads) on the store and stops it after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from servers import ROOT, Result, fetch, run_wrk, start_ours, stop

SCAD = "https://w3id.org/scad/"
AD_HOC = [
    f"SELECT ?p ?o WHERE {{ <{SCAD}dataset> ?p ?o }}",
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
    f"DESCRIBE <{SCAD}sle>",
    "ASK { ?s a ?c }",
]
LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def canned_paths() -> list[str]:
    """/queries/<name>?<first example> for every canned query."""
    paths = []
    for path in sorted((ROOT / "queries").glob("*.rq")):
        example = next(
            (
                line.split(":", 1)[1].strip()
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.startswith("# example:")
            ),
            "",
        )
        query = urllib.parse.urlencode(urllib.parse.parse_qsl(example.lstrip("?")))
        paths.append(f"/queries/{path.stem}" + (f"?{query}" if query else ""))
    return paths


def entity_paths(base: str, leaves: int = 8) -> list[str]:
    """The hub (SLE) and a few statements, found by asking the service."""
    query = f"SELECT ?s WHERE {{ ?s a <{SCAD}EvidenceStatement> }} LIMIT {leaves}"
    status, _, body, _ = fetch(
        base + "/sparql?query=" + urllib.parse.quote(query),
        {"Accept": "application/sparql-results+json"},
    )
    found = (
        [b["s"]["value"] for b in json.loads(body)["results"]["bindings"]] if status == 200 else []
    )
    return ["/scad/sle", "/scad/sle?lang=zh"] + ["/scad/" + iri[len(SCAD) :] for iri in found]


def mix(base: str) -> list[str]:
    sparql = ["/sparql?query=" + urllib.parse.quote(q) for q in AD_HOC]
    others = ["/void", "/openapi.json", "/api", "/health", "/queries"]
    return sparql + canned_paths() + entity_paths(base) + others


def run_mixed(base: str, paths: list[str], seconds: int, connections: int, threads: int) -> Result:
    """wrk on `base` for `seconds`, each connection sending `paths` in turn (the Lua script)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    try:
        script.write_text(LUA % ", ".join(json.dumps(p) for p in paths), encoding="utf-8")
        return run_wrk(base + "/", {}, seconds, connections, threads, script)
    finally:
        script.unlink()


def killer(base: str, seconds: float, log: list[str]) -> threading.Thread:
    """Kill a worker at 1/3 of the run and a query process at 2/3."""

    def run() -> None:
        time.sleep(seconds / 3)
        doc = json.loads(fetch(base + "/health")[2])
        os.kill(doc["worker"], signal.SIGKILL)
        log.append(f"killed worker {doc['worker']} at {seconds / 3:.0f} s")
        time.sleep(seconds / 3)
        for _ in range(20):  # the answer may come from the replacement worker: any one will do
            doc = json.loads(fetch(base + "/health")[2])
            if doc.get("query_pids"):
                os.kill(doc["query_pids"][0], signal.SIGKILL)
                log.append(f"killed query process {doc['query_pids'][0]} of worker {doc['worker']}")
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--store", type=Path, default=Path(os.environ.get("KG_STORE", ROOT / "var" / "store"))
    )
    parser.add_argument("--url", help="a running service instead of starting one")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--kill", action="store_true", help="kill a worker and a query process")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: scripts/setup.sh --test installs it", file=sys.stderr)
        return 2
    proc = None
    base = args.url
    if base is None:
        proc, base, _ = start_ours(args.store)
    try:
        paths = mix(base)
        failing = [p for p in paths if fetch(base + p)[0] != 200]
        log: list[str] = []
        before = json.loads(fetch(base + "/health")[2])
        kill_thread = killer(base, args.seconds, log) if args.kill else None
        result = run_mixed(base, paths, args.seconds, args.connections, args.threads)
        if kill_thread is not None:
            kill_thread.join(5)
        after = json.loads(fetch(base + "/health")[2])
    finally:
        if proc is not None:
            stop(proc)
    figures = {
        "paths": len(paths),
        "not_200_before_the_run": failing,
        "seconds": args.seconds,
        "connections": args.connections,
        "requests_per_s": round(result.rps),
        "p50_ms": round(result.p50_ms, 1),
        "p99_ms": round(result.p99_ms, 1),
        "non_2xx": result.non2xx,
        "socket_errors": result.socket_errors,
        "killed": log,
        "query_processes_before_after": [
            before.get("query_processes"),
            after.get("query_processes"),
        ],
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:30} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
