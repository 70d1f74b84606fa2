"""The service's own SPARQL Protocol tests (test_web_sparql.py) run again with the service in
front of a real engine, `oxigraph serve` and Virtuoso, each holding the review's build by
`kg push`: the same methods, formats, dataset parameters, limits, refusals, errors, validators
and descriptions as on the embedded store (/health, which differs by design, is tested in
test_backends.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import app_for
from engines import oxigraph_serve, virtuoso
from flask.testing import FlaskClient
from test_web_sparql import (  # noqa: F401  (the tests, collected here with this client)
    MAX_BODY,
    MAX_ROWS,
    test_406_lists_the_offered_types,
    test_a_body_in_another_charset_than_utf8_is_refused,
    test_a_query_past_the_time_limit_is_503_with_retry_after,
    test_ask_formats,
    test_default_and_named_graph_uri,
    test_etag_304_and_result_cache,
    test_get_post_form_and_post_direct_give_the_same_rows,
    test_graph_formats_by_accept_and_by_format,
    test_head_has_the_headers_and_no_body,
    test_malformed_query_is_400_with_line_and_column,
    test_protocol_errors,
    test_quality_values_are_honoured,
    test_rows_are_capped,
    test_select_formats_by_accept_and_by_format,
    test_service_and_load_are_refused,
    test_service_description,
    test_update_is_refused_and_the_store_unchanged,
    test_void,
    test_volatile_queries_are_not_cached,
    test_w3c_format_iris_and_aliases_name_formats,
)

from kg.backends.push import push
from kg.config import Settings

ENGINES = {
    "oxigraph": (oxigraph_serve, {}),
    "virtuoso": (virtuoso, {"sparql_user": "dba", "sparql_password": "dba"}),  # a new database's
}


@pytest.fixture(scope="module", params=sorted(ENGINES))
def client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[FlaskClient]:
    start, credentials = ENGINES[request.param]
    with start() as engine:
        remote = {"engine": request.param, "sparql_endpoint": engine.url, **credentials}
        push(Settings(store=settings.store, **remote))
        limits = {"max_rows": MAX_ROWS, "max_body": MAX_BODY, "query_timeout": 2.0}
        with app_for(settings, backend="sparql", **remote, **limits) as app:
            yield app.test_client()
