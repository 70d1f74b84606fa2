"""SPARQL engines for the tests of KG_BACKEND=sparql, each started on 127.0.0.1 and a free port
with its database in a temporary folder, and stopped at the end: `oxigraph serve` (PyPI
`oxigraph`, a test dependency) and Virtuoso (Debian `virtuoso-opensource-7`, installed by apt
when missing). Each is polled until it answers, within a bounded wait."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import free_port, wait_for

BOUNDED_WAIT = 60.0  # seconds an engine gets to start
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


@dataclass
class Engine:
    url: str  # the query URL
    process: subprocess.Popen
    folder: Path
    log: Path

    @property
    def base(self) -> str:
        return self.url.rsplit("/", 1)[0]


@contextlib.contextmanager
def running(command: list[str], folder: Path, url: str, probe: str) -> Iterator[Engine]:
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    try:
        try:
            wait_for(url + probe, timeout=BOUNDED_WAIT)
        except Exception as exc:
            raise RuntimeError(f"{command[0]} did not start: {log.read_text()[-2000:]}") from exc
        yield Engine(url, process, folder, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)


def oxigraph_cli() -> str:
    """`oxigraph` from PyPI, beside this Python (installed into the venv if missing)."""
    found = Path(sys.executable).with_name("oxigraph")
    if not found.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "oxigraph>=0.5,<0.6"], check=True
        )
    return str(found)


@contextlib.contextmanager
def oxigraph_serve(timeout_s: int = 5) -> Iterator[Engine]:
    folder = Path(tempfile.mkdtemp(prefix="kg-oxigraph-"))
    port = free_port()
    command = [oxigraph_cli(), "serve", "--location", str(folder / "db")]
    command += ["--bind", f"127.0.0.1:{port}", "--timeout-s", str(timeout_s)]
    url = f"http://127.0.0.1:{port}/query"
    with running(command, folder, url, "?query=ASK%7B%7D") as engine:
        yield engine


def install_virtuoso() -> str:
    """`virtuoso-t`, installed from Debian when missing (apt, as root or by sudo)."""
    found = shutil.which("virtuoso-t")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends"]
    subprocess.run([*apt, "virtuoso-opensource-7"], check=True, env=env)
    return shutil.which("virtuoso-t") or "/usr/bin/virtuoso-t"


def virtuoso_ini(folder: Path, sql_port: int, http_port: int) -> Path:
    """Debian's virtuoso.ini with both ports on loopback and the database in `folder`."""
    text = VIRTUOSO_INI.read_text()
    text = text.replace("/var/lib/virtuoso-opensource-7/db", str(folder))
    text = re.sub(r"(?m)^ServerPort\s*=\s*1111\b", f"ServerPort = 127.0.0.1:{sql_port}", text)
    text = re.sub(r"(?m)^ServerPort\s*=\s*8890\b", f"ServerPort = 127.0.0.1:{http_port}", text)
    text = re.sub(r"(?m)^DirsAllowed\s*=(.*)$", rf"DirsAllowed =\1, {folder}", text)
    text = re.sub(r"(?m)^ResultSetMaxRows\s*=.*$", "ResultSetMaxRows = 1000000", text)
    # Its refusal of a query by its own cost estimate (often far off): our time limit rules.
    text = re.sub(r"(?m)^MaxQueryCostEstimationTime\s*=.*$", "MaxQueryCostEstimationTime = 0", text)
    ini = folder / "virtuoso.ini"
    ini.write_text(text)
    return ini


@contextlib.contextmanager
def virtuoso() -> Iterator[Engine]:
    binary = install_virtuoso()
    folder = Path(tempfile.mkdtemp(prefix="kg-virtuoso-"))
    http_port = free_port()
    ini = virtuoso_ini(folder, free_port(), http_port)
    url = f"http://127.0.0.1:{http_port}/sparql"
    with running([binary, "-f", "-c", str(ini)], folder, url, "?query=ASK%7B%7D") as engine:
        yield engine
