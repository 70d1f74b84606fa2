"""The generic adapter: any SPARQL 1.1 engine, by its protocols.

Queries: SPARQL 1.1 Protocol, POST of a form to KG_SPARQL_ENDPOINT with the dataset named
explicitly (default-graph-uri and named-graph-uri: our four graphs unless the request or the
query's FROM names others), so that whatever else the engine holds (system graphs, the graphs of
a push in progress) is never seen. The result comes back in the format asked for and is passed
on as it arrives. An engine with quirks overrides the few methods that differ (kg.backends.*).

Loading (`kg push`, kg.backends.push): each graph PUT by the Graph Store Protocol at
KG_SPARQL_STORE under a staging name, then one SPARQL Update (POSTed to the update URL) swaps
them in; credentials by HTTP basic or digest authentication.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote, urlencode, urlsplit

from kg.backends.http import Body, Connections, Reply, basic_auth, shown
from kg.errors import ConfigError, EngineUnavailable, QueryError, QueryTimeout, RemoteError
from kg.mediatypes import Format
from kg.vocab import GRAPHS

OUR_GRAPHS = list(GRAPHS.values())


class Dump(Protocol):
    """The build written out for loading (kg.backends.push.BuildDump): files on disk, so that
    memory stays bounded whatever the size of the graph."""

    def graph(self, iri: str) -> Path:
        """N-Triples of one graph of the build."""
        ...

    def dataset(self, names: Mapping[str, str]) -> Path:
        """N-Quads of the four graphs, each under the name `names` gives it."""
        ...


class Engine:
    """A SPARQL 1.1 Protocol engine (KG_ENGINE=generic)."""

    kind = "generic"
    keep_alive = True  # reuse connections (no set-up per query), unless the engine is slow at it

    def __init__(self, endpoint: str, *, store_url: str = "", user: str = "", password: str = ""):
        if not endpoint:
            raise ConfigError("KG_SPARQL_ENDPOINT is not set: the query URL of the SPARQL engine")
        self.endpoint = endpoint
        self.store_url = store_url or self.default_store_url()
        self.update_url = self.default_update_url()
        self._user, self._password = user, password
        self.connections = Connections(endpoint, basic_auth(user, password))
        self.shown = shown(endpoint)

    # --- where things are -----------------------------------------------------------------------

    def default_store_url(self) -> str:
        """The Graph Store URL when KG_SPARQL_STORE is empty ("": none known)."""
        return ""

    def default_update_url(self) -> str:
        """Where SPARQL Update is POSTed: the query URL itself (Fuseki's dataset URL does both)."""
        return self.endpoint

    # --- queries --------------------------------------------------------------------------------

    def form(
        self, query: str, dg: list[str] | None, ng: list[str] | None, seconds: float
    ) -> list[tuple[str, str]]:
        """The protocol's form for a query over the dataset `dg`/`ng` (None: as the query says),
        to be answered within `seconds`."""
        fields = [("query", query)]
        fields += [("default-graph-uri", g) for g in dg or []]
        fields += [("named-graph-uri", g) for g in ng or []]
        return fields

    def query(
        self,
        query: str,
        fmt: Format,
        dg: list[str] | None,
        ng: list[str] | None,
        deadline: float,
    ) -> Reply | Body:
        """Send a (checked, capped) query; the reply's body is the result in `fmt`."""
        wire = self.wire_format(fmt)
        parts = urlsplit(self.endpoint)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        body = urlencode(self.form(query, dg, ng, deadline - time.monotonic())).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": wire.media_type,
            "User-Agent": "kg",
        }
        if not self.keep_alive:
            headers["Connection"] = "close"
        reply = self.connections.request("POST", target, body, headers, deadline)
        if reply.status != 200:
            raise self.failure(reply.status, reply.text())
        self.check(reply)
        return self.answer(reply, fmt, deadline)

    def wire_format(self, fmt: Format) -> Format:
        """The format to ask the engine for, when the result is `fmt`."""
        return fmt

    def answer(self, reply: Reply, fmt: Format, deadline: float) -> Reply | Body:
        """The result in `fmt` from the engine's reply: as it comes, unless the engine's
        answers need rewriting (kg.backends.virtuoso)."""
        return reply

    def check(self, reply: Reply) -> None:
        """Refuse an answer that is not a whole one (an engine's partial results)."""

    def failure(self, status: int, message: str) -> Exception:
        """The error of ours an engine's error answer stands for."""
        lowered = message.lower()
        if "timeout" in lowered or "timed out" in lowered or status == 504:
            return QueryTimeout(f"the SPARQL engine stopped the query at its time limit: {message}")
        if status == 400:
            return QueryError.from_syntax(message) if "error at" in message else QueryError(message)
        return EngineUnavailable(f"the SPARQL engine {self.shown} answered {status}: {message}")

    # --- loading (kg push) ----------------------------------------------------------------------

    def opener(self, url: str) -> urllib.request.OpenerDirector:
        """urllib with the credentials for `url` (basic or digest, as the engine asks)."""
        handlers: list[urllib.request.BaseHandler] = []
        if self._user:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, url, self._user, self._password)
            handlers += [
                urllib.request.HTTPBasicAuthHandler(passwords),
                urllib.request.HTTPDigestAuthHandler(passwords),
            ]
        return urllib.request.build_opener(*handlers)

    def send(
        self,
        method: str,
        url: str,
        body: bytes | BinaryIO,
        content_type: str,
        timeout: float,
        length: int | None = None,
    ) -> None:
        """An HTTP request that changes the engine (load, update); errors say what failed."""
        headers = {"Content-Type": content_type, "User-Agent": "kg"}
        if length is not None:
            headers["Content-Length"] = str(length)
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            self._authorize(req, timeout)
            with self.opener(url).open(req, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read(2000).decode("utf-8", "replace").strip()
            raise RemoteError(f"{method} {shown(url)}: HTTP {exc.code}: {text}", exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            raise EngineUnavailable(f"cannot reach {shown(url)}: {exc}") from None

    def _authorize(self, req: urllib.request.Request, timeout: float) -> None:
        """Credentials sent with the request itself, from the challenge of a request without a
        body: a large body is not sent twice, and an engine that answers 401 before reading it
        (Virtuoso) does not break the upload."""
        if not self._user:
            return
        probe = urllib.request.Request(req.full_url, method="GET", headers={"User-Agent": "kg"})
        try:
            with urllib.request.urlopen(probe, timeout=timeout):
                return
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "") if exc.code == 401 else ""
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "digest":
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, req.full_url, self._user, self._password)
            chal = urllib.request.parse_keqv_list(urllib.request.parse_http_list(params))
            answer = urllib.request.HTTPDigestAuthHandler(passwords).get_authorization(req, chal)
            if answer:
                req.add_unredirected_header("Authorization", f"Digest {answer}")
        elif scheme.lower() == "basic":
            for name, value in basic_auth(self._user, self._password).items():
                req.add_unredirected_header(name, value)

    def load(self, staged: Mapping[str, str], dump: Dump, timeout: float) -> None:
        """Load each graph of the build under its staging name (Graph Store Protocol PUT)."""
        if not self.store_url:
            raise ConfigError(
                f"KG_SPARQL_STORE is not set: the Graph Store URL `kg push` loads into "
                f"(KG_ENGINE={self.kind} has no default)"
            )
        for graph, staging in staged.items():
            path = dump.graph(graph)
            sep = "&" if "?" in self.store_url else "?"
            url = f"{self.store_url}{sep}graph={quote(staging, safe='')}"
            with path.open("rb") as body:
                self.send("PUT", url, body, "application/n-triples", timeout, path.stat().st_size)

    def update(self, update: str, timeout: float) -> None:
        """One SPARQL Update request (the engine applies it as one transaction)."""
        body = urlencode({"update": update}).encode()
        self.send("POST", self.update_url, body, "application/x-www-form-urlencoded", timeout)

    def close(self) -> None:
        self.connections.close()
