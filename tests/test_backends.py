"""KG_BACKEND=sparql (kg.backends, kg.query.remote_engine): a real `oxigraph serve` on loopback,
started here in a temporary folder, the build loaded into it by `kg push`, and the service in
front of it answering as it answers on the embedded store: every canned query with each of its
examples, an entity page, /sparql, VoID, OpenAPI, /health, ETags. An engine that is down or
never answers is a 503 with a message, within the time limit."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SOURCES, Built, app_for, free_port, start_server, stop_server
from engines import Engine, oxigraph_serve
from flask import Flask
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.backends.push import PUSH_GRAPH, push
from kg.build import build
from kg.config import Settings
from kg.errors import ConfigError
from kg.vocab import GRAPHS
from kg.web.dataset import reopen

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
GRAPHS_SEEN = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
BOUNDED_WAIT = 30.0  # seconds an engine gets to start


def remote_settings(settings: Settings, url: str, **more: object) -> dict[str, object]:
    return {"backend": "sparql", "engine": "oxigraph", "sparql_endpoint": url, **more}


@pytest.fixture(scope="module")
def engine_server() -> Iterator[Engine]:
    with oxigraph_serve() as server:
        yield server


@pytest.fixture(scope="module")
def pushed(engine_server: Engine, settings: Settings) -> Engine:
    """The review's build pushed into the engine, plus a graph of someone else's beside it."""
    target = Settings(store=settings.store, engine="oxigraph", sparql_endpoint=engine_server.url)
    push(target)
    update = "INSERT DATA { GRAPH <urn:other> { <urn:a> <urn:b> <urn:c> } }"
    req = urllib.request.Request(
        engine_server.base + "/update",
        data=update.encode(),
        headers={"Content-Type": "application/sparql-update"},
    )
    urllib.request.urlopen(req, timeout=10).close()
    return engine_server


@pytest.fixture(scope="module")
def remote_app(settings: Settings, pushed: Engine) -> Iterator[Flask]:
    with app_for(settings, **remote_settings(settings, pushed.url)) as app:
        yield app


def json_of(app: Flask, path: str, **args: str) -> dict:
    reply = app.test_client().get(path, query_string=args, headers={"Accept": "application/json"})
    assert reply.status_code == 200, (path, args, reply.data[:500])
    return json.loads(reply.data)


def examples(app: Flask) -> list[tuple[str, str]]:
    """(canned query, query string) for every canned query: no parameters (unless one is
    required), then each of its examples."""
    out = []
    for item in json_of(app, "/queries")["queries"]:
        name = item["name"]
        needs = any(p.get("required") for p in item.get("parameters", []))
        out += [] if needs else [(name, "")]
        out += [(name, e.lstrip("?")) for e in item.get("examples", [])]
    return out


def calls_that_differ(app: Flask, remote_app: Flask) -> list[tuple[str, str]]:
    """The calls of `examples` whose answers through `remote_app` differ from `app`'s."""
    differ = []
    for name, query_string in examples(app):
        args = dict(a.split("=", 1) for a in query_string.split("&") if a)
        local = json_of(app, f"/queries/{name}", format="json", **args)
        remote = json_of(remote_app, f"/queries/{name}", format="json", **args)
        if not same_rows(remote, local):
            differ.append((name, query_string))
    return differ


def concatenated(value: str) -> list[str]:
    """A GROUP_CONCAT's parts: SPARQL leaves their order to the engine."""
    return sorted(re.split(r"[;,]? ", value))


def same_rows(remote: dict, local: dict) -> bool:
    """The same results, a GROUP_CONCAT's parts in any order."""
    a, b = remote["results"]["bindings"], local["results"]["bindings"]
    if remote["head"] != local["head"] or len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x.keys() != y.keys():
            return False
        for k in x:
            if x[k] != y[k] and (
                {**x[k], "value": ""} != {**y[k], "value": ""}
                or concatenated(x[k]["value"]) != concatenated(y[k]["value"])
            ):
                return False
    return True


def same_graph(a: bytes, b: bytes, fmt: str) -> bool:
    """The same triples, blank nodes matched (each store labels its own)."""
    return isomorphic(Graph().parse(data=a, format=fmt), Graph().parse(data=b, format=fmt))


def test_every_canned_query_answers_as_on_the_embedded_store(app: Flask, remote_app: Flask):
    assert len(examples(app)) >= 40
    assert calls_that_differ(app, remote_app) == []


