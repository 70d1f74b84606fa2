#!/usr/bin/env python3
"""Read replicas on loopback: nginx (Debian's, with the configuration of tests/balancer.py) in
front of N `kg serve` replicas, each on a store link of its own pointing at its own copy of the
build of --store, everything on 127.0.0.1 in a temporary folder. Three runs of the mixed traffic
of benchmarks/load.py (wrk) through nginx, each --seconds long:

  steady   the replicas as started;
  rollout  a new build (`kg build` of the checkout's sources into a temporary store, or --next)
           rolled out replica by replica: a replica's link is swapped to its own copy of the new
           build, and the next replica's only once the first serves it (its /health, asked
           directly, shows the new build: first answer, and every worker's);
  kill     one replica SIGKILLed, its workers too, a third of the way in.

Prints one table: requests/s, p50/p99 latency and failed requests (wrk's non-2xx answers and
socket errors: nginx retries a GET that failed on one replica on the next), and the seconds each
replica took to serve the new build. Everything is stopped and removed at the end; every wait is
bounded.

    .venv/bin/python benchmarks/replicas.py [--store var/store] [--replicas 2] [--seconds 20]
                                            [--connections 64] [--workers 1] [--next STORE]
                                            [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from load import mix, run_mixed
from servers import ROOT, VENV_BIN, Result, fetch, start_ours, stop

sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # nginx and the replicas' links, as the tests make them
from balancer import balancer, kill_tree, own_copy  # noqa: E402
from conftest import health, until, wait_for_new  # noqa: E402

BOUNDED = 60.0  # seconds a replica gets to serve the new build


def new_build(folder: Path) -> tuple[Path, float]:
    """`kg build` of the checkout's sources into a store of its own: (the build folder, seconds)."""
    link = folder / "store"
    started = time.monotonic()
    command = [str(VENV_BIN / "kg"), "build", "--store", str(link), "--output"]
    done = subprocess.run(
        [*command, str(folder / "output"), "--quiet"], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise SystemExit(f"kg build failed: {done.stderr[-2000:]}")
    return link.resolve(), time.monotonic() - started


def in_background(run, *args) -> tuple[threading.Thread, list[Result]]:
    """`run(*args)` in a thread; its result, once done, in the list."""
    out: list[Result] = []
    thread = threading.Thread(target=lambda: out.append(run(*args)), daemon=True)
    thread.start()
    return thread, out


def roll_out(urls: list[str], links: list[Path], build: Path) -> list[dict]:
    """Swap each replica's link, in turn, to its own copy of `build`, and wait until that replica
    serves it before the next: seconds from the swap to its first answer from the new build, and
    until 12 answers in a row (any worker) are (tests/conftest.py's wait_for_new)."""
    took = []
    for url, link in zip(urls, links, strict=True):
        before = health(url)
        started = time.monotonic()
        own_copy(link, build)
        until(lambda url=url: health(url)["build"] == build.name, BOUNDED)
        first = time.monotonic() - started
        wait_for_new(url, before, timeout=BOUNDED)
        confirmed = time.monotonic() - started
        took.append({"first_s": round(first, 2), "confirmed_s": round(confirmed, 2)})
    return took


def figures_of(result: Result) -> dict:
    return {
        "requests_per_s": round(result.rps),
        "p50_ms": round(result.p50_ms, 1),
        "p99_ms": round(result.p99_ms, 1),
        "failed": result.non2xx + result.socket_errors if result.non2xx >= 0 else "wrk failed",
        "non_2xx": result.non2xx,
        "socket_errors": result.socket_errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--store", type=Path, default=Path(os.environ.get("KG_STORE", ROOT / "var" / "store"))
    )
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="granian workers per replica")
    parser.add_argument("--seconds", type=int, default=20, help="of each of the three runs")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--check", default="1", help="KG_STORE_CHECK of the replicas (seconds)")
    parser.add_argument("--next", type=Path, help="the store to roll out (default: `kg build`)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: scripts/setup.sh --test installs it", file=sys.stderr)
        return 2
    if not args.store.resolve().is_dir():
        print(f"no store at {args.store}: run `kg build` first", file=sys.stderr)
        return 2
    if args.replicas < 2:
        print("--replicas: at least 2 (one is killed)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="kg-replicas-"))
    procs: list[subprocess.Popen] = []
    try:
        figures = measure(args, folder, procs)
    finally:
        for proc in procs:
            stop(proc)  # the killed one has exited already
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
    else:
        print_table(figures)
    return 0


def measure(args: argparse.Namespace, folder: Path, procs: list[subprocess.Popen]) -> dict:
    old = args.store.resolve()
    if args.next is not None:
        build, build_s = args.next.resolve(), None
    else:
        build, build_s = new_build(folder / "next")
    if build.name == old.name:
        raise SystemExit(f"{build} has the build id of --store: nothing to roll out")
    links = [folder / f"replica-{i + 1}" / "store" for i in range(args.replicas)]
    for link in links:
        link.parent.mkdir()
        own_copy(link, old)
    urls = []
    for link in links:
        proc, url, _ = start_ours(link, args.workers, KG_STORE_CHECK=args.check)
        procs.append(proc)
        urls.append(url)
    wrk = (args.seconds, args.connections, args.threads)
    with balancer([u.removeprefix("http://") for u in urls]) as base:
        paths = mix(base)
        failing = [p for p in paths if fetch(base + p)[0] != 200]
        steady = run_mixed(base, paths, *wrk)

        started = time.monotonic()
        thread, rolled = in_background(run_mixed, base, paths, *wrk)
        time.sleep(min(2.0, args.seconds / 5))  # under load from the start of the rollout
        took = roll_out(urls, links, build)
        rollout_ended = time.monotonic() - started
        thread.join(args.seconds + 30)
        served = [health(u)["build"] for u in urls]  # each replica, asked directly

        killer = threading.Timer(args.seconds / 3, kill_tree, [procs[0].pid])
        killer.start()
        killed = run_mixed(base, paths, *wrk)
        killer.join()
        procs[0].wait(10)
        survivors = [health(u)["build"] for u in urls[1:]]
    return {
        "replicas": args.replicas,
        "workers_per_replica": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "paths": len(paths),
        "not_200_before_the_runs": failing,
        "old_build": old.name,
        "new_build": build.name,
        "new_build_s": round(build_s, 1) if build_s is not None else None,
        "steady": figures_of(steady),
        "rollout": {
            **figures_of(rolled[0] if rolled else Result(0, float("nan"), float("nan"), -1)),
            "replicas_s": took,
            "ended_at_s": round(rollout_ended, 1),
            "served_after": served,
        },
        "kill": {
            **figures_of(killed),
            "killed_at_s": round(args.seconds / 3, 1),
            "killed_exit": procs[0].returncode,
            "survivors_serve": survivors,
        },
    }


def print_table(f: dict) -> None:
    print(
        f"{f['replicas']} replicas x {f['workers_per_replica']} worker(s) behind nginx, "
        f"{f['connections']} connections, {f['seconds']} s per run, {f['paths']} paths "
        f"(not 200 before the runs: {f['not_200_before_the_runs'] or 'none'})"
    )
    made = f" (kg build: {f['new_build_s']} s)" if f["new_build_s"] is not None else ""
    print(f"build {f['old_build']} -> {f['new_build']}{made}")
    print()
    print("| run | req/s | p50 ms | p99 ms | failed | |")
    print("|---|---:|---:|---:|---:|---|")
    s, r, k = f["steady"], f["rollout"], f["kill"]
    each = ", ".join(
        f"replica {i + 1} {t['first_s']} s (12 /health in a row: {t['confirmed_s']} s)"
        for i, t in enumerate(r["replicas_s"])
    )
    served = (
        "every replica serves the new build"
        if set(r["served_after"]) == {f["new_build"]}
        else (f"served after: {r['served_after']}")
    )
    late = " (after it ended: use more --seconds)" if r["ended_at_s"] > f["seconds"] else ""
    notes = {
        "steady": "",
        "rollout": f"{each}; done {r['ended_at_s']} s into the run{late}; {served}",
        "kill": f"replica 1 SIGKILLed at {k['killed_at_s']} s (exit {k['killed_exit']})",
    }
    for name, run in (("steady", s), ("rollout", r), ("kill", k)):
        print(
            f"| {name} | {run['requests_per_s']} | {run['p50_ms']} | {run['p99_ms']} | "
            f"{run['failed']} | {notes[name]} |"
        )


if __name__ == "__main__":
    sys.exit(main())
