"""CORS, applied once to every answer of the app (and by the /sparql fast path, the same way).

KG_CORS_ORIGINS is `*` (any origin), a comma-separated list of origins (each answered with its
own origin and `Vary: Origin`), or empty (no CORS headers at all).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

EXPOSED = "ETag, Server-Timing, X-Cache, Link, Retry-After"
PREFLIGHT = [
    ("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Accept, Content-Type, Authorization, If-None-Match"),
    ("Access-Control-Max-Age", "86400"),
]


def headers_for(origins: str, origin: str | None, method: str) -> list[tuple[str, str]]:
    """The CORS headers of an answer to a request from `origin` (its Origin header)."""
    origins = origins.strip()
    if not origins:
        return []
    if origins == "*":
        out = [("Access-Control-Allow-Origin", "*")]
    elif origin and origin in {o.strip() for o in origins.split(",")}:
        out = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    else:
        return []
    out.append(("Access-Control-Expose-Headers", EXPOSED))
    if method == "OPTIONS":
        out += PREFLIGHT
    return out


def _apply(response: Response) -> Response:
    for name, value in headers_for(
        current_app.config["KG"].cors_origins, request.headers.get("Origin"), request.method
    ):
        if name == "Vary":
            response.vary.add(value)
        else:
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    app.after_request(_apply)
