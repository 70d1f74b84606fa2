"""Worker processes for the build's independent, read-only work (SHACL slices, output files).

The machine's cores are used by a small pool of *spawned* processes (not forked: the parent
holds an open Oxigraph store and its threads), each opening the build's store read-only after
the parent has flushed it. `ordered` keeps a bounded number of jobs in flight and yields their
results in submission order, so that what the build reports does not depend on timing.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from kg.config import Settings

T = TypeVar("T")
R = TypeVar("R")


def count() -> int:
    """How many worker processes: KG_BUILD_WORKERS (default 2), at most the cores; 1: no pool."""
    return max(1, min(Settings.from_env().build_workers, os.cpu_count() or 1))


def pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )


def ordered(
    executor: ProcessPoolExecutor, func: Callable[[T], R], items: Iterable[T], ahead: int
) -> Iterator[R]:
    """func(item) for every item, in order, with at most `ahead` jobs submitted at once (memory
    stays bounded by them); a job's exception is raised when its turn comes."""
    waiting: deque[Future[R]] = deque()
    for item in items:
        waiting.append(executor.submit(func, item))
        if len(waiting) >= ahead:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()