def test_sparql_protocol_answers_as_on_the_embedded_store(client, remote_app: Flask):
    remote = remote_app.test_client()
    for query in (
        COUNT_ALL,
        GRAPHS_SEEN,
        "ASK { ?s a ?c }",
        "DESCRIBE <https://w3id.org/scad/MSCT>",
    ):
        for accept in ("application/sparql-results+json", "text/csv", "application/n-triples"):
            if ("DESCRIBE" in query) != (accept == "application/n-triples"):
                continue
            local = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
            got = remote.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
            assert got.status_code == local.status_code == 200
            assert got.headers["Content-Type"] == local.headers["Content-Type"]
            if accept == "application/n-triples":
                assert same_graph(got.data, local.data, "nt")
            else:
                assert got.data == local.data, query
    # only our four graphs: not the engine's other graph, nor the push record
    seen = remote.get("/sparql", query_string={"query": GRAPHS_SEEN, "format": "csv"}).text
    assert "urn:other" not in seen and PUSH_GRAPH not in seen


def test_our_checks_come_before_the_engine(remote_app: Flask):
    remote = remote_app.test_client()
    refused = remote.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://x/> {} }"})
    assert refused.status_code == 400 and "SERVICE" in refused.json["message"]
    update = remote.post("/sparql", data={"update": "DROP ALL"})
    assert update.status_code == 403
    bad = remote.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400 and bad.json["error"] == "QueryError"
    assert bad.json["line"] == 1


def test_row_cap_and_time_limit_reach_the_engine(settings: Settings, pushed: Engine):
    with app_for(settings, **remote_settings(settings, pushed.url, max_rows=7)) as app:
        reply = app.test_client().get(
            "/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "csv"}
        )
        assert reply.status_code == 200 and len(reply.data.splitlines()) == 1 + 7


def test_entity_page_void_openapi_and_health(app: Flask, remote_app: Flask, settings: Settings):
    local, remote = app.test_client(), remote_app.test_client()
    for path, accept in (
        ("/scad/MSCT", "text/turtle"),
        ("/scad/lupus-nephritis", "text/html"),
        ("/void", "application/n-triples"),
        ("/openapi.json", "application/json"),
    ):
        a = local.get(path, headers={"Accept": accept})
        b = remote.get(path, headers={"Accept": accept})
        assert a.status_code == b.status_code == 200, path
        if accept == "text/turtle":
            assert same_graph(b.data, a.data, "turtle"), path
        elif accept == "application/n-triples":
            assert same_graph(b.data, a.data, "nt"), path
        else:
            assert b.data == a.data, path
    health = remote.get("/health").json
    assert (
        health["backend"] == "sparql" and health["triples"] == local.get("/health").json["triples"]
    )
    assert health["digest"] == local.get("/health").json["digest"]
    assert health["build"] == settings.store.resolve().name
    assert health["origin"].startswith("http://127.0.0.1:")


def test_etags_come_from_what_was_pushed(settings: Settings, pushed: Engine, tmp_path: Path):
    with app_for(settings, **remote_settings(settings, pushed.url)) as app:
        client = app.test_client()
        first = client.get("/sparql", query_string={"query": COUNT_ALL})
        etag = first.headers["ETag"]
        again = client.get(
            "/sparql", query_string={"query": COUNT_ALL}, headers={"If-None-Match": etag}
        )
        assert again.status_code == 304
        assert not reopen(app)  # nothing new pushed: the same build is served
        # Another build of the same sources, pushed: the service moves to it, with new ETags.
        other = tmp_path / "store"
        build(SOURCES, other, tmp_path / "scad.owl", log=lambda _m: None)
        push(Settings(store=other, engine="oxigraph", sparql_endpoint=pushed.url))
        try:
            assert reopen(app)
            fresh = client.get("/sparql", query_string={"query": COUNT_ALL})
            assert fresh.status_code == 200 and fresh.data == first.data
            assert fresh.headers["ETag"] != etag
            assert client.get("/health").json["build"] == other.resolve().name
        finally:
            push(Settings(store=settings.store, engine="oxigraph", sparql_endpoint=pushed.url))


def test_kg_push_from_the_command_line(runner, pushed: Engine, settings: Settings):
    ran = runner("push", "--engine", "oxigraph", "--to", pushed.url)
    assert ran.code == 0, ran.stderr
    assert f"pushed build {settings.store.resolve().name}" in ran.text


def test_a_real_server_in_front_of_the_engine(built: Built, pushed: Engine):
    server = start_server(
        built.store_path,
        {"KG_BACKEND": "sparql", "KG_ENGINE": "oxigraph", "KG_SPARQL_ENDPOINT": pushed.url},
    )
    try:
        with urllib.request.urlopen(server.url + "/health", timeout=10) as reply:
            assert json.load(reply)["backend"] == "sparql"
        url = server.url + "/sparql?query=" + urllib.request.quote(COUNT_ALL)
        with urllib.request.urlopen(url, timeout=10) as reply:
            assert json.load(reply)["results"]["bindings"][0]["n"]["value"].isdigit()
    finally:
        stop_server(server)


# --- an engine that is down, or never answers ---------------------------------------------------


