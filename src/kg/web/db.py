"""The store, opened read-only once per worker process and shared by its requests."""

from __future__ import annotations

from flask import Flask, current_app
from pyoxigraph import Store

from kg.store import open_read_only


def get_store() -> Store:
    store = current_app.extensions.get("kg_store")
    if store is None:
        store = open_read_only(current_app.config["KG"].store)
        current_app.extensions["kg_store"] = store
    return store


def init_app(app: Flask) -> None:
    app.extensions["kg_store"] = None
