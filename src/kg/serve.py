"""`kg serve`: the Flask app under granian, configured from the environment (kg.config.Settings).

granian is a WSGI server whose HTTP layer is native code: KG_WORKERS worker processes, each
running the app in KG_THREADS Python threads, share the on-disk store read-only; each worker
keeps a pool of query processes (kg.query.executor). Its HTTP parsing costs no Python time, which
is most of what a cached answer or an index lookup costs (gunicorn served the same app at
under a third of the rate; see the README's Benchmarks).

Each worker builds its app with `worker_app()`: the store is opened and the query processes
started before the worker takes requests. The access log is one JSON object per request
(kg.web.access_log). A rebuilt store is picked up by every worker within KG_STORE_CHECK
seconds, in place (kg.web.dataset.watch): no process restarts, no request is dropped.
`kill -HUP <pid of kg serve>` (the pid is in KG_PID_FILE when set) restarts the workers one at a
time, for new code: granian starts a new worker, a second later stops an old one, which finishes
its requests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from granian import Granian
from granian.constants import Interfaces
from granian.http import HTTP1Settings

from kg.config import Settings
from kg.store import open_read_only

RESPAWN_INTERVAL = 1.0  # seconds between starting a new worker and stopping the old one (HUP)


def worker_app() -> Any:
    """The WSGI app of one worker process (granian calls this in each worker, `factory`)."""
    from kg.web import access_log, create_app
    from kg.web.dataset import warm_up, watch

    app = create_app()
    app.config["KG_SERVER_PID"] = os.getppid()  # kg serve itself: a restart after an update
    warm_up(app)
    if app.config["KG"].store_check > 0:
        watch(app, app.config["KG"].store_check)
    stream = access_log.open_log(app.config["KG"].access_log)
    return access_log.AccessLog(app, stream) if stream is not None else app


def granian_options(settings: Settings) -> dict[str, Any]:
    return {
        "target": "kg.serve:worker_app",
        "factory": True,
        "address": settings.host,
        "port": settings.port,
        "interface": Interfaces.WSGI,
        "websockets": False,
        "workers": max(1, settings.workers),
        "blocking_threads": max(1, settings.threads),
        "backlog": 512,
        # Long GET queries reach /sparql, which answers 414 above KG_MAX_BODY.
        "http1_settings": HTTP1Settings(max_buffer_size=settings.max_body + 64 * 1024),
        "respawn_failed_workers": True,
        "respawn_interval": RESPAWN_INTERVAL,
        "workers_kill_timeout": max(1, settings.graceful_timeout),
        "log_access": False,  # ours is kg.web.access_log, with the query time
        "pid_file": Path(settings.pid_file) if settings.pid_file else None,
    }


def serve(settings: Settings) -> int:
    """Serve the store of `settings` until stopped. The workers read their settings from the
    environment, so the ones given here (options over the environment) are put there first."""
    if settings.backend == "embedded":
        open_read_only(settings.store)  # fail now, with a clear message, if there is no store
    for env, name, _default in Settings.variables():
        os.environ[env] = str(getattr(settings, name))  # KG_STORE: the link, not its target
    Granian(**granian_options(settings)).serve()
    return 0
