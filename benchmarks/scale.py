"""The scale benchmark: the build and the exports at 10³, 10⁴, 10⁵ (10⁶ with --million) statements.

For each size N it writes N synthetic statements (`kg synth N --seed S`), builds the review plus
those statements into a store of its own (`kg build --extra`), then measures on that store:

- `kg build`: wall time, time per step, time per 1,000 statements, peak memory, store size;
- `oxigraph load` of the same quads (the store's N-Quads, exported by `kg export`) into an
  empty store: the bare cost of loading, and the build's cost as a multiple of it;
- `kg export -o all.nq`: wall time and peak memory.

Every measurement runs in a child process (peak memory is that child's maximum resident set).
One table is printed at the end. The measurements are sections (`SECTIONS`): a function that
takes a `Run` (the size, its store, its folder) and returns its columns; the service side
(entity pages, /openapi.json, canned queries against `oxigraph serve-read-only`, mixed traffic)
is added as further sections.

    .venv/bin/python benchmarks/scale.py [--sizes 1000 10000 100000] [--million] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KG = [sys.executable, "-m", "kg.cli"]
STEPS = ("read", "validate", "reason", "store", "owl", "docs", "pictures")


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


SECTIONS: list[Callable[[Run], None]] = [section_build, section_export_and_load]


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
    args = parser.parse_args()
    sizes = args.sizes + ([1_000_000] if args.million else [])
    base = args.keep or Path(tempfile.mkdtemp(prefix="kg-scale-"))
    runs = []
    try:
        for n in sizes:
            run = Run(n, base / f"n{n}", args.seed)
            run.folder.mkdir(parents=True, exist_ok=True)
            for section in SECTIONS:
                section(run)
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
