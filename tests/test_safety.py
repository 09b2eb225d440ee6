"""Safe to point at production: read-only sessions, no secrets in any output, clear errors, hostile names."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pglast
import psycopg
import pytest
import sqlalchemy as sa

from auditlib import embedded
from auditlib.audit import audit_migrations, run_audit
from auditlib.catalog import load_catalog
from auditlib.config import AuditConfig
from tests.test_cli import run_cli

CANARY = "S3cr3t-Canary-9f2"


@pytest.fixture(scope="module")
def logging_server():
    """A second embedded server that logs every statement with its application name and database."""
    home = Path(tempfile.mkdtemp(prefix="al-log-", dir="/var/tmp" if os.geteuid() == 0 else None))
    srv = embedded.server(home)
    srv.start({"log_statement": "all", "log_line_prefix": "app=%a db=%d: ", "log_min_duration_statement": "-1"})
    yield srv
    srv.stop()
    shutil.rmtree(home, ignore_errors=True)


def statements_by_app(srv: embedded.EmbeddedServer) -> list[tuple[str, str, str]]:
    """(application, database, statement) for every logged statement (multi-line statements joined)."""
    found: list[list[str]] = []
    for line in srv.log_file.read_text(errors="replace").splitlines():
        match = re.match(r"app=(\S*) db=(\S*): LOG:\s+statement: (.*)", line)
        if match:
            found.append(list(match.groups()))
        elif line.startswith("app="):
            found.append([])  # another kind of log line ends the statement before it
        elif found and found[-1]:
            found[-1][2] += "\n" + line
    return [tuple(entry) for entry in found if entry]


READ_ONLY_NODES = ("SelectStmt", "VariableSetStmt", "VariableShowStmt", "TransactionStmt", "DiscardStmt")


def writes_in(statement: str) -> list[str]:
    """The statement kinds in ``statement`` that could change data, including data-modifying CTEs."""
    from pglast import ast
    from pglast.visitors import Visitor

    kinds: list[str] = []

    class Writes(Visitor):
        def visit(self, ancestors, node):
            if isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)):
                kinds.append(type(node).__name__)

    for raw in pglast.parse_sql(statement):
        if type(raw.stmt).__name__ not in READ_ONLY_NODES:
            kinds.append(type(raw.stmt).__name__)
        Writes()(raw.stmt)
    return kinds


def test_the_audit_never_writes(logging_server, monkeypatch):
    url = embedded.ensure_demo(logging_server)
    monkeypatch.setenv("AUDITLIB_HOME", str(logging_server.home))
    result = run_audit(url)  # every check, data checks included
    assert len(result.findings) > 50
    audit_statements = [s for app, _, s in statements_by_app(logging_server) if app == "auditlib"]
    assert len(audit_statements) >= 12
    writes = [(s[:120], kinds) for s in audit_statements if (kinds := writes_in(s))]
    assert writes == []


def test_the_migration_mode_writes_only_to_its_scratch_database(logging_server, monkeypatch, tmp_path):
    monkeypatch.setenv("AUDITLIB_HOME", str(logging_server.home))
    (tmp_path / "001.sql").write_text("CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);\n")
    audit_migrations(tmp_path)
    applied = [(db, s) for app, db, s in statements_by_app(logging_server) if app == "auditlib-migrations"]
    assert applied and all(db.startswith("auditlib_migrations_") for db, _ in applied)
    assert not any(writes_in(s) for app, _, s in statements_by_app(logging_server) if app == "auditlib")


def test_sessions_are_read_only_and_time_limited(demo_url):
    from auditlib.connect import SessionLimits, read_only_engine

    engine = read_only_engine(demo_url, SessionLimits(statement_timeout_ms=1234, lock_timeout_ms=567))
    with engine.connect() as conn:
        settings = dict(conn.execute(sa.text(
            "SELECT name, setting FROM pg_settings WHERE name IN ('default_transaction_read_only', "
            "'statement_timeout', 'lock_timeout', 'application_name')")).all())
        with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
            conn.execute(sa.text("CREATE TABLE should_not_exist (id int)"))
    engine.dispose()
    assert settings == {"default_transaction_read_only": "on", "statement_timeout": "1234", "lock_timeout": "567",
                        "application_name": "auditlib"}


def test_no_password_in_any_output(demo_url, tmp_path):
    dsn = demo_url.set(username="postgres", password=CANARY).render_as_string(hide_password=False)
    outputs = []
    for fmt in ("json", "sarif", "csv", "table"):
        target = tmp_path / f"audit.{fmt}"
        result = run_cli("audit", "--dsn", dsn, "--format", fmt, "--output", str(target), "--fail-on", "never")
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    document = json.loads((tmp_path / "audit.json").read_text())
    assert "***" in document["source"]["dsn"]
    snapshot = run_cli("catalog", "--dsn", dsn, "--format", "json", "--output", str(tmp_path / "catalog.json"))
    outputs.append(snapshot.stdout + snapshot.stderr)
    report = run_cli("report", "--dsn", dsn, "--output-dir", str(tmp_path / "reports"), timeout=900)
    assert report.returncode == 0, report.stderr[-2000:]
    outputs.append(report.stdout + report.stderr)
    wrong = run_cli("audit", "--dsn", dsn.replace("productionos", "no_such_db"))
    assert wrong.returncode == 2
    outputs.append(wrong.stdout + wrong.stderr)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".ipynb" for p in files)
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
    assert all(CANARY not in text for text in outputs)


def test_pg_environment_variables_are_a_source(demo_url, monkeypatch):
    monkeypatch.delenv("AUDITLIB_DSN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PGHOST", demo_url.query["host"])
    monkeypatch.setenv("PGDATABASE", demo_url.database)
    monkeypatch.setenv("PGUSER", "postgres")
    result = run_audit(None, data=False)
    assert result.source["database"] == demo_url.database and len(result.findings) > 50


@pytest.fixture
def password_server():
    """An embedded server that asks for passwords (scram) on its socket."""
    home = Path(tempfile.mkdtemp(prefix="al-pw-", dir="/var/tmp" if os.geteuid() == 0 else None))
    srv = embedded.server(home)
    srv.start()
    with psycopg.connect(dbname="postgres", user="postgres", host=str(srv.socket_dir), autocommit=True) as conn:
        conn.execute("CREATE ROLE auditor LOGIN PASSWORD 'right-password'")
        hba = conn.execute("SHOW hba_file").fetchone()[0]
    Path(hba).write_text("local all postgres trust\nlocal all all scram-sha-256\n")
    with psycopg.connect(dbname="postgres", user="postgres", host=str(srv.socket_dir), autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    yield srv
    srv.stop()
    shutil.rmtree(home, ignore_errors=True)


def test_wrong_password_is_one_clear_sentence(password_server):
    host = password_server.socket_dir
    result = run_cli("audit", "--dsn", f"postgresql://auditor:{CANARY}@/postgres?host={host}")
    assert result.returncode == 2
    assert "rejected the credentials" in result.stderr and CANARY not in result.stderr
    ok = run_cli("audit", "--dsn", f"postgresql://auditor:right-password@/postgres?host={host}", "--fail-on", "never")
    assert ok.returncode == 0, ok.stderr


def test_a_server_that_is_not_postgres(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def answer():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            connection.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        result = run_cli("audit", "--dsn", f"postgresql://u:{CANARY}@127.0.0.1:{port}/db?sslmode=disable")
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert CANARY not in result.stderr


def test_empty_database_audits_cleanly(make_db):
    url = make_db("")
    result = run_audit(url)
    assert result.skipped == [] and len(result.catalog.tables) == 0
    assert set(result.findings["check"]) <= {"rls_disabled"}


def test_binary_sql_file_is_reported_not_fatal(tmp_path, embedded_server, monkeypatch):
    from tests.conftest import TEST_HOME

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))
    (tmp_path / "001.sql").write_text("CREATE TABLE a (id int PRIMARY KEY);")
    (tmp_path / "002.sql").write_bytes(b"\x00\x01\x02binary\xff")
    (tmp_path / "notes.bin").write_bytes(b"\x00\x00")
    result = audit_migrations(tmp_path)
    errors = result.findings[result.findings["check"] == "sql_parse_error"]
    assert list(errors["file"]) == ["002.sql"] and "not text" in errors.iloc[0]["detail"]
    assert result.catalog.has_table("public", "a")


def test_a_failed_report_leaves_the_last_good_one(demo_url, tmp_path):
    good = run_cli("report", "--demo", "--output-dir", str(tmp_path), timeout=900)
    assert good.returncode == 0, good.stderr[-2000:]
    before = sorted(p.name for p in tmp_path.iterdir())
    latest = (tmp_path / "latest.html").resolve()
    broken = tmp_path.parent / "broken-snapshot.json"
    broken.write_text('{"format": "auditlib-catalog", "format_version": 1, "frames": {}}')
    bad = run_cli("report", "--snapshot", str(broken), "--output-dir", str(tmp_path), timeout=900)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) >= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "latest.html").resolve() == latest


HOSTILE = '''
CREATE SCHEMA "Ünïcode Schema";
CREATE TABLE "Ünïcode Schema"."Organizations" (id uuid PRIMARY KEY);
CREATE TABLE "Ünïcode Schema"."select" ("ID" uuid PRIMARY KEY, "user" text, "order" int,
    "Organizations_id" uuid, """quoted"" col" text, "<script>alert(1)</script>" jsonb,
    "a_very_long_column_name_that_goes_on_and_on_until_it_reaches_the_limit" uuid);
