#!/usr/bin/env python3
"""Benchmark: the service on its embedded store vs in front of a SPARQL engine (KG_BACKEND=sparql:
`oxigraph serve`, or Virtuoso with `--engine virtuoso`), and the engine asked directly, for every canned query (its text as is, parameters unbound,
as benchmarks/run.py does), one request at a time: the median latency of `--requests` GETs after
one warm-up, result cache off (KG_CACHE_SIZE=0) so that every request runs its query.

It starts the engine on 127.0.0.1 in a temporary folder (as the tests do: tests/engines.py),
`kg push`es the store into it and starts `kg serve` twice (embedded, sparql); the direct requests
name the same dataset (our four graphs as default-graph-uri and named-graph-uri) as the service
sends, and ask for the same format (on Virtuoso the service asks for SPARQL JSON and rewrites it).

    .venv/bin/python benchmarks/backends.py [--engine oxigraph|virtuoso] [--store var/store]
                                            [--requests 30] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import urllib.parse
from pathlib import Path

from run import GRAPH_ACCEPT, SELECT_ACCEPT, canned_queries, is_graph_query
from servers import ROOT, VENV_BIN, fetch, start_ours, stop

sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # the engines, started as the tests start them
from engines import oxigraph_serve, virtuoso  # noqa: E402

from kg.vocab import GRAPHS  # noqa: E402

CREDENTIALS = {"virtuoso": {"KG_SPARQL_USER": "dba", "KG_SPARQL_PASSWORD": "dba"}}


def median_ms(url: str, accept: str, requests: int) -> float | str:
    """The median in ms, or the status of an error answer (Virtuoso fails some queries)."""
    status, _h, _body, _s = fetch(url, {"Accept": accept})  # warm-up
    if status != 200:
        return f"HTTP {status}"
    return statistics.median(fetch(url, {"Accept": accept})[3] for _ in range(requests)) * 1000


def cell(value: float | str) -> str:
    return f"{value:.2f}" if isinstance(value, float) else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=ROOT / "var" / "store")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--engine", choices=["oxigraph", "virtuoso"], default="oxigraph")
    args = parser.parse_args()
    store = args.store.absolute()
    start = oxigraph_serve if args.engine == "oxigraph" else virtuoso
    with start() as engine:
        return measure(args, store, engine.url)


def measure(args: argparse.Namespace, store: Path, endpoint: str) -> int:
    procs = []
    try:
        kind = {"KG_ENGINE": args.engine, "KG_SPARQL_ENDPOINT": endpoint}
        kind.update(CREDENTIALS.get(args.engine, {}))
        env = {**os.environ, "KG_STORE": str(store), **kind}
        subprocess.run([str(VENV_BIN / "kg"), "push", "--quiet"], env=env, check=True)
        common = {"KG_CACHE_SIZE": "0", "KG_STORE_CHECK": "0"}
        embedded, emb_url, _ = start_ours(store, **common)
        procs.append(embedded)
        remote, rem_url, _ = start_ours(store, KG_BACKEND="sparql", **kind, **common)
        procs.append(remote)
        dataset = [("default-graph-uri", g) for g in GRAPHS.values()]
        dataset += [("named-graph-uri", g) for g in GRAPHS.values()]
        print(
            f"median of {args.requests} sequential requests (after one warm-up), result cache "
            f"off, 127.0.0.1, 2 granian workers x 4 threads; {args.engine}\n"
        )
        e = args.engine
        print(f"| query | {e} direct ms | ours on {e} ms | ratio | ours embedded ms |")
        print("|---|---:|---:|---:|---:|")
        ratios = []
        for name, text in canned_queries().items():
            if args.only and name not in args.only:
                continue
            accept = GRAPH_ACCEPT if is_graph_query(text) else SELECT_ACCEPT
            ours = "/sparql?" + urllib.parse.urlencode({"query": text})
            direct = median_ms(
                endpoint + "?" + urllib.parse.urlencode([("query", text), *dataset]),
                accept,
                args.requests,
            )
            on_engine = median_ms(rem_url + ours, accept, args.requests)
            local = median_ms(emb_url + ours, accept, args.requests)
            ratio: float | str = "-"
            if isinstance(direct, float) and isinstance(on_engine, float):
                ratio = on_engine / direct
                ratios.append(ratio)
            row = [name, cell(direct), cell(on_engine), cell(ratio), cell(local)]
            print("| " + " | ".join(row) + " |")
        print(f"\ngeometric mean of the ratios: {statistics.geometric_mean(ratios):.2f}")
    finally:
        for proc in procs:
            stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