def test_an_engine_that_is_down_is_a_503_with_a_message(settings: Settings):
    url = f"http://kg-user:s3cret@127.0.0.1:{free_port()}/query"  # nothing listens there
    overrides = remote_settings(settings, url, sparql_user="kg-user", sparql_password="s3cret")
    with app_for(settings, **overrides) as app:
        client = app.test_client()
        started = time.monotonic()
        for path in ("/health", "/sparql?query=ASK%7B%7D", "/queries/timeline", "/scad/MSCT"):
            reply = client.get(path, headers={"Accept": "application/json"})
            assert reply.status_code == 503, path
            assert "does not answer" in reply.json["message"]
            assert "s3cret" not in reply.text and "kg-user" not in reply.text
            assert reply.headers["Retry-After"]
        page = client.get("/health", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "does not answer" in page.text
        assert time.monotonic() - started < 5


def test_an_engine_that_never_answers_is_a_503_at_the_time_limit(settings: Settings):
    with socket.socket() as silent:  # accepts connections (the backlog), answers nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/query"
        with app_for(settings, **remote_settings(settings, url, query_timeout=1.0)) as app:
            started = time.monotonic()
            reply = app.test_client().get("/health")
            assert reply.status_code == 503
            assert "time limit" in reply.json["message"]
            assert time.monotonic() - started < 4


def test_backend_settings_are_checked_and_the_password_never_shown():
    with pytest.raises(ConfigError, match="KG_BACKEND must be one of embedded, sparql"):
        Settings.from_env({"KG_BACKEND": "virtuoso"})
    with pytest.raises(ConfigError, match="KG_SPARQL_ENDPOINT"):
        Settings.from_env({"KG_BACKEND": "sparql"})
    with pytest.raises(ConfigError, match="KG_ENGINE must be one of"):
        Settings.from_env({"KG_ENGINE": "qlever"})
    read = Settings.from_env(
        {"KG_BACKEND": "sparql", "KG_SPARQL_ENDPOINT": "http://h/q", "KG_SPARQL_PASSWORD": "pw"}
    )
    assert read.shown("sparql_password") == "(set)" and read.sparql_password == "pw"
    in_url = Settings(sparql_endpoint="http://u:pw@h:8890/sparql")
    assert in_url.shown("sparql_endpoint") == "http://h:8890/sparql"


def test_kg_query_goes_to_the_engine_with_the_sparql_backend(runner, pushed: Engine):
    env = {"KG_BACKEND": "sparql", "KG_ENGINE": "oxigraph", "KG_SPARQL_ENDPOINT": pushed.url}
    ran = runner("query", "--format", "csv", GRAPHS_SEEN, env=env)
    assert ran.code == 0, ran.stderr
    assert "https://w3id.org/scad/graph/metadata" in ran.text and "urn:other" not in ran.text
    canned = runner("query", "timeline", "--format", "csv", env=env)
    assert canned.code == 0 and canned.text == runner("query", "timeline", "--format", "csv").text
    down = runner("query", "ASK {}", env={**env, "KG_SPARQL_ENDPOINT": "http://127.0.0.1:9/q"})
    assert down.code == 5 and "does not answer" in down.stderr


def test_store_dumps_read_the_engine_without_a_local_build(
    client, settings: Settings, pushed: Engine, tmp_path: Path
):
    overrides = remote_settings(settings, pushed.url, store=tmp_path / "no-build-here")
    with app_for(settings, **overrides) as app:
        remote = app.test_client()
        for args in ({"graph": GRAPHS["ontology"]}, {"default": ""}):
            got = remote.get(
                "/store", query_string=args, headers={"Accept": "application/n-triples"}
            )
            local = client.get(
                "/store", query_string=args, headers={"Accept": "application/n-triples"}
            )
            assert got.status_code == local.status_code == 200
            assert same_graph(got.data, local.data, "nt"), args
        quads = remote.get("/store", headers={"Accept": "application/n-quads"})
        assert quads.status_code == 200
        assert len(quads.data.splitlines()) == len(
            client.get("/store", headers={"Accept": "application/n-quads"}).data.splitlines()
        )
        assert remote.get("/store", query_string={"graph": "urn:other"}).status_code == 404
        search = remote.get("/search", query_string={"q": "lupus"})
        assert search.status_code == 503 and "KG_STORE" in search.json["message"]


def test_kg_open_follows_the_backend_setting(
    built: Built, pushed: Engine, monkeypatch: pytest.MonkeyPatch
):
    import kg

    for name, value in remote_settings(Settings(), pushed.url).items():
        monkeypatch.setenv(f"KG_{name.upper()}", str(value))
    monkeypatch.setenv("KG_STORE", str(built.store_path))
    text = "SELECT ?o ?v WHERE { ?o <https://w3id.org/scad/lowerBound> ?v } ORDER BY ?o"
    with kg.open() as remote, kg.open(built.store_path) as local:
        assert remote.settings.backend == "sparql" and local.settings.backend == "embedded"
        assert list(remote.query(text)) == list(local.query(text)) != []
        assert list(remote.canned("timeline")) == list(local.canned("timeline"))
