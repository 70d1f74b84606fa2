#!/usr/bin/env python3
"""Every canned query on one store, as the service runs it: one call with its defaults and one
per example of its header, each checked and bound by the catalogue (`make_call`, the search
index for `search`), run once through the query step with the service's row cap and default
page (KG_MAX_ROWS, KG_PAGE_SIZE) and a longer time limit, so that a slow query shows its time
instead of the service's time-out.

    .venv/bin/python benchmarks/canned.py --store /tmp/scale/store [--timeout 60] [--only NAME…]

Prints a Markdown table: query, parameters, rows, seconds (or "> timeout"), and the load average
of the machine when the run began (figures on a shared machine move with it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pyoxigraph import QuerySolutions, parse_query_results  # noqa: E402

from kg.catalogue import Catalogue, make_call  # noqa: E402
from kg.config import Settings  # noqa: E402
from kg.errors import KgError, QueryTimeout  # noqa: E402
from kg.query.executor import ROWS_FORMAT, Executor  # noqa: E402
from kg.search import SearchIndex  # noqa: E402


def calls(catalogue: Catalogue, only: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(name, values): the defaults, then each example of the header."""
    out = []
    for name, query in catalogue.queries().items():
        if only and name not in only:
            continue
        out.append((name, {}))
        for example in query.examples:
            values = dict(parse_qsl(example.lstrip("?")))
            values.pop("format", None)
            out.append((name, values))
    return out


def run(
    engine: Executor, catalogue: Catalogue, store: Path, name: str, values: dict, page: int
) -> str:
    """The rows and seconds cells of one call, or why it gave no rows."""
    try:
        query = catalogue.get(name)
        search = lambda: SearchIndex(store)  # noqa: E731
        call = make_call(
            query, values, engine, search, max_limit=engine.max_rows, default_limit=page
        )
        start = time.perf_counter()
        _, stream = engine.execute(
            call.text(), substitutions=call.substitutions, accept_format=ROWS_FORMAT
        )
        results = parse_query_results(stream.read(), format=ROWS_FORMAT.results)
        rows = sum(1 for _ in results) if isinstance(results, QuerySolutions) else 1
        return f"{rows:,} | {time.perf_counter() - start:.3f}"
    except QueryTimeout:
        return f"— | > {engine.timeout:.0f}"
    except KgError as exc:
        return f"— | {type(exc).__name__}: {str(exc)[:60]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args()
    settings = Settings.from_env()
    catalogue = Catalogue(args.queries)
    print(f"store {args.store}, load average {os.getloadavg()[0]:.1f}, timeout {args.timeout} s\n")
    print("| query | parameters | rows | seconds |\n|---|---|---:|---:|")
    with Executor(args.store, timeout=args.timeout, max_rows=settings.max_rows) as engine:
        for name, values in calls(catalogue, args.only):
            cells = run(engine, catalogue, args.store, name, values, settings.page_size)
            print(
                f"| {name} | {' '.join(f'{k}={v}' for k, v in values.items()) or '(defaults)'} | {cells} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
