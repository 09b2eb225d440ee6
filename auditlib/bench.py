"""``make bench``: speed figures measured side by side in one run, printed as a table and saved to reports/bench.json.

Run with ``python -m auditlib.bench [--sizes 100,1000]``. Every figure is measured in this run on the embedded
server; ratios compare auditlib with a reference measured right next to it (SQLAlchemy's reflection for the
catalog), so machine speed cancels out.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import sqlalchemy as sa

from auditlib import embedded
from auditlib.audit import audit_catalog
from auditlib.catalog import load_catalog
from auditlib.config import AuditConfig


def generated_schema_sql(tables: int, seed: int = 7) -> str:
    """A schema-like database: ``tables`` tables of ~10 columns, 2 FKs, 2 indexes and an RLS policy each."""
    rng = random.Random(seed)
    statements = ["CREATE TABLE organizations (id uuid PRIMARY KEY, name text NOT NULL);"]
    for i in range(tables - 1):
        name = f"domain{i % 25}_entity{i}"
        parents = [f"domain{j % 25}_entity{j}" for j in rng.sample(range(max(i, 1)), k=min(i, 2))] if i else []
        fks = [f"{p}_ref uuid REFERENCES {p}(id) ON DELETE {rng.choice(['CASCADE', 'SET NULL', 'NO ACTION'])}"
               for p in parents]
        columns = ["id uuid PRIMARY KEY", "organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE",
                   "name text NOT NULL", "status text", "amount numeric", "payload jsonb", "note text",
                   "created_at timestamptz NOT NULL DEFAULT now()", "updated_at timestamptz", *fks]
        statements.append(f"CREATE TABLE {name} ({', '.join(columns)});")
        statements.append(f"CREATE INDEX ON {name} (organization_id); CREATE INDEX ON {name} (status);")
        statements.append(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;")
        statements.append(f"CREATE POLICY tenant ON {name} USING (organization_id IS NOT NULL);")
    return "\n".join(statements)


def _timed(function, repeat: int = 3) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - started)
    return best, value


def _count_queries(url: sa.URL) -> int:
    engine = sa.create_engine(url)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    load_catalog(engine)
    engine.dispose()
    return len(statements)


def bench_catalog(srv: embedded.EmbeddedServer, sizes: list[int]) -> dict[str, float]:
    """Catalog load vs SQLAlchemy reflection, query counts and the structural audit, per schema size."""
    results: dict[str, float] = {}
    for size in sizes:
        name = f"bench_schema_{size}"
        url = srv.url(name)
        if not srv.database_exists(name):
            srv.create_database(name)
            lines = generated_schema_sql(size).splitlines()  # one complete statement (or pair) per line
            engine = sa.create_engine(url)
            for start in range(0, len(lines), 2000):  # one transaction per batch: locks per transaction are finite
                with engine.begin() as conn:
                    conn.exec_driver_sql("\n".join(lines[start:start + 2000]))
            engine.dispose()
        engine = sa.create_engine(url)
        catalog_s, catalog = _timed(lambda engine=engine: load_catalog(engine))
        reflect_s, _ = _timed(lambda engine=engine: sa.MetaData().reflect(engine), repeat=1 if size > 1000 else 2)
        audit_s, result = _timed(lambda catalog=catalog: audit_catalog(catalog), repeat=1)
        engine.dispose()
        results[f"catalog_{size}_s"] = round(catalog_s, 3)
        results[f"reflect_{size}_s"] = round(reflect_s, 3)
        results[f"catalog_vs_reflect_ratio_{size}"] = round(reflect_s / catalog_s, 2)
        results[f"catalog_queries_{size}"] = _count_queries(url)
        results[f"audit_{size}_s"] = round(audit_s, 3)
        results[f"findings_{size}"] = len(result.findings)
    return results


def bench_diagrams(srv: embedded.EmbeddedServer, size: int = 1000) -> dict[str, float]:
    """ER rendering for a generated schema: the overview (a domain summary past 150 tables) plus every domain."""
    from auditlib import diagrams

    catalog = load_catalog(srv.url(f"bench_schema_{size}"))
    started = time.perf_counter()
    overview = diagrams.er_overview(catalog)
    rendered = [diagrams.render(overview)]
    domains = diagrams.er_domains(catalog) if overview.kind == "summary" else {}
    rendered += [diagrams.render(graph) for graph in domains.values()]
    elapsed = time.perf_counter() - started
    return {f"erd_{size}_s": round(elapsed, 2), "erd_diagrams": len(rendered),
            "erd_max_nodes": max(d.node_count for d in [overview, *domains.values()]),
            "erd_fallbacks": sum(1 for r in rendered if r.fallback_reason)}


def report_seconds(srv: embedded.EmbeddedServer, args: list[str]) -> float:
    """One ``auditlib report`` end to end (papermill + nbconvert, in a subprocess as a user runs it; no history)."""
    import os
    import subprocess
    import sys
    import tempfile

    environment = {**os.environ, "AUDITLIB_HOME": str(srv.home)}
    with tempfile.TemporaryDirectory() as output:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "auditlib.cli", "report", *args, "--output-dir", output,
                        "--no-history"], check=True, env=environment, capture_output=True, timeout=1800)
        return round(time.perf_counter() - started, 1)


def bench_reports(srv: embedded.EmbeddedServer, size: int = 1000) -> dict[str, float]:
    """``auditlib report`` on the demo and on a generated schema."""
    return {"report_demo_s": report_seconds(srv, ["--demo"]),
            f"report_{size}_s": report_seconds(srv, ["--dsn", srv.url(f"bench_schema_{size}").render_as_string()])}


def _data_run(url: str, checks: list[str]) -> dict[str, float]:
    """Run some data checks (every one when ``checks`` is empty) on a database and return seconds, findings, skips
    and the tables they read (used in a child process)."""
    from auditlib.audit import run_checks
    from auditlib.checks import load_checks
    from auditlib.connect import SessionLimits, read_only_engine
    from auditlib.data import DataContext
    from auditlib.model import Analysis
    from auditlib.model.documents import json_columns

    config = AuditConfig().with_overrides({"data": {"statement_timeout_ms": 600_000}})
    engine = read_only_engine(url, SessionLimits(statement_timeout_ms=600_000))
    catalog = load_catalog(engine)
    load_checks()  # imports are the process's start-up, not the checks' work
    context = DataContext(engine=engine, config=config)
    analysis = Analysis(catalog, config)  # its parts are built on first use, inside the timed checks
    started = time.perf_counter()
    findings = run_checks(catalog, config, kinds=("data",), only=checks or None, data=context,
                          skipped=context.skipped, analysis=analysis)
    elapsed = time.perf_counter() - started
    engine.dispose()
    # The tables the checks read: the children of unenforced references, the tables holding JSON columns, or every
    # table of the audited schemas for the whole set of data checks.
    schemas = set(config.audited_schemas(list(catalog.schemas["name"])))
    if not checks:
        tables = catalog.user_tables(sorted(schemas))
        tables = tables[tables["kind"] != "foreign table"]
        read = set(zip(tables["schema"], tables["name"], strict=True))
    elif "orphan_rows" in checks:
        read = {(link.schema, link.table) for link in analysis.unenforced if link.schema in schemas}
    else:
        read = {(c["schema"], c["table"]) for c in json_columns(catalog, schemas)}
    return {"seconds": elapsed, "findings": len(findings), "skipped": len(context.skipped), "tables": sorted(read)}


def _count_seconds(url: sa.URL, tables: list[list[str]]) -> float:
    """Best of three plain ``SELECT count(*)`` over the given (schema, table) pairs, summed."""
    engine = sa.create_engine(url)
    total = 0.0
    with engine.connect() as conn:
        for schema, table in tables:
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                conn.exec_driver_sql(f'SELECT count(*) FROM "{schema}"."{table}"').scalar()
                best = min(best, time.perf_counter() - started)
            total += best
    engine.dispose()
    return total


def peak_memory_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's VmHWM belongs to the running program only; ru_maxrss also keeps the high-water mark of the process
    image before exec (the forked parent's), so a large parent would hide the child's own figure.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(url: str, checks: list[str]) -> dict[str, float]:
    """The data checks in a fresh Python process, with its peak resident memory."""
    import subprocess
    import sys

    code = ("import json; from auditlib.bench import _data_run, peak_memory_mb; "
            f"r = _data_run({url!r}, {checks!r}); r['peak_mb'] = peak_memory_mb(); print(json.dumps(r))")
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=3600)
    return json.loads(output.stdout.strip().splitlines()[-1])


def _best_child(url: str, checks: list[str], runs: int = 2) -> dict[str, float]:
    """The fastest of ``runs`` child runs (the first may meet a cold cache), with the highest peak memory seen."""
    results = [_child(url, checks) for _ in range(runs)]
    best = min(results, key=lambda r: r["seconds"])
    return {**best, "peak_mb": max(r["peak_mb"] for r in results)}


def bench_data(srv: embedded.EmbeddedServer, scale: int, small: int = 100_000) -> dict[str, float]:
    """Orphan and JSON reference scans at ``scale`` rows as ratios to count(*) of the same tables, and the Python
    process's peak memory at ``small`` and ``scale`` rows."""
    results: dict[str, float] = {}
    label = f"{scale // 1_000_000}m" if scale >= 1_000_000 else str(scale)
    peaks = {}
    for rows in (small, scale):
        url = embedded.ensure_demo(srv, scale=rows)
        orphans = _best_child(url.render_as_string(), ["orphan_rows"])
        json_checks = _best_child(url.render_as_string(), ["json_reference", "json_orphans"])
        every = _best_child(url.render_as_string(), [])
        peaks[rows] = max(orphans["peak_mb"], json_checks["peak_mb"], every["peak_mb"])
        if rows == scale:
            results[f"orphan_s_{label}"] = round(orphans["seconds"], 2)
            results[f"orphan_vs_count_ratio_{label}"] = round(orphans["seconds"] / _count_seconds(url, orphans["tables"]),
                                                              2)
            results[f"json_s_{label}"] = round(json_checks["seconds"], 2)
            results[f"json_vs_count_ratio_{label}"] = round(
                json_checks["seconds"] / _count_seconds(url, json_checks["tables"]), 2)
            results[f"json_skipped_{label}"] = json_checks["skipped"]
            # every data check (orphans, NULL tenants, tenant mismatches, JSON, candidates, the RLS probe) against
            # count(*) of every audited table
            results[f"data_checks_s_{label}"] = round(every["seconds"], 2)
            results[f"data_checks_vs_count_ratio_{label}"] = round(
                every["seconds"] / _count_seconds(url, every["tables"]), 2)
            results[f"data_checks_skipped_{label}"] = every["skipped"]
            results[f"report_{label}_s"] = report_seconds(srv, ["--dsn", url.render_as_string()])
            # the settings these figures depend on (see README, "Large databases")
            results["json_scan_rows"] = AuditConfig().get("data", "json_scan_rows")
            results["data_workers"] = AuditConfig().get("data", "workers")
    results[f"peak_mem_mb_{small}"] = round(peaks[small], 1)
    results[f"peak_mem_mb_{scale}"] = round(peaks[scale], 1)
    results[f"peak_mem_ratio_1e{len(str(scale)) - 1}_vs_1e{len(str(small)) - 1}"] = round(peaks[scale] / peaks[small], 3)
    return results


