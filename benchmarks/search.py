#!/usr/bin/env python3
"""Benchmark of the search index: /search and /search/suggest latency, and the index's build time.

    .venv/bin/python benchmarks/search.py [--store var/store] [--rounds 30] [--builds 3]

It prints, for a mix of queries (the issue's: 狼疮, 系統性紅斑狼瘡, hongban langchuang, lupus,
lupis; more words, both languages) and for type-ahead (every prefix of a few names, as typed):
  - the engine alone (kg.search.SearchIndex in this process): p50 / p99 / max;
  - through `kg serve` on 127.0.0.1 (granian, 2 workers), one request at a time on a kept-alive
    connection, with the result cache off (every request searches) and on: p50 / p99;
  - the search step's time in `kg build` (--builds full builds in a temporary folder) and its
    share of the build.
Targets (issue 17): p99 ≤ 20 ms on the review's graph, index ≤ 10 % of `kg build`.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from run import ROOT, start_ours, stop

sys.path.insert(0, str(ROOT / "src"))

from kg.build import build  # noqa: E402
from kg.search import SearchIndex  # noqa: E402

QUERIES = [
    "狼疮",
    "系統性紅斑狼瘡",
    "hongban langchuang",
    "lupus",
    "lupis",
    "mesenchymal stem cells",
    "干细胞",
    "allogeneic MSCT relapse",
    "造血干细胞移植 复发",
    "cyclophosphamide",
    "rheumatoid arthritis",
    "类风湿关节炎",
    "Marmont",
    "systemic sclerosis EULAR",
    "no such thing anywhere",
]
TYPED = ["systemic lupus", "狼疮肾炎", "hongban", "mesenchymal", "干细胞移植", "car-t"]


def prefixes() -> list[str]:
    return [word[:n] for word in TYPED for n in range(1, len(word) + 1)]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered):6.2f} ms  p99 {p99:6.2f} ms  "
        f"max {ordered[-1]:6.2f} ms  (n={len(ordered)})"
    )


def engine(store: Path, rounds: int) -> None:
    index = SearchIndex(store)
    for name, texts, call in [
        ("search ", QUERIES, lambda t: index.search(t)),
        ("suggest", prefixes(), lambda t: index.suggest(t)),
    ]:
        for text in texts:  # warm up: first use of each stem, code paths
            call(text)
        samples = []
        for _ in range(rounds):
            for text in texts:
                start = time.perf_counter()
                call(text)
                samples.append((time.perf_counter() - start) * 1000)
        print(f"  engine  {name}  {percentiles(samples)}")


def http_latency(base: str, paths: list[str], rounds: int) -> list[float]:
    host = urllib.parse.urlsplit(base).netloc
    conn = http.client.HTTPConnection(host, timeout=30)
    samples = []
    for n in range(rounds + 1):
        for path in paths:
            start = time.perf_counter()
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
            if n:  # the first round warms up the workers
                samples.append((time.perf_counter() - start) * 1000)
    conn.close()
    return samples


def service(store: Path, rounds: int) -> None:
    searches = ["/search?" + urllib.parse.urlencode({"q": q}) for q in QUERIES]
    suggests = ["/search/suggest?" + urllib.parse.urlencode({"q": p}) for p in prefixes()]
    for cache, label in [(0, "no cache"), (256, "cache   ")]:
        proc, endpoint, _ = start_ours(store, cache, workers=2, threads=4)
        base = endpoint.removesuffix("/sparql")
        try:
            for name, paths in [("search ", searches), ("suggest", suggests)]:
                print(
                    f"  http    {name}  {label}  {percentiles(http_latency(base, paths, rounds))}"
                )
        finally:
            stop(proc)


def build_share(builds: int) -> None:
    shares, seconds = [], []
    for _ in range(builds):
        with tempfile.TemporaryDirectory(prefix="kg-bench-search-") as tmp:
            report = build(ROOT / "ontology", Path(tmp) / "store", Path(tmp) / "scad.owl", log=len)
        total = sum(report.timings.values())
        seconds.append(report.timings["search"])
        shares.append(report.timings["search"] / total)
        print(
            f"  build   search step {report.timings['search'] * 1000:5.0f} ms of "
            f"{total * 1000:5.0f} ms ({100 * shares[-1]:.1f} %)"
        )
    print(
        f"  build   best: search {min(seconds) * 1000:.0f} ms, "
        f"{100 * min(shares):.1f}–{100 * max(shares):.1f} % of kg build"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / "var" / "store")
    parser.add_argument("--rounds", type=int, default=30, help="passes over the query mix")
    parser.add_argument("--builds", type=int, default=3, help="full builds timed (0: none)")
    args = parser.parse_args()
    if not (args.store.resolve() / "search").is_dir():
        print(f"no search index in {args.store}: run `kg build` first", file=sys.stderr)
        return 1
    index = SearchIndex(args.store)
    print(f"search index of {args.store.resolve().name}: {index.entities} entities")
    engine(args.store, args.rounds)
    service(args.store, max(1, args.rounds // 3))
    if args.builds:
        build_share(args.builds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
