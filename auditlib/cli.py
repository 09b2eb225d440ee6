"""The ``auditlib`` command."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from auditlib import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(RuntimeError):
    """Bad input from the user: printed as one sentence, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``auditlib`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR
    from auditlib.catalog import SourceError
    from auditlib.embedded import EmbeddedError

    try:
        return int(args.handler(args) or EXIT_OK)
    except (UsageError, SourceError, EmbeddedError, ValueError, FileNotFoundError) as error:
        print(f"auditlib: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("auditlib: interrupted.", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditlib", description="Audit the data relationships of a PostgreSQL "
                                     "database or a folder of SQL migrations.")
    parser.add_argument("--version", action="version", version=f"auditlib {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = commands.add_parser("demo", help="the embedded PostgreSQL server holding the ProductionOS demo")
    demo.add_argument("action", choices=["start", "stop", "status", "url", "reset"],
                      help="start (and load the demo), stop, status, url (print the demo's URL), reset (reload)")
    demo.add_argument("--scale", type=int, default=0,
                      help="rows in the largest tables (0 = the small demo); for benchmarks")
    demo.set_defaults(handler=run_demo)

    catalog = commands.add_parser("catalog", help="read a database's catalog and print a summary or the snapshot")
    add_source_arguments(catalog, migrations=False)
    catalog.add_argument("--format", choices=["table", "json"], default="table")
    catalog.add_argument("--output", type=Path, help="write to this file instead of standard output")
    catalog.set_defaults(handler=run_catalog)
    return parser


def add_source_arguments(parser: argparse.ArgumentParser, migrations: bool = True) -> None:
    """--dsn / --demo (and --migrations) plus --schema, shared by the commands that read a source."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--dsn", help="PostgreSQL URL or libpq string (default: $AUDITLIB_DSN, $DATABASE_URL, PG*)")
    group.add_argument("--demo", action="store_true", help="the embedded ProductionOS demo database")
    if migrations:
        group.add_argument("--migrations", type=Path, metavar="DIR", help="a folder of SQL migration files")
    parser.add_argument("--schema", action="append", dest="schemas", metavar="S",
                        help="limit to this schema (repeatable; 'all' includes platform schemas)")


@contextlib.contextmanager
def database_source(args: argparse.Namespace) -> Iterator[str | object]:
    """Yield the DSN/URL to read: the demo (started for this command, stopped after if we started it) or --dsn."""
    if getattr(args, "demo", False):
        from auditlib import embedded

        with embedded.owned_server() as srv:
            yield embedded.ensure_demo(srv)
        return
    from auditlib.connect import resolve_dsn

    yield resolve_dsn(args.dsn)


def run_demo(args: argparse.Namespace) -> int:
    from auditlib import embedded

    srv = embedded.server()
    if args.action == "stop":
        print("stopped" if srv.stop() else "not running")
        return EXIT_OK
    if args.action == "status":
        running = srv.is_running()
        print(f"{'running' if running else 'stopped'} (data: {srv.pgdata}"
              + (f", pid {srv.pid()}, socket {srv.socket_dir})" if running else ")"))
        return EXIT_OK
    srv.start()
    url = embedded.ensure_demo(srv, scale=args.scale, replace=args.action == "reset")
    if args.action == "url":
        print(url.set(drivername="postgresql").render_as_string(hide_password=True))
    else:
        print(f"demo database ready: {url.set(drivername='postgresql').render_as_string(hide_password=True)}")
    return EXIT_OK


def run_catalog(args: argparse.Namespace) -> int:
    from auditlib.catalog import load_catalog

    with database_source(args) as dsn:
        schemas = None if not args.schemas or "all" in args.schemas else args.schemas
        catalog = load_catalog(dsn, schemas=schemas)
    if args.format == "json":
        text = catalog.to_json(indent=1)
    else:
        summary = catalog.summary()
        total = summary.drop(columns="schema").sum()
        lines = [f"PostgreSQL {catalog.server['server_version']} · database {catalog.server['database']}",
                 summary.to_string(index=False),
                 "total: " + ", ".join(f"{total[c]} {c.replace('_', ' ')}" for c in summary.columns[1:])]
        text = "\n".join(lines)
    write_output(text, args.output)
    return EXIT_OK


def write_output(text: str, output: Path | None) -> None:
    """Print, or write a file atomically (a failed run never leaves a half-written file in place)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    partial.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    partial.replace(output)


if __name__ == "__main__":
    sys.exit(main())
