"""The scale benchmark: the build and the exports at 10³, 10⁴, 10⁵ (10⁶ with --million) statements.

For each size N it writes N synthetic statements (`kg synth N --seed S`), builds the review plus
those statements into a store of its own (`kg build --extra`), then measures on that store:

- `kg build`: wall time, time per step, time per 1,000 statements, peak memory, store size;
- `oxigraph load` of the same quads (the store's N-Quads, exported by `kg export`) into an
  empty store: the bare cost of loading, and the build's cost as a multiple of it;
- `kg export -o all.nq`: wall time and peak memory;
- each exchange format (`kg export --format kgx|sssom|neo4j|parquet -o …`): rows, wall time,
  time per 1,000 statements and peak memory;
- the service on that store (`kg serve`, result cache off, so every answer is computed): the
  entity page of a hub (SLE, which every tenth synthetic statement is about) and of leaves (one
  statement each), `/openapi.json`, `/search` and `/search/suggest`, p50/p99 of sequential
  requests; every canned query against `oxigraph serve-read-only` on a copy of the same store
  (benchmarks/run.py, throughput ratio, the lowest reported);
- 64 connections of mixed traffic for 60 s (benchmarks/load.py, cache on), killing a worker and
  a query process on the way: requests/s, p50/p99, answers lost.

Every measurement runs in a child process (peak memory is that child's maximum resident set).
One table is printed at the end. The measurements are sections (`SECTIONS`): a function that
takes a `Run` (the size, its store, its folder) and fills in its columns.

    .venv/bin/python benchmarks/scale.py [--sizes 1000 10000 100000] [--million] [--seed 1]
                                         [--build-only | --service-only --keep DIR]
                                         [--load-seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from servers import fetch, start_ours, stop

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
SCAD = "https://w3id.org/scad/"
KG = [sys.executable, "-m", "kg.cli"]
STEPS = ("read", "validate", "review", "reason", "store", "search", "owl", "docs", "pictures")


@dataclass
class Measured:
    seconds: float
    peak_gb: float
    output: str


def measure(command: list[str], cwd: Path | None = None) -> Measured:
    """Run `command`; its wall time, its peak resident memory (GB) and its output."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{text[-3000:]}")
    return Measured(seconds, usage.ru_maxrss / 1024 / 1024, text)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@dataclass
class Run:
    """One size: its folder, its synthetic file, its store; columns filled in by the sections."""

    n: int
    folder: Path
    seed: int
    columns: dict[str, str] = field(default_factory=dict)
    build_seconds: float = 0.0
    load_seconds: int = 60  # of mixed traffic

    @property
    def store(self) -> Path:
        return self.folder / "store"


def section_build(run: Run) -> None:
    synth = run.folder / "synth.ttl"
    measure([*KG, "synth", str(run.n), "-o", str(synth), "--seed", str(run.seed)])
    m = measure(
        [
            *KG,
            "build",
            "--extra",
            str(synth),
            "--store",
            str(run.store),
            "--owl",
            str(run.folder / "out" / "scad.owl"),
            "--no-cache",
        ]
    )
    steps = dict(re.findall(r"^\s+(\w+)\s+(\d+) ms$", m.output, re.M))
    counts = dict(re.findall(r"^\s+graph (\w+)\s+([\d,]+) triples$", m.output, re.M))
    triples = sum(int(v.replace(",", "")) for v in counts.values())
    run.build_seconds = m.seconds
    run.columns |= {
        "statements": f"{run.n:,} + review",
        "triples": f"{triples:,}",
        "kg build s": f"{m.seconds:.1f}",
        **{step: f"{int(steps.get(step, 0)) / 1000:.1f}" for step in STEPS},
        "s / 1k stmts": f"{m.seconds / (run.n / 1000):.2f}",
        "build peak GB": f"{m.peak_gb:.2f}",
        "store MB": f"{folder_size(run.store.resolve()) / 1e6:.0f}",
    }


def section_export_and_load(run: Run) -> None:
    dump = run.folder / "all.nq"
    m = measure([*KG, "export", "--store", str(run.store), "-o", str(dump)])
    load = measure(
        [str(BIN / "oxigraph"), "load", "--location", str(run.folder / "bare"), "--file", str(dump)]
    )
    run.columns |= {
        "oxigraph load s": f"{load.seconds:.1f}",
        "build / load": f"{run.build_seconds / load.seconds:.1f}",
        "kg export s": f"{m.seconds:.1f}",
        "export peak GB": f"{m.peak_gb:.2f}",
    }
    dump.unlink()
    shutil.rmtree(run.folder / "bare", ignore_errors=True)


EXCHANGE = {"kgx": "kgx", "sssom": "scad.sssom.tsv", "neo4j": "neo4j", "parquet": "parquet"}


def section_exchange(run: Run) -> None:
    for name, place in EXCHANGE.items():
        target = run.folder / "exchange" / place
        m = measure([*KG, "export", "--store", str(run.store), "--format", name, "-o", str(target)])
        rows = re.search(r", ([\d]+) rows$", m.output.strip())
        run.columns |= {
            f"{name} rows": f"{int(rows.group(1)):,}" if rows else "?",
            f"{name} s": f"{m.seconds:.1f}",
            f"{name} s / 1k stmts": f"{m.seconds / (run.n / 1000):.2f}",
            f"{name} peak GB": f"{m.peak_gb:.2f}",
        }
    shutil.rmtree(run.folder / "exchange", ignore_errors=True)


