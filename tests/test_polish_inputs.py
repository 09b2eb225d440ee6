"""What users are shown at the edges: CSV cells a spreadsheet would run, a port where something other than
PostgreSQL answers, a run whose checks were partly skipped, and the kernel's start-up noise during a report."""

from __future__ import annotations

import csv
import io
import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from auditlib.catalog import load_catalog
from auditlib.connect import SourceError, check_connection, read_only_engine
from tests.test_cli import run_cli

# -- CSV formula injection ------------------------------------------------------------------------------------------
# A schema and a table whose names a spreadsheet would run as formulas; pk_missing reports the table.
FORMULA_SCHEMA = '''
CREATE SCHEMA "=HYPERLINK(""http://example.invalid/"",""open me"")";
CREATE TABLE "=HYPERLINK(""http://example.invalid/"",""open me"")"."-1+2" (note text);
CREATE TABLE public."@SUM(1+1)" (id int PRIMARY KEY, "+cmd" int);
'''
HYPERLINK = '=HYPERLINK("http://example.invalid/","open me")'
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list of what a spreadsheet reads as a formula


def test_csv_export_neutralises_cells_that_start_like_formulas(make_db, tmp_path):
    dsn = make_db(FORMULA_SCHEMA).render_as_string(hide_password=False)
    common = ("audit", "--dsn", dsn, "--no-data", "--no-history", "--fail-on", "never")
    exported = run_cli(*common, "--format", "csv", "--output", str(tmp_path / "findings.csv"))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "findings.csv").read_text(encoding="utf-8"))))
    cells = [value for row in rows for value in row.values() if value]
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)], "a cell a spreadsheet would run as a formula"
    pk_missing = next(r for r in rows if r["check"] == "pk_missing" and r["table"] == "'-1+2")
    assert pk_missing["schema"] == "'" + HYPERLINK  # the text itself is kept, behind the quote
    assert pk_missing["object"] == f"'{HYPERLINK}.-1+2"
    assert isinstance(json.loads(pk_missing["evidence"]), dict)  # evidence is still JSON
    assert any(r["table"] == "'@SUM(1+1)" for r in rows)
    # JSON stays the raw names: it is read by programs, not spreadsheets
    document = run_cli(*common, "--format", "json")
    assert document.returncode == 0, document.stderr
    objects = {f["object"] for f in json.loads(document.stdout)["findings"]}
    assert f"{HYPERLINK}.-1+2" in objects


def test_csv_cells_starting_with_tab_or_carriage_return_are_neutralised():
    from auditlib.findings import Finding, findings_frame, to_csv

    finding = Finding(schema="public", table="t", column=None, title="\tlooks like a cell", detail="\r=1+1",
                      object="-1+2", check="pk_missing", category="structure", severity="high")
    row = next(csv.DictReader(io.StringIO(to_csv(findings_frame([finding])))))
    assert (row["title"], row["detail"], row["object"]) == ("'\tlooks like a cell", "'\r=1+1", "'-1+2")
    assert row["schema"] == "public"  # ordinary text is left alone


# -- something that is not PostgreSQL answers at the port ------------------------------------------------------------
@contextmanager
def tcp_listener(reply: bytes | None) -> Iterator[int]:
    """A loopback TCP server on a free port that reads what the client sends, writes ``reply`` (None: nothing)
    and closes; yields the port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with client:
                client.settimeout(5)
                try:
                    client.recv(1024)
                    if reply:
                        client.sendall(reply)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def free_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


HTTP_REPLY = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"


def connect_error(dsn: str) -> str:
    engine = read_only_engine(dsn)
    try:
        with pytest.raises(SourceError) as raised:
            check_connection(engine)
    finally:
        engine.dispose()
    return str(raised.value)


def test_the_cli_says_when_an_http_server_answers_instead_of_postgresql():
    with tcp_listener(HTTP_REPLY) as port:
        result = run_cli("audit", "--dsn", f"postgresql://x@127.0.0.1:{port}/db", "--no-history", timeout=60)
    assert result.returncode == 2
    assert f"Something answers at 127.0.0.1 port {port} but it is not PostgreSQL" in result.stderr, result.stderr
    assert "check the host and port in the DSN postgresql://x@127.0.0.1" in result.stderr
    assert "is it running" not in result.stderr and "that it is running" not in result.stderr
    assert result.stderr.count("\n") == 1  # one sentence, no traceback


@pytest.mark.parametrize(("reply", "options", "signal"), [
    (HTTP_REPLY, "sslmode=disable", "expected authentication request from server, but received H"),
    (None, "", "server closed the connection unexpectedly"),
    (b"\x00\x01garbage", "", "received invalid response to SSL negotiation"),
], ids=["http-without-ssl", "closes-at-once", "garbage"])
def test_a_listener_that_is_not_postgresql_is_named_as_such(reply, options, signal):
    with tcp_listener(reply) as port:
        message = connect_error(f"postgresql://x@127.0.0.1:{port}/db?{options}")
    assert message.startswith(f"Something answers at 127.0.0.1 port {port} but it is not PostgreSQL"), message
    assert signal in message


def test_a_refusal_on_one_address_does_not_hide_what_answered_on_the_other():
    # localhost is often two addresses (::1 and 127.0.0.1): one refuses, the other holds some other server.
    refused = free_port()
    with tcp_listener(HTTP_REPLY) as port:
        message = connect_error(f"host=127.0.0.1,127.0.0.1 port={port},{refused} user=x password=S3cret dbname=db")
        with pytest.raises(SourceError) as catalog_error:  # the catalog reader says the same
            load_catalog(f"postgresql://x@/db?host=127.0.0.1:{refused}&host=127.0.0.1:{port}")
    assert f"Something answers at 127.0.0.1 port {port} but it is not PostgreSQL" in message, message
    assert "S3cret" not in message
    assert f"port {port} but it is not PostgreSQL" in str(catalog_error.value)


def test_a_refused_port_still_says_nothing_is_running_there():
    message = connect_error(f"postgresql://x@127.0.0.1:{free_port()}/db")
    assert message.startswith("Could not reach a PostgreSQL server at") and "that it is running" in message


# -- skipped checks are announced -----------------------------------------------------------------------------------
READER = "auditlib_polish_reader"
# Tables the audit role may not read: the data checks on them are skipped (permission denied), the rest runs.
UNREADABLE_SCHEMA = f"""
CREATE TABLE organizations (id int PRIMARY KEY, name text);
CREATE TABLE projects (id int PRIMARY KEY, organization_id int, name text);
CREATE TABLE invoices (id int PRIMARY KEY, organization_id int, project_id int, amount numeric);
INSERT INTO organizations VALUES (1, 'a');
INSERT INTO projects VALUES (1, 1, 'p'), (2, NULL, 'q');
INSERT INTO invoices VALUES (1, 1, 1, 10), (2, 1, 99, 5);
DO $$ BEGIN
    CREATE ROLE {READER} LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
