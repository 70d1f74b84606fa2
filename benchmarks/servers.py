"""What the benchmark scripts share: free ports, starting and stopping `kg serve` and
`oxigraph serve-read-only` on 127.0.0.1, waiting for them, wrk runs and their figures."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0) -> float:
    """Seconds until `url` answers (a server starting)."""
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                resp.read()
                return time.monotonic() - started
        except Exception:
            if time.monotonic() - started > timeout:
                raise
            time.sleep(0.02)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes, float]:
    """(status, headers (case-insensitive), body, seconds) of a GET."""
    req = urllib.request.Request(url, headers=headers or {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            body = resp.read()
            return resp.status, resp.headers, body, time.perf_counter() - started
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read(), time.perf_counter() - started


def start_oxigraph(store_copy: Path) -> tuple[subprocess.Popen, str]:
    """`oxigraph serve-read-only` on a copy of a store; (process, query URL)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "oxigraph"),
            "serve-read-only",
            "--location",
            str(store_copy),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",  # no --timeout-s: with it, 0.5.13 answers many
        ],  # requests "500 Resource temporarily unavailable" under load
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/query?query=" + urllib.parse.quote("ASK {}"))
    return proc, base + "/query"


def start_ours(
    store: Path, workers: int = 2, threads: int = 4, **env: str
) -> tuple[subprocess.Popen, str, float]:
    """`kg serve` on a store; (process, base URL, seconds from command to first answer)."""
    port = free_port()
    environ = {
        **os.environ,
        "KG_STORE": str(store),
        "KG_ACCESS_LOG": "",
        "KG_WORKERS": str(workers),
        "KG_THREADS": str(threads),
        **env,
    }
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(VENV_BIN / "kg"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/sparql?query=" + urllib.parse.quote("ASK {}"))
    except Exception:
        stop(proc)  # not left running when it did not answer in time
        raise
    return proc, base, time.monotonic() - started


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int = 0


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str,
    headers: dict[str, str],
    duration: int,
    connections: int,
    threads: int,
    script: Path | None = None,
    timeout: int = 10,
) -> Result:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s"]
    cmd.append("--latency")
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if script is not None:
        cmd += ["-s", str(script)]
    done = subprocess.run(cmd + [url], capture_output=True, text=True)
    out = done.stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if done.returncode != 0 or m is None:
        print(f"wrk failed ({done.returncode}): {done.stderr.strip()[:300]}", file=sys.stderr)
        return Result(0.0, float("nan"), float("nan"), -1)
    rps = float(m.group(1))
    lat = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+\w+)", out, re.MULTILINE))
    p = {k: _ms(*re.match(r"([\d.]+)(\w+)", v).groups()) for k, v in lat.items()}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Result(
        rps,
        p.get("50", float("nan")),
        p.get("99", float("nan")),
        int(non2xx.group(1)) if non2xx else 0,
        sum(int(g) for g in errors.groups()) if errors else 0,
    )
