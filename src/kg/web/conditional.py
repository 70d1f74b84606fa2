"""Every read-only page of the service answered as /sparql answers a query: from the result
cache when it is there, `304 Not Modified` when the client's ETag still holds.

An answer depends only on the served build, the canned queries' files, the path, the query
string and the Accept header, so those make the key and the ETag: a new build or an edited
query changes them, nothing else can. `@cached` wraps a view; errors and non-200 answers pass
through untouched (and are never stored). Concurrent requests for the same page wait for the
first to make it (one computation per worker, not one per connection).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, current_app, request

from kg.web.dataset import get_catalogue, served

KEPT_HEADERS = ("Content-Type", "Link", "Vary")
_making: dict[tuple, threading.Lock] = {}  # pages being made now, by key
_making_guard = threading.Lock()


@dataclass(frozen=True)
class Page:
    """A 200 answer as the cache keeps it."""

    body: bytes
    headers: tuple[tuple[str, str], ...]

    def __len__(self) -> int:  # what the cache counts against its bounds
        return len(self.body)


def etag_of(key: tuple) -> str:
    return '"' + hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    return bool(if_none_match) and etag in {
        v.strip().removeprefix("W/") for v in if_none_match.split(",")
    }


def cached(view: Callable[..., Response]) -> Callable[..., Response]:
    @functools.wraps(view)
    def wrapper(*args: object, **kwargs: object) -> Response:
        build = served()
        key = (
            "page",
            build.tag,
            get_catalogue().version(),
            request.path,
            tuple(sorted(request.args.items(multi=True))),
            request.headers.get("Accept", ""),
        )
        etag = etag_of(key)
        validators = {
            "ETag": etag,
            "Cache-Control": f"public, max-age={current_app.config['KG'].cache_max_age}",
        }
        if matches(request.headers.get("If-None-Match"), etag):
            return Response(status=304, headers=validators)
        page = build.cache.get(key)
        if isinstance(page, Page):
            return Response(
                page.body, 200, [*page.headers, *validators.items(), ("X-Cache", "hit")]
            )
        response = view(*args, **kwargs)
        if response.status_code != 200:
            return response
        response.direct_passthrough = False
        page = Page(
            response.get_data(),
            tuple((k, v) for k, v in response.headers.items() if k in KEPT_HEADERS),
        )
        build.cache.put(key, page)
        response.headers.update(validators)
        response.headers["X-Cache"] = "miss"
        return response

    return wrapper