def bench_demo(srv: embedded.EmbeddedServer) -> dict[str, float]:
    """Catalog load and structural audit of the ProductionOS demo."""
    url = embedded.ensure_demo(srv)
    engine = sa.create_engine(url)
    catalog_s, catalog = _timed(lambda: load_catalog(engine))
    audit_s, result = _timed(lambda: audit_catalog(catalog), repeat=1)
    engine.dispose()
    return {"catalog_demo_s": round(catalog_s, 3), "audit_demo_s": round(audit_s, 3),
            "demo_tables": len(catalog.user_tables(result.schemas)), "demo_findings": len(result.findings)}


# The targets the figures are held to: (at least | at most, value).
TARGETS = {
    "catalog_vs_reflect_ratio_1000": ("at least", 4.0),
    "audit_1000_s": ("at most", 10.0),
    "erd_1000_s": ("at most", 30.0),
    "erd_max_nodes": ("at most", 150),
    "orphan_vs_count_ratio_10m": ("at most", 1.5),
    "json_vs_count_ratio_10m": ("at most", 1.5),
    "peak_mem_ratio_1e7_vs_1e5": ("at most", 1.1),
    "report_demo_s": ("at most", 20.0),
    "report_1000_s": ("at most", 90.0),
}


def figures_table(results: dict[str, float]) -> str:
    """The figures one per line, with the target and whether it is met where there is one."""
    width = max(len(k) for k in results)
    lines = []
    for key, value in results.items():
        line = f"{key:<{width}}  {value!s:>10}"
        if key in TARGETS:
            bound, limit = TARGETS[key]
            met = value >= limit if bound == "at least" else value <= limit
            line += f"  target {bound} {limit:g}: {'met' if met else 'MISSED'}"
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="comma-separated table counts of generated schemas")
    parser.add_argument("--output", type=Path, default=Path("reports/bench.json"))
    parser.add_argument("--scale", type=int, default=10_000_000,
                        help="rows in the demo's largest tables for the data-check figures (0 to skip them)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with embedded.owned_server() as srv:
        results = {**bench_demo(srv), **bench_catalog(srv, sizes)}
        if args.scale:  # minutes, like the data figures: a quick run (--scale 0) leaves them out
            results.update(migration_history_figures(srv))
        if 1000 in sizes:
            results.update(bench_diagrams(srv, 1000))
            results.update(bench_reports(srv, 1000))
        if args.scale:
            results.update(bench_data(srv, args.scale))
    print(figures_table(results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def migration_history_figures(run, files: int = 500, big_file_mb: float = 50, runs: int = 2) -> dict[str, float]:
    """``auditlib audit --migrations`` on a generated history of ``files`` files (create, alter, rename, policy churn,
    indexes, functions, Supabase statements) against replaying the same files with ``psql`` into a fresh database
    (after the same platform stub), best of ``runs`` each; then one generated file of ``big_file_mb`` MB (0 skips
    it), with the audit process's peak memory. Every run is a process, as a user runs it, on the running server.

    ``run`` is the embedded server, or anything holding it as ``srv`` (a bench run). Targets: the history audited
    in at most 10 s and at most 3× the psql replay; the big file in at most 60 s and 1 GB.
    """
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    from auditlib.migrations import load_folder, stub_sql
    from auditlib.migrations.synthetic import big_migration, write_history

    srv = getattr(run, "srv", run)
    environment = {**os.environ, "AUDITLIB_HOME": str(srv.home)}

    def audited_seconds(folder: Path) -> tuple[float, float]:
        # the audit in a process of its own, which reports its own peak memory (VmHWM) when done
        # the output goes to a file beside the folder: the CLI writes a file by replacing it, /dev/null included
        output = str(folder.parent / f"{folder.name}-findings.json")
        code = ("import sys; from auditlib.cli import main; from auditlib.bench import peak_memory_mb; "
                f"code = main(['audit', '--migrations', {str(folder)!r}, '--format', 'json', '--output', "
                f"{output!r}, '--fail-on', 'never', '--no-history']); print(peak_memory_mb()); sys.exit(code)")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], check=True, env=environment, capture_output=True,
                              text=True, timeout=3600)
        return time.perf_counter() - started, float(done.stdout.strip().splitlines()[-1])

    def replayed_seconds(folder: Path, psql: str) -> float:
        # psql runs each file as auditlib does (autocommit, past errors) into a database created beforehand
        paths = sorted(folder.glob("*.sql"))
        stub = folder.parent / "stub.sql"
        stub.write_text(stub_sql("auto", load_folder(folder)), encoding="utf-8")
        url = srv.create_database("bench_psql_replay", replace=True)
        connection = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        connection.update(PGHOST=url.query["host"], PGPORT=url.query["port"], PGUSER=url.username,
                          PGDATABASE=url.database)
        started = time.perf_counter()
        subprocess.run([psql, "-X", "-q", "-f", str(stub), *[a for p in paths for a in ("-f", str(p))]],
                       check=True, env=connection, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
        elapsed = time.perf_counter() - started
        srv.drop_database("bench_psql_replay")
        return elapsed

    figures: dict[str, float] = {}
    psql = shutil.which("psql")
    with tempfile.TemporaryDirectory() as work:
        history = write_history(Path(work) / "migrations", files)
        audit_s = min(audited_seconds(history)[0] for _ in range(runs))
        figures[f"migrations_{files}_files_audit_s"] = round(audit_s, 2)
        if psql:  # psql is the peer here, not a dependency: without it the ratio is left out
            replay_s = min(replayed_seconds(history, psql) for _ in range(runs))
            figures[f"migrations_{files}_files_psql_replay_s"] = round(replay_s, 2)
            figures[f"migrations_{files}_files_vs_psql_ratio"] = round(audit_s / replay_s, 2)
        if big_file_mb:
            big = Path(work) / "big"
            big.mkdir()
            (big / "20231001_big.sql").write_text(big_migration(int(big_file_mb * 1_000_000)), encoding="utf-8")
            big_s, big_peak_mb = audited_seconds(big)
            label = f"{big_file_mb:g}mb"
            figures[f"migration_file_{label}_audit_s"] = round(big_s, 1)
            figures[f"migration_file_{label}_peak_mb"] = round(big_peak_mb)
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
