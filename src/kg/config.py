"""Settings, read from environment variables with defaults; listed in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    # absolute, but symbolic links kept: KG_STORE names the link a rebuild swaps
    return Path(os.path.abspath(os.path.expanduser(value))) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from exc


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number, got {value!r}") from exc


def default_store() -> Path:
    """KG_STORE, or var/store under the project."""
    return _env_path("KG_STORE", PROJECT_ROOT / "var" / "store")


def default_sources() -> Path:
    return _env_path("KG_SOURCES", PROJECT_ROOT / "ontology")


def default_extra_sources() -> list[Path]:
    """KG_EXTRA_SOURCES: more data files for `kg build`, separated by os.pathsep (`:`)."""
    value = os.environ.get("KG_EXTRA_SOURCES", "")
    return [Path(os.path.abspath(os.path.expanduser(p))) for p in value.split(os.pathsep) if p]


def default_queries() -> Path:
    """KG_QUERIES, or queries/ under the project: the canned queries' folder."""
    return _env_path("KG_QUERIES", PROJECT_ROOT / "queries")


def default_output() -> Path:
    """Where the build writes its files for people (the merged OWL for Protégé, pictures)."""
    return _env_path("KG_OUTPUT", PROJECT_ROOT / "var" / "output")


@dataclass
class Settings:
    """Service settings; `Settings.from_env()` reads them, tests override fields."""

    store: Path = field(default_factory=default_store)
    queries: Path = field(default_factory=default_queries)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    query_timeout: float = 5.0
    max_rows: int = 10000
    max_body: int = 1_000_000
    cors_origins: str = "*"
    update_token: str = ""
    cache_size: int = 256
    # Serving (kg serve / granian) and the query processes; see the README's Configuration.
    threads: int = 4  # Python threads per worker process running the app
    query_processes: int = 0  # query processes per worker; 0 = one per thread
    inline_under_ms: float = 50.0  # a query once answered in this much CPU runs in the worker after
    cache_max_age: int = 60  # Cache-Control max-age of query results, seconds
    cache_entry_max: int = 4_000_000  # largest result kept in the result cache, bytes
    pid_file: str = ""  # kg serve writes its pid here (for kill -HUP)
    access_log: str = "-"  # "-" = standard output, a file path, or "" = off
    graceful_timeout: int = 30  # seconds old workers get to finish on reload/stop
    store_check: float = 1.0  # seconds between a worker's checks of the store link; 0 = off

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            store=default_store(),
            queries=default_queries(),
            host=os.environ.get("KG_HOST", "127.0.0.1"),
            port=_env_int("KG_PORT", 8000),
            workers=_env_int("KG_WORKERS", 2),
            query_timeout=_env_float("KG_QUERY_TIMEOUT", 5.0),
            max_rows=_env_int("KG_MAX_ROWS", 10000),
            max_body=_env_int("KG_MAX_BODY", 1_000_000),
            cors_origins=os.environ.get("KG_CORS_ORIGINS", "*"),
            update_token=os.environ.get("KG_UPDATE_TOKEN", ""),
            cache_size=_env_int("KG_CACHE_SIZE", 256),
            threads=_env_int("KG_THREADS", 4),
            query_processes=_env_int("KG_QUERY_PROCESSES", 0),
            inline_under_ms=_env_float("KG_INLINE_UNDER_MS", 50.0),
            cache_max_age=_env_int("KG_CACHE_MAX_AGE", 60),
            cache_entry_max=_env_int("KG_CACHE_ENTRY_MAX", 4_000_000),
            pid_file=os.environ.get("KG_PID_FILE", ""),
            access_log=os.environ.get("KG_ACCESS_LOG", "-"),
            graceful_timeout=_env_int("KG_GRACEFUL_TIMEOUT", 30),
            store_check=_env_float("KG_STORE_CHECK", 1.0),
        )
