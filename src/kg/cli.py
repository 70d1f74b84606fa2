"""The `kg` command: build, serve, query (and the commands later issues add)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlencode

from kg import __version__
from kg.config import (
    PROJECT_ROOT,
    Settings,
    default_extra_sources,
    default_output,
    default_sources,
    default_store,
)
from kg.errors import KgError


def _store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help=f"store folder (default: $KG_STORE or {default_store()})",
    )


def _endpoint_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("KG_ENDPOINT") or None,
        metavar="URL",
        help="base URL of a remote service, e.g. http://127.0.0.1:8000 (default: $KG_ENDPOINT; "
        "none: the local store)",
    )


def cmd_build(args: argparse.Namespace) -> int:
    from kg.build import build

    store = None if args.check else (args.store or default_store())
    owl = None if args.check else (args.owl or default_output() / "scad.owl")
    cache = None if store is None or args.no_cache else store.with_name(store.name + ".cache")
    log = (lambda _msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    extra = [*args.extra_sources, *default_extra_sources()]
    report = build(args.sources, store, owl, log=log, extra=extra, cache_dir=cache)
    print("build checked (nothing written):" if args.check else "build done:")
    print("\n".join(report.lines()))
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from kg import synth

    vocab = synth.vocabulary(args.sources)
    if args.output in (None, "-"):
        synth.write(args.count, vocab, sys.stdout, seed=args.seed)
        return 0
    path = Path(args.output)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        synth.write(args.count, vocab, out, seed=args.seed)
    tmp.replace(path)
    print(f"{path}: {args.count} synthetic statements (seed {args.seed})", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.serve import serve

    return serve(
        store=args.store or default_store(),
        host=args.host,
        port=args.port,
        workers=args.workers,
    )


def cmd_query(args: argparse.Namespace) -> int:
    from kg import query as q
    from kg.mediatypes import GRAPH_FORMATS, RESULT_FORMATS, by_name
    from kg.store import open_read_only

    values = _canned_values(args)
    if not args.file and args.query and _is_canned_name(args.query):
        return _query_canned(args, args.query, values)
    if values:
        options = ", ".join(f"--{name}" for name in values)
        raise KgError(
            f"unknown option(s) {options}: parameters are for canned queries (`kg queries`)"
        )
    if args.file:
        text = Path(args.file).read_text(encoding="utf-8")
    elif args.query == "-" or args.query is None:
        text = sys.stdin.read()
    else:
        text = args.query
    if args.endpoint:
        return _query_remote(
            args, f"{args.endpoint.rstrip('/')}/sparql?{urlencode({'query': text})}"
        )
    store = open_read_only(args.store or default_store())
    results = q.run(store, text)
    if args.format == "table":
        sys.stdout.write(q.as_table(results))
        return 0
    fmt = by_name(args.format, RESULT_FORMATS + GRAPH_FORMATS)
    if fmt is None:
        raise KgError(f"unknown format {args.format!r}")
    sys.stdout.buffer.write(q.serialize(results, fmt))
    return 0


def _is_canned_name(name: str) -> bool:
    from kg.catalogue import default_folder

    return (
        bool(re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name))
        and (default_folder() / f"{name}.rq").is_file()
    )


def _canned_values(args: argparse.Namespace) -> dict[str, str]:
    """Parameter values from `--param name=value` and from `--name value` / `--name=value`."""
    values: dict[str, str] = {}
    for item in args.param or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise KgError(f"--param {item!r}: write it as name=value")
        values[name.strip().lstrip("?")] = value
    extra = list(getattr(args, "extra", []))
    while extra:
        option = extra.pop(0)
        if not option.startswith("--") or len(option) < 3:
            raise KgError(f"unexpected argument {option!r}")
        name, sep, value = option[2:].partition("=")
        if not sep:
            if not extra:
                raise KgError(f"{option} needs a value")
            value = extra.pop(0)
        values[name] = value
    for name in ("limit", "offset"):
        if getattr(args, name) is not None:
            values[name] = str(getattr(args, name))
    return values


def _query_canned(args: argparse.Namespace, name: str, values: dict[str, str]) -> int:
    from kg import catalogue as cat
    from kg import query as q
    from kg.mediatypes import RESULT_FORMATS, by_name
    from kg.store import open_read_only

    if args.endpoint:
        remote_format = "json" if args.format == "table" else args.format
        return _query_remote(args, cat.remote_url(args.endpoint, name, values, remote_format))
    query = cat.get_query(name)
    store = open_read_only(args.store or default_store())
    results = cat.run_local(store, cat.bind(query, values, store=store))
    if args.format == "table":
        sys.stdout.write(q.as_table(results))
        return 0
    fmt = by_name(args.format, RESULT_FORMATS)
    if fmt is None:
        raise KgError(
            f"unknown format {args.format!r} for a canned query: table, json, xml, csv, tsv"
        )
    sys.stdout.buffer.write(q.serialize(results, fmt))
    return 0


def _query_remote(args: argparse.Namespace, url: str) -> int:
    """Fetch a result from a remote service; `table` is rendered here from SPARQL JSON."""
    from pyoxigraph import QueryResultsFormat, parse_query_results

    from kg import query as q
    from kg.catalogue import fetch
    from kg.mediatypes import GRAPH_FORMATS, RESULT_FORMATS, by_name

    if args.format == "table":
        body = fetch(url, "application/sparql-results+json")
        results = parse_query_results(body, format=QueryResultsFormat.JSON)
        sys.stdout.write(q.as_table(results))
        return 0
    fmt = by_name(args.format, RESULT_FORMATS + GRAPH_FORMATS)
    if fmt is None:
        raise KgError(f"unknown format {args.format!r}")
    sys.stdout.buffer.write(fetch(url, fmt.media_type))
    return 0


def cmd_queries(args: argparse.Namespace) -> int:
    from kg.catalogue import curie, fetch, load_catalogue

    if args.endpoint:
        listing = json.loads(fetch(f"{args.endpoint.rstrip('/')}/queries", "application/json"))
        entries = [(e["name"], e["title"], e["parameters"]) for e in listing["queries"]]
    else:
        entries = [
            (c.name, c.title, [p.__dict__ | {"class": p.of_class} for p in c.parameters])
            for c in load_catalogue().values()
        ]
    for name, title, params in entries:
        print(f"{name}\n    {title}")
        for p in params:
            kind = p["type"] + (f" {curie(p['class'])}" if p.get("class") else "")
            extra = " required" if p["required"] else (f" = {p['default']}" if p["default"] else "")
            print(f"    --{p['name']} ({kind}{extra}) {p['description']}".rstrip())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kg import export as ex
    from kg.store import open_read_only

    fmt = ex.export_format(args.format, args.output)
    store = open_read_only(args.store or default_store())
    if args.output in (None, "-"):
        ex.export(store, fmt, sys.stdout.buffer, args.graph, args.lang)
        sys.stdout.buffer.flush()
        return 0
    count = ex.export_file(store, fmt, Path(args.output), args.graph, args.lang)
    print(
        f"{args.output}: {fmt.name}, {count} {'rows' if fmt.results else 'triples'}",
        file=sys.stderr,
    )
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from kg.release import release
    from kg.store import open_read_only

    store = open_read_only(args.store or default_store())
    log = (lambda _msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    report = release(store, args.dist, log=log)
    print("release done:")
    print("\n".join(report.lines()))
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg",
        description="Knowledge graph of stem-cell therapy for autoimmune disease.",
        epilog=f"Store: $KG_STORE or {default_store()}. Sources: $KG_SOURCES or {default_sources()}.",
    )
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="parse, validate, reason and load the graph into the store")
    _store_arg(p)
    p.add_argument(
        "--sources", type=Path, default=default_sources(), help="ontology sources folder"
    )
    p.add_argument(
        "--owl",
        type=Path,
        default=None,
        help=f"merged OWL file for Protégé (default: {default_output() / 'scad.owl'})",
    )
    p.add_argument(
        "--extra",
        dest="extra_sources",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="one more data file (Turtle) for the statements graph, e.g. from `kg synth`; "
        "repeatable (also: $KG_EXTRA_SOURCES, separated by ':')",
    )
    p.add_argument("--check", action="store_true", help="do everything but write")
    p.add_argument(
        "--no-cache", action="store_true", help="check everything again (cache: STORE.cache/)"
    )
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "synth", help="write N synthetic statements (own synth: namespace) for measuring at size"
    )
    p.add_argument("count", type=int, metavar="N", help="how many statements")
    p.add_argument("-o", "--output", help="output Turtle file (default: standard output)")
    p.add_argument(
        "--seed", type=int, default=0, help="random seed (default 0): same seed, same file"
    )
    p.add_argument(
        "--sources", type=Path, default=default_sources(), help="where to read the vocabulary"
    )
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser(
        "serve", help="serve SPARQL and the browser page (granian, from KG_* settings)"
    )
    _store_arg(p)
    env = Settings.from_env()  # the one reader of KG_HOST, KG_PORT, KG_WORKERS
    p.add_argument("--host", default=env.host, help=f"default: $KG_HOST or {env.host}")
    p.add_argument("--port", type=int, default=env.port, help="default: $KG_PORT or 8000")
    p.add_argument("--workers", type=int, default=env.workers, help="default: $KG_WORKERS or 2")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "query",
        help="run a SPARQL query, or a canned query by name, against the store or a service",
    )
    _store_arg(p)
    p.add_argument(
        "query", nargs="?", help="a canned query's name (see `kg queries`), SPARQL text, or -"
    )
    p.add_argument("-f", "--file", help="read the query from a file")
    p.add_argument(
        "--format",
        default="table",
        help="table (default), json, xml, csv, tsv; turtle, ntriples, rdfxml, jsonld",
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="a canned query's parameter (repeatable); `--NAME VALUE` works too",
    )
    p.add_argument("--limit", type=int, help="canned query: at most this many rows")
    p.add_argument("--offset", type=int, help="canned query: skip this many rows")
    _endpoint_arg(p)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("queries", help="list the canned queries and their parameters")
    _endpoint_arg(p)
    p.set_defaults(func=cmd_queries)
    p = sub.add_parser(
        "export",
        help="write the graph (or chosen named graphs) in an RDF/OWL format, or the evidence table",
    )
    _store_arg(p)
    p.add_argument(
        "--format",
        help="turtle, ntriples, rdfxml, jsonld, nquads, trig, owlxml, ofn, csv, tsv "
        "(default: from the output file's extension)",
    )
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.add_argument(
        "--graph",
        action="append",
        choices=["ontology", "statements", "inferred", "metadata"],
        help="a named graph to export (repeatable; default: all, or ontology + statements for OWL)",
    )
    p.add_argument("--lang", default="en", help="label language of the evidence table (en, zh)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("release", help="write the release files (OWL for Protégé, …) into dist/")
    _store_arg(p)
    p.add_argument(
        "--dist", type=Path, default=PROJECT_ROOT / "dist", help="release folder (default: dist/)"
    )
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_release)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "query":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra  # a canned query's `--name value` parameters
    try:
        return args.func(args)
    except KgError as exc:
        print(f"kg {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
