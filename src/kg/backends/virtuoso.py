"""Virtuoso (Debian `virtuoso-opensource-7`): queries at /sparql, the Graph Store Protocol at
/sparql-graph-crud-auth and SPARQL Update at /sparql-auth, both behind HTTP digest
authentication (KG_SPARQL_USER / KG_SPARQL_PASSWORD, `dba` on a new database).

Its quirks, and what is done about them here:
- its default graph is the union of every graph, its own system graphs included: the dataset is
  always named explicitly (kg.backends.engine), so they are never seen;
- at its time limit it may answer 200 with what it found so far ("anytime" results, marked by
  the `X-SQL-State` header): that is a time-out (503), never an answer; its limit is set to what
  is left of ours by the `timeout` parameter (milliseconds);
- its blank nodes are named `nodeID://b…` in SPARQL JSON: written back as `_:b…`;
- it rewrites literals: language tags in lower case (`@zh-Hans` as `@zh-hans`), booleans as
  `1`/`0`, plain literals as `xsd:string`, SPARQL 1.0's `typed-literal` in JSON; N-Triples with
  non-ASCII escaped. So results are asked for in SPARQL JSON (N-Triples for a graph), every
  term is put back in RDF 1.1's form (tags in their BCP 47 case, `true`/`false`), and pyoxigraph
  writes the format the client asked for, byte for byte as the embedded store writes it. That
  needs the whole result (at most KG_MAX_ROWS rows). What it cannot undo: a decimal's lexical
  form (`"0.50"` comes back `0.5`: the review's build has none that differ). Where its
  evaluation differs in substance, the canned queries are written in forms it reads as Oxigraph
  does (queries/README.md).
- on a kept-alive connection its answers wait for delayed ACKs: one connection per query;
- its SPARQL compiler's errors are answered 500: a query error of ours (400) here; a query it
  refuses by its cost estimate (`MaxQueryCostEstimationTime`) is a time-out (503).
"""

from __future__ import annotations

import json
import re

import pyoxigraph
from pyoxigraph import Literal, NamedNode

from kg.backends.engine import Engine
from kg.backends.http import Body, Reply, read_all
from kg.errors import QueryError, QueryTimeout
from kg.mediatypes import GRAPH_FORMATS, RESULT_FORMATS, Format

XSD = "http://www.w3.org/2001/XMLSchema#"
ROWS = RESULT_FORMATS[0]  # SPARQL JSON
TRIPLES = next(f for f in GRAPH_FORMATS if f.name == "ntriples")

_BNODE_CHARS = re.compile(r"[^A-Za-z0-9_]")
ANYTIME_STATES = {"S1TAT"}  # "Returning incomplete results, query interrupted by result timeout"


class Virtuoso(Engine):
    kind = "virtuoso"
    # On a kept-alive connection Virtuoso's last chunk waits for a delayed ACK (Nagle): 30-80 ms
    # for a 50 kB answer that takes 5 ms on a fresh connection.
    keep_alive = False

    def _beside(self, name: str) -> str:
        base = self.endpoint.split("?", 1)[0].rstrip("/")
        if base.endswith("/sparql"):
            base = base[: -len("/sparql")]
        return f"{base}/{name}"

    def default_store_url(self) -> str:
        return self._beside("sparql-graph-crud-auth")

    def default_update_url(self) -> str:
        return self._beside("sparql-auth")

    def form(
        self, query: str, dg: list[str] | None, ng: list[str] | None, seconds: float
    ) -> list[tuple[str, str]]:
        return [
            *super().form(query, dg, ng, seconds),
            ("timeout", str(max(1, int(seconds * 1000)))),
        ]

    def check(self, reply: Reply) -> None:
        if (reply.header("X-SQL-State") or "").strip() in ANYTIME_STATES:
            reply.close()
            raise QueryTimeout(
                "the SPARQL engine stopped the query at the time limit (partial results refused)"
            )

    def failure(self, status: int, message: str) -> Exception:
        if status == 500 and "Virtuoso 37000" in message:  # SPARQL compiler: the query's fault
            detail = message.split("\n\nSPARQL query:")[0].strip()
            return QueryError(f"the SPARQL engine refused the query: {detail}")
        if status == 500 and "estimated execution time" in message:  # its cost estimate's limit
            return QueryTimeout("the SPARQL engine estimates the query to run past its time limit")
        return super().failure(status, message)

    def wire_format(self, fmt: Format) -> Format:
        return TRIPLES if fmt.rdf is not None else ROWS

    def answer(self, reply: Reply, fmt: Format, deadline: float) -> Body:
        data = read_all(reply, deadline)
        if fmt.rdf is not None:
            triples = (
                pyoxigraph.Triple(t.subject, t.predicate, _literal(t.object))
                for t in pyoxigraph.parse(data, format=TRIPLES.rdf)
            )
            return Body(pyoxigraph.serialize(triples, format=fmt.rdf) or b"")
        doc = json.loads(data)
        for row in doc.get("results", {}).get("bindings", []):
            for name, term in row.items():
                row[name] = _json_term(term)
        rows = pyoxigraph.parse_query_results(json.dumps(doc).encode(), format=ROWS.results)
        return Body(rows.serialize(format=fmt.results) or b"")


def language_tag(tag: str) -> str:
    """A tag in BCP 47's case: `zh-hans-cn` as `zh-Hans-CN`."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def _boolean(value: str) -> str:
    return {"1": "true", "0": "false"}.get(value, value)


def _json_term(term: dict) -> dict:
    if term.get("type") == "bnode":  # `nodeID://b10001`: not a blank node label RDF allows
        return {**term, "value": _BNODE_CHARS.sub("_", term["value"].removeprefix("nodeID://"))}
    if term.get("type") == "typed-literal":
        term = {**term, "type": "literal"}
    if term.get("type") != "literal":
        return term
    datatype = term.get("datatype")
    if datatype == XSD + "string":
        term = {k: v for k, v in term.items() if k != "datatype"}
    elif datatype == XSD + "boolean":
        term = {**term, "value": _boolean(term["value"])}
    if term.get("xml:lang"):
        term = {**term, "xml:lang": language_tag(term["xml:lang"])}
    return term


def _literal(term: object) -> object:
    if not isinstance(term, Literal):
        return term
    if term.language:
        return Literal(term.value, language=language_tag(term.language))
    if term.datatype.value == XSD + "boolean":
        return Literal(_boolean(term.value), datatype=NamedNode(XSD + "boolean"))
    return term