CREATE TABLE "Ünïcode Schema"."Table With Spaces" (id uuid PRIMARY KEY, "select_id" uuid, updated_at timestamptz,
    organization_id uuid);
CREATE TABLE "Ünïcode Schema"."a_very_long_table_name_that_goes_on_and_on_until_it_reaches_limit" (
    id uuid PRIMARY KEY, "Table With Spaces_id" uuid REFERENCES "Ünïcode Schema"."Table With Spaces" (id)
    ON DELETE SET NULL);
CREATE POLICY "leaky ""policy""" ON "Ünïcode Schema"."Table With Spaces" USING (organization_id IS NULL OR true);
'''


def test_hostile_identifiers_are_quoted_in_remediation(make_db):
    url = make_db(HOSTILE)
    config_schemas = ["Ünïcode Schema"]
    result = run_audit(url, schemas=config_schemas, data=False)
    fixable = result.findings[result.findings["remediation_sql"].notna()]
    assert len(fixable) >= 5
    syntax_errors = []
    with psycopg.connect(dbname=url.database, user="postgres", host=url.query["host"], autocommit=True) as conn:
        for script in fixable["remediation_sql"]:
            for statement in pglast.split(script):
                try:
                    conn.execute(statement)
                except psycopg.errors.SyntaxError as error:
                    syntax_errors.append((statement, str(error)))
                except psycopg.Error:
                    pass  # data-dependent failures are fine here; quoting is what this test is about
    assert syntax_errors == []
    again = run_audit(url, schemas=config_schemas, data=False)
    assert len(again.findings) < len(result.findings)
    tables = {name for name in load_catalog(url).tables["name"]}
    assert "select" in tables and "Organizations" in tables  # nothing was dropped by a name


def test_partial_grants_and_a_locked_table_leave_a_partial_audit(demo_url):
    """A role that may read only some tables, and a table locked by another session: the audit finishes and says
    what it skipped and why."""
    admin = dict(dbname=demo_url.database, user="postgres", host=demo_url.query["host"], autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'partial_reader') THEN "
                     "CREATE ROLE partial_reader LOGIN; END IF; END $$")
        conn.execute("GRANT USAGE ON SCHEMA public TO partial_reader")
        conn.execute("GRANT SELECT ON public.invoices, public.projects, public.quotes, public.rate_cards, "
                     "public.organizations TO partial_reader")
    locker = psycopg.connect(**{**admin, "autocommit": False})
    try:
        locker.execute("LOCK TABLE public.invoices IN ACCESS EXCLUSIVE MODE")
        config = AuditConfig().with_overrides({"data": {"lock_timeout_ms": 300}})
        result = run_audit(demo_url.set(username="partial_reader"), config)
    finally:
        locker.rollback()
        locker.close()
        with psycopg.connect(**admin) as conn:
            conn.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM partial_reader")
            conn.execute("REVOKE USAGE ON SCHEMA public FROM partial_reader")
            conn.execute("DROP ROLE partial_reader")
    reasons = [entry["reason"] for entry in result.skipped]
    assert any("permission denied" in reason for reason in reasons), reasons
    assert any("lock held by another session" in reason for reason in reasons), reasons
    locked = [e for e in result.skipped if "lock" in e["reason"]]
    assert locked and all("invoices" in e.get("object", "") for e in locked)
    # the catalog (pg_catalog is readable by anyone) and every schema check still ran
    assert len(result.catalog.tables) >= 90
    keys = set(result.findings["key"])
    assert "fk_missing:public.invoices.project_id" in keys and "tenant_column_missing:public.invoices" in keys


def test_an_empty_schema_audits_to_nothing(make_db):
    url = make_db("CREATE SCHEMA empty_one; CREATE TABLE public.elsewhere (id int PRIMARY KEY);")
    dsn = url.render_as_string(hide_password=False)
    result = run_cli("audit", "--dsn", dsn, "--schema", "empty_one", "--format", "json", "--no-history")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schemas"] == ["empty_one"] and document["skipped"] == []
    # nothing about tables; at most the database-wide note that no RLS is in use anywhere
    assert all(f["table"] is None and f["severity"] == "info" for f in document["findings"])
