"""The audit history: status of every finding across runs, trends, concurrent writers, and no password stored."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
import zlib
from pathlib import Path

import pglast
import psycopg
import pytest
import sqlalchemy as sa

from auditlib.audit import audit_catalog, run_audit
from auditlib.catalog import Catalog, load_catalog
from auditlib.history import (
    History,
    HistoryError,
    default_history_path,
    open_history,
    scrub,
    source_key,
    user_data_folder,
)
from tests.conftest import libpq


def apply(url: sa.URL, script: str) -> None:
    with psycopg.connect(**libpq(url), autocommit=True) as conn:
        for statement in pglast.split(script):  # CREATE INDEX CONCURRENTLY needs a statement of its own
            conn.execute(statement)


def test_status_new_open_fixed_and_suppressed(demo_copy, tmp_path):
    """Issue 9's scenario: two runs → everything open the second time, first seen at the first run; one remediation
    applied → that finding fixed, the rest open; a baseline key → suppressed."""
    with open_history(tmp_path / "history.db") as history:
        first = run_audit(demo_copy)
        first_id = history.track(first)
        assert set(first.findings["status"]) == {"new"}
        assert (first.findings["first_seen"] == first.generated_at).all()
        assert first.extras["fixed"].empty

        second = run_audit(demo_copy)
        history.track(second)
        assert set(second.findings["status"]) == {"open"}
        assert (second.findings["first_seen"] == first.generated_at).all()
        assert second.extras["fixed"].empty
        assert second.extras["previous_run_id"] == first_id

        fixable = first.findings[(first.findings["check"] == "fk_unindexed") & first.findings["remediation_sql"].notna()]
        target = fixable.iloc[0]
        apply(demo_copy, target["remediation_sql"])

        baseline = second.findings.loc[second.findings["key"] != target["key"], "key"].iloc[-1]
        third = run_audit(demo_copy)
        history.track(third, baseline_keys={baseline})
        statuses = dict(zip(third.findings["key"], third.findings["status"], strict=True))
        assert target["key"] not in statuses
        assert statuses.pop(baseline) == "suppressed"
        assert set(statuses.values()) == {"open"}
        fixed = third.extras["fixed"]
        assert list(fixed["key"]) == [target["key"]]
        assert list(fixed["status"]) == ["fixed"]
        assert list(fixed["first_seen"]) == [first.generated_at]
        assert list(fixed.columns) == list(third.findings.columns)

        # What was stored reads back the same way, and the JSON document carries the status.
        runs = history.runs(third.extras["source_key"])
        assert len(runs) == 3 and list(runs["findings"]) == [len(first.findings)] * 2 + [len(third.findings)]
        meta, findings, catalog = history.load(third.extras["history_run_id"])
        assert meta["source_key"] == source_key(third.source, third.schemas)
        assert set(findings["status"]) == {"open", "suppressed"}
        assert isinstance(findings["evidence"].iloc[0], dict)
        assert catalog.equals(third.catalog)
        assert {r["status"] for r in third.to_document()["findings"]} == {"open", "suppressed"}

        trends = history.trends(third.extras["source_key"])
        assert list(trends["new"]) == [len(first.findings), 0, 0]
        assert list(trends["fixed"]) == [0, 0, 1]
        assert list(trends["suppressed"]) == [0, 0, 1]
        assert trends["total"].iloc[-1] == len(third.findings) - 1
        assert trends["median_days_to_fix"].iloc[-1] >= 0
        changes = history.finding_changes(first_id, third.extras["history_run_id"])
        assert list(zip(changes["change"], changes["key"], strict=True)) == [("fixed", target["key"])]


ORPHANS = """
CREATE TABLE projects (id uuid PRIMARY KEY);
CREATE TABLE invoices (id uuid PRIMARY KEY, project_id uuid);
INSERT INTO projects SELECT gen_random_uuid() FROM generate_series(1, 60);
INSERT INTO invoices SELECT gen_random_uuid(), CASE WHEN mod(g, 10) = 0 THEN gen_random_uuid()
    ELSE (SELECT id FROM projects ORDER BY id OFFSET mod(g, 60) LIMIT 1) END FROM generate_series(1, 100) g;
