"""Migration folders at scale: a big file is split, parsed and lined up in linear time; a long generated history is
applied in few round trips with the same outcome as each statement alone, and audits to the findings planted in it.

Run as a script to write generated files for profiling:
    python -m tests.test_migration_scale OUT_DIR 0.5 1 2 5     (sizes in MB, one folder per size)
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import psycopg
import pytest

from auditlib.migrations import Progress, apply_folder, file_inventory, load_folder, reading
from auditlib.migrations.synthetic import PLANTED, big_migration, history_files, write_history
from tests.conftest import libpq, write_files


def write_sizes(out: Path, sizes_mb: list[float]) -> list[Path]:
    """One folder per size under ``out``, each with a single big migration file."""
    folders = []
    for size in sizes_mb:
        folder = out / f"{size:g}mb"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "20231001_big.sql").write_text(big_migration(int(size * 1_000_000)), encoding="utf-8")
        folders.append(folder)
    return folders


def test_statement_lines_with_comments_dollar_quotes_and_crlf(tmp_path):
    text = ("-- header; not a statement\n"                          # 1
            "/* block;\n   comment */\n"                             # 2-3
            "CREATE TABLE a (id int PRIMARY KEY, note text DEFAULT 'x; y');\n"  # 4
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n"      # 5
            "BEGIN\n  -- inside; the body\n  RETURN NEW;\nEND;\n$$;\n"         # 6-10
            "\n"                                                     # 11
            "  INSERT INTO a VALUES (1, $q$a;\nb$q$),\n"                # 12-13
            "    (2, 'c');   CREATE INDEX ON a (note);\n"              # 14
            "SELECT (1;\n"                                            # 15: does not parse, and must not
            "COMMENT ON TABLE a IS 'done';\n")                          # 16  swallow this one
    write_files(tmp_path, {"001.sql": text.replace("\n", "\r\n").encode()})
    folder = load_folder(tmp_path)
    assert [(s.line, s.kind) for s in folder.statements] == [
        (4, "CreateStmt"), (5, "CreateFunctionStmt"), (12, "InsertStmt"), (14, "IndexStmt"), (15, "unparsed"),
        (16, "CommentStmt")]
    assert folder.statements[4].error_line == 15


def test_line_numbers_and_parsing_of_a_big_file_take_one_pass(tmp_path, monkeypatch):
    """Linear work, counted instead of timed: each statement parsed once, no token scan in Python, and Python nodes
    built only for the statements the static pass inspects (DDL, not data)."""
    text = big_migration(1_000_000, line_ending="\r\n")
    write_files(tmp_path, {"20231001_big.sql": text.encode()})
    scanned, parsed, built = [0], [0], [0]

    def counting(counter, function, size=False):
        def wrapper(arg, *args, **kwargs):
            counter[0] += len(arg) if size else 1
            return function(arg, *args, **kwargs)
        return wrapper
    monkeypatch.setattr(reading, "scan", counting(scanned, reading.scan, size=True))
    monkeypatch.setattr(reading, "parse_sql_json", counting(parsed, reading.parse_sql_json))
    monkeypatch.setattr(reading.pglast, "parse_sql", counting(built, reading.pglast.parse_sql))
    folder = load_folder(tmp_path)
    inventory = file_inventory(folder)

    # the statements of this file each parse alone: none needs the token scan in Python, semicolons in its
    # strings, comments and function bodies notwithstanding
    assert scanned[0] == 0
    assert parsed[0] == len(folder.statements)
    inspected = sum(1 for s in folder.statements if s.kind in ("CreateStmt", "AlterTableStmt", "IndexStmt",
                                                               "CreatePolicyStmt", "CreateFunctionStmt",
                                                               "CreateTrigStmt"))
    assert built[0] == inspected < len(folder.statements) / 5
    assert inventory["statements"].tolist() == [len(folder.statements)]
    # every statement's line, against a plain count of the newlines before it
    position, line = 0, 1
    for statement in folder.statements:
        start = text.index(statement.text, position)
        line += text.count("\n", position, start)
        assert statement.line == line
        line += statement.text.count("\n")
        position = start + len(statement.text)


def test_meta_command_lines_are_found_by_their_first_character_only():
    """Only a line whose first non-blank character is a backslash is a psql meta-command; backslashes inside a
    line (E'' strings, regular expressions) are not, and the blanked text keeps every offset."""
    text = ("SELECT E'a\\\\nb', 'x' ~ '\\\\d+';\n"     # 1: backslashes inside the line
            "  \\set ON_ERROR_STOP on\r\n"          # 2: a meta-command after blanks, CRLF
            "\\i other.sql\n"                       # 3
            "SELECT 1; \\echo not at the start\n"   # 4
            "\t\\gexec")                            # 5: at the end, without a newline
    cleaned, found = reading.blank_meta_commands(text)
    assert found == [(2, "\\set ON_ERROR_STOP on"), (3, "\\i other.sql"), (5, "\\gexec")]
    assert len(cleaned) == len(text) and cleaned.count("\n") == text.count("\n")
    assert cleaned.splitlines()[0] == text.splitlines()[0] and cleaned.splitlines()[3] == text.splitlines()[3]
    assert "\\" not in "".join(cleaned.splitlines()[1:3]) + cleaned.splitlines()[4]


def test_origins_follow_renames_of_tables_and_columns(tmp_path):
    """Each object keeps the file and line that created it through renames of its table (by name, by schema) and
    of its columns; a rename moves only the keys under that table (an index by table, not a pass over all)."""
    from auditlib.migrations import AppliedStatement, origins

    tables = 200
    write_files(tmp_path, {
        "001.sql": "\n".join(f"CREATE TABLE t_{n} (id int);" for n in range(tables)),
        "002.sql": "\n".join(f"ALTER TABLE t_{n} ADD COLUMN note text;" for n in range(tables)),
        "003.sql": "\n".join(f"ALTER TABLE t_{n} RENAME TO u_{n};" for n in range(tables)),
        "004.sql": "CREATE TABLE t_0 (id int);\nALTER TABLE u_1 RENAME COLUMN note TO body;\n"
                   "CREATE SCHEMA archive;\nALTER TABLE u_2 SET SCHEMA archive;\nDROP TABLE u_3;\n"})
    folder = load_folder(tmp_path)
    found = origins([AppliedStatement(statement, ok=True) for statement in folder.parsed()])

    assert found[("public", "u_0")] == ("001.sql", 1) and found[("public", "u_0", "note")] == ("002.sql", 1)
    assert found[("public", "t_0")] == ("004.sql", 1) and ("public", "t_0", "note") not in found
    assert found[("public", "u_1", "body")] == ("002.sql", 2) and ("public", "u_1", "note") not in found
    assert found[("archive", "u_2")] == ("001.sql", 3) and found[("archive", "u_2", "note")] == ("002.sql", 3)
    assert ("public", "u_3") not in found and ("public", "u_2") not in found
    assert found[("public", f"u_{tables - 1}")] == ("001.sql", tables)


@pytest.mark.slow
def test_a_5_mb_file_is_read_in_seconds(tmp_path):
    write_files(tmp_path, {"20231001_big.sql": big_migration(5_000_000).encode()})
    started = time.perf_counter()
    folder = load_folder(tmp_path)
    file_inventory(folder)
    assert time.perf_counter() - started < 30  # about 5 s on a busy 2-core machine; quadratic took minutes
    assert len(folder.statements) > 20_000


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "expected_at"), [(Terminal(), [5, 7, 9]), (io.StringIO(), [30, 60])])
def test_progress_waits_then_prints_every_few_seconds(stream, expected_at):
    now = [0.0]
    progress = Progress(stream, clock=lambda: now[0])
    printed_at = []
    for second in range(0, 61):
        now[0] = float(second)
        before = stream.getvalue()
        progress.update("applying 20231001_big.sql", second * 1000, 480_000)
        if stream.getvalue() != before:
            printed_at.append(second)
    assert printed_at[:len(expected_at)] == expected_at
    assert stream.getvalue().splitlines()[0] == f"auditlib: applying 20231001_big.sql: {expected_at[0] * 1000:,} of " \
                                                "480,000 statements"


def test_apply_in_batches_keeps_each_statement_as_if_alone(make_db, tmp_path):
    """Batches must not change outcomes: a failure in a batch is attributed to its own statement, and what only
    works inside a transaction (LOCK, a deferred foreign key fixed by a later statement) fails as it does alone."""
    sql = ["CREATE TABLE parent (id int PRIMARY KEY);",
           "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);"]
    sql += [f"INSERT INTO parent VALUES ({n});" for n in range(1, 40)]
    sql += ["INSERT INTO child VALUES (1, 100);",               # deferred FK: fails at the end of its statement ...
            "INSERT INTO parent VALUES (100);",                 # ... though this would fix it in one transaction
            "LOCK TABLE parent;",                               # only valid inside a transaction block
            "INSERT INTO parent VALUES (7);"]                   # duplicate key, in the middle of a batch
    sql += [f"INSERT INTO child VALUES ({n}, {n});" for n in range(2, 40)]
    write_files(tmp_path, {"001.sql": "\n".join(sql)})
    folder = load_folder(tmp_path)
    url = make_db()
    results = apply_folder(folder, url, stub="")
    failed = [(r.statement.line, r.sqlstate) for r in results if not r.ok]
    assert failed == [(42, "23503"), (44, "25P01"), (45, "23505")]
    assert len(results) == len(sql)
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = conn.execute(sa.text("SELECT (SELECT count(*) FROM parent), (SELECT count(*) FROM child)")).one()
    engine.dispose()
    assert tuple(counts) == (40, 38)


def test_the_generated_history_is_the_same_every_time_and_churns_like_a_real_one():
    files = history_files(40)
    assert files == history_files(40) and list(files) == sorted(files) and len(files) == 40
    assert history_files(40, seed=22) != files
    text = "\n".join(files.values())
    for churn in ("RENAME TO", "RENAME COLUMN", "DROP POLICY IF EXISTS", "ALTER POLICY", "DROP INDEX IF EXISTS",
                  "CREATE UNIQUE INDEX", "ALTER COLUMN", "TYPE numeric", "CREATE OR REPLACE FUNCTION",
                  "SECURITY DEFINER", "auth.uid()", "ALTER PUBLICATION supabase_realtime", "storage.buckets",
                  "DO $$", "BEGIN;"):
        assert churn in text, churn
    assert set(PLANTED) < set(range(40))  # any history of 40 files or more holds every planted mistake


@pytest.fixture
def scratch_home(embedded_server, monkeypatch):
    from tests.conftest import TEST_HOME

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))  # the scratch database goes on the test session's server


def test_the_audit_of_a_generated_history_finds_what_is_planted_and_where(tmp_path, scratch_home):
    from auditlib.audit import audit_migrations

    result = audit_migrations(write_history(tmp_path / "migrations", 40))
    findings = result.findings.to_dict("records")
    migration_findings = {(f["check"], f["object"]) for f in findings
                          if f["check"] in ("migration_statement_failed", "ref_target_missing",
                                            "table_defined_multiple", "sql_parse_error")}
    assert migration_findings == {
        ("migration_statement_failed", "20220120080000_create_0011.sql:52"),          # the FK to a later table
        ("ref_target_missing", "public.organizations.primary_vendor_id->public.vendors"),
        ("table_defined_multiple", "public.vendors"),                                  # file 23 creates it again
        ("sql_parse_error", "20220220040000_seed_0031.sql:6")}                          # CREAT INDEX
    assert result.extras["failed_statements"] == 1
    # every finding on a table points at the file and line that created it, renamed tables included
    on_tables = [f for f in findings if f["table"]]
    assert len(on_tables) > 40 and all(f["file"] and f["line"] >= 1 for f in on_tables)


def _outcomes_alone(url, folder) -> list[tuple[int, bool, str | None]]:
    """Each statement in its own autocommit query after the stub, as psql runs a file: the reference outcome."""
    import psycopg

    from auditlib.migrations import stub_sql
    from tests.conftest import libpq

    outcomes = []
    with psycopg.connect(**libpq(url), autocommit=True) as conn:
        conn.execute(stub_sql("auto", folder))
        for statement in folder.statements:
            if statement.node_type in (None, "TransactionStmt"):
                continue
            try:
                conn.execute(statement.text, prepare=False)
            except psycopg.Error as error:
                outcomes.append((statement.index, False, error.sqlstate))
            else:
                outcomes.append((statement.index, True, None))
    return outcomes


def test_a_generated_history_applies_in_few_round_trips_with_each_statement_s_own_outcome(tmp_path, make_db,
                                                                                          monkeypatch):
    """Batches take every statement type that acts the same in a transaction (DDL, policies, renames, DO blocks);
    a failed batch reruns only its failing statement alone, so the outcomes are those of each statement alone."""
    from auditlib.migrations import applying, stub_sql

    folder = load_folder(write_history(tmp_path / "migrations", 40))
    queries = [0]

    def counting(function):
        def wrapper(*args, **kwargs):
            queries[0] += 1
            return function(*args, **kwargs)
        return wrapper
    monkeypatch.setattr(applying, "_run_batch", counting(applying._run_batch))
    monkeypatch.setattr(psycopg.Connection, "execute", counting(psycopg.Connection.execute))
    results = apply_folder(folder, make_db(), stub_sql("auto", folder))
    batched = [(r.statement.index, r.ok, r.sqlstate) for r in results]
    monkeypatch.undo()

    assert batched == _outcomes_alone(make_db(), folder)
    assert len(batched) > 200 and queries[0] <= 20  # one query per statement or per failure took about 90


def test_statements_applied_as_they_are_read_have_the_outcomes_of_the_folder_applied_after_reading(tmp_path,
                                                                                                  make_db,
                                                                                                  monkeypatch):
    """``apply_while_reading`` (the server applies while the rest of the folder is read) gives every statement the
    outcome, SQLSTATE and cause it has when the whole folder is read first, and reads the same folder; sessions are
    renewed in both (every few statements here), never inside the file that reads currval."""
    from auditlib.migrations import apply_while_reading, applying, stub_sql

    monkeypatch.setattr(applying, "_SESSION_STATEMENTS", 7)

    root = write_history(tmp_path / "migrations", 60)
    (root / "20990101000000_seed.sql").write_text(  # a file that reads its session's sequence values
        "CREATE TABLE numbered (id serial PRIMARY KEY, note text);\n"
        + "".join(f"INSERT INTO numbered (note) VALUES ('n{n}');\nSELECT currval('numbered_id_seq');\n"
                  for n in range(30)), encoding="utf-8")
    folder = load_folder(root)
    stub = stub_sql("auto", folder)

    def outcomes(results):
        return [(r.statement.index, r.statement.file, r.ok, r.sqlstate, r.caused_by) for r in results]
    read_first = outcomes(apply_folder(folder, make_db(), stub))
    streamed_folder, streamed = apply_while_reading(root, make_db(), stub)
    assert outcomes(streamed) == read_first
    assert [s.text for s in streamed_folder.statements] == [s.text for s in folder.statements]
    assert sum(1 for _, _, ok, _, _ in read_first if not ok) >= 1 and len(read_first) > 300


def test_the_stub_is_known_before_reading_unless_a_file_holds_a_supabase_word(tmp_path):
    from auditlib.migrations import discover, stub_before_reading, stub_sql

    plain = write_files(tmp_path / "plain", {"001.sql": "CREATE TABLE t (id int);"})
    commented = write_files(tmp_path / "commented", {"001.sql": "-- for authenticated users\nCREATE TABLE t (id int);"})
    assert stub_before_reading("auto", discover(plain)[1]) == ""
    assert stub_before_reading("auto", discover(commented)[1]) is None
    assert stub_sql("auto", load_folder(commented)) == ""  # only its statements could tell: the word is a comment
    assert stub_before_reading("supabase", discover(plain)[1]) == stub_sql("supabase", None) != ""


def test_a_folder_audited_while_read_has_the_findings_of_one_read_first(tmp_path, scratch_home, monkeypatch):
    from auditlib.audit import audit_migrations
    from auditlib.migrations import applying

    root = tmp_path / "big"
    root.mkdir()
    (root / "20231001_big.sql").write_text(big_migration(300_000), encoding="utf-8")
    import auditlib.migrations

    ways = []

    def noted(way: str):
        apply = getattr(applying, way)
        return lambda *args: ways.append(way) or apply(*args)
    for way in ("apply_folder", "apply_while_reading"):
        monkeypatch.setattr(auditlib.migrations, way, noted(way))
    streamed = audit_migrations(root)
    monkeypatch.setattr(auditlib.migrations, "stub_before_reading", lambda stubs, paths: None)  # read it first
    read_first = audit_migrations(root)
    assert ways == ["apply_while_reading", "apply_folder"]
    columns = ["check", "severity", "object", "file", "line", "detail"]
    assert len(streamed.findings) > 20
    assert streamed.findings[columns].to_dict("records") == read_first.findings[columns].to_dict("records")


def test_a_do_block_that_sets_something_until_the_end_of_its_transaction_runs_alone(tmp_path, make_db):
    sql = ["CREATE TABLE flags (name text, value text);",
           "DO $$ BEGIN PERFORM set_config('app.flag', 'on', true); END $$;",   # until the end of its transaction
           "INSERT INTO flags SELECT 'after', current_setting('app.flag', true);",
           "DO $$ BEGIN CREATE TABLE made_in_do (id int); END $$;"]            # an ordinary DO: in the batch
    folder = load_folder(write_files(tmp_path, {"001.sql": "\n".join(sql)}))
    url = make_db()
    results = apply_folder(folder, url, stub="")
    assert [r.ok for r in results] == [True] * 4
    with psycopg.connect(**libpq(url)) as conn:
        assert conn.execute("SELECT coalesce(value, '') FROM flags").fetchone()[0] == ""  # as psql would leave it
        assert conn.execute("SELECT to_regclass('made_in_do') IS NOT NULL").fetchone()[0]


def test_a_long_apply_pass_moves_to_new_sessions_that_keep_what_the_old_ones_set(tmp_path, make_db, monkeypatch):
    """Every few statements a new server session takes over (a session's cached foreign-key plans made a long file
    quadratic), with the settings, session user and role the files set; a session holding a temporary table goes
    on, and so does the session of a file that reads currval. Outcomes are those of one session."""
    from auditlib.migrations import applying

    sql = ["CREATE SCHEMA app;", "SET search_path = app, public;", "SET statement_timeout = '5min';",
           "CREATE TABLE sessions_seen (pid int, search_path text, timeout text, work_mem text);",
           # a default for sessions that start later: in one session (psql) it never applies
           "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET work_mem = ''7MB''', current_database()); END $$;"]
    # a SELECT runs alone: the place between a batch and it is where a session can hand over
    sql += ["INSERT INTO sessions_seen SELECT pg_backend_pid(), current_setting('search_path'), "
            "current_setting('statement_timeout'), current_setting('work_mem');", "SELECT 1;"] * 8
    sql += ["CREATE TEMP TABLE scratch (n int);"]
    sql += ["INSERT INTO scratch VALUES (1);",  # would fail in a new session
            "INSERT INTO sessions_seen SELECT pg_backend_pid(), 'temp', '', current_user;", "SELECT 1;"] * 8
    bound = ["CREATE SEQUENCE ids;"] + ["SELECT nextval('ids');", "SELECT currval('ids');"] * 8
    write_files(tmp_path, {"000.sql": "\n".join(bound), "001.sql": "\n".join(sql)})
    folder = load_folder(tmp_path)
    monkeypatch.setattr(applying, "_SESSION_STATEMENTS", 3)
    url = make_db()
    results = apply_folder(folder, url, stub="")
    assert [(r.statement.file, r.statement.line, r.message) for r in results if not r.ok] == []
    with psycopg.connect(**libpq(url)) as conn:
        seen = conn.execute("SELECT pid, search_path, timeout FROM app.sessions_seen WHERE search_path <> 'temp'"
                            ).fetchall()
        work_mem = conn.execute("SELECT DISTINCT work_mem FROM app.sessions_seen WHERE search_path <> 'temp'"
                                ).fetchall()
        temp_sessions = conn.execute("SELECT count(DISTINCT pid) FROM app.sessions_seen WHERE search_path = 'temp'"
                                     ).fetchone()[0]
    assert len({pid for pid, _, _ in seen}) >= 3  # renewed as it went
    assert {(path, timeout) for _, path, timeout in seen} == {("app, public", "5min")}
    assert work_mem == [("4MB",)]  # the server's default, as in the one session psql would have used
    assert temp_sessions == 1  # the session holding the temporary table was kept


def test_a_new_session_takes_over_the_role_and_session_user_the_files_set(tmp_path, make_db, monkeypatch):
    import uuid

    from auditlib.migrations import applying

    owner, user = (f"renewal_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("owner", "user"))
    sql = [f"CREATE ROLE {owner};", f"CREATE ROLE {user};", f"GRANT {user} TO {owner};",
           f"GRANT CREATE ON SCHEMA public TO {user};", f"SET SESSION AUTHORIZATION {owner};", f"SET ROLE {user};",
           "CREATE TABLE who (session_name text, current_name text);", "CREATE TABLE who_pids (pid int);"]
    sql += ["INSERT INTO who SELECT session_user, current_user;", "INSERT INTO who_pids SELECT pg_backend_pid();",
            "SELECT 1;"] * 8
    write_files(tmp_path, {"001.sql": "\n".join(sql)})
    monkeypatch.setattr(applying, "_SESSION_STATEMENTS", 2)
    url = make_db()
    results = apply_folder(load_folder(tmp_path), url, stub="")
    with psycopg.connect(**libpq(url), autocommit=True) as conn:
        who = conn.execute("SELECT DISTINCT session_name, current_name FROM who").fetchall()
        owners = conn.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'who'").fetchall()
        sessions = conn.execute("SELECT count(DISTINCT pid) FROM who_pids").fetchone()[0]
        conn.execute(f"DROP OWNED BY {owner}, {user}; DROP ROLE {user}; DROP ROLE {owner}")
    assert all(r.ok for r in results), [(r.statement.line, r.message) for r in results if not r.ok]
    assert who == [(owner, user)] and owners == [(user,)] and sessions >= 3


def test_tenancy_detection_reads_the_references_a_few_times_not_once_per_root_candidate():
    """A big migration of small modules (org_1 … org_300, each the root of its own org_id) has hundreds of tenant
    root candidates: what the tables carrying a column reach is found once per column, so the work stays linear."""
    from auditlib.config import AuditConfig
    from auditlib.model import tenancy
    from auditlib.model.references import Reference

    class CountedReads(list):
        reads = 0

        def __iter__(self):
            CountedReads.reads += 1
            return super().__iter__()

    modules = 300
    model = tenancy.TenancyModel(column="", root=tenancy.NO_TABLE, membership=tenancy.NO_TABLE,
                                 membership_user_column="user_id")
    references, tables = [], []
    for n in range(modules):
        org, project, task = ("public", f"org_{n}"), ("public", f"project_{n}"), ("public", f"task_{n}")
        tables += [org, project, task]
        model.columns.update({org: {"id": {}}, project: {"id": {}, "org_id": {}}, task: {"id": {}, "project_id": {}}})
        references += [Reference(*project, ("org_id",), *org, ("id",)), Reference(*task, ("project_id",), *project, ("id",))]
    model.references = CountedReads(references)
    model.user_tables = set()
    tenancy._detect(model, AuditConfig(), tables)

    assert len(model.candidates) == 5 and model.candidates[0]["tables_referencing"] == 1
    # every project carries org_id, and every project and task carries it or reaches a table that does
    assert model.candidates[0]["tables_with_column"] == modules
    assert model.candidates[0]["tables_reaching"] == 2 * modules and model.candidates[0]["tables"] == 3 * modules - 1
    assert CountedReads.reads <= 5  # once per candidate took 300


def test_per_table_checks_read_the_catalog_frames_once_not_once_per_table(make_db, monkeypatch):
    """A migration file of thousands of small tables made two checks quadratic: each filtered a whole catalog frame
    once per table. Counted instead of timed: the frames are read a fixed number of times, whatever the tables."""
    import sqlalchemy as sa

    from auditlib.catalog import Catalog, load_catalog
    from auditlib.checks.exposure import rls_disabled_exposed
    from auditlib.checks.tenancy import unique_not_tenant_scoped
    from auditlib.config import AuditConfig
    from auditlib.model.analysis import Analysis
    from tests.conftest import stub_sql

    tables = 40
    sql = ["CREATE TABLE organizations (id uuid PRIMARY KEY);"]
    for n in range(tables):  # tenant data, each with a global key, RLS off and no grant: both checks report each
        sql += [f"CREATE TABLE items_{n} (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES "
                f"organizations(id), code text UNIQUE);", f"REVOKE ALL ON items_{n} FROM anon, authenticated;"]
    engine = sa.create_engine(make_db(stub_sql("supabase") + "\n" + "\n".join(sql)))
    catalog = load_catalog(engine)
    engine.dispose()
    config = AuditConfig()
    analysis = Analysis(catalog, config)
    assert analysis.tenancy.multi_tenant

    reads = {"indexes": 0, "constraints": 0, "default_privileges": 0}
    for name in reads:
        frame = getattr(Catalog, name)

        def counted(self, name=name, frame=frame):
            reads[name] += 1
            return frame.fget(self)
        monkeypatch.setattr(Catalog, name, property(counted))
    unique = list(unique_not_tenant_scoped(catalog, config, analysis))
    exposed = list(rls_disabled_exposed(catalog, config))

    assert sorted(f.table for f in unique) == sorted(f"items_{n}" for n in range(tables))
    assert sum(1 for f in exposed if f.table.startswith("items_")) == tables
    assert reads["indexes"] <= 2 and reads["constraints"] <= 2 and reads["default_privileges"] <= 2, reads


def test_a_policy_clause_repeated_on_many_tables_is_rewritten_once(make_db, monkeypatch):
    """policy_uid_per_row deparses each distinct clause once: a file of thousands of tables with the same policy
    paid milliseconds per table. Every policy still gets its finding and its ALTER POLICY."""
    import sqlalchemy as sa

    from auditlib.catalog import load_catalog
    from auditlib.checks import policies
    from auditlib.config import AuditConfig
    from tests.conftest import stub_sql

    tables = 30
    sql = []
    for n in range(tables):
        sql += [f"CREATE TABLE notes_{n} (id bigint PRIMARY KEY, user_id uuid);",
                f"ALTER TABLE notes_{n} ENABLE ROW LEVEL SECURITY;",
                f"CREATE POLICY own_{n} ON notes_{n} FOR SELECT TO authenticated USING (user_id = auth.uid());"]
    engine = sa.create_engine(make_db(stub_sql("supabase") + "\n" + "\n".join(sql)))
    catalog = load_catalog(engine)
    engine.dispose()
    deparsed = [0]
    deparse = policies.deparse

    def counted(node):
        deparsed[0] += 1
        return deparse(node)
    monkeypatch.setattr(policies, "deparse", counted)
    findings = list(policies.policy_uid_per_row(catalog, AuditConfig()))

    assert sorted(f.table for f in findings) == sorted(f"notes_{n}" for n in range(tables))
    assert all("(SELECT auth.uid())" in f.remediation_sql and f"own_{f.table.split('_')[1]}" in f.remediation_sql
               for f in findings)
    assert deparsed[0] == 1


def test_the_bench_measures_a_history_against_psql_and_a_big_file(embedded_server, scratch_home):
    import shutil

    from auditlib.bench import migration_history_figures

    figures = migration_history_figures(embedded_server, files=12, big_file_mb=0.2, runs=1)
    assert Path("/dev/null").is_char_device()  # the audits' output went to files, not over /dev/null
    assert figures["migrations_12_files_audit_s"] > 0
    assert figures["migration_file_0.2mb_audit_s"] > 0 and 50 < figures["migration_file_0.2mb_peak_mb"] < 1024
    if shutil.which("psql"):  # the peer: without it the ratio is left out
        assert figures["migrations_12_files_psql_replay_s"] > 0 and figures["migrations_12_files_vs_psql_ratio"] > 0


if __name__ == "__main__":
    for written in write_sizes(Path(sys.argv[1]), [float(s) for s in sys.argv[2:]]):
        print(written)
