"""Backends past one machine: the service in front of a SPARQL engine of its own (Virtuoso,
`oxigraph serve`, any SPARQL 1.1 Protocol engine), chosen by KG_BACKEND=sparql and KG_ENGINE.

    http.py      kept-alive HTTP connections to the engine, a deadline on every read, its
                 failures as errors of ours (EngineUnavailable, QueryTimeout), credentials hidden
    engine.py    the generic adapter: SPARQL 1.1 Protocol for queries, Graph Store Protocol and
                 SPARQL Update for `kg push`
    oxigraph.py  `oxigraph serve`: its /query, /update and /store, the dataset in one N-Quads load
    virtuoso.py  Virtuoso: its /sparql, digest authentication, its system graphs kept out
    push.py      `kg push`: the build's four graphs loaded under new names, then switched in one
                 update, with a record of what was pushed (digest, build)

The query step over an engine is kg.query.remote_engine; queries keep every check of ours
(kg.query.executor.prepare) before the engine sees them.
"""

from __future__ import annotations

from typing import Any

from kg.backends.engine import Engine


def adapter_for(settings: Any) -> Engine:
    """The adapter of KG_ENGINE for the engine at KG_SPARQL_ENDPOINT."""
    from kg.backends.oxigraph import OxigraphServer
    from kg.backends.virtuoso import Virtuoso

    kinds: dict[str, type[Engine]] = {
        "generic": Engine,
        "oxigraph": OxigraphServer,
        "virtuoso": Virtuoso,
    }
    return kinds[settings.engine](
        settings.sparql_endpoint,
        store_url=settings.sparql_store,
        user=settings.sparql_user,
        password=settings.sparql_password,
    )
