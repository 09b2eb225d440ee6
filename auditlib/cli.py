"""The ``auditlib`` command."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import stat
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

from auditlib import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITY_CHOICES = ("critical", "high", "medium", "low", "info", "never")


class UsageError(RuntimeError):
    """Bad input from the user: printed as one sentence, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``auditlib`` console script.

    Exit code 1 means findings (or drift) and nothing else: every failure — bad input, an unwritable file, an
    unreachable database, a bug — is one line on standard error and exit code 2, so a CI gate never reads a crash as
    findings. ``AUDITLIB_DEBUG=1`` adds the traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        check_output_file(getattr(args, "output", None))  # before the work: a 40-second audit is not lost at the end
        return int(args.handler(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("auditlib: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`auditlib audit | head`): stop quietly, as a SIGPIPE would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except Exception as error:  # the one place every failure becomes exit code 2
        if os.environ.get(DEBUG_VARIABLE):
            traceback.print_exc()
        print(f"auditlib: {error_sentence(error)}", file=sys.stderr)
        return EXIT_ERROR


DEBUG_VARIABLE = "AUDITLIB_DEBUG"
# The errors auditlib raises with a sentence written for the user. ValueError covers ConfigError, BaselineError,
# MigrationsError and CodeScanError.
USER_ERRORS = {"auditlib.connect": "SourceError", "auditlib.embedded": "EmbeddedError",
               "auditlib.history": "HistoryError", "auditlib.report": "ReportError",
               "auditlib.graphviz_setup": "GraphvizNotFound"}


def _user_error_types() -> tuple[type[BaseException], ...]:
    # Only modules already imported can have raised: importing the others here would cost seconds, or fail.
    return tuple(getattr(sys.modules[module], name) for module, name in USER_ERRORS.items() if module in sys.modules)


def error_sentence(error: BaseException) -> str:
    """The one line printed for a failure: the error's own sentence for the errors auditlib raises on purpose, what
    went wrong with which path for an operating-system error, and the type and message of anything unexpected."""
    if isinstance(error, (UsageError, ValueError, *_user_error_types())):
        return " ".join(str(error).split())
    if isinstance(error, OSError):
        return os_error_sentence(error)
    first_line = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
    return (f"internal error: {type(error).__name__}: {first_line} (rerun with {DEBUG_VARIABLE}=1 for the "
            "traceback)")


def os_error_sentence(error: OSError) -> str:
    """An operating-system error (permission denied, a folder where a file was expected, a read-only file system) as
    one sentence naming the path."""
    if error.filename is None:
        return f"A file operation failed ({_reason(error)}); check the paths given and their permissions."
    where = f"{error.filename}" + (f" -> {error.filename2}" if error.filename2 else "")
    if isinstance(error, IsADirectoryError) and not error.filename2:
        return f"{where} is a folder, not a file; pass a file."
    return f"Cannot use {where} ({_reason(error)}); check the path and its permissions, or choose another place."


EPILOG = """\
exit codes:
  0  nothing at or above --fail-on (for diff: no drift)
  1  findings at or above --fail-on (for diff: drift) -- never anything else
  2  the command could not do its work: bad input, an unwritable file, an unreachable database, a bug (one line on
     standard error says why; AUDITLIB_DEBUG=1 adds the traceback)

audit history (--history; --no-history to skip recording):
  $AUDITLIB_HISTORY when set; else for `report`, OUTPUT_DIR/history.db; else reports/history.db when the current
  folder has a reports/ folder; else history.db in the user data folder. `diff` reads the same file `audit` writes.
"""
HISTORY_DEFAULT = ("default: $AUDITLIB_HISTORY, else reports/history.db when ./reports exists, else history.db in the "
                   "user data folder")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditlib", description="Audit the data relationships of a PostgreSQL "
                                     "database or a folder of SQL migrations.", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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

    audit = commands.add_parser("audit", help="run the audit and print or write the findings")
    add_source_arguments(audit)
    audit.add_argument("--snapshot", type=Path, metavar="FILE",
                       help="audit a catalog snapshot (from `auditlib catalog --format json`) instead of a database")
    audit.add_argument("--config", type=Path, help="an auditlib.toml with thresholds and heuristics")
    audit.add_argument("--format", choices=["table", "json", "csv", "sarif"], default="table")
    audit.add_argument("--output", type=Path, help="write to this file instead of standard output")
    audit.add_argument("--fail-on", choices=list(SEVERITY_CHOICES), default="high",
                       help="exit 1 when a finding is at or above this severity (default: high; 'never' to disable)")
    audit.add_argument("--baseline", type=Path, help="previous JSON output or a file of finding keys to suppress")
    audit.add_argument("--no-data", action="store_true", help="structural checks only (no row-level queries)")
    audit.add_argument("--sample", type=int, metavar="N",
                       help="rows sampled per JSON column by the JSON reference checks (default 1000)")
    audit.add_argument("--stubs", default="auto", metavar="supabase|none|FILE",
                       help="platform stub loaded before migration files (default: supabase when they use it)")
    audit.add_argument("--code", type=Path, metavar="DIR",
                       help="also scan this application source folder (JS/TS/Python) and compare the tables and "
                            "columns it uses with the database")
    audit.add_argument("--keep", action="store_true",
                       help="keep the scratch database built from --migrations and print its URL")
    add_history_arguments(audit)
    audit.set_defaults(handler=run_audit_command)

    report = commands.add_parser("report", help="execute a report notebook with papermill and export offline HTML")
    report_source = report.add_mutually_exclusive_group()
    report_source.add_argument("--demo", action="store_true", help="the embedded ProductionOS demo (default)")
    report_source.add_argument("--dsn", help="the database to audit (passed to the notebook through the "
                               "environment, never written into it)")
    report_source.add_argument("--dsn-env", metavar="VAR", help="name of an environment variable holding the DSN")
    report_source.add_argument("--snapshot", type=Path, metavar="FILE", help="a catalog snapshot to audit")
    report_source.add_argument("--migrations", type=Path, metavar="DIR",
                               help="a folder of SQL migration files (uses the migration_audit notebook)")
    report.add_argument("--notebook", default=None, help="which notebook: relationship_audit (default), "
                        "migration_audit (with --migrations), table_explorer (with --table)")
    report.add_argument("--table", help="for table_explorer: the table to explore, as schema.table")
    report.add_argument("--code", type=Path, metavar="DIR",
                        help="also scan this application source folder and compare it with the database")
    report.add_argument("--schema", action="append", dest="schemas", metavar="S")
    report.add_argument("--config", type=Path)
    report.add_argument("--baseline", type=Path)
    report.add_argument("--title", default=None)
    report.add_argument("--min-severity", choices=list(SEVERITY_CHOICES[:-1]), default="info")
    report.add_argument("--no-data", action="store_true", help="structural checks only")
    report.add_argument("--output-dir", type=Path, default=Path("reports"),
                        help="where the reports are written (default: reports)")
    report.add_argument("--sources", type=Path, metavar="FILE",
                        help="a TOML file of [[source]] entries (name + dsn_env, migrations or snapshot): one report "
                             "per source and an index page")
    report.add_argument("--parallel", type=int, default=2, help="with --sources: reports rendered at once")
    report.add_argument("--timings", action="store_true",
                        help="print where the time went (audit, kernel start, notebook execution, export) to stderr")
    add_history_arguments(report, default="default: $AUDITLIB_HISTORY, else OUTPUT_DIR/history.db")
    report.set_defaults(handler=run_report)

    diff = commands.add_parser("diff", help="schema drift: what changed between two recorded runs, or between a "
                               "snapshot or migration folder and a database")
    diff.add_argument("runs", nargs="*", metavar="RUN", help="run ids to compare, older first (default: the last "
                      "two runs of the source; -1 is the latest run, -2 the one before)")
    diff_source = diff.add_mutually_exclusive_group()
    diff_source.add_argument("--dsn", help="a live database to compare (the newer side)")
    diff_source.add_argument("--demo", action="store_true", help="the embedded demo database as the newer side")
    diff.add_argument("--against", type=Path, metavar="SNAPSHOT", help="a catalog snapshot (auditlib catalog "
                      "--format json) as the older side")
    diff.add_argument("--migrations", type=Path, metavar="DIR", help="a folder of SQL migrations as the older side "
                      "(built in a scratch database): did the database drift from its migrations?")
    diff.add_argument("--history", type=Path, metavar="FILE", help=f"the audit history ({HISTORY_DEFAULT}: the "
                      "file `auditlib audit` records in)")
    diff.add_argument("--source", metavar="KEY", help="whose runs to compare (see --list); default: the database "
                      "given, else the most recently audited source")
    diff.add_argument("--list", action="store_true", help="list the recorded runs and exit")
    diff.add_argument("--schema", action="append", dest="schemas", metavar="S",
                      help="compare this schema only (repeatable; 'all' includes platform schemas)")
    diff.add_argument("--config", type=Path, help="an auditlib.toml (platform schemas, audited schemas)")
    diff.add_argument("--stubs", default="auto", metavar="supabase|none|FILE",
                      help="platform stub loaded before the migration files (default: supabase when they use it)")
    diff.add_argument("--format", choices=["table", "json"], default="table")
    diff.add_argument("--output", type=Path, help="write to this file instead of standard output")
    diff.set_defaults(handler=run_diff)

    fix = commands.add_parser("fix", help="write a remediation plan: migration files that run as they are, plus "
                              "the decisions that need a person")
    fix_source = fix.add_mutually_exclusive_group()
    fix_source.add_argument("--demo", action="store_true", help="audit the embedded ProductionOS demo")
    fix_source.add_argument("--dsn", help="audit this database (read-only) and plan its fixes")
    fix_source.add_argument("--snapshot", type=Path, metavar="FILE", help="audit a catalog snapshot")
    fix_source.add_argument("--findings", type=Path, metavar="FILE",
                            help="plan from a previous `auditlib audit --format json` document (add --dsn-catalog "
                                 "or --catalog for lock estimates and safety checks)")
    fix.add_argument("--catalog", type=Path, metavar="SNAPSHOT", help="with --findings: the catalog snapshot of the "
                     "audited database")
    fix.add_argument("--dsn-catalog", metavar="DSN", help="with --findings: read the catalog from this database")
    fix.add_argument("--output", dest="output_dir", type=Path, required=True, metavar="DIR",
                     help="the folder the plan is written to (created; must be empty or hold a previous plan)")
    fix.add_argument("--layout", choices=["plain", "supabase", "per-finding"], default="plain",
                     help="plain: NNN_phase.sql; supabase: supabase/migrations/<timestamp>_...sql; per-finding: one "
                          "file per finding")
    fix.add_argument("--min-severity", choices=list(SEVERITY_CHOICES[:-1]), default=None,
                     help="fix findings at or above this severity only")
    fix.add_argument("--check", action="append", dest="checks", metavar="NAME", help="fix this check's findings "
                     "only (repeatable)")
    fix.add_argument("--key", action="append", dest="keys", metavar="KEY", help="fix this finding only "
                     "(repeatable; check:object as in the audit)")
    fix.add_argument("--lock-timeout", default="5s", help="SET lock_timeout at the top of every file (default 5s)")
    fix.add_argument("--statement-timeout", default="1min",
                     help="SET statement_timeout for files of quick statements (default 1min; builds and scans get "
                          "1h)")
    fix.add_argument("--schema", action="append", dest="schemas", metavar="S")
    fix.add_argument("--config", type=Path, help="an auditlib.toml with thresholds and heuristics")
    fix.add_argument("--no-data", action="store_true", help="structural checks only (no orphan or NULL counts: "
                     "fewer fixes can be judged safe)")
    fix.set_defaults(handler=run_fix)

    docs = commands.add_parser("docs", help="write docs/checks.md from the check registry")
    docs.add_argument("--output", type=Path, default=Path("docs/checks.md"))
    docs.set_defaults(handler=run_docs)
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


def add_history_arguments(parser: argparse.ArgumentParser, default: str = HISTORY_DEFAULT) -> None:
    """--history / --no-history, shared by the commands that record their run."""
    parser.add_argument("--history", type=Path, metavar="FILE", help=f"the audit history this run is recorded in "
                        f"({default})")
    parser.add_argument("--no-history", action="store_true", help="do not record this run in the history")


def run_demo(args: argparse.Namespace) -> int:
    from auditlib import embedded

    embedded.ensure_installed()
    srv = embedded.server()
    if args.action == "stop":
        print("stopped" if srv.stop() else "not running")
        return EXIT_OK
    if args.action == "status":
        running = srv.is_running()
        print(f"{'running' if running else 'stopped'} (data: {srv.pgdata}"
              + (f", pid {srv.pid()}, socket {srv.socket_dir})" if running else ")"))
        return EXIT_OK
    if args.action == "reset":  # also the way out of a broken data folder: reset rebuilds it
        rebuilt = srv.reset()
        if rebuilt:
            print(f"auditlib: {rebuilt}", file=sys.stderr)
    else:
        srv.start()
    url = embedded.ensure_demo(srv, scale=args.scale, replace=args.action == "reset")
    if args.action == "url":
        print(url.set(drivername="postgresql").render_as_string(hide_password=True))
    else:
        print(f"demo database ready: {url.set(drivername='postgresql').render_as_string(hide_password=True)}")
    return EXIT_OK


def run_catalog(args: argparse.Namespace) -> int:
    from auditlib.catalog import load_catalog
    from auditlib.sources import open_source, resolve_source

    with open_source(resolve_source(args.dsn, demo=args.demo)) as database:
        schemas = None if not args.schemas or "all" in args.schemas else args.schemas
        catalog = load_catalog(database, schemas=schemas)
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


@contextlib.contextmanager
def imports_without_collection() -> Iterator[None]:
    """Import what a command needs with the cyclic garbage collector paused, then freeze what the imports made.

    Modules live until the process ends, so collecting during their import finds nothing, and neither does walking
    their objects again in every later full collection: together that was nearly all of the collector's time in an
    audit without data checks (0.25 s of 1.4 s of CPU; 0.02 s after).
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def run_audit_command(args: argparse.Namespace) -> int:
    import json

    with imports_without_collection():
        from auditlib.audit import run_audit
        from auditlib.checks import load_checks
        from auditlib.findings import SEVERITIES, ordered_findings, skipped_warning, to_csv, to_sarif, to_table
        from auditlib.sources import resolve_source

        load_checks()  # every check family, imported here rather than in the middle of the run

    source = resolve_source(args.dsn, demo=args.demo, snapshot=args.snapshot, migrations=args.migrations)
    from auditlib.config import load_config

    config = load_config(args.config)
    if args.sample is not None:
        if args.sample < 1:
            raise UsageError("--sample must be a positive number of rows.")
        config = config.with_overrides({"data": {"sample_rows": args.sample}})
    with contextlib.ExitStack() as stack:
        history = None
        if not args.no_history:
            from auditlib.history import default_history_path, open_history

            # Opened before the audit: an unusable history file fails now, not after the audit's work is done.
            history = stack.enter_context(open_history(args.history or default_history_path()))
        result = run_audit(source, config, schemas=args.schemas, data=not args.no_data, baseline=args.baseline,
                           stubs=args.stubs, keep=args.keep, code_dir=args.code)
        if result.extras.get("scratch_url"):
            print(f"scratch database kept: {result.extras['scratch_url']}", file=sys.stderr)
        if history is not None:
            history.track(result)  # adds status and first_seen to every finding; fixed ones in extras["fixed"]
    # every format lists the most severe proven problems first, whatever reordered the frame on the way
    result.findings = ordered_findings(result.findings)
    if args.format == "json":
        text = json.dumps(result.to_document(), indent=2, default=str)
    elif args.format == "csv":
        text = to_csv(result.findings)
    elif args.format == "sarif":
        rules = {name: spec.as_rule() for name, spec in load_checks().items()}
        from auditlib import __version__

        text = json.dumps(to_sarif(result.findings, rules, __version__), indent=2, default=str)
    else:
        summary = result.summary
        counts = ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items() if n)
        text = to_table(result.findings) + f"\n\n{summary['total']} findings ({counts or 'none'})"
        tenancy = result.tenancy
        if tenancy:  # what the tenancy checks took as the tenant, or why they did not run (not a skipped check)
            text += (f"\ntenancy: {tenancy['column']} -> {tenancy['root'] or 'no root table'} ({tenancy['why']})"
                     if tenancy["multi_tenant"] else f"\nnote: {tenancy['note']} ({tenancy['why']})")
        if result.skipped:  # at the top and the bottom: a trailing line is lost after hundreds of rows
            text = f"{skipped_warning(result.skipped)}\n\n{text}\nskipped: " + "; ".join(
                f"{s['check']} ({s['reason']})" for s in result.skipped) + f"\n{skipped_warning(result.skipped)}"
    if result.skipped and (args.format != "table" or args.output):  # the terminal hears of it too
        print(f"auditlib: {skipped_warning(result.skipped)}", file=sys.stderr)
    write_output(text, args.output)
    if args.fail_on == "never" or not len(result.findings):
        return EXIT_OK
    threshold = SEVERITIES.index(args.fail_on)
    worst = min(SEVERITIES.index(s) for s in result.findings["severity"])
    return EXIT_FINDINGS if worst <= threshold else EXIT_OK


REPORT_DSN_VARIABLE = "AUDITLIB_REPORT_DSN"


def run_report(args: argparse.Namespace) -> int:
    import os
    import time

    from auditlib.history import default_history_path, open_history
    from auditlib.report import ReportError, ReportTimings, ensure_kernel, read_sources, render_many, render_report
    from auditlib.sources import open_source, resolve_source

    timings = ReportTimings()
    check_output_folder(args.output_dir)
    # The history follows the reports (OUTPUT_DIR/history.db), and is opened now so that a file that cannot be used
    # fails before the notebook's kernel starts, not inside it.
    notebook = args.notebook or ("migration_audit" if args.migrations else "table_explorer" if args.table
                                 else "relationship_audit")
    history_path = Path(args.history or default_history_path(args.output_dir)).resolve()
    if not args.no_history and notebook != "table_explorer":  # the table explorer records nothing
        open_history(history_path).close()
    if args.sources is not None:
        try:
            sources = read_sources(args.sources)
        except ReportError as error:
            raise UsageError(str(error)) from None
        ensure_kernel()
        # Every source's report records in the one history of the index, not one history per source folder.
        index = render_many(sources, args.output_dir, parallel=args.parallel,
                            extra_args=(["--no-data"] if args.no_data else [])
                            + (["--no-history"] if args.no_history else ["--history", str(history_path)]))
        print(f"wrote {index}")
        return EXIT_OK

    parameters: dict = {"schemas": args.schemas or [], "min_severity": args.min_severity,
                        "data_checks": not args.no_data}
    for name, value in (("config_path", args.config), ("baseline", args.baseline)):
        if value is not None:
            if not value.exists():
                raise UsageError(f"The file {value} does not exist.")
            parameters[name] = str(value.resolve())
    if args.baseline is not None:
        from auditlib.audit import load_baseline

        load_baseline(args.baseline)  # a file that is no baseline fails here, not in the notebook's kernel
    if args.title:
        parameters["title"] = args.title
    if args.code is not None:
        if not args.code.is_dir():
            raise UsageError(f"The code folder {args.code} does not exist; pass your application's source folder.")
        parameters["code_dir"] = str(args.code.resolve())
    if notebook == "table_explorer":
        if not args.table:
            raise UsageError("The table_explorer notebook needs --table schema.table.")
        # The explorer audits as the report does: --no-data and --code reach it too.
        parameters = {"table": args.table, **{k: v for k, v in parameters.items() if k in ("data_checks", "code_dir")}}
        if args.config is not None:
            parameters["config_path"] = str(args.config.resolve())
    # The notebook is given the source, never a password: a DSN reaches the kernel through the environment.
    source = resolve_source(args.dsn, dsn_env=args.dsn_env, demo=args.demo, snapshot=args.snapshot,
                            migrations=args.migrations, default="demo")
    if source.kind == "migrations":
        parameters = {k: v for k, v in parameters.items() if k != "data_checks"}
        parameters.update(migrations_dir=str(Path(source.path).resolve()))
        if not args.title:
            parameters["title"] = f"Migration folder audit: {Path(source.path).name}"
    elif source.kind == "dsn":
        os.environ[REPORT_DSN_VARIABLE] = source.dsn  # the kernel inherits it; the notebook only sees the name
        parameters.update(demo=False, dsn_env=REPORT_DSN_VARIABLE)
    elif source.kind == "env":
        parameters.update(demo=False, dsn_env=source.variable)
    elif source.kind == "snapshot":
        parameters.update(demo=False, snapshot=str(Path(source.path).resolve()))
    elif notebook != "table_explorer":
        from auditlib.demo import app_folder

        parameters.update(demo=True)
        parameters.setdefault("code_dir", str(app_folder()))  # the demo is a database and its app's code
        if not args.title:
            parameters["title"] = "ProductionOS data relationship audit"
    else:
        from auditlib.demo import app_folder

        parameters.update(demo=True)
        parameters.setdefault("code_dir", str(app_folder()))
    if notebook != "table_explorer":
        # The kernel runs in the output folder: the notebook gets an absolute path.
        parameters.update(history=not args.no_history, history_path=str(history_path))
    started = time.perf_counter()  # render_report makes sure of the kernel while the audit runs
    try:
        # The server is started (and the demo loaded) here, before the kernel, and stopped after it if we started it.
        with open_source(source) if source.needs_server else contextlib.nullcontext():
            path = render_report(notebook, parameters, args.output_dir, timings=timings)
    except ReportError as error:
        raise UsageError(str(error)) from None
    if args.timings:
        print(timings.format(), file=sys.stderr)
    size = path.stat().st_size / 1e6
    latest = "latest.html" if notebook == "relationship_audit" else f"latest-{notebook}.html"
    print(f"wrote {path} ({size:.1f} MB) in {time.perf_counter() - started:.1f} s; "
          f"{args.output_dir / latest} points at it")
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    import json

    from auditlib.drift import open_drift
    from auditlib.history import HistoryError, default_history_path, open_history
    from auditlib.sources import resolve_source

    try:
        history_path = args.history or default_history_path()  # the file `auditlib audit` records in
        if args.list:
            with open_history(history_path, create=False) as history:
                runs = history.runs(args.source)
            columns = ["run_id", "generated_at", "source_key", "findings", "critical", "high", "medium", "low"]
            write_output(runs[columns].to_string(index=False) if len(runs) else "No runs recorded.", args.output)
            return EXIT_OK
        if len(args.runs) > 2:
            raise UsageError("Give at most two runs to compare: RUN_A RUN_B.")
        if (args.against or args.migrations) and len(args.runs) > 1:
            raise UsageError("With --against or --migrations, give at most one run (the newer side).")
        # The older side, when it is not a recorded run; the newer side, when it is not one.
        older = resolve_source(snapshot=args.against, migrations=args.migrations, default=None,
                               flags={"snapshot": "--against"})
        newer = resolve_source(args.dsn, demo=args.demo, default=None)
        if not all(r.lstrip("-").isdigit() for r in args.runs):
            raise UsageError("Runs are numbers: a run id (see --list), or -1 for the latest run.")
        runs = [int(r) for r in args.runs]
        if args.against or args.migrations:
            run_a, run_b = 0, (runs[0] if runs else 0)
        else:
            run_a, run_b = (runs + [0, 0])[:2]
        drift = open_drift(history_path=str(history_path), source_key=args.source or "", run_a=run_a,
                           run_b=run_b, older=older, newer=newer, schemas=args.schemas,
                           config_path=str(args.config or ""), stubs=args.stubs)
    except HistoryError as error:
        raise UsageError(str(error)) from None
    text = json.dumps(drift.to_document(), indent=2, default=str) if args.format == "json" else drift.to_text()
    write_output(text, args.output)
    return EXIT_OK if drift.empty else EXIT_FINDINGS


def run_fix(args: argparse.Namespace) -> int:
    from auditlib.fixes import FixPlanError, plan_fixes
    from auditlib.sources import resolve_source

    check_output_folder(args.output_dir)
    if (args.catalog or args.dsn_catalog) and not args.findings:
        raise UsageError("--catalog and --dsn-catalog go with --findings; an audit run here reads its own catalog.")
    catalog = None
    if args.findings:
        if not args.findings.exists():
            raise UsageError(f"The findings file {args.findings} does not exist; write one with `auditlib audit "
                             "--format json --output FILE`.")
        source = args.findings
        if args.catalog or args.dsn_catalog:
            from auditlib.catalog import Catalog, load_catalog

            catalog = Catalog.read_snapshot(args.catalog) if args.catalog else load_catalog(
                resolve_source(args.dsn_catalog).dsn)
    else:
        from auditlib.audit import run_audit

        source = run_audit(resolve_source(args.dsn, demo=args.demo, snapshot=args.snapshot), args.config,
                           schemas=args.schemas, data=not args.no_data)
    try:
        plan = plan_fixes(source, catalog, min_severity=args.min_severity, checks=args.checks, keys=args.keys,
                          lock_timeout=args.lock_timeout, statement_timeout=args.statement_timeout)
        written = plan.write(args.output_dir, args.layout)
    except FixPlanError as error:
        raise UsageError(str(error)) from None
    sql_files = [p for p in written if p.suffix == ".sql"]
    print(f"wrote {len(sql_files)} migration files to {args.output_dir}: {len(plan.fixed_keys)} findings fixed, "
          f"{len(plan.conditional_keys)} fixed when the data allows, {len(plan.decisions)} decisions held back "
          f"({args.output_dir / 'decisions.md'}); read {args.output_dir / 'README.md'} before applying")
    return EXIT_OK


def run_docs(args: argparse.Namespace) -> int:
    from auditlib.docs import checks_markdown

    write_output(checks_markdown(), args.output)
    print(f"wrote {args.output}")
    return EXIT_OK


def write_output(text: str, output: Path | None) -> None:
    """Print, or write a file atomically: a failed write leaves neither a half-written file nor its partial copy."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    output = Path(output)
    check_output_file(output)
    if _is_special_file(output):
        # /dev/null, /dev/stdout, a named pipe: written in place (renaming over a device would replace it)
        try:
            with output.open("w", encoding="utf-8") as stream:
                stream.write(text if text.endswith("\n") else text + "\n")
        except OSError as error:
            raise UsageError(f"The output {output} cannot be written ({_reason(error)}); choose another --output.") \
                from None
        return
    partial = _partial_path(output)
    try:
        partial.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        partial.replace(output)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise UsageError(f"The output file {output} cannot be written ({_reason(error)}); choose another --output.") \
            from None


def check_output_file(output: Path | None) -> None:
    """Fail before any work when ``--output`` cannot be written: it is a folder, or its folder cannot be created
    or written to. Creates the missing folders, as writing would."""
    if output is None:
        return
    output = Path(output)
    if output.is_dir():
        raise UsageError(f"The output {output} is a folder; give a file name, such as "
                         f"--output {output / 'audit.json'}.")
    if _is_special_file(output):
        if not os.access(output, os.W_OK):
            raise UsageError(f"The output {output} cannot be written (permission denied); choose another --output.")
        return
    probe = _partial_path(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        probe.open("w").close()  # the very file write_output writes first
        probe.unlink()
    except OSError as error:
        raise UsageError(f"The output file {output} cannot be written ({_reason(error)}); choose another --output.") \
            from None


def _is_special_file(path: Path) -> bool:
    """True for an existing output that is not a regular file: a device such as /dev/null, a pipe, a socket."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_output_folder(folder: Path) -> None:
    """Fail before any work when the report folder is a file or cannot be created or written to."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"The output folder {folder} is a file; pass a folder with --output-dir.")
    probe = folder / ".auditlib-write-test"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.open("w").close()
        probe.unlink()
    except OSError as error:
        raise UsageError(f"The output folder {folder} cannot be written ({_reason(error)}); choose another "
                         "--output-dir.") from None


def _partial_path(output: Path) -> Path:
    return output.with_name(f".{output.name}.partial")


def _reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


def console() -> None:
    """The console script (and ``python -m auditlib.cli``): ``main``, then an exit that leaves out the interpreter's
    teardown.

    A report's process holds pandas, plotly, nbconvert and an audit's objects; freeing them one by one at exit took
    0.4 s of every ``auditlib report`` (half a second of a five-second report) and changes nothing: the output is
    written and flushed, and the exit handlers (logging's, temporary folders') run first. With a thread that is not
    a daemon still running, the exit is the usual one, which waits for it.
    """
    import atexit
    import threading

    code = main()
    if any(thread.is_alive() and not thread.daemon for thread in threading.enumerate()
           if thread is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()  # noqa: SLF001 -- what the interpreter's exit would run first
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away after the last write
        code = code or 128 + 13
    os._exit(code)


if __name__ == "__main__":
    console()