ANALYZE;
"""


def test_a_check_that_did_not_run_fixes_nothing(make_db, tmp_path):
    """A --no-data run between two full runs: the data finding is neither fixed by it nor new after it."""
    url = make_db(ORPHANS)
    orphans = "orphan_rows:public.invoices.project_id"
    with open_history(tmp_path / "h.db") as history:
        first = run_audit(url)
        assert orphans in set(first.findings["key"])
        history.record(first)
        history.assign_status(first)  # after record: the run is not compared with itself
        assert set(first.findings["status"]) == {"new"}

        structural = run_audit(url, data=False)
        history.track(structural)
        assert orphans not in set(structural.findings["key"])
        assert structural.extras["fixed"].empty
        assert set(structural.findings["status"]) == {"open"}

        full = run_audit(url)
        history.track(full)
        row = full.findings.set_index("key").loc[orphans]
        assert (row["status"], row["first_seen"]) == ("open", first.generated_at)
        trends = history.trends(full.extras["source_key"])
        assert list(trends["fixed"]) == [0, 0, 0] and list(trends["new"]) == [len(first.findings), 0, 0]


def test_sources_are_kept_apart(make_db, tmp_path):
    one = make_db("CREATE TABLE a (id int);")
    two = make_db("CREATE TABLE b (id int);")
    with open_history(tmp_path / "h.db") as history:
        first, second = run_audit(one), run_audit(two)
        history.track(first)
        history.track(second)
        assert set(second.findings["status"]) == {"new"}
        assert len(history.sources()) == 2
        assert list(history.runs()["run_id"]) == [1, 2]
        with pytest.raises(HistoryError, match="Only one run"):
            history.pair()
        again = run_audit(one)
        history.track(again)
        assert history.pair() == (1, 3)
        assert history.resolve(-1, first.extras["source_key"]) == 3


def test_source_key_is_stable_and_secret_free():
    base = {"kind": "database", "host": "db.example.com", "port": 5432, "database": "app", "user": "me",
            "dsn": "postgresql://me:hunter2@db.example.com/app"}
    key = source_key(base, ["public"])
    assert key == source_key({**base, "user": "other", "port": None}, ["public"]) == "app@db.example.com:5432 [public]"
    assert "hunter2" not in key
    assert source_key({"kind": "demo", "database": "productionos"}, ["public"]) == "demo:productionos [public]"
    assert source_key({"kind": "migrations", "path": "/tmp/m"}).startswith("migrations:")
    cleaned = scrub({"password": "hunter2", "nested": {"PassWord": "x", "dsn": "host=h password=hunter2"},
                     "list": ["postgresql://u:hunter2@h/db"]})
    assert "hunter2" not in repr(cleaned)


def test_no_password_reaches_the_history_file(make_db, tmp_path):
    secret = "Sup3r-s3cret-Pa55word"
    url = make_db("CREATE TABLE projects (id uuid PRIMARY KEY, client_id uuid);")
    with_password = url.set(password=secret).render_as_string(hide_password=False)
    assert secret in with_password
    result = run_audit(with_password)  # trust authentication ignores the password, so the audit runs
    # What a careless caller could put in: a password key, a DSN in the source, in a skipped reason, in extras.
    result.source["password"] = secret
    result.source["raw_dsn"] = with_password
    result.skipped.append({"check": "fk_missing", "reason": f"could not connect to {with_password}"})
    result.catalog.source["dsn"] = with_password
    path = tmp_path / "history.db"
    with open_history(path) as history:
        history.track(result)
    files = [p for p in tmp_path.iterdir() if p.name.startswith("history.db")]
    for file in files:
        assert secret.encode() not in file.read_bytes(), file
    with sqlite3.connect(path) as conn:  # and nowhere inside the compressed catalog and finding blobs
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    text = zlib.decompress(value).decode() if isinstance(value, bytes) else str(value)
                    assert secret not in text, (table, text[:200])


def _record_many(path: str, snapshot: str, worker: int, count: int, start_at: float) -> None:
    catalog = Catalog.from_json(Path(snapshot).read_text(encoding="utf-8"))
    result = audit_catalog(catalog)
    result.source = {"kind": "snapshot", "path": f"{snapshot}.{worker}"}
    while time.time() < start_at:  # both processes open the (not yet existing) file at the same instant
        time.sleep(0.001)
    with open_history(path) as history:
        for _ in range(count):
            history.track(result)


def test_two_processes_record_at_once(make_db, tmp_path):
    url = make_db("CREATE TABLE projects (id uuid PRIMARY KEY); CREATE TABLE invoices (id uuid PRIMARY KEY, "
                  "project_id uuid);")
    snapshot = tmp_path / "catalog.json"
    snapshot.write_text(load_catalog(url).to_json(), encoding="utf-8")
    path = tmp_path / "shared" / "history.db"
    path.parent.mkdir()
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3
    workers = [context.Process(target=_record_many, args=(str(path), str(snapshot), worker, 15, start_at))
               for worker in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with open_history(path, create=False) as history:
        runs = history.runs()
        assert len(runs) == 30 and runs["findings"].nunique() == 1
        assert runs.groupby("source_key").size().tolist() == [15, 15]
        counts = {run_id: len(history.load(run_id).findings) for run_id in runs["run_id"]}
        assert set(counts.values()) == {runs["findings"].iloc[0]}
        for source in history.sources():
            last = int(history.runs(source)["run_id"].iloc[-1])
            assert (history.load(last).findings["status"] == "open").all()


def test_missing_history_and_unknown_runs(tmp_path):
    with pytest.raises(HistoryError, match="no audit history"):
        open_history(tmp_path / "none.db", create=False)
    with open_history(tmp_path / "h.db") as history:
        with pytest.raises(HistoryError, match="no runs"):
            history.pair()
        with pytest.raises(HistoryError, match="no run 7"):
            history.load(7)
    (tmp_path / "bad.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="not an auditlib history"):
        History(tmp_path / "bad.db")


@pytest.mark.parametrize("content", [b"x", b"some notes\n", bytes(range(256)) * 4], ids=["one-byte", "text", "bytes"])
def test_a_file_that_is_no_history_is_refused_and_left_alone(tmp_path, content):
    """sqlite3 would silently turn a short file of anything into a new database: the user's file is kept intact."""
    path = tmp_path / "history.db"
    path.write_bytes(content)
    for create in (True, False):
        with pytest.raises(HistoryError, match="not an auditlib history") as caught:
            open_history(path, create=create)
        assert "\n" not in str(caught.value) and "--history" in str(caught.value)
    assert path.read_bytes() == content


