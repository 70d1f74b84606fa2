"""Read replicas on loopback, for tests/test_replicas.py and benchmarks/replicas.py: nginx
(Debian's, installed by apt when missing) in front of `kg serve` replicas, each replica on a
store link of its own pointing at its own copy of a build, and a crash (SIGKILL of a replica
and its workers)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from conftest import free_port
from engines import running

from kg.store import swap_link


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


@contextlib.contextmanager
def balancer(upstreams: list[str]) -> Iterator[str]:
    """nginx on 127.0.0.1 and a free port in front of `upstreams` (host:port), in a temporary
    folder, once it answers (bounded wait); yields its base URL. Stopped and removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="kg-nginx-"))
    port = free_port()
    conf = balancer_conf(folder, port, upstreams)
    command = [nginx_binary(), "-p", str(folder), "-c", str(conf)]
    with running(command, folder, f"http://127.0.0.1:{port}", "/health") as nginx:
        yield nginx.url


def kill_tree(pid: int) -> None:
    """SIGKILL a replica and its worker processes (a crash, not a graceful stop)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    for target in [pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)


def own_copy(link: Path, build: Path) -> Path:
    """Copy the build folder `build` beside the store link `link` (under `link.builds/`, with the
    build's name) and point the link at the copy: a replica's own copy of a build, made or
    swapped in as a rebuild swaps it. Returns the copy."""
    copy = link.with_name(link.name + ".builds") / build.resolve().name
    shutil.copytree(build.resolve(), copy)
    swap_link(link, copy)
    return copy
