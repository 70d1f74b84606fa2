"""The result cache: bounded by entries and bytes, least recently used out first, and streamed
results kept once they have ended whole (real query processes on the built store)."""

from __future__ import annotations

import pytest

from kg.query.executor import PREFETCH, Executor
from kg.web.cache import ResultCache

BIG = "CONSTRUCT { ?s ?p ?o . ?o ?p ?s } WHERE { ?s ?p ?o }"  # over the prefetch: streamed


def test_least_recently_used_goes_first():
    cache = ResultCache(max_entries=2, max_entry_bytes=10)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # a is now the most recent
    cache.put("c", b"3")
    assert cache.get("b") is None and cache.get("a") == b"1" and cache.get("c") == b"3"
    cache.put("d", b"x" * 11)  # over the entry size: not kept
    assert cache.get("d") is None
    assert cache.stats()["entries"] == 2


def test_total_bytes_are_bounded():
    cache = ResultCache(max_entries=10, max_entry_bytes=10, max_total_bytes=25)
    for key in "abc":
        cache.put(key, b"x" * 10)
    assert cache.get("a") is None and cache.stats()["bytes"] == 20


def test_size_zero_turns_it_off():
    cache = ResultCache(0, 10)
    cache.put("a", b"1")
    assert not cache.enabled and cache.get("a") is None


@pytest.fixture(scope="module")
def executor(built):
    ex = Executor(built.store_path, size=1, timeout=10, max_rows=1_000_000)
    yield ex
    ex.close()


def test_a_streamed_result_is_kept_once_it_has_ended(executor):
    cache = ResultCache(8, 50_000_000)
    _, stream = executor.execute(BIG, accept_format="ntriples")
    assert stream.body is None
    recording = cache.recording("big", stream)
    first = next(recording)
    assert cache.get("big") is None  # not before the end
    body = first + b"".join(recording)
    assert len(body) > PREFETCH and cache.get("big") == body


def test_a_streamed_result_over_the_entry_size_or_stopped_early_is_not_kept(executor):
    cache = ResultCache(8, PREFETCH)
    _, stream = executor.execute(BIG, accept_format="ntriples")
    assert len(b"".join(cache.recording("big", stream))) > PREFETCH
    assert cache.get("big") is None
    roomy = ResultCache(8, 50_000_000)
    _, stream = executor.execute(BIG, accept_format="ntriples")
    recording = roomy.recording("big", stream)
    next(recording)
    recording.close()  # the client went away
    assert roomy.get("big") is None
    assert executor.execute("ASK {}")[1].read().endswith(b"true}")  # the process was replaced
