"""Query step: every SPARQL query the service, the pages, the checks, the CLI and the exports run
goes through `kg.query.executor.Executor`, with the time limit, the row cap and the refusal of
SERVICE and LOAD.

    text.py      reading a request before the store sees it (form, SERVICE/LOAD, LIMIT)
    frames.py    the frames between the executor and its query processes (standard library only)
    child.py     the query process
    executor.py  the pool of query processes, the limits, results as bytes or as rows;
                 QueryStep (what every backend offers) and prepare (the checks every backend runs)
    remote_engine.py  the same query step over a SPARQL engine (KG_BACKEND=sparql, kg.backends)
    results.py   results for a terminal (kg query)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.config import Settings
    from kg.query.executor import QueryStep


def single(settings: Settings) -> QueryStep:
    """The query step of a command or a notebook (`kg query`, `kg.open()`): one query process
    over the store, with the service's limits; with KG_BACKEND=sparql, the SPARQL engine the
    service is in front of. A missing store is a clear error before a process starts."""
    from kg.query import executor, remote_engine
    from kg.store import open_read_only

    if settings.backend == "sparql":
        return remote_engine.from_settings(settings)
    open_read_only(settings.store)
    return executor.from_settings(settings, settings.store, size=1)
