"""Reading curation templates at size: N rows (one outcome each, two rows per statement, names
given by label and by CURIE) checked and turned into quads, over a store holding the review.

    .venv/bin/python benchmarks/templates.py [--sizes 10000 100000]

Prints, for each size, the time to read the template (resolution included, the bulk load of the
quads excluded: that is the store's), rows per second, the quads written and the peak resident
memory of a child process that does only that. Nothing it writes is kept.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kg.curation.columns import HEADER  # noqa: E402

THERAPIES = ["HSCT", "异体MSCT", "scad:autologous-msct", "allogeneic MSCT"]
CONDITIONS = ["狼疮", "systemic lupus erythematosus", "scad:autoimmune-disease", "SLE"]


def write(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter="\t", lineterminator="\n")
        out.writerow(HEADER)
        for i in range(rows):
            n = i // 2
            row = {
                "id": f"scad:stmt-bench-{n}",
                "kind": "scad:OutcomeStatement",
                "therapy": THERAPIES[n % 4],
                "condition": CONDITIONS[n % 4],
                "measure": "relapse rate" if i % 2 else "mortality",
                "value": str(i % 97),
                "unit": "%",
                "follow_up": "1",
                "follow_up_unit": "year",
                "source": "scad:sun-2025",
                "asserted_by": "scad:hangi-article",
                "locator": "scad:loc-s2-p1",
                "summary_en": f"Benchmark statement {n}.",
                "summary_zh": f"基准测试陈述{n}。",
                "status": "draft",
            }
            out.writerow(
                [
                    row.get(h, "")
                    if i % 2 == 0
                    or h in ("id", "measure", "value", "unit", "follow_up", "follow_up_unit")
                    else ""
                    for h in HEADER
                ]
            )


def measure(path: str, queue: multiprocessing.Queue) -> None:
    from pyoxigraph import Store

    from kg.curation.resolve import Resolver
    from kg.curation.template import TemplateReader
    from kg.sources import SourceFile, read_sources, tbox_graph

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        read_sources(ROOT / "ontology", store)
        reader = TemplateReader(Resolver(store, tbox_graph(store)))
        source = SourceFile(Path(path), Path(path).name, "statements")
        start = time.perf_counter()
        with open(Path(tmp) / "out.nq", "wb") as out:
            reader.read(source, out)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put((seconds, source.triples, len(reader.problems), peak))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print("| rows | statements | read s | rows/s | quads | problems | peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.sizes:
            path = Path(tmp) / f"t{rows}.tsv"
            write(path, rows)
            queue: multiprocessing.Queue = multiprocessing.Queue()
            child = multiprocessing.Process(target=measure, args=(str(path), queue))
            child.start()
            seconds, quads, problems, peak = queue.get()
            child.join()
            print(
                f"| {rows:,} | {rows // 2:,} | {seconds:.1f} | {rows / seconds:,.0f} | {quads:,} | {problems} | {peak:.0f} |"
            )


if __name__ == "__main__":
    main()
