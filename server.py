"""WSGI entry point: `granian --interface wsgi server:app` or `flask --app server run`
(`kg serve` is the configured way: see kg.serve)."""

from kg.web import create_app

app = create_app()
