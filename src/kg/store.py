"""Store step: the on-disk Oxigraph store, built in a temporary folder and swapped in atomically.

`--store DIR` names a symbolic link to the current build (`DIR.builds/<id>`); a new build is
written beside it and the link is replaced in one rename, so readers never see a half-built
store and a failed build leaves the old one as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from pyoxigraph import Quad, Store

from kg.errors import StoreError

KEEP_BUILDS = 2


def _builds_dir(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".builds")


def open_read_only(store_path: Path) -> Store:
    """Open a built store for reading; several processes may do so at once."""
    if not store_path.exists():
        raise StoreError(f"no store at {store_path}: run `kg build` first")
    try:
        return Store.read_only(str(store_path.resolve()))
    except (OSError, RuntimeError) as exc:
        raise StoreError(f"cannot open the store at {store_path}: {exc}") from exc


def new_build(store_path: Path) -> Path:
    """A fresh, empty build folder beside the store link (`DIR.builds/<time>-<random>`)."""
    builds = _builds_dir(store_path)
    builds.mkdir(parents=True, exist_ok=True)
    # A fresh folder each time, even for two builds in the same second from one process.
    return Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-"), dir=builds))


def publish(store_path: Path, build_dir: Path) -> Path:
    """Make `store_path` point at a finished build, then drop all but the newest builds."""
    swap_link(store_path, build_dir)
    _prune(_builds_dir(store_path), keep=build_dir)
    return build_dir


def discard(build_dir: Path) -> None:
    """Remove a build that failed: the store link never pointed at it.

    The folder is first renamed out of the builds folder, then deleted: the failed store may
    still be open (an exception's frames hold it) with the database's background threads
    writing files by path, which would otherwise race the deletion and leave a half-made build
    behind; once renamed, their writes to the old path fail and nothing comes back."""
    trash = build_dir.parent.with_name(f".{build_dir.parent.name}.discarded-{build_dir.name}")
    try:
        os.replace(build_dir, trash)
    except OSError:
        trash = build_dir
    shutil.rmtree(trash, ignore_errors=True)


def finish(store: Store) -> None:
    """Flush and compact a store that is written, before it is published."""
    store.flush()
    store.optimize()


def write_store(store_path: Path, graphs: dict[str, Iterable[Quad]]) -> Path:
    """Write a new store with one named graph per entry, then make `store_path` point at it."""
    build_dir = new_build(store_path)
    try:
        store = Store(str(build_dir))
        for quads in graphs.values():
            store.bulk_extend(quads)
        finish(store)
        del store
    except Exception as exc:
        discard(build_dir)
        raise StoreError(f"cannot write the new store in {build_dir}: {exc}") from exc
    return publish(store_path, build_dir)


def swap_link(store_path: Path, build_dir: Path) -> None:
    if store_path.exists() and not store_path.is_symlink():
        # A store from before the link layout: keep it as an old build rather than delete it.
        store_path.rename(_builds_dir(store_path) / f"legacy-{int(time.time())}")
    tmp_link = store_path.with_name(f".{store_path.name}.{os.getpid()}.tmp")
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(build_dir, store_path.parent))
    os.replace(tmp_link, store_path)


def _prune(builds: Path, keep: Path) -> None:
    """Delete all but the newest few builds (readers of an older one keep their open files)."""
    old = sorted(
        (p for p in builds.iterdir() if p.is_dir() and p != keep), key=lambda p: p.stat().st_mtime
    )
    for path in old[: max(0, len(old) - (KEEP_BUILDS - 1))]:
        shutil.rmtree(path, ignore_errors=True)
