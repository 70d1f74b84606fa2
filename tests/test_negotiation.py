"""Content negotiation on its own: Accept parsing, quality values, specificity, 406."""

from __future__ import annotations

import pytest

from kg.negotiation import accepts_explicitly, negotiate, parse_accept

RESULTS = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
GRAPHS = ["text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"]


def test_no_header_takes_the_servers_first_choice():
    assert negotiate(None, RESULTS) == RESULTS[0]
    assert negotiate("", RESULTS) == RESULTS[0]
    assert negotiate("*/*", GRAPHS) == "text/turtle"


def test_exact_type_wins():
    assert negotiate("text/csv", RESULTS) == "text/csv"
    assert negotiate("application/rdf+xml", GRAPHS) == "application/rdf+xml"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.9, text/tab-separated-values;q=0.95", "text/tab-separated-values"),
        ("application/sparql-results+json;q=0.1, */*;q=0.2", "application/sparql-results+xml"),
        ("text/*;q=0.8, application/sparql-results+json;q=0.5", "text/csv"),
        ("TEXT/CSV", "text/csv"),
        ('text/csv; charset="utf-8"; q=0.7, text/turtle', "text/csv"),
    ],
)
def test_quality_values_are_honoured(accept, expected):
    assert negotiate(accept, RESULTS) == expected


def test_more_specific_range_sets_the_quality():
    # text/csv is excluded by its own range even though text/* would accept it
    assert negotiate("text/*, text/csv;q=0", RESULTS) == "text/tab-separated-values"
    # */* at full quality, but the specific range lowers CSV below JSON
    assert negotiate("*/*, text/csv;q=0.1", ["text/csv", RESULTS[0]]) == RESULTS[0]


def test_equal_quality_prefers_the_specific_range_then_server_order():
    assert negotiate("text/csv, */*", RESULTS) == "text/csv"
    assert negotiate("text/*", RESULTS) == "text/csv"


def test_nothing_fits_gives_none():
    assert negotiate("image/png", RESULTS) is None
    assert negotiate("text/csv;q=0", ["text/csv"]) is None
    assert negotiate("application/*;q=0, text/*;q=0", RESULTS) is None


def test_malformed_parts_are_skipped():
    assert negotiate("garbage, text/csv;q=abc, text/turtle", GRAPHS) == "text/turtle"
    ranges = parse_accept("a, */csv, text/csv;q=2")
    assert [(r.type, r.subtype, r.quality) for r in ranges] == [("text", "csv", 1.0)]


def test_parse_orders_by_quality_then_specificity():
    ranges = parse_accept("*/*;q=0.1, text/*;q=0.5, text/csv;q=0.5, application/json")
    assert [f"{r.type}/{r.subtype}" for r in ranges] == [
        "application/json",
        "text/csv",
        "text/*",
        "*/*",
    ]


def test_accepts_explicitly():
    assert accepts_explicitly("text/html,*/*;q=0.8", "text/html")
    assert not accepts_explicitly("*/*", "text/html")
    assert not accepts_explicitly("text/html;q=0", "text/html")
