"""``make bench``: speed figures measured side by side in one run, printed as a table and saved to reports/bench.json.

Run with ``python -m auditlib.bench [--sizes 100,1000] [--figures demo,vs_pgrls]``. Every figure is measured in this
run on the embedded server; ratios compare auditlib with a reference measured right next to it (SQLAlchemy's
reflection for the catalog, the peer tool ``pgrls`` for the security audit, ``count(*)`` for the data scans), so
machine speed cancels out.

A figure is one function ``figure_<name>(run: BenchRun) -> dict`` listed in ``FIGURES``; the keys of the dict it
returns are the figures' names in the table and in the JSON file. A target goes in ``TARGETS``, and a ratio to a peer
names the two figures it divides in ``BESIDE`` so the table prints them next to it.

The peers are bench-only: ``make bench`` installs the ``bench`` extra (pgrls) into its own environment, .venv/peers,
and points ``AUDITLIB_PEERS_BIN`` at it; without it the figures that need a peer are left out, with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from auditlib import embedded
from auditlib.audit import audit_catalog
from auditlib.catalog import load_catalog
from auditlib.config import AuditConfig


@dataclass
class BenchRun:
    """What every figure function gets: the running server and the options of this run."""

    srv: embedded.EmbeddedServer
    sizes: list[int] = field(default_factory=lambda: [100, 1000, 5000])
    scale: int = 10_000_000
    repeat: int = 3  # end-to-end process timings are medians of this many runs
    notes: list[str] = field(default_factory=list)  # printed under the table (what was left out, and why)

    def peer(self, program: str) -> Path | None:
        """A peer tool's executable: in $AUDITLIB_PEERS_BIN (make bench's .venv/peers/bin), else on PATH."""
        folder = os.environ.get("AUDITLIB_PEERS_BIN")
        candidate = Path(folder) / program if folder else None
        if candidate and candidate.is_file():
            return candidate
        found = shutil.which(program)
        return Path(found) if found else None


# -- generated databases ---------------------------------------------------------------------------------------------
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


DOMAINS = ("crm", "projects", "billing", "crew", "kit", "docs", "support")
NOUNS = ("items", "notes", "events", "tasks", "files", "entries", "links", "comments", "records", "logs",
         "requests", "versions", "tags", "assignments", "reviews", "slots", "rates", "orders", "lines", "steps",
         "alerts")
# The four ways Supabase policies name the caller's organisations, used in turn.
MEMBER_CONDITIONS = (
    "organization_id IN (SELECT m.organization_id FROM public.memberships m WHERE m.user_id = (SELECT auth.uid()))",
    "private.is_member(organization_id)",
    "EXISTS (SELECT 1 FROM public.memberships m WHERE m.organization_id = {table}.organization_id "
    "AND m.user_id = (SELECT auth.uid()))",
    "organization_id = ((SELECT auth.jwt()) -> 'app_metadata' ->> 'organization_id')::uuid",
)


def supabase_like_sql(tables: int = 150, policies: int = 400, seed: int = 11) -> str:
    """A Supabase-like database: the platform stub, organisations and memberships, ``tables`` tables in public
    (tenant tables with RLS and two to four policies each, ``policies`` policies in all), helper functions in a
    private schema, invoker views, RPC functions and a few rows per table."""
    from importlib import resources

    rng = random.Random(seed)
    base_policies = 6
    tenant_tables = tables - 3
    if not 2 * tenant_tables + base_policies <= policies <= 4 * tenant_tables + base_policies:
        raise ValueError(f"{policies} policies do not fit {tables} tables at two to four policies per tenant table.")
    extra = policies - base_policies - 2 * tenant_tables  # third and fourth policies, spread over the tables
    out = [(resources.files("auditlib") / "stubs" / "supabase.sql").read_text(encoding="utf-8"), """
