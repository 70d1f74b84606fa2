#!/usr/bin/env python3
"""The search-index step alone on a built store, and its memory (issue 12).

    .venv/bin/python benchmarks/search_memory.py STORE
    .venv/bin/python benchmarks/search_memory.py STORE --make SYNTH.ttl

Opens the store read-only and reads every quad once (Oxigraph's own resident memory for that
store, which the build already holds when its search step starts), then runs
`kg.search.write_index` on it (the index goes into STORE/search, as the build's does), sampling
the resident set every second. Prints the peak as the store's part plus the step's own, and the
resident set at a quarter, half, three quarters and the end of the step. Run it under
`/usr/bin/time -v` for the process's maximum resident set.

`--make SYNTH.ttl` first writes a new STORE from the project's sources and that `kg synth`
output, read as the build reads them, with as its inferred graph only each type's superclasses:
the search step's input at 10⁶ statements in minutes, without the hours of validation and
reasoning of a whole build.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pyoxigraph import NamedNode, RdfFormat, Store  # noqa: E402

from kg.search import write_index  # noqa: E402
from kg.search.documents import RDF_TYPE, superclasses  # noqa: E402
from kg.sources import read_sources  # noqa: E402
from kg.store import finish  # noqa: E402
from kg.vocab import GRAPHS  # noqa: E402


def megabytes(key: str) -> float:
    """A line of /proc/self/status (VmRSS, VmHWM, RssAnon, RssFile), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def make_store(path: Path, synth: Path) -> None:
    """The sources and `synth` in a new store at `path`, each type's superclasses inferred."""
    store = Store(str(path))
    read_sources(ROOT / "ontology", store, [synth])
    broader = superclasses(store)
    rdf_type, inferred = NamedNode(RDF_TYPE), NamedNode(GRAPHS["inferred"])
    # Through a file, so that the store is not read while it is bulk-loaded.
    nq = path.with_name(path.name + "-inferred.nq")
    with nq.open("w", encoding="utf-8") as out:
        for q in store.quads_for_pattern(None, rdf_type, None, NamedNode(GRAPHS["statements"])):
            if isinstance(q.subject, NamedNode):
                for cls in sorted(broader.get(q.object.value, ())):
                    out.write(f"{q.subject} {rdf_type} <{cls}> {inferred} .\n")
    store.bulk_load(path=str(nq), format=RdfFormat.N_QUADS)
    nq.unlink()
    finish(store)


def sample(samples: list[tuple[float, float]], stop: threading.Event) -> None:
    """Every second until `stop`: the resident set's anonymous and file-backed (mapped) parts."""
    while not stop.wait(1.0):
        samples.append(resident())


def resident() -> tuple[float, float]:
    return megabytes("RssAnon"), megabytes("RssFile")


def measure(path: Path) -> str:
    store = Store.read_only(str(path))
    start = time.perf_counter()
    quads = sum(1 for _ in store)
    base = megabytes("VmRSS")
    anon, file = resident()
    line = (
        f"store: {quads:,} quads read in {time.perf_counter() - start:.0f} s, {base:.0f} MB "
        f"(anonymous {anon:.0f}, file-backed {file:.0f})\n"
    )
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM: the peak from here on
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    threading.Thread(target=sample, args=(samples, stop), daemon=True).start()
    start = time.perf_counter()
    report = write_index(path, store)
    elapsed = time.perf_counter() - start
    stop.set()
    samples.append(resident())  # the end (and a sample for a step shorter than a second)
    peak = megabytes("VmHWM")
    marks = [sum(samples[max(int(len(samples) * f) - 1, 0)]) for f in (0.25, 0.5, 0.75, 1)]
    return line + (
        f"search step: {report.entities:,} entities, {report.terms:,} terms in {elapsed:.0f} s; "
        f"peak {peak:.0f} MB = store {base:.0f} + step {peak - base:.0f} "
        f"(sampled: anonymous at most {max(a for a, _f in samples):.0f}, "
        f"file-backed at most {max(f for _a, f in samples):.0f}); "
        f"resident at 1/4, 1/2, 3/4, end: {', '.join(f'{m:.0f}' for m in marks)} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="a build folder (or the link to one)")
    parser.add_argument("--make", type=Path, metavar="SYNTH.ttl", help="write the store first")
    args = parser.parse_args()
    if args.make:
        make_store(args.store, args.make)
    print(measure(args.store.resolve()))


if __name__ == "__main__":
    main()
