"""`oxigraph serve` (PyPI `oxigraph`): queries at /query, SPARQL Update at /update, the Graph
Store Protocol at /store, all beside each other. Its answers are pyoxigraph's own, so results
pass through unchanged. Its time limit is a server option: start it with `--timeout-s` equal to
KG_QUERY_TIMEOUT (ours stops waiting then in any case).

A push loads the four staging graphs in one N-Quads POST to /store (no `graph` parameter: the
quads keep their graph names), so blank nodes shared between graphs stay one node."""

from __future__ import annotations

from collections.abc import Mapping

from kg.backends.engine import Dump, Engine


class OxigraphServer(Engine):
    kind = "oxigraph"

    def _beside(self, name: str) -> str:
        base = self.endpoint.split("?", 1)[0]
        if base.endswith("/query"):
            return base[: -len("query")] + name
        return base.rstrip("/") + "/" + name

    def default_store_url(self) -> str:
        return self._beside("store")

    def default_update_url(self) -> str:
        return self._beside("update")

    def load(self, staged: Mapping[str, str], dump: Dump, timeout: float) -> None:
        path = dump.dataset(staged)
        with path.open("rb") as body:
            self.send(
                "POST", self.store_url, body, "application/n-quads", timeout, path.stat().st_size
            )