CREATE SCHEMA private;
CREATE TABLE public.organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.memberships (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, role text NOT NULL DEFAULT 'member',
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, user_id));
CREATE INDEX ON public.memberships (user_id);
CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, full_name text,
    avatar_url text, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION private.is_member(org uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT EXISTS (SELECT 1 FROM public.memberships WHERE organization_id = org AND user_id = auth.uid()) $$;
CREATE FUNCTION private.is_admin(org uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT EXISTS (SELECT 1 FROM public.memberships WHERE organization_id = org AND user_id = auth.uid()
                     AND role = 'admin') $$;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA private FROM PUBLIC, anon;
GRANT USAGE ON SCHEMA private TO authenticated;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA private TO authenticated;
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read their organizations" ON public.organizations FOR SELECT TO authenticated
    USING (private.is_member(id));
CREATE POLICY "admins update their organizations" ON public.organizations FOR UPDATE TO authenticated
    USING (private.is_admin(id)) WITH CHECK (private.is_admin(id));
CREATE POLICY "members read memberships" ON public.memberships FOR SELECT TO authenticated
    USING (private.is_member(organization_id));
CREATE POLICY "admins manage memberships" ON public.memberships FOR ALL TO authenticated
    USING (private.is_admin(organization_id)) WITH CHECK (private.is_admin(organization_id));
CREATE POLICY "users read profiles" ON public.profiles FOR SELECT TO authenticated USING (true);
CREATE POLICY "users update their profile" ON public.profiles FOR UPDATE TO authenticated
    USING (id = (SELECT auth.uid())) WITH CHECK (id = (SELECT auth.uid()));
INSERT INTO auth.users (id, email)
    SELECT gen_random_uuid(), 'user' || g || '@example.com' FROM generate_series(1, 60) g;
INSERT INTO public.organizations (name) SELECT 'organisation ' || g FROM generate_series(1, 20) g;
INSERT INTO public.memberships (organization_id, user_id, role)
    SELECT o.id, u.id, CASE WHEN u.n % 5 = 0 THEN 'admin' ELSE 'member' END
    FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM public.organizations) o
    JOIN (SELECT id, row_number() OVER (ORDER BY email) AS n FROM auth.users) u ON u.n % 20 = o.n % 20;
INSERT INTO public.profiles (id, full_name) SELECT id, email FROM auth.users;
"""]
    names: list[str] = []
    for i in range(tenant_tables):
        name = f"{DOMAINS[i % len(DOMAINS)]}_{NOUNS[(i // len(DOMAINS)) % len(NOUNS)]}"
        name = name if name not in names else f"{name}_{i}"
        same_domain = [n for n in names if n.startswith(DOMAINS[i % len(DOMAINS)] + "_")]
        parents = rng.sample(same_domain, k=min(len(same_domain), rng.choice((0, 1, 1, 2))))
        columns = ["id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
                   "organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE",
                   "created_by uuid REFERENCES auth.users (id) ON DELETE SET NULL",
                   "name text NOT NULL", "status text NOT NULL DEFAULT 'open'", "amount numeric", "details jsonb",
                   "created_at timestamptz NOT NULL DEFAULT now()", "updated_at timestamptz NOT NULL DEFAULT now()",
                   *(f"{p}_id uuid REFERENCES public.{p} (id) ON DELETE CASCADE" for p in parents)]
        out.append(f"CREATE TABLE public.{name} ({', '.join(columns)});")
        out.append(f"CREATE INDEX ON public.{name} (organization_id);"
                   + "".join(f" CREATE INDEX ON public.{name} ({p}_id);" for p in parents))
        out.append(f"ALTER TABLE public.{name} ENABLE ROW LEVEL SECURITY;")
        member = MEMBER_CONDITIONS[i % len(MEMBER_CONDITIONS)].format(table=f"public.{name}")
        out.append(f'CREATE POLICY "members read {name}" ON public.{name} FOR SELECT TO authenticated USING ({member});')
        out.append(f'CREATE POLICY "members add {name}" ON public.{name} FOR INSERT TO authenticated '
                   f"WITH CHECK ({member});")
        if i < extra:
            out.append(f'CREATE POLICY "members edit {name}" ON public.{name} FOR UPDATE TO authenticated '
                       f"USING ({member}) WITH CHECK ({member});")
        if i < extra - tenant_tables:
            out.append(f'CREATE POLICY "admins delete {name}" ON public.{name} FOR DELETE TO authenticated '
                       "USING (private.is_admin(organization_id));")
        references = ", ".join(f"(SELECT p.id FROM public.{p} p WHERE p.organization_id = o.id LIMIT 1)"
                               for p in parents)
        out.append(f"INSERT INTO public.{name} (organization_id, name, amount, details"
                   + "".join(f", {p}_id" for p in parents) + ") SELECT o.id, 'row ' || g, g * 10, "
                   f"jsonb_build_object('n', g){', ' + references if parents else ''} "
                   "FROM public.organizations o, generate_series(1, 2) g;")
        names.append(name)
    for name in names[:12]:  # reporting views, each running as the caller (security_invoker)
        out.append(f"CREATE VIEW public.{name}_summary WITH (security_invoker = on) AS SELECT organization_id, "
                   f"status, count(*) AS n, sum(amount) AS total FROM public.{name} GROUP BY organization_id, status;")
    for name in names[:8]:  # RPC functions: invoker rights, so the caller's policies apply
        out.append(f"CREATE FUNCTION public.close_{name}(p_id uuid) RETURNS void LANGUAGE sql SET search_path = '' "
                   f"AS $$ UPDATE public.{name} SET status = 'closed', updated_at = now() WHERE id = p_id $$;")
    return "\n".join(out)


# -- measuring ----------------------------------------------------------------------------------------------------
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


def generated_database(srv: embedded.EmbeddedServer, size: int) -> sa.URL:
    """The generated schema of ``size`` tables on the server (built once, kept for the next runs)."""
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
    return url


def figure_catalog(run: BenchRun) -> dict[str, float]:
    """Catalog load vs SQLAlchemy reflection, query counts and the structural audit, per schema size."""
    results: dict[str, float] = {}
    for size in run.sizes:
        url = generated_database(run.srv, size)
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


def figure_diagrams(run: BenchRun, size: int = 1000) -> dict[str, float]:
    """ER rendering for a generated schema: the overview (a domain summary past 150 tables) plus every domain."""
    from auditlib import diagrams

    if size not in run.sizes:
        return {}
    catalog = load_catalog(generated_database(run.srv, size))
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
    return round(timed_report(srv, args)["wall"], 1)


def timed_report(srv: embedded.EmbeddedServer, args: list[str]) -> dict[str, float]:
    """One ``auditlib report --timings`` as a user runs it (a subprocess, no history): its wall time, the phases it
    printed (start-up, audit, kernel start, notebook execution, export, total) and ``process``, the interpreter's
    start and the CLI's imports before the command runs."""
    environment = {**os.environ, "AUDITLIB_HOME": str(srv.home)}
    with tempfile.TemporaryDirectory() as output:
        started = time.perf_counter()
        process = subprocess.run([sys.executable, "-m", "auditlib.cli", "report", *args, "--output-dir", output,
                                  "--no-history", "--timings"], check=True, env=environment, capture_output=True,
                                 text=True, timeout=1800)
        wall = time.perf_counter() - started
    phases = {name: float(seconds) for name, seconds in re.findall(r"^ {2}([a-z -]+?) +(-?[0-9.]+)$",
                                                                   process.stderr, re.M)}
    return {**phases, "wall": wall, "process": wall - phases["total"]}


REPORT_PHASES = ("process", "start-up", "audit", "kernel start", "notebook execution", "export")


def figure_reports(run: BenchRun, size: int = 1000) -> dict[str, float]:
    """``auditlib report`` on the demo, the median of ``run.repeat`` runs in total and per phase (where the time goes:
    see ``auditlib.report.ReportTimings``), and one report of the generated ``size``-table schema."""
    if size not in run.sizes:
        return {}
    embedded.ensure_demo(run.srv)
    demo = [timed_report(run.srv, ["--demo"]) for _ in range(max(run.repeat, 1))]
    figures = {"report_demo_s": round(statistics.median(r["wall"] for r in demo), 2)}
    for phase in REPORT_PHASES:
        key = f"report_demo_{phase.replace(' ', '_').replace('-', '_')}_s"
        figures[key] = round(statistics.median(r[phase] for r in demo), 2)
    url = generated_database(run.srv, size).render_as_string(hide_password=False)
    large = timed_report(run.srv, ["--dsn", url])
    figures.update({f"report_{size}_s": round(large["wall"], 2), f"report_{size}_audit_s": round(large["audit"], 2),
                    f"report_{size}_notebook_execution_s": round(large["notebook execution"], 2)})
    return figures


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


def figure_data(run: BenchRun) -> dict[str, float]:
    """The data-check figures at ``--scale`` rows (none when it is 0)."""
    return bench_data(run.srv, run.scale) if run.scale else {}


def figure_demo(run: BenchRun) -> dict[str, float]:
    """Catalog load and structural audit of the ProductionOS demo."""
    url = embedded.ensure_demo(run.srv)
    engine = sa.create_engine(url)
    catalog_s, catalog = _timed(lambda: load_catalog(engine))
    audit_s, result = _timed(lambda: audit_catalog(catalog), repeat=1)
    engine.dispose()
    return {"catalog_demo_s": round(catalog_s, 3), "audit_demo_s": round(audit_s, 3),
            "demo_tables": len(catalog.user_tables(result.schemas)), "demo_findings": len(result.findings)}


# -- end to end, as a user runs it, beside pgrls -------------------------------------------------------------------
def auditlib_command() -> list[str]:
    """The ``auditlib`` console script next to this Python (what a user runs), else ``python -m auditlib.cli``."""
    script = Path(sys.executable).parent / "auditlib"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "auditlib.cli"]


