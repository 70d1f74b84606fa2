"""The Flask application factory; each concern is a blueprint in its own module, errors and CORS
are applied once for all of them (kg.web.errors, kg.web.cors)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kg.config import Settings
from kg.web import (
    api,
    cors,
    errors,
    graph_store,
    health,
    linked,
    page,
    search,
    service_description,
    sparql,
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app, configured from the environment (kg.config.Settings); `test_config` overrides
    settings by name."""
    app = Flask(__name__)
    settings = Settings.from_env()
    for key, value in (test_config or {}).items():
        if not hasattr(settings, key):
            raise KeyError(f"no setting named {key!r}")
        setattr(settings, key, value)
    app.config["KG"] = settings
    for blueprint in (
        sparql.bp,
        graph_store.bp,
        service_description.bp,
        health.bp,
        page.bp,
        linked.bp,
        api.bp,
        search.bp,
    ):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    cors.init_app(app)
    sparql.install_fast_path(app)  # plain GET/POST queries skip Flask's per-request work
    return app