def test_another_programs_sqlite_file_is_refused_unchanged(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id integer PRIMARY KEY)")
    conn.close()
    with pytest.raises(HistoryError, match="SQLite database of something else"):
        open_history(path)
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["customers"]
    conn.close()


def test_a_history_path_that_cannot_be_created(tmp_path, make_read_only):
    with pytest.raises(HistoryError, match="is a folder"):
        open_history(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(HistoryError, match="cannot be created") as caught:
        open_history(tmp_path / "file" / "history.db")
    assert all(way in str(caught.value) for way in ("--history", "AUDITLIB_HISTORY", "--no-history"))
    folder = make_read_only(tmp_path / "read-only")
    with pytest.raises(HistoryError, match="cannot be created"):
        open_history(folder / "history.db")
    with pytest.raises(HistoryError, match="cannot be created"):
        open_history(folder / "sub" / "history.db")


def test_default_history_location(tmp_path, monkeypatch):
    """$AUDITLIB_HISTORY, else the report's output folder, else ./reports/ when there is one, else the user data
    folder: never a reports/ folder created wherever auditlib happens to run."""
    monkeypatch.delenv("AUDITLIB_HISTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert default_history_path() == user_data_folder() / "history.db"
    assert default_history_path(tmp_path / "out") == tmp_path / "out" / "history.db"
    assert default_history_path(Path("reports")) == Path("reports") / "history.db"  # `make report`
    (tmp_path / "reports").mkdir()
    assert default_history_path() == Path("reports") / "history.db"
    monkeypatch.setenv("AUDITLIB_HISTORY", str(tmp_path / "chosen.db"))
    assert default_history_path() == default_history_path(tmp_path / "out") == tmp_path / "chosen.db"


def test_audit_and_diff_share_the_default_history(small_snapshot, tmp_path, monkeypatch, capsys):
    """Out of a project folder, runs go to the user data folder (not the working folder) and diff reads them there."""
    from auditlib.cli import main

    monkeypatch.delenv("AUDITLIB_HISTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for _ in range(2):
        assert main(["audit", "--snapshot", str(small_snapshot), "--fail-on", "never", "--format", "json"]) == 0
    capsys.readouterr()
    assert list(work.iterdir()) == []
    stored = user_data_folder() / "history.db"
    assert stored.is_relative_to(tmp_path) and len(History(stored).runs()) == 2
    assert main(["diff", "--list"]) == 0 and "snapshot:" in capsys.readouterr().out
    assert main(["diff"]) == 0 and "no schema changes" in capsys.readouterr().out
    (work / "reports").mkdir()  # a project folder: runs go to reports/history.db, as `make report` writes them
    assert main(["audit", "--snapshot", str(small_snapshot), "--fail-on", "never"]) == 0
    assert len(History(work / "reports" / "history.db").runs()) == 1
    capsys.readouterr()
    assert main(["diff", "--list"]) == 0 and capsys.readouterr().out.count("snapshot:") == 1
