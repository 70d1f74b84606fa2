"""The Flask application factory; each concern is a blueprint in its own module."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kg.config import Settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    settings = Settings.from_env()
    for key, value in (test_config or {}).items():
        setattr(settings, key, value)
    app.config["KG"] = settings

    from kg.web import api, graph_store, health, linked, page, search, service_description, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(graph_store.bp)
    app.register_blueprint(service_description.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(page.bp)
    app.register_blueprint(linked.bp)
    app.register_blueprint(search.bp)
    api.init_app(app)
    sparql.install_fast_path(app)  # plain GET/POST queries skip Flask's per-request work
    return app
