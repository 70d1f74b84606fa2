"""GET /search and GET /search/suggest through the Flask app on the real build: the JSON the
issue asks for, caching by build (ETag, 304), CORS, parameter errors, a build without an index,
and the front page's search box."""

from __future__ import annotations

import pytest
from conftest import app_for

from kg.store import write_store
from kg.vocab import SCAD

HIT_KEYS = ["iri", "label", "lang", "type", "snippet", "score"]


def test_search_answers_the_documented_json(client):
    response = client.get("/search", query_string={"q": "系統性紅斑狼瘡"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["total", "hits"] and body["total"] >= 1
    top = body["hits"][0]
    assert list(top) == HIT_KEYS
    assert top["iri"] == SCAD + "sle" and top["label"] == "系统性红斑狼疮" and top["lang"] == "zh"
    assert top["type"] == "scad:AutoimmuneDisease"
    assert top["snippet"] == "<mark>系统性红斑狼疮</mark>"
    scores = [hit["score"] for hit in body["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_lang_limit_offset_and_type(client):
    full = client.get("/search?q=MSC&limit=50").get_json()
    page = client.get("/search?q=MSC&limit=3&offset=2").get_json()
    assert page["total"] == full["total"] and page["hits"] == full["hits"][2:5]
    en = client.get("/search?q=狼疮&lang=en").get_json()["hits"][0]
    assert en["label"] == "systemic lupus erythematosus" and en["lang"] == "en"
    people = client.get("/search?q=Marmont&type=scad:Person").get_json()
    assert [h["iri"] for h in people["hits"]] == [SCAD + "marmont"]
    assert all(h["type"] == "scad:Person" for h in people["hits"])


def test_suggest_is_short_and_labels_only(client):
    body = client.get("/search/suggest?q=s").get_json()
    assert list(body) == ["total", "hits"] and 1 <= len(body["hits"]) <= 10 < body["total"]
    assert all(list(h) == HIT_KEYS for h in body["hits"])
    assert all("stmt-" not in h["iri"] for h in body["hits"])
    zh = client.get("/search/suggest?q=狼").get_json()["hits"]
    assert zh[0]["iri"] == SCAD + "sle" and zh[0]["snippet"] == "<mark>狼</mark>疮"


def test_answers_are_cached_by_build(client):
    first = client.get("/search?q=lupus")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get("/search?q=lupus")
    assert again.headers["ETag"] == etag and again.headers["X-Cache"] == "hit"
    assert again.get_data() == first.get_data()
    revalidated = client.get("/search?q=lupus", headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.get_data() == b""
    other = client.get("/search?q=lupus&lang=zh")
    assert other.headers["ETag"] != etag
    assert client.get("/search/suggest?q=lupus").headers["ETag"] != etag


def test_cors_as_the_rest_of_the_service(client):
    response = client.get("/search/suggest?q=lu", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/search", "q"),
        ("/search?q=%20%20", "q"),
        ("/search?q=" + "x" * 501, "q"),
        ("/search?q=lupus&lang=fr", "lang"),
        ("/search?q=lupus&type=x%3E%20%7D", "type"),
        ("/search?q=lupus&limit=-1", "limit"),
        ("/search?q=lupus&limit=100000000", "limit"),
        ("/search?q=lupus&offset=abc", "offset"),
        ("/search?q=lupus&qq=1", "qq"),
        ("/search/suggest?q=lu&limit=11", "limit"),
        ("/search/suggest?q=lu&offset=1", "offset"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["parameter"] == parameter and body["status"] == 400 and body["expected"]


def test_a_build_without_an_index_is_503(settings, tmp_path):
    store = tmp_path / "store"
    write_store(store, {})  # a store written with no search index beside it
    with app_for(settings, store=store) as app:
        response = app.test_client().get("/search?q=lupus", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert "no search index" in response.get_json()["message"]


def test_the_front_page_has_the_search_box_and_the_editor(client):
    page = client.get("/").get_data(as_text=True)
    assert page.index('id="search-q"') < page.index('id="yasgui"')  # search first
    assert 'data-suggest="/search/suggest"' in page and 'data-search="/search"' in page
    assert 'href="#sparql-editor"' in page and 'id="sparql-editor"' in page
    assert 'data-zh="搜索"' in page  # both languages
    script = client.get("/static/search.js")
    assert script.status_code == 200 and b"/scad/" in script.get_data()
