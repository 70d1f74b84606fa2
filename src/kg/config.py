"""Settings, read from environment variables with defaults; listed in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


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


def default_output() -> Path:
    """Where the build writes its files for people (the merged OWL for Protégé, pictures)."""
    return _env_path("KG_OUTPUT", PROJECT_ROOT / "var" / "output")


@dataclass
class Settings:
    """Service settings; `Settings.from_env()` reads them, tests override fields."""

    store: Path = field(default_factory=default_store)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    query_timeout: float = 5.0
    max_rows: int = 10000
    max_body: int = 1_000_000
    cors_origins: str = "*"
    update_token: str = ""
    cache_size: int = 256

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            store=default_store(),
            host=os.environ.get("KG_HOST", "127.0.0.1"),
            port=_env_int("KG_PORT", 8000),
            workers=_env_int("KG_WORKERS", 2),
            query_timeout=_env_float("KG_QUERY_TIMEOUT", 5.0),
            max_rows=_env_int("KG_MAX_ROWS", 10000),
            max_body=_env_int("KG_MAX_BODY", 1_000_000),
            cors_origins=os.environ.get("KG_CORS_ORIGINS", "*"),
            update_token=os.environ.get("KG_UPDATE_TOKEN", ""),
            cache_size=_env_int("KG_CACHE_SIZE", 256),
        )
