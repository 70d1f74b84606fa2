"""Knowledge graph of stem-cell therapy for autoimmune disease (SCAD)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.client import Graph

__version__ = "1.0.0"


def open(location: str | os.PathLike[str] | None = None) -> Graph:  # noqa: A001
    """The graph for notebooks: the embedded store (default), a store folder, or a service URL.
    See `kg.client`; imported here only when called, so `import kg` stays light."""
    from kg.client import open_graph

    return open_graph(location)
