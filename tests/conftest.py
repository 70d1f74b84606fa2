"""Shared fixtures: the real graph is built once per session into a temporary folder; the Flask
app, its test client and the command line run on that build; a real `kg serve` is started only
for the tests whose behaviour is HTTP itself."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import Literal, NamedNode, Store

from kg import catalogue as cat
from kg.build import BuildReport, build
from kg.cli import main
from kg.config import Settings, checkout
from kg.query.executor import Executor
from kg.search import SearchIndex
from kg.store import open_read_only
from kg.web import create_app

ROOT = checkout()
assert ROOT is not None, "the tests run from a checkout of the project"
SOURCES = ROOT / "ontology"
QUERIES = ROOT / "queries"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and other files a person may look at

# The mechanisms the article gives for MSCT (competency question CQ05), as scad: local names.
# (Anti-proliferation is a strategy of the stem-cell trials of [4], not an MSCT mechanism.)
MSCT_MECHANISMS = {
    "immunomodulation",
    "immune-tolerance-induction",
    "correcting-immune-imbalance",
    "tissue-repair",
    "anti-infection",
}

# Every dated event of the review, with the precision the review gives: (date, precision).
TIMELINE = [
    ("1970", "decade"),
    ("1993", "year"),
    ("1997", "year"),
    ("2007", "year"),
    ("2022", "year"),
    ("2024-10", "month"),  # the EULAR recommendations' "2023 update", published October 2024
    ("2024-12", "month"),
    ("2025-01", "month"),
    ("2025-07", "month"),
]

COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@dataclass
class Built:
    store_path: Path
    owl_file: Path
    report: BuildReport

    @property
    def output(self) -> Path:
        return self.owl_file.parent


def triples_per_graph(store_path: Path) -> dict[str, int]:
    """Triples of each named graph of a store, read straight from it (the tests' own count)."""
    store = open_read_only(store_path)
    return {row["g"].value: int(row["n"].value) for row in store.query(COUNTS)}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The project's real graph, built once by the real build."""
    root = tmp_path_factory.mktemp("build")
    store_path, owl_file = root / "store", root / "scad.owl"
    report = build(SOURCES, store_path, owl_file, log=lambda _m: None)
    return Built(store_path, owl_file, report)


@pytest.fixture(scope="session")
def store(built: Built) -> Store:
    return open_read_only(built.store_path)


@pytest.fixture(scope="session")
def settings(built: Built) -> Settings:
    """The settings of every in-process use of the build (app, CLI, exports)."""
    return Settings(store=built.store_path, output=built.output, sources=SOURCES, queries=QUERIES)


@pytest.fixture(scope="session")
def search_index(built: Built) -> SearchIndex:
    """The build's search index (kg.search), opened as the service opens it."""
    return SearchIndex(built.store_path)


@pytest.fixture(scope="session")
def engine(built: Built) -> Iterator[Executor]:
    """The query step over the build, with the service's limits (but no row cap)."""
    with Executor(built.store_path, size=1, max_rows=0) as executor:
        yield executor


@pytest.fixture(scope="session")
def catalogue() -> cat.Catalogue:
    return cat.Catalogue(QUERIES)


def run_canned(engine: Executor, catalogue: cat.Catalogue, name: str, **values) -> list[dict]:
    """A canned query, by the catalogue and the query step as the service runs it; rows as
    {variable: value}. Values are strings as a user types them, or RDF terms."""
    raw = {k: (v.value if isinstance(v, NamedNode | Literal) else v) for k, v in values.items()}
    call = cat.bind(catalogue.get(name), raw, engine=engine)
    if call.query.searched is not None:  # `# index: search ?q`: the page of hits of the index
        cat.search(call, SearchIndex(engine.store_path))
    rows = engine.select(call.text(), **{k.value: v for k, v in call.substitutions.items()})
    return [
        {n: (row[n].value if row[n] is not None else None) for n in rows.variables} for row in rows
    ]


@pytest.fixture(scope="session")
def run_query(engine: Executor, catalogue: cat.Catalogue) -> Callable[..., list[dict]]:
    return lambda name, **values: run_canned(engine, catalogue, name, **values)


@contextlib.contextmanager
def app_for(settings: Settings, **overrides: object) -> Iterator[Flask]:
    """The service's app on the build, in this process (its query processes are real), with
    settings overridden by name; its query processes are stopped at the end."""
    folders = {f: getattr(settings, f) for f in ("store", "output", "queries", "sources")}
    app = create_app({**folders, "threads": 2, **overrides})
    app.config["TESTING"] = True
    try:
        yield app
    finally:
        served = app.extensions.get("kg_served")
        if served is not None:
            served.executor.close()


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[Flask]:
    with app_for(settings) as app:
        yield app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Ran:
    code: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8")


@pytest.fixture()
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """`kg ARGS…` in this process, on the build (KG_STORE, KG_QUERIES, KG_OUTPUT set)."""

    def run(*argv: str, stdin: str = "", env: dict[str, str] | None = None) -> Ran:
        defaults = {
            "KG_STORE": str(settings.store),
            "KG_QUERIES": str(settings.queries),
            "KG_OUTPUT": str(settings.output),
            "KG_ENDPOINT": "",
        }
        for name, value in {**defaults, **(env or {})}.items():
            monkeypatch.setenv(name, value)
        out, err = io.BytesIO(), io.StringIO()
        stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(err):
            code = main(list(argv))
        stdout.flush()
        return Ran(code, out.getvalue(), err.getvalue())

    return run


# --- a real server, for the behaviour that is HTTP itself ---------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 20.0) -> None:
    """Until `url` answers (a server starting up): the answer is the signal."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    env: dict[str, str]
    log: Path | None = None  # the server's output (granian's log and our access log)


def start_server(store_path: Path, extra_env: dict[str, str] | None = None) -> Server:
    """`kg serve` as a real subprocess on 127.0.0.1 and a free port."""
    port = free_port()
    env = dict(os.environ, KG_STORE=str(store_path), KG_QUERIES=str(QUERIES), **(extra_env or {}))
    log_path = Path(tempfile.mkstemp(prefix="kg-serve-", suffix=".log")[1])
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log_file,  # the access log ("-" is standard output)
        stderr=subprocess.STDOUT,  # a file, not a pipe: a full pipe would stop the server
    )
    log_file.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/sparql?query=ASK%7B%7D")
    except Exception as exc:
        process.kill()
        log = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"server did not start: {log}") from exc
    return Server(url, process, env, log_path)


def stop_server(server: Server) -> None:
    """Stop it, and remove its log (read what you need of it before)."""
    server.process.terminate()  # granian stops its workers gracefully: give it time on a busy machine
    try:
        server.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
    if server.log is not None:
        server.log.unlink(missing_ok=True)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def health(url: str) -> dict:
    return json.loads(fetch(url + "/health")[1])


def wait_for_new(url: str, before: dict, key: str = "build", timeout: float = 20.0) -> dict:
    """Wait until every /health answer (12 in a row, from any worker) has a `key` other than
    `before`'s (a new build, a new worker); return the last one."""
    deadline = time.monotonic() + timeout
    doc, in_a_row = before, 0
    while time.monotonic() < deadline and in_a_row < 12:
        doc = health(url)
        in_a_row = in_a_row + 1 if doc[key] != before[key] else 0
        time.sleep(0.05)
    assert in_a_row == 12, f"{key} still {doc[key]} after {timeout} s"
    return doc


def until(condition, timeout: float = 20.0) -> None:
    """Wait for `condition()` to hold (polled): the condition is the signal, not the time."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


class Hammer:
    """Clients sending queries on new connections until stopped; every answer must be a 200."""

    def __init__(self, url: str, clients: int = 3):
        self.url, self.failures, self.answered = url, [], 0
        self.stop = threading.Event()
        query = urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        self.threads = [threading.Thread(target=self.run, args=(query,)) for _ in range(clients)]
        for t in self.threads:
            t.start()

    def run(self, query: str) -> None:
        while not self.stop.is_set():
            try:
                status, _ = fetch(f"{self.url}/sparql?query={query}")
                if status != 200:
                    self.failures.append(status)
                self.answered += 1
            except Exception as exc:  # a dropped connection is a failure too
                self.failures.append(repr(exc))

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)


@pytest.fixture(scope="session")
def server(built: Built) -> Iterator[Server]:
    srv = start_server(built.store_path, {"KG_OUTPUT": str(built.output)})
    yield srv
    stop_server(srv)
