"""Replacing a folder of build output (ontology pages, a release) only once its successor is whole."""

from __future__ import annotations

import shutil
from pathlib import Path


def swap_in(work: Path, folder: Path) -> None:
    """Put the finished `work` folder in the place of `folder`, removing the old one."""
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    work.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