"""


def unreadable_database(make_db) -> str:
    """The DSN, as the role that cannot read the tables, of a small database whose data checks get skipped."""
    return make_db(UNREADABLE_SCHEMA).set(username=READER).render_as_string(hide_password=False)


def test_the_table_output_warns_of_skipped_checks_at_the_top_and_the_bottom(make_db, tmp_path):
    dsn = unreadable_database(make_db)
    result = run_cli("audit", "--dsn", dsn, "--no-history", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("WARNING: ") and "skipped" in lines[0] and "orphan_rows" in lines[0], lines[0]
    assert lines[-1] == lines[0]
    assert "permission denied" in result.stdout  # the reasons are listed too

    for output_format in ("json", "csv", "sarif"):
        result = run_cli("audit", "--dsn", dsn, "--no-history", "--fail-on", "never", "--format", output_format)
        assert result.returncode == 0, result.stderr
        warning = [line for line in result.stderr.splitlines() if "WARNING" in line]
        assert len(warning) == 1 and "orphan_rows" in warning[0], (output_format, result.stderr)
        assert "WARNING" not in result.stdout  # the machine-readable output stays as it was
    document = json.loads(result.stdout)  # sarif
    assert document["version"] == "2.1.0"


def test_no_warning_when_nothing_was_skipped(make_db):
    from auditlib.findings import skipped_warning

    assert skipped_warning([]) == ""
    dsn = make_db("CREATE TABLE t (id int PRIMARY KEY);").render_as_string(hide_password=False)
    result = run_cli("audit", "--dsn", dsn, "--no-history", "--no-data", "--fail-on", "never", "--format", "json")
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr


def test_the_migration_report_opens_with_the_skipped_checks(tmp_path, embedded_server, monkeypatch):
    from auditlib.checks import REGISTRY, CheckSpec
    from auditlib.report import open_migration_report
    from tests.conftest import TEST_HOME, write_files

    def broken(catalog, config, migration_run):
        raise RuntimeError("the <b>scratch</b> database went away")

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))
    monkeypatch.setitem(REGISTRY, "zz_broken_migration_check", CheckSpec(
        name="zz_broken_migration_check", category="migrations", severity="low", kind="migrations", func=broken))
    folder = write_files(tmp_path / "migrations", {"001.sql": "CREATE TABLE t (id int PRIMARY KEY);"})
    report = open_migration_report(str(folder), history=False)
    header = report.header()._repr_html_()
    box = header.index('id="al-skipped-warning"')
    assert box < header.index('class="al-facts"') < header.index('id="al-toc"')  # before the facts and contents
    assert "WARNING: 1 check was skipped" in header and "zz_broken_migration_check" in header
    assert "the &lt;b&gt;scratch&lt;/b&gt; database went away" in header  # the reason, escaped
    monkeypatch.delitem(REGISTRY, "zz_broken_migration_check")
    assert 'id="al-skipped-warning"' not in open_migration_report(str(folder), history=False).header()._repr_html_()


# -- the report's kernel says nothing about its transport ----------------------------------------------------------
@pytest.mark.slow
def test_rendering_a_report_prints_no_kernel_transport_warning(make_db, tmp_path, capfd, caplog):
    from auditlib.report import ensure_kernel, render_report

    url = make_db("CREATE TABLE projects (id int PRIMARY KEY, name text);")
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(load_catalog(url).to_json(), encoding="utf-8")
    ensure_kernel()
    caplog.set_level(logging.INFO)
    html = render_report("relationship_audit", {"demo": False, "snapshot": str(snapshot), "history": False},
                         tmp_path / "out", progress=False)
    captured = capfd.readouterr()  # the kernel process writes to the inherited stderr: captured at the fd
    assert html.exists()
    shown = (captured.out + captured.err + caplog.text).splitlines()
    assert not [line for line in shown if "without encryption" in line or "running over TCP" in line]
