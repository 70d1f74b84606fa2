"""Shared fixtures: the real graph is built once per session into a temporary folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Store, Variable

from kg.build import BuildReport, build
from kg.config import PROJECT_ROOT
from kg.search import SearchIndex
from kg.store import open_read_only

SOURCES = PROJECT_ROOT / "ontology"
QUERIES = PROJECT_ROOT / "queries"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

# The mechanisms the review gives for MSCT (competency question CQ05), as scad: local names.
MSCT_MECHANISMS = {
    "immunomodulation",
    "immune-tolerance-induction",
    "correcting-immune-imbalance",
    "tissue-repair",
    "anti-infection",
    "anti-proliferation",
}

# Every dated event of the review, with the precision the review gives: (date, precision).
TIMELINE = [
    ("1970", "decade"),
    ("1993", "year"),
    ("1997", "year"),
    ("2007", "year"),
    ("2022", "year"),
    ("2023", "year"),
    ("2024-12", "month"),
    ("2025-01", "month"),
    ("2025-07", "month"),
]  # screenshots and other files a person may look at


@dataclass
class Built:
    store_path: Path
    owl_file: Path
    report: BuildReport


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
def search_index(built: Built) -> SearchIndex:
    """The build's search index (kg.search), opened as the service opens it."""
    return SearchIndex(built.store_path)


def run_query_file(store: Store, name: str, **params: str | NamedNode | Literal) -> list[dict]:
    """Run queries/<name>.rq with parameters bound as RDF terms; rows as {var: python value}."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    subs = {Variable(k): (v if not isinstance(v, str) else Literal(v)) for k, v in params.items()}
    results = store.query(text, use_default_graph_as_union=True, substitutions=subs)
    names = [v.value for v in results.variables]
    return [{n: (None if s[n] is None else s[n].value) for n in names} for s in results]


@pytest.fixture(scope="session")
def run_query(store: Store):
    return lambda name, **params: run_query_file(store, name, **params)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 20.0) -> None:
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
    env = dict(os.environ, KG_STORE=str(store_path), **(extra_env or {}))
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
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server(built: Built) -> Iterator[Server]:
    # KG_OUTPUT: the build's pages and pictures (served at /ontology/ and /pictures/)
    srv = start_server(built.store_path, {"KG_OUTPUT": str(built.owl_file.parent)})
    yield srv
    stop_server(srv)
