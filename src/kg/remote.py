"""A client of a running service (`kg query --endpoint`, `kg queries --endpoint`): GET a URL and
turn the service's JSON error document (kg.web.errors) back into the error it stands for."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlencode

from kg.errors import ParameterError, QueryError, RemoteError, UnknownQuery


def fetch(url: str, accept: str, timeout: float = 60.0) -> bytes:
    req = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "kg-cli"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise error_of(exc.code, exc.read()) from None
    except (urllib.error.URLError, OSError) as exc:
        raise RemoteError(f"cannot reach {url}: {exc}") from None


def error_of(status: int, body: bytes) -> Exception:
    """The error a service's error answer stands for."""
    text = body.decode("utf-8", "replace").strip()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    message = doc.get("message") or text or f"HTTP {status}"
    if doc.get("parameter"):
        return ParameterError(
            doc["parameter"], doc.get("expected", "a valid value"), doc.get("value")
        )
    if status == 404 and doc.get("query"):
        return UnknownQuery(doc["query"])
    if status == 400 and doc.get("error") == "QueryError":
        return QueryError(message, doc.get("line"), doc.get("column"))
    return RemoteError(f"HTTP {status}: {message}", status)


def canned_url(endpoint: str, name: str, values: Mapping[str, str], fmt: str) -> str:
    """The URL of a canned query on a service (`endpoint` is the service's base URL)."""
    return f"{endpoint.rstrip('/')}/queries/{name}?{urlencode({**values, 'format': fmt})}"


def sparql_url(endpoint: str, query: str) -> str:
    return f"{endpoint.rstrip('/')}/sparql?{urlencode({'query': query})}"
