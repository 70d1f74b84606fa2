"""Read replicas: `kg serve` instances behind nginx (Debian's, installed by apt when missing) on
loopback (tests/balancer.py). One replica killed under load costs no failed request, since nginx
retries an idempotent GET on the next upstream (`proxy_next_upstream`); a new build rolled out
replica by replica (each on its own store link and its own copy of the build) costs none either."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import pytest
from balancer import balancer, kill_tree, own_copy
from conftest import Built, Hammer, Server, health, start_server, stop_server, until, wait_for_new

ONE_WORKER = {"KG_WORKERS": "1", "KG_ACCESS_LOG": ""}


def upstreams(replicas: list[Server]) -> list[str]:
    return [r.url.removeprefix("http://") for r in replicas]


def more_answers(hammer: Hammer, count: int) -> None:
    """Until the clients have had `count` more answers (or a failure, which the test reports)."""
    target = hammer.answered + count
    until(lambda: hammer.answered >= target or hammer.failures != [])


def test_a_replica_killed_under_load_costs_no_failed_request(built: Built):
    replicas = [start_server(built.store_path, ONE_WORKER) for _ in range(2)]
    try:
        with balancer(upstreams(replicas)) as base:
            hammer = Hammer(base, clients=4)
            try:
                more_answers(hammer, 100)
                kill_tree(replicas[0].process.pid)
                more_answers(hammer, 200)
            finally:
                hammer.finish()
            with pytest.raises(OSError):  # the killed replica is gone: the rest was the other's
                urllib.request.urlopen(replicas[0].url + "/health", timeout=2)
            assert hammer.failures == [], hammer.failures[:5]
            assert hammer.answered >= 300
    finally:
        for replica in replicas:
            stop_server(replica)  # the killed one too: its log


def test_a_new_build_rolled_out_replica_by_replica_costs_no_failed_request(
    built: Built, tmp_path: Path
):
    links = [tmp_path / f"replica-{i}" / "store" for i in range(2)]
    for link in links:
        link.parent.mkdir()
        own_copy(link, built.store_path)  # each replica its own copy of the build
    old = built.store_path.resolve().name
    new = tmp_path / "new-build"  # the same graph in another build folder: another build id
    shutil.copytree(built.store_path.resolve(), new)
    replicas = [start_server(link, {**ONE_WORKER, "KG_STORE_CHECK": "0.2"}) for link in links]
    try:
        with balancer(upstreams(replicas)) as base:
            hammer = Hammer(base, clients=4)
            try:
                more_answers(hammer, 50)
                for done, (replica, link) in enumerate(zip(replicas, links, strict=True), 1):
                    before = health(replica.url)
                    assert before["build"] == old
                    own_copy(link, new)  # this replica's link only
                    wait_for_new(replica.url, before)
                    # one replica at a time: the ones not rolled out yet still serve the old build
                    assert [health(r.url)["build"] for r in replicas[done:]] == [old] * (2 - done)
                    more_answers(hammer, 50)
            finally:
                hammer.finish()
            assert hammer.failures == [], hammer.failures[:5]
            assert [health(r.url)["build"] for r in replicas] == [new.name, new.name]
            assert health(base)["build"] == new.name
    finally:
        for replica in replicas:
            stop_server(replica)
