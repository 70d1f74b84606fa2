"""Settings: one table of names, environment variables and defaults (listed in the README).

Folders. In a checkout of the project (the development setup) the sources and the canned
queries are its `ontology/` and `queries/`, and what the build writes goes under its `var/`.
Installed from a wheel, the package carries its own copy of both (`kg/resources/`, put there by
`setup.py` when the wheel is built) and writes under `var/` of the current working folder, as
Fuseki does with its `run/`. `KG_SOURCES`, `KG_QUERIES`, `KG_STORE` and `KG_OUTPUT` (and the
commands' options) override each; `kg info` says which ones are in use.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from kg.errors import ConfigError

RESOURCES = Path(__file__).resolve().parent / "resources"
BACKENDS = ("embedded", "sparql")
ENGINES = ("generic", "oxigraph", "virtuoso")


def checkout() -> Path | None:
    """The project folder when the package runs from a checkout of it, else None."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "ontology").is_dir():
        return root
    return None


def shipped(name: str) -> Path:
    """`ontology` or `queries`: the checkout's folder, or the copy inside the installed package."""
    root = checkout()
    return root / name if root is not None else RESOURCES / name


def workspace() -> Path:
    """Where `var/` (store, build output) and `dist/` go: the checkout, or the current folder."""
    root = checkout()
    return root if root is not None else Path.cwd()


def _path(value: str) -> Path:
    # absolute, but symbolic links kept: KG_STORE names the link a rebuild swaps
    return Path(os.path.abspath(os.path.expanduser(value)))


def setting(
    env: str,
    default: Any = MISSING,
    *,
    factory: Any = MISSING,
    secret: bool = False,
    choices: tuple[str, ...] = (),
) -> Any:
    """A Settings field read from the environment variable `env` (a secret is never shown;
    `choices`, when given, are the only values accepted)."""
    meta = {"env": env, "secret": secret, "choices": choices}
    if factory is not MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Settings:
    """Every setting, with its variable and default; `Settings.from_env()` reads them all,
    tests and commands override fields."""

    sources: Path = setting("KG_SOURCES", factory=lambda: shipped("ontology"))
    extra_sources: str = setting("KG_EXTRA_SOURCES", "")  # more data files, `:`-separated
    serve_statuses: str = setting("KG_SERVE_STATUSES", "accepted")  # review states kg build keeps
    queries: Path = setting("KG_QUERIES", factory=lambda: shipped("queries"))
    store: Path = setting("KG_STORE", factory=lambda: workspace() / "var" / "store")
    output: Path = setting("KG_OUTPUT", factory=lambda: workspace() / "var" / "output")
    dist: Path = setting("KG_DIST", factory=lambda: workspace() / "dist")
    endpoint: str = setting("KG_ENDPOINT", "")
    host: str = setting("KG_HOST", "127.0.0.1")
    port: int = setting("KG_PORT", 8000)
    workers: int = setting("KG_WORKERS", 2)
    build_workers: int = setting("KG_BUILD_WORKERS", 2)  # processes for SHACL slices, outputs
    threads: int = setting("KG_THREADS", 4)  # Python threads per worker process running the app
    query_processes: int = setting("KG_QUERY_PROCESSES", 0)  # per worker; 0 = one per thread
    inline_under_ms: float = setting("KG_INLINE_UNDER_MS", 50.0)
    query_timeout: float = setting("KG_QUERY_TIMEOUT", 5.0)
    max_rows: int = setting("KG_MAX_ROWS", 10000)
    page_size: int = setting("KG_PAGE_SIZE", 1000)  # a canned query's page when no limit is given
    export_timeout: float = setting("KG_EXPORT_TIMEOUT", 600.0)
    max_body: int = setting("KG_MAX_BODY", 1_000_000)
    cors_origins: str = setting("KG_CORS_ORIGINS", "*")
    update_token: str = setting("KG_UPDATE_TOKEN", "", secret=True)
    cache_size: int = setting("KG_CACHE_SIZE", 256)
    cache_max_age: int = setting("KG_CACHE_MAX_AGE", 60)
    cache_entry_max: int = setting("KG_CACHE_ENTRY_MAX", 4_000_000)
    pid_file: str = setting("KG_PID_FILE", "")
    access_log: str = setting("KG_ACCESS_LOG", "-")  # "-" = standard output, a path, "" = off
    graceful_timeout: int = setting("KG_GRACEFUL_TIMEOUT", 30)
    store_check: float = setting("KG_STORE_CHECK", 1.0)  # seconds; 0 = off
    # Past one machine (kg.backends): the service in front of a SPARQL engine, `kg push` into it.
    backend: str = setting("KG_BACKEND", "embedded", choices=BACKENDS)
    engine: str = setting("KG_ENGINE", "generic", choices=ENGINES)
    sparql_endpoint: str = setting("KG_SPARQL_ENDPOINT", "")  # the engine's query URL
    sparql_store: str = setting("KG_SPARQL_STORE", "")  # its Graph Store URL (for kg push)
    sparql_user: str = setting("KG_SPARQL_USER", "")
    sparql_password: str = setting("KG_SPARQL_PASSWORD", "", secret=True)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from the environment; a malformed number is refused with its name."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.metadata["env"], raw, f.type, f.metadata["choices"])
        settings = cls(**values)
        if settings.backend == "sparql" and not settings.sparql_endpoint:
            raise ConfigError("KG_BACKEND=sparql needs KG_SPARQL_ENDPOINT (the engine's query URL)")
        return settings

    def extra_source_files(self) -> list[Path]:
        """KG_EXTRA_SOURCES as paths (e.g. statements written by `kg synth`)."""
        return [_path(p) for p in self.extra_sources.split(os.pathsep) if p]

    @classmethod
    def variables(cls) -> list[tuple[str, str, str]]:
        """(variable, field name, default) of every setting, for `kg info` and `kg serve`."""
        out = []
        for f in fields(cls):
            default = f.default if f.default is not MISSING else f.default_factory()
            out.append((f.metadata["env"], f.name, str(default)))
        return out

    def shown(self, name: str) -> str:
        """A setting's value as `kg info` shows it: secrets only as set or not."""
        value = str(getattr(self, name))
        secret = next(f.metadata["secret"] for f in fields(self) if f.name == name)
        if secret:
            return "(set)" if value else ""
        if name in ("sparql_endpoint", "sparql_store") and "@" in value:
            from kg.backends.http import shown  # a URL's user:password@ is never shown

            return shown(value)
        return value


def _parse(name: str, raw: str, kind: Any, choices: tuple[str, ...] = ()) -> Any:
    if choices and raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    kind = {"Path": Path, "int": int, "float": float, "str": str}.get(str(kind), kind)
    if kind is Path:
        return _path(raw)
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
    return raw
