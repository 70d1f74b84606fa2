#!/usr/bin/env python3
"""Benchmark: our SPARQL service against `oxigraph serve-read-only` on a copy of the same store.

For every query (the canned queries/*.rq plus a few ad-hoc ones) it runs wrk with the same
concurrency against
  - oxigraph serve-read-only (PyPI `oxigraph`, same version as pyoxigraph; --union-default-graph),
  - `kg serve` with the result cache off (KG_CACHE_SIZE=0),
  - `kg serve` with the result cache on, and the same with If-None-Match (304 revalidation),
and prints requests/s, p50 and p99 latency and the ratio ours/oxigraph. Also the cold start of
`kg serve` (command to first answer). Everything listens on 127.0.0.1 only.

    .venv/bin/python benchmarks/run.py [--duration 5] [--connections 8] [--threads 2]
                                       [--only NAME ...] [--markdown benchmarks/results.md]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from servers import ROOT, Result, fetch, run_wrk, start_ours, start_oxigraph, stop

SCAD = "https://w3id.org/scad/"

AD_HOC = {
    "lookup-iri": f"SELECT ?p ?o WHERE {{ <{SCAD}dataset> ?p ?o }}",
    "join-filter": """PREFIX scad: <https://w3id.org/scad/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label ?type ?typeLabel WHERE {
  ?s a ?type ; rdfs:label ?label .
  ?type rdfs:label ?typeLabel .
  ?s ?p ?o .
  FILTER(LANG(?label) = "en" && LANG(?typeLabel) = "en")
} LIMIT 200""",
    "group-by-count": "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
    "describe": f"DESCRIBE <{SCAD}dataset>",
}
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "text/turtle"


def canned_queries() -> dict[str, str]:
    out = {}
    for path in sorted((ROOT / "queries").glob("*.rq")):
        out[path.stem] = path.read_text(encoding="utf-8")
    return out


def is_graph_query(text: str) -> bool:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
    return bool(m) and m.group(1).upper() in ("CONSTRUCT", "DESCRIBE")


def run_seconds(duration: int, single_ms: float, connections: int) -> int:
    """wrk's run length: `duration`, or longer for a slow query, so that every connection sees
    about 8 answers (a 3 s run of a 300 ms query counts 2 per connection: mostly rounding)."""
    concurrent_ms = single_ms * connections / (os.cpu_count() or 1)
    return max(duration, min(30, math.ceil(8 * concurrent_ms / 1000)))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--store", type=Path, default=Path(os.environ.get("KG_STORE", ROOT / "var" / "store"))
    )
    parser.add_argument("--duration", type=int, default=3, help="seconds of wrk per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best is kept)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="granian workers of ours")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker of ours")
    parser.add_argument("--only", nargs="*", help="query names to run")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: scripts/setup.sh --test installs it", file=sys.stderr)
        return 2
    store = args.store
    if not store.exists():
        print(f"no store at {store}: run `kg build`", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    queries = {**canned_queries(), **AD_HOC}
    if args.only:
        queries = {k: v for k, v in queries.items() if k in args.only}
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    store_copy = tmp / "oxigraph-store"
    shutil.copytree(store.resolve(), store_copy)
    procs = []
    try:
        ox, ox_url = start_oxigraph(store_copy)
        procs.append(ox)
        cold = []
        for _ in range(3):  # cold start: command to first answer, best of 3
            p, _, seconds = start_ours(store, args.workers, args.worker_threads, KG_CACHE_SIZE="0")
            cold.append(seconds)
            stop(p)
        off, off_base, _ = start_ours(store, args.workers, args.worker_threads, KG_CACHE_SIZE="0")
        off_url = off_base + "/sparql"
        procs.append(off)
        on, on_base, _ = start_ours(store, args.workers, args.worker_threads, KG_CACHE_SIZE="256")
        on_url = on_base + "/sparql"
        procs.append(on)
        rows, skipped = [], []
        for name, text in queries.items():
            accept = GRAPH_ACCEPT if is_graph_query(text) else SELECT_ACCEPT
            headers = {"Accept": accept}
            qs = "?query=" + urllib.parse.quote(text)
            # ours first: a query past our time limit is not sent to oxigraph, which would
            # go on with it (no time limit there) through the next measurements
            status_ours, h_ours, body_ours, _ = fetch(on_url + qs, headers)
            status_ox, body_ox = 0, b""
            if status_ours == 200:
                with contextlib.suppress(TimeoutError):  # no answer within fetch's 60 s
                    status_ox, _, body_ox, _ = fetch(ox_url + qs, headers)
            if status_ox != 200 or status_ours != 200:
                skipped.append(f"{name} (oxigraph {status_ox}, ours {status_ours})")
                print(
                    f"skip {name}: oxigraph {status_ox}, ours {status_ours}: {body_ours[:200]!r}",
                    file=sys.stderr,
                )
                continue
            # oxigraph's own time for one request, to tell trivial from real work
            single = sorted(fetch(ox_url + qs, headers)[3] for _ in range(20))[10] * 1000
            seconds = run_seconds(args.duration, single, args.connections)
            etag = h_ours.get("ETag")
            runs: dict[str, list[Result]] = {"ox": [], "off": [], "on": [], "304": []}
            for _ in range(args.rounds):  # interleaved rounds, best of each: the machine is shared
                for key, url, hdrs in (
                    ("ox", ox_url, headers),
                    ("off", off_url, headers),
                    ("on", on_url, headers),
                    ("304", on_url, {**headers, "If-None-Match": etag or '""'}),
                ):
                    if key == "304" and not etag:
                        continue
                    runs[key].append(
                        run_wrk(url + qs, hdrs, seconds, args.connections, args.threads)
                    )
            r_ox, r_off, r_on = (max(runs[k], key=lambda r: r.rps) for k in ("ox", "off", "on"))
            r_304 = max(runs["304"], key=lambda r: r.rps) if runs["304"] else None
            rows.append((name, single, len(body_ox), r_ox, r_off, r_on, r_304))
            print(
                f"{name:32} ox {r_ox.rps:8.0f}/s  off {r_off.rps:8.0f}/s ({r_off.rps / r_ox.rps:4.2f}x)"
                f"  cache {r_on.rps:8.0f}/s ({r_on.rps / r_ox.rps:4.2f}x)"
                + (f"  304 {r_304.rps:8.0f}/s ({r_304.rps / r_ox.rps:4.2f}x)" if r_304 else ""),
                file=sys.stderr,
            )
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)

    lines = [
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s (longer for slow queries: 8 answers "
        f"per connection), best of {args.rounds} interleaved "
        f"rounds, on 127.0.0.1, {os.cpu_count()} cores; "
        f"ours: {args.workers} granian workers x {args.worker_threads} threads, access log off; "
        f"oxigraph serve-read-only --union-default-graph. Cold start of `kg serve` (command to first "
        f"answer), best of 3: {min(cold):.2f} s.",
        "",
        "| query | ox 1 req ms | ox req/s | ox p50/p99 ms | ours no cache req/s | p50/p99 ms | ratio | ours cache req/s | p50/p99 ms | ratio | 304 req/s | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, single, _size, r_ox, r_off, r_on, r_304 in rows:
        lines.append(
            f"| {name} | {single:.2f} | {r_ox.rps:.0f} | {r_ox.p50_ms:.2f}/{r_ox.p99_ms:.2f} "
            f"| {r_off.rps:.0f} | {r_off.p50_ms:.2f}/{r_off.p99_ms:.2f} | {r_off.rps / r_ox.rps:.2f} "
            f"| {r_on.rps:.0f} | {r_on.p50_ms:.2f}/{r_on.p99_ms:.2f} | {r_on.rps / r_ox.rps:.2f} "
            + (f"| {r_304.rps:.0f} | {r_304.rps / r_ox.rps:.2f} |" if r_304 else "| – | – |")
        )
    errors = [
        f"{n} ({label}: {r.non2xx})"
        for n, *_, r_ox, r_off, r_on, _r304 in rows
        for label, r in (("oxigraph", r_ox), ("no cache", r_off), ("cache", r_on))
        if r.non2xx
    ]
    if errors:
        lines.append("")
        lines.append(f"Non-2xx answers during the runs: {errors}")
    if skipped:
        lines += ["", f"Not measured (an error answer, e.g. ours past its time limit): {skipped}"]
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")
    summary = {
        "queries": {
            name: {"ox": r_ox.rps, "off": r_off.rps, "on": r_on.rps}
            for name, _s, _z, r_ox, r_off, r_on, _r in rows
        },
        "skipped": skipped,
    }
    (Path(tempfile.gettempdir()) / "kg-bench-last.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
