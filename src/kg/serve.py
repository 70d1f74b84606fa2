"""`kg serve`: the Flask app under gunicorn, configured from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from gunicorn.app.base import BaseApplication

from kg.store import open_read_only


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


def serve(store: Path, host: str, port: int, workers: int, reload_on_change: bool = False) -> int:
    open_read_only(store)  # fail now, with a clear message, if there is no store
    os.environ["KG_STORE"] = str(store)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": 60,
        "accesslog": "-",
        "reload": reload_on_change,
    }
    _Gunicorn(options).run()
    return 0
