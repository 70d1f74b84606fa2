#!/usr/bin/env python3
"""Benchmark: the service on its embedded store vs in front of `oxigraph serve` (KG_BACKEND=sparql),
and `oxigraph serve` asked directly, for every canned query (its text as is, parameters unbound,
as benchmarks/run.py does), one request at a time: the median latency of `--requests` GETs after
one warm-up, result cache off (KG_CACHE_SIZE=0) so that every request runs its query.

It starts `oxigraph serve` on 127.0.0.1 in a temporary folder, `kg push`es the store into it and
starts `kg serve` twice (embedded, sparql); the direct requests name the same dataset (our four
graphs as default-graph-uri and named-graph-uri) as the service sends.

    .venv/bin/python benchmarks/backends.py [--store var/store] [--requests 30] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

from run import GRAPH_ACCEPT, SELECT_ACCEPT, canned_queries, is_graph_query
from servers import ROOT, VENV_BIN, fetch, free_port, start_ours, stop, wait_for

sys.path.insert(0, str(ROOT / "src"))
from kg.vocab import GRAPHS  # noqa: E402


def start_engine(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(VENV_BIN / "oxigraph"), "serve", "--location", str(folder), "--bind",
         f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/query"
    wait_for(url + "?query=" + urllib.parse.quote("ASK {}"))
    return proc, url


def median_ms(url: str, accept: str, requests: int) -> float:
    status, _h, body, _s = fetch(url, {"Accept": accept})  # warm-up
    if status != 200:
        raise RuntimeError(f"{url[:120]}: HTTP {status}: {body[:200]!r}")
    return statistics.median(fetch(url, {"Accept": accept})[3] for _ in range(requests)) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=ROOT / "var" / "store")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    store = args.store.absolute()
    folder = Path(tempfile.mkdtemp(prefix="kg-bench-backends-"))
    engine, endpoint = start_engine(folder / "oxigraph")
    procs = [engine]
    try:
        env = {**os.environ, "KG_STORE": str(store), "KG_ENGINE": "oxigraph",
               "KG_SPARQL_ENDPOINT": endpoint}  # fmt: skip
        subprocess.run([str(VENV_BIN / "kg"), "push", "--quiet"], env=env, check=True)
        common = {"KG_CACHE_SIZE": "0", "KG_STORE_CHECK": "0"}
        embedded, emb_url, _ = start_ours(store, **common)
        remote, rem_url, _ = start_ours(
            store, KG_BACKEND="sparql", KG_ENGINE="oxigraph", KG_SPARQL_ENDPOINT=endpoint, **common
        )
        procs += [embedded, remote]
        dataset = [("default-graph-uri", g) for g in GRAPHS.values()]
        dataset += [("named-graph-uri", g) for g in GRAPHS.values()]
        print(
            f"median of {args.requests} sequential requests (after one warm-up), result cache "
            "off, 127.0.0.1, 2 granian workers x 4 threads; oxigraph serve (PyPI oxigraph)\n"
        )
        print("| query | oxigraph direct ms | ours on oxigraph ms | ratio | ours embedded ms |")
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
            ratios.append(on_engine / direct)
            print(
                f"| {name} | {direct:.2f} | {on_engine:.2f} | {on_engine / direct:.2f} | {local:.2f} |"
            )
        print(f"\ngeometric mean of the ratios: {statistics.geometric_mean(ratios):.2f}")
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
