"""The `kg` command: build, template, serve, query, export, release, diff, info.

Defaults come from kg.config.Settings (environment variables, then the checkout's or the
installed package's folders); options override them. Errors of ours end the command with their
exit code (kg.errors, listed in the README).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from kg import __version__
from kg.config import ENGINES, Settings, checkout
from kg.curation.problems import as_table, write_tsv
from kg.errors import KgError, Problem, TemplateError, ValidationError
from kg.query import single

GRAPH_NAMES = ("ontology", "statements", "inferred", "metadata")


def _log(args: argparse.Namespace) -> Callable[[str], None]:
    return (lambda _msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings from the environment, with the command's options over them."""
    settings = Settings.from_env()
    for name in ("store", "sources", "queries", "output", "dist", "endpoint", "host", "port"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(settings, name, Path(value).absolute() if isinstance(value, Path) else value)
    if getattr(args, "workers", None) is not None:
        settings.workers = args.workers
    return settings


def cmd_build(args: argparse.Namespace) -> int:
    from kg.build import build

    s = settings_of(args)
    store = None if args.check else s.store
    owl = None if args.check else (args.owl or s.output / "scad.owl")
    cache = None if store is None or args.no_cache else store.with_name(store.name + ".cache")
    extra = [*args.extra_sources, *s.extra_source_files()]
    try:
        report = build(
            s.sources,
            store,
            owl,
            log=_log(args),
            extra=extra,
            cache_dir=cache,
            serve_statuses=s.serve_statuses,
        )
    except ValidationError as exc:
        _report_problems(args, exc.table)
        if isinstance(exc, TemplateError):  # a template's problems read best as a table;
            print(
                f"kg build: {len(exc.table)} problem(s):", file=sys.stderr
            )  # Turtle's as file:line
            sys.stderr.write(as_table(exc.table))
            exc.args = (f"refused: {len(exc.table)} problem(s), listed above",)
        raise
    _report_problems(args, [])
    print("build checked (nothing written):" if args.check else "build done:")
    print("\n".join(report.lines()))
    return 0


def _report_problems(args: argparse.Namespace, table: list[Problem]) -> None:
    """`--problems FILE`: the problem table as TSV (only its header when there are none)."""
    if args.problems is not None:
        write_tsv(table, args.problems)


def cmd_template(args: argparse.Namespace) -> int:
    from kg.curation.template import write_empty

    path = Path(args.file)
    try:
        write_empty(path)
    except FileExistsError:
        raise KgError(
            f"{path} exists: choose another name (a template is never overwritten)"
        ) from None
    except OSError as exc:
        raise KgError(f"cannot write {path}: {exc.strerror}") from None
    print(f"{path}: an empty template (fill it, then `kg build --extra {path}`)", file=sys.stderr)
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from kg import synth

    vocab = synth.vocabulary(settings_of(args).sources)
    if args.file in (None, "-"):
        synth.write(args.count, vocab, sys.stdout, seed=args.seed)
        return 0
    path = Path(args.file)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        synth.write(args.count, vocab, out, seed=args.seed)
    tmp.replace(path)
    print(f"{path}: {args.count} synthetic statements (seed {args.seed})", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.serve import serve

    return serve(settings_of(args))


def cmd_push(args: argparse.Namespace) -> int:
    from kg.backends.push import push

    s = settings_of(args)
    if args.to:
        s.sparql_endpoint = args.to
    if args.engine:
        s.engine = args.engine
    print(push(s, log=_log(args)).line())
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    s = settings_of(args)
    values = _canned_values(args)
    if not args.file and args.query and _is_canned(s, args.query):
        return _query_canned(args, s, args.query, values)
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
    if s.endpoint:
        from kg.remote import sparql_url

        return _query_remote(args, sparql_url(s.endpoint, text))
    with single(s) as engine:
        _write_results(args.format, *engine.execute(text, accept_format=_wire_format(args.format)))
    return 0


def _wire_format(name: str) -> str | None:
    """The format to ask for: `table` is drawn from SPARQL JSON (or N-Triples for a graph)."""
    return None if name == "table" else name


def _write_results(name: str, fmt, stream) -> None:  # noqa: ANN001 - Format, ResultStream
    import pyoxigraph

    from kg.query.results import as_table

    if name != "table":
        for chunk in stream:
            sys.stdout.buffer.write(chunk)
        return
    body = stream.read()
    if fmt.rdf is not None:
        results = list(pyoxigraph.parse(body, format=fmt.rdf))
    else:
        results = pyoxigraph.parse_query_results(body, format=fmt.results)
    sys.stdout.write(as_table(results))


def _is_canned(settings: Settings, name: str) -> bool:
    from kg.catalogue import Catalogue

    return Catalogue(settings.queries).has_file(name)


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


def _query_canned(args: argparse.Namespace, s: Settings, name: str, values: dict[str, str]) -> int:
    from kg.catalogue import Catalogue, make_call
    from kg.mediatypes import RESULT_FORMATS, choose

    if args.format != "table":
        choose(RESULT_FORMATS, args.format)  # a canned query gives rows: refuse a graph format
    if s.endpoint:
        from kg.remote import canned_url

        wire = "json" if args.format == "table" else args.format
        return _query_remote(args, canned_url(s.endpoint, name, values, wire))
    from kg.search import SearchIndex

    query = Catalogue(s.queries).get(name)
    with single(s) as engine:
        call = make_call(query, values, engine, lambda: SearchIndex(s.store))
        result = engine.execute(
            call.text(), substitutions=call.substitutions, accept_format=_wire_format(args.format)
        )
        _write_results(args.format, *result)
    return 0


def _query_remote(args: argparse.Namespace, url: str) -> int:
    """Fetch a result from a remote service; `table` is drawn here from SPARQL JSON."""
    from pyoxigraph import QueryResultsFormat, parse_query_results

    from kg.mediatypes import GRAPH_FORMATS, RESULT_FORMATS, choose
    from kg.query.results import as_table
    from kg.remote import fetch

    if args.format == "table":
        body = fetch(url, "application/sparql-results+json")
        sys.stdout.write(as_table(parse_query_results(body, format=QueryResultsFormat.JSON)))
        return 0
    fmt = choose(RESULT_FORMATS + GRAPH_FORMATS, args.format)
    sys.stdout.buffer.write(fetch(url, fmt.media_type))
    return 0


def cmd_queries(args: argparse.Namespace) -> int:
    from kg.vocab import curie

    s = settings_of(args)
    if s.endpoint:
        from kg.remote import fetch

        listing = json.loads(fetch(f"{s.endpoint.rstrip('/')}/queries", "application/json"))
        entries = [(e["name"], e["title"], e["parameters"]) for e in listing["queries"]]
    else:
        from kg.catalogue import Catalogue

        entries = [
            (q.name, q.title, q.to_json()["parameters"])
            for q in Catalogue(s.queries).queries().values()
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
    from kg.mediatypes import EXCHANGE_FORMATS
    from kg.store import open_read_only

    s = settings_of(args)
    fmt = ex.export_format(args.format, args.output)
    store = open_read_only(s.store)
    if args.output in (None, "-"):
        ex.export(store, fmt, sys.stdout.buffer, args.graph, args.lang, settings=s)
        sys.stdout.buffer.flush()
        return 0
    count = ex.export_file(store, fmt, Path(args.output), args.graph, args.lang, settings=s)
    what = "rows" if fmt.results or fmt in EXCHANGE_FORMATS else "triples"
    print(f"{args.output}: {fmt.name}, {count} {what}", file=sys.stderr)
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from kg.release import release
    from kg.store import open_read_only

    s = settings_of(args)
    report = release(open_read_only(s.store), s.dist, log=_log(args), settings=s)
    print("release done:")
    print("\n".join(report.lines()))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from kg.curation.diff import diff

    result = diff(args.old, args.new)
    if args.format == "json":
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = result.markdown() if args.format == "markdown" else result.text()
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{args.output}: {result.summary()}", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Which folders, store and settings this `kg` uses, and where each comes from."""
    import os

    s = settings_of(args)
    root = checkout()
    print(f"kg {__version__}")
    print(
        f"  installed as   {'a checkout: ' + str(root) if root else 'a package (' + str(Path(__file__).parent) + ')'}"
    )
    for env, name, _default in Settings.variables():
        source = "environment" if os.environ.get(env) else "default"
        print(f"  {env:<20} {s.shown(name):<48} ({source})")
    return 0


def _store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", type=Path, help="store folder (default: $KG_STORE, see `kg info`)"
    )


def _endpoint_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="base URL of a running service, e.g. http://127.0.0.1:8000 (default: $KG_ENDPOINT; "
        "none: the local store)",
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg",
        description="Knowledge graph of stem-cell therapy for autoimmune disease.",
        epilog="`kg info` shows the folders, the store and every setting in use.",
    )
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="parse, validate, reason and load the graph into the store")
    _store_arg(p)
    p.add_argument("--sources", type=Path, help="ontology sources folder (default: $KG_SOURCES)")
    p.add_argument(
        "--owl", type=Path, help="merged OWL file for Protégé (default: $KG_OUTPUT/scad.owl)"
    )
    p.add_argument("--output", type=Path, help="folder for the build's files (default: $KG_OUTPUT)")
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
        "--problems",
        type=Path,
        metavar="FILE",
        help="write the problem table (templates, SHACL) as TSV here; only a header if none",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="check everything again (cache: STORE.cache/)"
    )
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("template", help="curation templates (spreadsheets of evidence)")
    tsub = p.add_subparsers(dest="template_command", required=True, metavar="ACTION")
    t = tsub.add_parser("new", help="write an empty template: the header and a commented example")
    t.add_argument("file", metavar="FILE", help="the .tsv file to write (never overwritten)")
    t.set_defaults(func=cmd_template)

    p = sub.add_parser(
        "synth", help="write N synthetic statements (own synth: namespace) for measuring at size"
    )
    p.add_argument("count", type=int, metavar="N", help="how many statements")
    p.add_argument("-o", "--output", dest="file", help="output Turtle file (default: stdout)")
    p.add_argument(
        "--seed", type=int, default=0, help="random seed (default 0): same seed, same file"
    )
    p.add_argument(
        "--sources", type=Path, help="where to read the vocabulary (default: $KG_SOURCES)"
    )
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("serve", help="serve SPARQL, the canned queries and the pages (granian)")
    _store_arg(p)
    p.add_argument("--host", help="default: $KG_HOST or 127.0.0.1")
    p.add_argument("--port", type=int, help="default: $KG_PORT or 8000")
    p.add_argument("--workers", type=int, help="default: $KG_WORKERS or 2")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "push",
        help="load the build into the SPARQL engine of $KG_SPARQL_ENDPOINT (switched atomically)",
    )
    _store_arg(p)
    p.add_argument(
        "--to", metavar="URL", help="the engine's query URL (default: $KG_SPARQL_ENDPOINT)"
    )
    p.add_argument(
        "--engine", choices=ENGINES, help="the engine's kind (default: $KG_ENGINE or generic)"
    )
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_push)

    p = sub.add_parser(
        "query",
        help="run a SPARQL query, or a canned query by name, against the store or a service",
        allow_abbrev=False,  # a canned query's --NAME must never be taken for a prefix of ours
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
    p.add_argument("--queries", type=Path, help="canned queries folder (default: $KG_QUERIES)")
    _endpoint_arg(p)
    p.set_defaults(func=cmd_queries)

    p = sub.add_parser(
        "export",
        help="write the graph (or chosen named graphs) in an RDF/OWL format, the evidence table, "
        "or KGX, SSSOM, Neo4j or Parquet",
    )
    _store_arg(p)
    p.add_argument(
        "--format",
        help="turtle, ntriples, rdfxml, jsonld, nquads, trig, owlxml, ofn, csv, tsv; "
        "kgx, sssom, neo4j, parquet (default: from the output file's extension)",
    )
    p.add_argument(
        "-o",
        "--output",
        help="output file, or folder for kgx, neo4j, parquet (default: standard output)",
    )
    p.add_argument(
        "--graph",
        action="append",
        choices=GRAPH_NAMES,
        help="a named graph to export (repeatable; default: all, or ontology + statements for OWL)",
    )
    p.add_argument("--lang", default="en", help="label language of the evidence table (en, zh)")
    p.add_argument("--queries", type=Path, help="canned queries folder (default: $KG_QUERIES)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("release", help="write the release files (OWL for Protégé, …) into dist/")
    _store_arg(p)
    p.add_argument(
        "--dist",
        type=Path,
        help="release folder: writes DIST/<version>/ and DIST/latest (default: $KG_DIST)",
    )
    p.add_argument("--queries", type=Path, help="canned queries folder (default: $KG_QUERIES)")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser(
        "diff", help="statements and entities added, removed and changed between two builds"
    )
    p.add_argument("old", type=Path, help="a store (e.g. var/store) or a release folder (dist/)")
    p.add_argument("new", type=Path, help="the same, newer")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument("-o", "--output", help="write here (default: standard output)")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "info", help="the folders, store and settings in use, and where they come from"
    )
    p.set_defaults(func=cmd_info)
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
