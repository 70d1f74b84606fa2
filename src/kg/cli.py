"""The `kg` command: build, serve, query (and the commands later issues add)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kg import __version__
from kg.config import default_output, default_sources, default_store
from kg.errors import KgError


def _store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help=f"store folder (default: $KG_STORE or {default_store()})",
    )


def cmd_build(args: argparse.Namespace) -> int:
    from kg.build import build

    store = None if args.check else (args.store or default_store())
    owl = None if args.check else (args.owl or default_output() / "scad.owl")
    log = (lambda _msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    report = build(args.sources, store, owl, log=log)
    print("build checked (nothing written):" if args.check else "build done:")
    print("\n".join(report.lines()))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.serve import serve

    return serve(
        store=args.store or default_store(),
        host=args.host,
        port=args.port,
        workers=args.workers,
        reload_on_change=False,
    )


def cmd_query(args: argparse.Namespace) -> int:
    from kg import query as q
    from kg.mediatypes import GRAPH_FORMATS, RESULT_FORMATS, by_name
    from kg.store import open_read_only

    if args.file:
        text = Path(args.file).read_text(encoding="utf-8")
    elif args.query == "-" or args.query is None:
        text = sys.stdin.read()
    else:
        text = args.query
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
    p.add_argument("--check", action="store_true", help="do everything but write")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("serve", help="serve SPARQL and the browser page with gunicorn")
    _store_arg(p)
    p.add_argument("--host", default=os.environ.get("KG_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("KG_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("KG_WORKERS", "2")))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("query", help="run a SPARQL query against the store")
    _store_arg(p)
    p.add_argument("query", nargs="?", help="SPARQL text, or - for standard input")
    p.add_argument("-f", "--file", help="read the query from a file")
    p.add_argument(
        "--format",
        default="table",
        help="table (default), json, xml, csv, tsv; turtle, ntriples, rdfxml, jsonld",
    )
    p.set_defaults(func=cmd_query)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except KgError as exc:
        print(f"kg {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
