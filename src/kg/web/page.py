"""The browser page at /: YASGUI (editor, results table and raw view, downloads) on /sparql.

YASGUI's files are installed by scripts/setup.sh into static/vendor/yasgui and served from here:
the page makes no request beyond this service. Example queries are the canned queries/*.rq.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from kg import vocab
from kg.web.dataset import get_catalogue

bp = Blueprint("page", __name__, template_folder="templates")

DEFAULT_QUERY = """SELECT ?class ?label (COUNT(?s) AS ?instances) WHERE {
  ?s a ?class .
  OPTIONAL { ?class rdfs:label ?label FILTER(LANG(?label) = "en") }
}
GROUP BY ?class ?label
ORDER BY DESC(?instances)
LIMIT 20
"""


def examples() -> list[dict[str, str]]:
    """The canned queries as {name, title, description, query} for the page's example list."""
    return [
        {"name": q.name, "title": q.title, "description": q.description, "query": q.text}
        for q in get_catalogue().queries().values()
    ]


@bp.get("/")
def index() -> Response:
    html = render_template(
        "page.html",
        prefixes=vocab.PREFIXES,
        default_query=vocab.sparql_prologue() + "\n" + DEFAULT_QUERY,
        examples=examples(),
    )
    return Response(html, content_type="text/html; charset=utf-8")