def latencies(base: str, paths: list[str], repeat: int = 1) -> tuple[float, float]:
    """p50 and p99 (ms) of GETs of `paths`, one at a time, each answered 200."""
    times = []
    for _ in range(repeat):
        for path in paths:
            status, _, body, seconds = fetch(base + path)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}: {body[:300]!r}")
            times.append(seconds * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def leaves(base: str, count: int) -> list[str]:
    """Pages of statements that are about one thing each (synthetic ones where there are)."""
    query = (
        f"SELECT ?s WHERE {{ ?s a <{SCAD}EvidenceStatement> FILTER(STRSTARTS(STR(?s), "
        f"'{SCAD}synth/')) }} LIMIT {count}"
    )
    status, _, body, _ = fetch(
        base + "/sparql?" + urllib.parse.urlencode({"query": query}),
        {"Accept": "application/sparql-results+json"},
    )
    found = [b["s"]["value"] for b in json.loads(body)["results"]["bindings"]]
    return ["/scad/" + iri[len(SCAD) :] for iri in found]


def section_service(run: Run) -> None:
    proc, base, _ = start_ours(run.store, KG_CACHE_SIZE="0", KG_OUTPUT=str(run.folder / "out"))
    try:
        hub = latencies(base, ["/scad/sle", "/scad/sle?lang=zh", "/scad/sle?page=2"], repeat=10)
        leaf = latencies(base, leaves(base, 60))
        openapi = latencies(base, ["/openapi.json"], repeat=10)
        words = ["lupus", "狼疮", "系統性紅斑狼瘡", "hongban langchuang", "lupis", "MSC", "干细胞"]
        search = latencies(base, [f"/search?{urllib.parse.urlencode({'q': w})}" for w in words], 5)
        suggest = latencies(
            base, [f"/search/suggest?{urllib.parse.urlencode({'q': w[:1]})}" for w in words], 5
        )
    finally:
        stop(proc)
    run.columns |= {
        "hub page p50/p99 ms": "{:.0f}/{:.0f}".format(*hub),
        "leaf page p50/p99 ms": "{:.0f}/{:.0f}".format(*leaf),
        "openapi p50/p99 ms": "{:.0f}/{:.0f}".format(*openapi),
        "search p50/p99 ms": "{:.1f}/{:.1f}".format(*search),
        "suggest p50/p99 ms": "{:.1f}/{:.1f}".format(*suggest),
    }
    bench = subprocess.run(
        [sys.executable, str(HERE / "run.py"), "--store", str(run.store), "--rounds", "1"],
        capture_output=True,
        text=True,
    )
    summary = Path(tempfile.gettempdir()) / "kg-bench-last.json"
    if bench.returncode != 0 or not summary.exists():
        raise SystemExit(f"benchmarks/run.py failed: {bench.stderr[-2000:]}")
    measured = json.loads(summary.read_text())
    ratios = {name: r["off"] / r["ox"] for name, r in measured["queries"].items() if r["ox"]}
    worst = min(ratios, key=ratios.get)
    run.columns["canned vs oxigraph (lowest)"] = f"{ratios[worst]:.2f} ({worst})"
    run.columns["not measured"] = "; ".join(measured["skipped"]) or "none"


def section_load(run: Run) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "load.py"),
            "--store",
            str(run.store),
            "--seconds",
            str(run.load_seconds),
            "--kill",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmarks/load.py failed: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    run.columns |= {
        "mixed req/s": str(figures["requests_per_s"]),
        "mixed p50/p99 ms": f"{figures['p50_ms']:.0f}/{figures['p99_ms']:.0f}",
        "lost (non-2xx + socket)": f"{figures['non_2xx']} + {figures['socket_errors']}",
    }


SECTIONS: list[Callable[[Run], None]] = [
    section_build,
    section_export_and_load,
    section_exchange,
    section_service,
    section_load,
]


def table(runs: list[Run]) -> str:
    names = list(dict.fromkeys(k for r in runs for k in r.columns))
    lines = ["| N | " + " | ".join(names) + " |", "|---:" * (len(names) + 1) + "|"]
    for r in runs:
        lines.append(f"| {r.n:,} | " + " | ".join(r.columns.get(k, "") for k in names) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 10⁶ statements")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the stores in this folder")
    parser.add_argument(
        "--build-only", action="store_true", help="the build and the exports only (no service)"
    )
    parser.add_argument(
        "--service-only",
        action="store_true",
        help="the service and the traffic only, on the stores an earlier run left in --keep",
    )
    parser.add_argument("--load-seconds", type=int, default=60)
    args = parser.parse_args()
    if args.service_only and args.keep is None:
        parser.error("--service-only measures the stores kept in a --keep folder")
    sections = SECTIONS[:3] if args.build_only else SECTIONS[3:] if args.service_only else SECTIONS
    sizes = args.sizes + ([1_000_000] if args.million else [])
    base = args.keep or Path(tempfile.mkdtemp(prefix="kg-scale-"))
    runs = []
    try:
        for n in sizes:
            run = Run(n, base / f"n{n}", args.seed, load_seconds=args.load_seconds)
            run.folder.mkdir(parents=True, exist_ok=True)
            for section in sections:
                section(run)
                print(f"N={n:,} {section.__name__}: {run.columns}", file=sys.stderr, flush=True)
            print(f"N={n:,}: {run.columns}", file=sys.stderr, flush=True)
            runs.append(run)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(
        f"kg scale benchmark, {os.cpu_count()} cores, seed {args.seed}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}; times in seconds\n"
    )
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
