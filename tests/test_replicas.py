"""Read replicas: two `kg serve` on the same immutable build behind nginx (Debian's, installed by
apt when missing) on loopback; one replica killed under load costs no failed request, since
nginx retries an idempotent GET on the next upstream (`proxy_next_upstream`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import Built, free_port, start_server, stop_server, wait_for

QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"]
    subprocess.run(apt, check=True, env=env)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def balancer_conf(folder: Path, port: int, upstreams: list[str]) -> Path:
    """nginx in front of the replicas: a GET that fails on one (connection refused or reset,
    a 502/503) is sent to the next."""
    servers = "\n".join(f"    server {u} max_fails=1 fail_timeout=30s;" for u in upstreams)
    temp = "\n".join(
        f"  {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(f"""daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
{temp}
  upstream kg {{
{servers}
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://kg;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout 2s;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 2;
    }}
  }}
}}
""")
    return conf


def kill_tree(pid: int) -> None:
    """SIGKILL a replica and its worker processes (a crash, not a graceful stop)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    for target in [pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)


def test_a_replica_killed_under_load_costs_no_failed_request(built: Built):
    replicas = [
        start_server(built.store_path, {"KG_WORKERS": "1", "KG_ACCESS_LOG": ""}) for _ in range(2)
    ]
    folder = Path(tempfile.mkdtemp(prefix="kg-nginx-"))
    port = free_port()
    upstreams = [r.url.removeprefix("http://") for r in replicas]
    balancer = subprocess.Popen(
        [nginx_binary(), "-p", str(folder), "-c", str(balancer_conf(folder, port, upstreams))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": QUERY})
    try:
        wait_for(url)
        results: list[int | str] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                try:
                    with urllib.request.urlopen(url, timeout=10) as reply:
                        reply.read()
                        results.append(reply.status)
                except urllib.error.HTTPError as exc:
                    results.append(exc.code)
                except Exception as exc:  # a failed request is what the test counts
                    results.append(repr(exc))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(results) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = len(results)
        kill_tree(replicas[0].process.pid)
        while len(results) < before + 200 and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(timeout=15)
        with pytest.raises(OSError):  # the killed replica is gone: the rest was served by the other
            urllib.request.urlopen(replicas[0].url + "/health", timeout=2)
        failed = [r for r in results if r != 200]
        assert before >= 50 and len(results) >= before + 100, (before, len(results))
        assert failed == [], failed[:5]
    finally:
        balancer.terminate()
        balancer.wait(timeout=10)
        for replica in replicas:
            if replica.process.poll() is None:
                stop_server(replica)
        shutil.rmtree(folder, ignore_errors=True)
