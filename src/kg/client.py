"""The graph from Python, for notebooks: `kg.open()`.

    import kg
    graph = kg.open()                          # the embedded store ($KG_STORE or var/store)
    graph = kg.open("http://127.0.0.1:8000")   # or a running service
    rows = graph.canned("search", q="lupus", lang="en")
    frame = rows.to_pandas()                   # or rows.to_arrow()

`query(sparql)` and `canned(name, **params)` return `Rows` (ASK: a bool). A thin layer over the
query step (`kg.query.executor`, with the settings' time limit and row cap) and the canned-query
catalogue (`kg.catalogue.make_call`), or over a service's `/sparql` and `/queries/<name>`
(`kg.remote`): the same checks of parameters, the same limits, the same answers as the API.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph
from pyoxigraph import BlankNode, Literal, NamedNode, QueryBoolean

from kg import remote
from kg.catalogue import Catalogue, make_call
from kg.config import Settings
from kg.errors import KgError
from kg.mediatypes import Format
from kg.query import single
from kg.query import text as query_text
from kg.query.executor import ROWS_FORMAT, TRIPLES_FORMAT, QueryStep
from kg.search import SearchIndex
from kg.store import open_read_only

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {
    XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
        "unsignedByte",
    )
}
RESULTS_JSON = "application/sparql-results+json"
TRIPLES = ("subject", "predicate", "object")


def python_value(term: Any) -> Any:
    """An RDF term as a Python value: IRIs and strings as str, numbers exact (Decimal for
    xsd:decimal), booleans as bool; dates and other literals keep their lexical form."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal) and not term.language:
        datatype = term.datatype.value
        if datatype in INTEGERS:
            return int(term.value)
        if datatype == XSD + "decimal":
            return Decimal(term.value)
        if datatype in (XSD + "double", XSD + "float"):
            return float(term.value)
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
    return term.value


class Rows(Sequence[dict[str, Any]]):
    """The rows of a result: each a dict of Python values; `terms` keeps the RDF terms."""

    def __init__(self, variables: Sequence[str], terms: list[tuple[Any, ...]]):
        self.variables = tuple(variables)
        self.terms = terms

    def __len__(self) -> int:
        return len(self.terms)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return Rows(self.variables, self.terms[index])
        return {n: python_value(t) for n, t in zip(self.variables, self.terms[index], strict=True)}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self.terms)):
            yield self[i]

    def __repr__(self) -> str:
        return f"<Rows {len(self)} × ({', '.join(self.variables)})>"

    def column(self, name: str) -> list[Any]:
        i = self.variables.index(name)
        return [python_value(row[i]) for row in self.terms]

    def to_arrow(self) -> Any:
        """A pyarrow Table: int64, decimal128 (exact), float64, bool or string per column."""
        try:
            import pyarrow as pa
        except ImportError as exc:
            raise KgError("to_arrow() needs pyarrow: pip install 'kg[notebook]'") from exc
        return pa.table({name: _arrow_array(pa, self.column(name)) for name in self.variables})

    def to_pandas(self) -> Any:
        """A pandas DataFrame of the rows (decimals stay Decimal objects: exact)."""
        try:
            import pandas
        except ImportError as exc:
            raise KgError("to_pandas() needs pandas: pip install 'kg[notebook]'") from exc
        return pandas.DataFrame.from_records(list(self), columns=list(self.variables))


def _arrow_array(pa: Any, values: list[Any]) -> Any:
    """One column: typed when every value has the same kind, else every value as its text."""
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    if kinds == {Decimal}:
        scale = max(max(0, -int(v.as_tuple().exponent)) for v in present)
        return pa.array(values, type=pa.decimal128(38, scale))
    simple = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}
    if len(kinds) == 1 and next(iter(kinds)) in simple:
        return pa.array(values, type=simple[next(iter(kinds))])
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


class Graph:
    """The graph, embedded (the settings' store) or remote (a service's base URL)."""

    def __init__(self, settings: Settings, endpoint: str | None = None):
        self.settings = settings
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self._engine: QueryStep | None = None

    def __repr__(self) -> str:
        return f"<kg.Graph {self.endpoint or self.settings.store}>"

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the query process of an embedded graph (one is started at the first query)."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    @property
    def engine(self) -> QueryStep:
        """The query step (`kg.query.single`): the store, or with KG_BACKEND=sparql the engine."""
        if self._engine is None:
            self._engine = single(self.settings)
        return self._engine

    def query(self, sparql: str) -> Rows | bool:
        """Run SPARQL: SELECT gives Rows, CONSTRUCT/DESCRIBE Rows of subject, predicate, object,
        ASK a bool."""
        wire = TRIPLES_FORMAT if query_text.read(sparql).is_graph else ROWS_FORMAT
        if self.endpoint is None:
            _, stream = self.engine.execute(sparql, accept_format=wire)
            return _answer(wire, stream.read())
        return _answer(
            wire, remote.fetch(remote.sparql_url(self.endpoint, sparql), wire.media_type)
        )

    def canned(self, name: str, **params: Any) -> Rows | bool:
        """Run the canned query `name` (see `queries()`) with its parameters as keywords."""
        values = {k: str(v) for k, v in params.items() if v is not None}
        if self.endpoint is not None:
            url = remote.canned_url(self.endpoint, name, values, ROWS_FORMAT.name)
            return _answer(ROWS_FORMAT, remote.fetch(url, ROWS_FORMAT.media_type))
        query = Catalogue(self.settings.queries).get(name)
        call = make_call(
            query,
            values,
            self.engine,
            lambda: SearchIndex(self.settings.store),
            max_limit=self.settings.max_rows,
            default_limit=self.settings.page_size,
        )
        _, stream = self.engine.execute(
            call.text(), substitutions=call.substitutions, accept_format=ROWS_FORMAT
        )
        return _answer(ROWS_FORMAT, stream.read())

    def queries(self) -> list[str]:
        """The names of the canned queries."""
        if self.endpoint is None:
            return list(Catalogue(self.settings.queries).queries())
        listing = json.loads(remote.fetch(f"{self.endpoint}/queries", "application/json"))
        return [entry["name"] for entry in listing["queries"]]


def _answer(fmt: Format, body: bytes) -> Rows | bool:
    if fmt.rdf is not None:
        triples = pyoxigraph.parse(body, format=fmt.rdf)
        return Rows(TRIPLES, [(t.subject, t.predicate, t.object) for t in triples])
    results = pyoxigraph.parse_query_results(body, format=fmt.results)
    if isinstance(results, QueryBoolean):
        return bool(results)
    names = [v.value for v in results.variables]
    return Rows(names, [tuple(solution[n] for n in names) for solution in results])


def open_graph(location: str | os.PathLike[str] | None = None) -> Graph:
    """The graph at `location`: a service URL (http:// or https://), a store folder, or (None)
    the graph of the settings: the store at $KG_STORE (else var/store), or with
    KG_BACKEND=sparql the engine the service is in front of."""
    settings = Settings.from_env()
    if isinstance(location, str) and location.startswith(("http://", "https://")):
        return Graph(settings, endpoint=location)
    if location is not None:
        settings = replace(settings, store=Path(location), backend="embedded")
    if settings.backend == "embedded":
        open_read_only(settings.store)  # a missing store: a clear error now, not at the first query
    return Graph(settings)
