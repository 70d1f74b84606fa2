"""Every read-only page is answered from the result cache with ETag / 304 keyed by the build
and the canned queries' files (kg.web.conditional), as /sparql is."""

from __future__ import annotations

import shutil

import pytest
from conftest import QUERIES, app_for

PAGES = [
    "/queries",
    "/queries/timeline?lang=zh",
    "/queries/timeline.rq",
    "/openapi.json",
    "/api",
    "/scad/sle",
    "/scad/sle?format=turtle",
    "/void",
    "/ontology/",
    "/ontology/Outcome",
    "/pictures/",
    "/context.jsonld",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_is_cached_and_revalidated(client, path):
    first = client.get(path)
    assert first.status_code == 200, first.data[:200]
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    second = client.get(path)
    assert second.headers["X-Cache"] == "hit" and second.data == first.data
    assert second.headers["ETag"] == etag
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    not_modified = client.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_etag_follows_the_representation(client):
    html = client.get("/scad/sle", headers={"Accept": "text/html"}).headers["ETag"]
    turtle = client.get("/scad/sle", headers={"Accept": "text/turtle"}).headers["ETag"]
    chinese = client.get("/scad/sle?lang=zh", headers={"Accept": "text/html"}).headers["ETag"]
    assert len({html, turtle, chinese}) == 3


def test_errors_are_not_cached(client):
    for _ in range(2):
        reply = client.get("/queries/search")  # q is required
        assert reply.status_code == 400 and "ETag" not in reply.headers
        assert reply.headers["Cache-Control"] == "no-store"


def test_an_edited_canned_query_changes_its_etag(settings, tmp_path):
    folder = tmp_path / "queries"
    shutil.copytree(QUERIES, folder)
    with app_for(settings, queries=folder) as app:
        client = app.test_client()
        before = client.get("/queries/timeline.rq")
        path = folder / "timeline.rq"
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        after = client.get(
            "/queries/timeline.rq", headers={"If-None-Match": before.headers["ETag"]}
        )
        assert after.status_code == 200 and after.data.endswith(b"# edited\n")
        assert after.headers["ETag"] != before.headers["ETag"]