def process_seconds(command: list[str], environment: dict[str, str] | None = None) -> float:
    """Wall-clock seconds of one process, start to exit (its exit status is not judged: 1 means findings)."""
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, timeout=1800, env=environment)
    return time.perf_counter() - started


def median_seconds(commands: dict[str, list[str]], repeat: int,
                   environment: dict[str, str] | None = None) -> dict[str, float]:
    """The median wall-clock seconds of each command over ``repeat`` rounds; one round runs every command once, in
    turn, so they share the machine's conditions."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            samples[name].append(process_seconds(command, environment))
    return {name: round(statistics.median(values), 3) for name, values in samples.items()}


def supabase_like_database(srv: embedded.EmbeddedServer, tables: int = 150, policies: int = 400) -> sa.URL:
    """The generated Supabase-like database on the server (built once, kept for the next runs; its name carries a
    digest of the script, so a changed generator or stub builds a new one)."""
    import hashlib

    import psycopg

    script = supabase_like_sql(tables, policies)
    name = f"bench_supabase_{tables}_{policies}_{hashlib.sha256(script.encode()).hexdigest()[:8]}"
    if not srv.database_exists(name):
        url = srv.create_database(name)
        with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
            conn.execute(script)
            conn.execute("ANALYZE")
    return srv.url(name)


def compile_bytecode() -> None:
    """Write auditlib's bytecode as installing its wheel does, so the processes timed below load it as a user's do.

    An editable checkout has none, and with PYTHONDONTWRITEBYTECODE set no run writes it: every auditlib process
    would compile its ~60 modules from source (about a fifth of ``import auditlib.audit``), while the peers,
    installed from wheels, start from bytecode."""
    import compileall

    compileall.compile_dir(Path(__file__).parent, quiet=2)


def figure_startup(run: BenchRun) -> dict[str, float]:
    """Process start to exit of ``auditlib --version`` and ``auditlib audit --help`` (imports are lazy), beside the
    floor (a bare ``python -c pass``) and the cost of importing what an audit needs (``import auditlib.audit``:
    pandas, SQLAlchemy, psycopg, pglast and the checks), which every audit process pays before its first query."""
    command = auditlib_command()
    times = median_seconds({"version": [*command, "--version"], "help": [*command, "audit", "--help"],
                            "python": [sys.executable, "-c", "pass"],
                            "import": [sys.executable, "-c", "import auditlib.audit, auditlib.checks; "
                                                              "auditlib.checks.load_checks()"]}, run.repeat)
    return {"startup_version_s": times["version"], "startup_audit_help_s": times["help"],
            "python_startup_s": times["python"], "import_audit_s": times["import"]}


def figure_vs_pgrls(run: BenchRun) -> dict[str, float]:
    """``auditlib audit --no-data`` and the full ``auditlib audit`` against ``pgrls lint``, end to end as processes on
    the same database, medians of ``run.repeat``: on the generated Supabase-like database (150 tables, 400
    policies) and on the demo."""
    pgrls = run.peer("pgrls")
    if pgrls is None:
        run.notes.append("pgrls is not installed, so the figures beside it are left out (make bench installs it).")
        return {}
    results: dict[str, float] = {}
    environment = {**os.environ, "AUDITLIB_HOME": str(run.srv.home)}
    for label, url in (("generated", supabase_like_database(run.srv)), ("demo", embedded.ensure_demo(run.srv))):
        dsn = _libpq_url(url)
        with tempfile.TemporaryDirectory() as scratch:
            audit = [*auditlib_command(), "audit", "--dsn", dsn, "--format", "json", "--no-history", "--fail-on",
                     "never", "--output", str(Path(scratch) / "audit.json")]
            times = median_seconds({
                "pgrls": [str(pgrls), "lint", "--database-url", dsn, "--format", "json", "-o",
                          str(Path(scratch) / "pgrls.json")],
                "schema": [*audit, "--no-data"],
                "full": audit,
            }, run.repeat, environment)
        results[f"pgrls_{label}_s"] = times["pgrls"]
        results[f"schema_audit_{label}_s"] = times["schema"]
        results[f"full_audit_{label}_s"] = times["full"]
        results[f"schema_audit_vs_pgrls_{label}"] = round(times["schema"] / times["pgrls"], 2)
        results[f"full_audit_vs_pgrls_{label}"] = round(times["full"] / times["pgrls"], 2)
    return results


# -- the security corpus: holes and clean twins side by side with pgrls ------------------------------------------
SECURITY_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "security_corpus"
CORPUS_ROLE_PREFIX = "seccorpus_"  # roles a fixture creates (roles are cluster-wide): dropped after each variant


@dataclass
class SecurityFixture:
    """One fixture of tests/security_corpus: a hole class, its answer key and its clean twin."""

    folder: Path
    description: str
    holes: list[tuple[str, str]]  # (check, object) auditlib must report on schema.sql

    @property
    def name(self) -> str:
        return self.folder.name


def security_fixtures(root: Path = SECURITY_CORPUS) -> list[SecurityFixture]:
    """The fixtures of the security corpus, by name (each a folder with schema.sql, clean.sql and answer.toml)."""
    fixtures = []
    for folder in sorted(p for p in root.iterdir() if (p / "schema.sql").is_file()):
        key = tomllib.loads((folder / "answer.toml").read_text(encoding="utf-8"))
        fixtures.append(SecurityFixture(folder, " ".join(key["description"].split()),
                                        [(h["check"], h["object"]) for h in key["holes"]]))
    return fixtures


def pgrls_rules(root: Path = SECURITY_CORPUS) -> dict[str, dict]:
    """pgrls rule id -> {"checks": auditlib checks that are its counterpart, "why": why none is}: pgrls.toml, joined
    with the ``peers`` each check declares (``pgrls:SEC044``), so a check names its peer rule in one place."""
    from auditlib.checks import load_checks

    rules = tomllib.loads((root / "pgrls.toml").read_text(encoding="utf-8"))["rules"]
    for name, spec in sorted(load_checks().items()):
        for peer in spec.peers:
            tool, _, rule = peer.partition(":")
            if tool == "pgrls":
                checks = rules.setdefault(rule, {"checks": []})["checks"]
                if name not in checks:
                    checks.append(name)
    return rules


def load_security_fixture(srv: embedded.EmbeddedServer, fixture: SecurityFixture, variant: str) -> sa.URL:
    """A fresh database holding the Supabase stub, the corpus's app.sql and the fixture's ``variant`` script
    (``schema`` with the holes, ``clean`` the twin)."""
    import psycopg

    name = f"security_{fixture.name}_{variant}"
    url = srv.create_database(name, replace=True)
    scripts = [(resources.files("auditlib") / "stubs" / "supabase.sql").read_text(encoding="utf-8"),
               (fixture.folder.parent / "app.sql").read_text(encoding="utf-8"),
               (fixture.folder / f"{variant}.sql").read_text(encoding="utf-8")]
    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        for script in scripts:
            conn.execute(script)
    return url


def drop_security_fixture(srv: embedded.EmbeddedServer, fixture: SecurityFixture, variant: str) -> None:
    """Drop a fixture's database and the roles it created."""
    import psycopg
    from psycopg import sql

    srv.drop_database(f"security_{fixture.name}_{variant}")
    with psycopg.connect(_libpq_url(srv.url()), autocommit=True) as conn:
        roles = conn.execute("SELECT rolname FROM pg_catalog.pg_roles WHERE starts_with(rolname, %s) ORDER BY 1",
                             [CORPUS_ROLE_PREFIX]).fetchall()
        for (role,) in roles:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _libpq_url(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def auditlib_findings(url: sa.URL) -> list[dict]:
    """auditlib's schema-level findings on a database, as JSON records."""
    from auditlib.audit import run_audit
    from auditlib.findings import frame_records

    return frame_records(run_audit(url, data=False).findings)


def security_findings(records: list[dict]) -> list[dict]:
    """The findings of the security category that say something is wrong (info-level notes, such as a backend-only
    table that "looks deliberate", are not counted)."""
    return [r for r in records if r["category"] == "security" and r["severity"] != "info"]


def pgrls_violations(pgrls: Path, url: sa.URL) -> list[dict]:
    """pgrls lint's violations on a database (rule_id, severity, location, message)."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "pgrls.json"
        subprocess.run([str(pgrls), "lint", "--database-url", _libpq_url(url), "--format", "json", "-o", str(output)],
                       check=False, capture_output=True, timeout=600)
        if not output.exists():
            raise RuntimeError(f"pgrls wrote no report for {url.database}; run it by hand to see why.")
        return json.loads(output.read_text(encoding="utf-8"))["violations"]


def _relation_of(name: str) -> str:
    """The object a finding is about, as schema.relation (or a role name): what pgrls and auditlib are matched on."""
    name = name.split(" (")[0].split("(")[0]
    return ".".join(name.split(".")[:2])


def counterpart(violation: dict, records: list[dict], rules: dict[str, dict]) -> str:
    """Whether auditlib reports a pgrls violation: "yes" (a finding of a mapped check on the same relation; anywhere
    in the database for a violation located on a role or a rule marked ``anywhere``), "no", or "by design: <why>"
    when the mapping says why auditlib does not report it here."""
    rule = rules.get(violation["rule_id"], {})
    checks = set(rule.get("checks", []))
    where = _relation_of(violation["location"])
    anywhere = rule.get("anywhere", False) or "." not in where
    for record in records:
        if record["check"] in checks and (anywhere or _relation_of(record["object"]) == where):
            return "yes"
    return f"by design: {rule['why']}" if rule.get("why") else "no"


def security_fixture_outcome(srv: embedded.EmbeddedServer, fixture: SecurityFixture,
                             pgrls: Path | None) -> dict[str, Any]:
    """Holes found and missed, false positives on the clean twin, and pgrls's findings beside auditlib's."""
    outcome: dict[str, Any] = {"fixture": fixture.name}
    for variant in ("schema", "clean"):
        url = load_security_fixture(srv, fixture, variant)
        try:
            records = auditlib_findings(url)
            violations = pgrls_violations(pgrls, url) if pgrls else None
        finally:
            drop_security_fixture(srv, fixture, variant)
        outcome[variant] = {"all": records, "auditlib": security_findings(records), "pgrls": violations}
    reported = {(r["check"], r["object"]) for r in outcome["schema"]["all"]}
    outcome["found"] = sorted(h for h in fixture.holes if h in reported)
    outcome["missed"] = sorted(h for h in fixture.holes if h not in reported)
    outcome["false_positives"] = sorted((r["check"], r["object"]) for r in outcome["clean"]["auditlib"])
    if pgrls:
        rules = pgrls_rules()
        outcome["pgrls_errors"] = [
            {**v, "counterpart": counterpart(v, outcome["schema"]["all"], rules)}
            for v in outcome["schema"]["pgrls"] if v["severity"] == "error"]
    return outcome


def figure_security_corpus(run: BenchRun) -> dict[str, float]:
    """Findings side by side on tests/security_corpus (a checkout only): per hole class, pgrls's and auditlib's
    finding counts, which of pgrls's error-level findings auditlib has a counterpart for, the answer key's holes
    auditlib found, and auditlib's findings on the clean twins (false positives). Prints the detail."""
    if not SECURITY_CORPUS.is_dir():
        run.notes.append("tests/security_corpus is not here (an installed package), so its figures are left out.")
        return {}
    pgrls = run.peer("pgrls")
    outcomes = [security_fixture_outcome(run.srv, fixture, pgrls) for fixture in security_fixtures()]
    print(security_corpus_table(outcomes))
    results: dict[str, float] = {}
    for outcome in outcomes:
        name = outcome["fixture"]
        results[f"security_{name}_auditlib_findings"] = len(outcome["schema"]["auditlib"])
        if pgrls:
            results[f"security_{name}_pgrls_findings"] = len(outcome["schema"]["pgrls"])
            results[f"security_{name}_pgrls_errors"] = len(outcome["pgrls_errors"])
            results[f"security_{name}_pgrls_errors_matched"] = sum(
                1 for v in outcome["pgrls_errors"] if v["counterpart"] == "yes")
        results[f"security_{name}_holes_found"] = len(outcome["found"])
        results[f"security_{name}_holes"] = len(outcome["found"]) + len(outcome["missed"])
        results[f"security_{name}_clean_false_positives"] = len(outcome["false_positives"])
    results["security_holes_missed"] = sum(len(o["missed"]) for o in outcomes)
    results["security_clean_false_positives"] = sum(len(o["false_positives"]) for o in outcomes)
    if pgrls:
        results["security_pgrls_errors_without_counterpart"] = sum(
            1 for o in outcomes for v in o["pgrls_errors"] if v["counterpart"] == "no")
        results["security_pgrls_clean_findings"] = sum(len(o["clean"]["pgrls"]) for o in outcomes)
    else:
        run.notes.append("pgrls is not installed: the security corpus is scored for auditlib alone.")
    return results


def security_corpus_table(outcomes: list[dict[str, Any]]) -> str:
    """The side-by-side detail of the security corpus: counts per class, then every pgrls error-level finding with
    its auditlib counterpart, the missed holes and the false positives."""
    lines = ["security corpus: findings per hole class (holes fixture; clean twin)",
             f"{'class':<20} {'pgrls':>6} {'errors':>6} {'matched':>7} {'auditlib':>8} {'holes':>7} "
             f"{'clean pgrls':>11} {'clean auditlib':>14}"]
    for o in outcomes:
        has_pgrls = o["schema"]["pgrls"] is not None
        peer = (f"{len(o['schema']['pgrls']):>6} {len(o['pgrls_errors']):>6} "
                f"{sum(1 for v in o['pgrls_errors'] if v['counterpart'] == 'yes'):>7}") if has_pgrls else \
            f"{'-':>6} {'-':>6} {'-':>7}"
        clean_peer = len(o["clean"]["pgrls"]) if has_pgrls else "-"
        holes = f"{len(o['found'])}/{len(o['found']) + len(o['missed'])}"
        lines.append(f"{o['fixture']:<20} {peer} {len(o['schema']['auditlib']):>8} {holes:>7} {clean_peer!s:>11} "
                     f"{len(o['false_positives']):>14}")
    for o in outcomes:
        grouped: dict[tuple[str, str], list[str]] = {}
        for v in o.get("pgrls_errors", []):
            grouped.setdefault((v["rule_id"], v["counterpart"]), []).append(v["location"])
        for (rule, answer), locations in sorted(grouped.items()):
            shown = ", ".join(locations[:3]) + (f" and {len(locations) - 3} more" if len(locations) > 3 else "")
            lines.append(f"  {o['fixture']}: pgrls {rule} on {shown}: auditlib {answer}")
        for check, obj in o["missed"]:
            lines.append(f"  {o['fixture']}: MISSED hole {check} {obj}")
        for check, obj in o["false_positives"]:
            lines.append(f"  {o['fixture']}: FALSE POSITIVE on the clean twin {check} {obj}")
    return "\n".join(lines)


def figure_migrations(run: BenchRun) -> dict[str, float]:
    """A generated 500-file migration history against its psql replay; the 50 MB file only in a full run (it takes
    minutes, like the data figures: ``--scale 0`` leaves it out)."""
    return migration_history_figures(run, big_file_mb=50 if run.scale else 0)


# -- the figures, the targets, the table -----------------------------------------------------------------------------
# Every figure function of a run, in the order they run and print (``--figures`` picks some by name).
FIGURES: list[Callable[[BenchRun], dict[str, float]]] = [
    figure_demo,
    figure_catalog,
    figure_diagrams,
    figure_reports,
    figure_data,
    figure_startup,
    figure_vs_pgrls,
    figure_security_corpus,
    figure_migrations,
]


def figure_name(function: Callable) -> str:
    return function.__name__.removeprefix("figure_")


# The targets the figures are held to: (at least | at most, value).
TARGETS = {
    "catalog_vs_reflect_ratio_1000": ("at least", 4.0),
    "audit_1000_s": ("at most", 10.0),
    "erd_1000_s": ("at most", 30.0),
    "erd_max_nodes": ("at most", 150),
    "orphan_vs_count_ratio_10m": ("at most", 1.5),
    "json_vs_count_ratio_10m": ("at most", 1.5),
    "peak_mem_ratio_1e7_vs_1e5": ("at most", 1.1),
    "report_demo_s": ("at most", 5.0),  # idle machine
    "report_1000_s": ("at most", 20.0),
    "startup_version_s": ("at most", 0.3),
    "startup_audit_help_s": ("at most", 0.3),
    "schema_audit_vs_pgrls_generated": ("at most", 1.0),
    "schema_audit_vs_pgrls_demo": ("at most", 1.0),
    "full_audit_vs_pgrls_generated": ("at most", 2.0),
    "full_audit_vs_pgrls_demo": ("at most", 2.0),
    "security_holes_missed": ("at most", 0),
    "security_clean_false_positives": ("at most", 0),
    "security_pgrls_errors_without_counterpart": ("at most", 0),
    "migrations_500_files_audit_s": ("at most", 10.0),
    "migrations_500_files_vs_psql_ratio": ("at most", 3.0),
    "migration_file_50mb_audit_s": ("at most", 60.0),
    "migration_file_50mb_peak_mb": ("at most", 1024),
}

# A ratio's two figures, printed beside it: ratio -> (auditlib's figure, the peer's figure, the peer).
BESIDE = {
    **{f"catalog_vs_reflect_ratio_{size}": (f"catalog_{size}_s", f"reflect_{size}_s", "SQLAlchemy reflection")
       for size in (100, 1000, 5000)},
    **{f"{kind}_audit_vs_pgrls_{db}": (f"{kind}_audit_{db}_s", f"pgrls_{db}_s", "pgrls")
       for kind in ("schema", "full") for db in ("generated", "demo")},
    "migrations_500_files_vs_psql_ratio": ("migrations_500_files_audit_s", "migrations_500_files_psql_replay_s",
                                           "psql replay"),
}


def figures_table(results: dict[str, float]) -> str:
    """The figures one per line: a ratio to a peer with both figures beside it, and the target and whether it is met
    where there is one."""
    width = max(len(k) for k in results)
    lines = []
    for key, value in results.items():
        line = f"{key:<{width}}  {value!s:>10}"
        if key in BESIDE and BESIDE[key][0] in results and BESIDE[key][1] in results:
            ours, theirs, peer = BESIDE[key]
            line += f"  (auditlib {results[ours]} s, {peer} {results[theirs]} s)"
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
    parser.add_argument("--figures", default="",
                        help=f"comma-separated figures to measure (default all: {', '.join(map(figure_name, FIGURES))})")
    parser.add_argument("--repeat", type=int, default=3, help="runs per end-to-end process timing (the median counts)")
    args = parser.parse_args(argv)
    wanted = [name for name in args.figures.split(",") if name]
    unknown = sorted(set(wanted) - {figure_name(f) for f in FIGURES})
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}; choose from {', '.join(map(figure_name, FIGURES))}")
    compile_bytecode()
    with embedded.owned_server() as srv:
        run = BenchRun(srv=srv, sizes=[int(s) for s in args.sizes.split(",") if s], scale=args.scale,
                       repeat=args.repeat)
        results: dict[str, float] = {}
        for function in FIGURES:
            if not wanted or figure_name(function) in wanted:
                results.update(function(run))
    print(figures_table(results) if results else "no figures measured")
    for note in run.notes:
        print(f"note: {note}")
    print(f"machine: {machine()}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def machine() -> str:
    """The machine the figures were measured on: CPU model, cores, memory, and the load when the run ended."""
    import platform

    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GB"
    load = f", load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()}, Python {platform.python_version()}{load}"


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
