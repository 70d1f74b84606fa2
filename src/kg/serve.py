"""`kg serve`: the Flask app under gunicorn, configured from the environment (kg.config.Settings).

Several workers (KG_WORKERS, gthread with KG_THREADS threads each) share the on-disk store
read-only; each worker keeps a pool of query processes (kg.web.executor). The access log is one
JSON object per request, with the query time. A rebuilt store is picked up without dropping
requests by a graceful reload: `kill -HUP <master pid>` (the pid is in KG_PID_FILE when set)
starts new workers, which open the store link's new target, and lets the old ones finish.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from kg.config import Settings
from kg.store import open_read_only


class JsonAccessLogger(Logger):
    """gunicorn's logger with one JSON object per request on the access log."""

    def access(self, resp, req, environ, request_time) -> None:  # noqa: ANN001 (gunicorn's API)
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        headers = {k.lower(): v for k, v in (resp.headers or [])}
        timing = headers.get("server-timing", "")
        query_ms = None
        if "dur=" in timing:
            try:
                query_ms = float(timing.split("dur=", 1)[1].split(";")[0].split(",")[0])
            except ValueError:
                query_ms = None
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query_string": environ.get("QUERY_STRING", "")[:2000],
            "status": resp.status_code if hasattr(resp, "status_code") else str(resp.status)[:3],
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.seconds * 1000 + request_time.microseconds / 1000, 3),
            "query_ms": query_ms,
            "cache": headers.get("x-cache"),
            "worker": os.getpid(),
            "agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            self.access_log.info(json.dumps(record, ensure_ascii=False))
        except Exception:
            self.exception("cannot write the access log")


def _post_worker_init(worker) -> None:  # noqa: ANN001
    """Open the store and start the query processes before the worker takes requests."""
    from kg.web.dataset import warm_up

    worker.wsgi.config["KG_GUNICORN_MASTER"] = worker.ppid  # for a reload after an update
    warm_up(worker.wsgi)


def _worker_exit(_server, worker) -> None:  # noqa: ANN001
    app = getattr(worker, "wsgi", None)
    executor = getattr(app, "extensions", {}).get("kg_executor") if app is not None else None
    if executor is not None:
        executor.close()
    # Leave without the interpreter's finalisation, where the store's native threads may crash
    # the process after its work is done.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from kg.web import create_app

        return create_app()


def gunicorn_options(settings: Settings) -> dict:
    threads = max(1, settings.threads)
    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": max(1, settings.workers),
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        "timeout": int(max(30, settings.query_timeout * 4)),
        "graceful_timeout": settings.graceful_timeout,
        "keepalive": 5,
        "backlog": 512,
        "limit_request_line": 0,  # long GET queries; /sparql caps the query string at KG_MAX_BODY
        "logger_class": JsonAccessLogger,
        "accesslog": settings.access_log or None,
        "errorlog": "-",
        "post_worker_init": _post_worker_init,
        "worker_exit": _worker_exit,
        "preload_app": False,  # each worker opens the store itself: a HUP reload opens the new one
        "proc_name": "kg-serve",
        "control_socket_disable": True,  # several services may run on one machine (tests)
    }
    if settings.pid_file:
        options["pidfile"] = settings.pid_file
    return options


def serve(store: Path, host: str, port: int, workers: int, reload_on_change: bool = False) -> int:
    open_read_only(store)  # fail now, with a clear message, if there is no store
    os.environ["KG_STORE"] = os.path.abspath(store)  # the link, not its target: see reload
    settings = Settings.from_env()
    settings.store, settings.host, settings.port, settings.workers = store, host, port, workers
    options = gunicorn_options(settings)
    options["reload"] = reload_on_change
    _Gunicorn(options).run()
    return 0
