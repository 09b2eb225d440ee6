"""How many statements the data checks send: a data query on the audit's own engine is one round trip, and the leak
probe counts small tables several to a statement; neither changes what is read-only and time-limited, nor what a
failing table does (it is still skipped alone, see the probe's failure tests in test_data_checks.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from auditlib.config import AuditConfig
from auditlib.connect import SessionLimits, read_only_engine
from auditlib.data import DataContext, QuerySkipped
from auditlib.demo import stub_sql
from tests.test_data_checks import JSON_SQL, RLS_SQL, of, run_data

FIRST_COMMAND = ("SELECT pg_catalog.current_setting('transaction_read_only') AS read_only, "
                 "pg_catalog.current_setting('statement_timeout') AS timeout, "
                 "pg_catalog.statement_timestamp() = pg_catalog.transaction_timestamp() AS first_command")


def _statements(engine: sa.Engine) -> list[str]:
    """Every statement SQLAlchemy sends through ``engine`` from now on (appended as they go)."""
    sent: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: sent.append(statement))
    return sent


def test_a_data_query_on_the_audits_engine_is_one_statement_and_still_read_only_and_time_limited(make_db):
    url = make_db("CREATE TABLE public.t (id int);")
    config = AuditConfig().with_overrides({"data": {"statement_timeout_ms": 200, "lock_timeout_ms": 100}})
    limits = SessionLimits(statement_timeout_ms=200, lock_timeout_ms=100)
    engine = read_only_engine(url, limits)
    try:
        data = DataContext(engine=engine, config=config, session_limits=limits)
        sent = _statements(engine)
        row = data.one(FIRST_COMMAND)
        # no BEGIN and no settings before it: the query is the first command of its (implicit) transaction
        assert (row.read_only, row.timeout, row.first_command) == ("on", "200ms", True)
        assert sent == [FIRST_COMMAND]
        with pytest.raises(QuerySkipped, match="read-only transaction"):
            data.all("INSERT INTO public.t VALUES (1) RETURNING id")
        with pytest.raises(QuerySkipped, match="statement timeout"):
            data.all("SELECT pg_catalog.pg_sleep(2)")
        with data.connection() as conn:  # a transaction of several statements (the probe's): no settings either
            assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
                conn.exec_driver_sql("INSERT INTO public.t VALUES (1)")
        assert not [s for s in sent if "set_config" in s]
    finally:
        engine.dispose()


def test_a_data_query_sets_the_limits_itself_when_the_engine_carries_others(make_db):
    """The engine's sessions carry a longer timeout than the configuration asks: each transaction sets its own."""
    url = make_db("CREATE TABLE public.t (id int);")
    config = AuditConfig().with_overrides({"data": {"statement_timeout_ms": 4321}})
    engine = read_only_engine(url, SessionLimits(statement_timeout_ms=60_000))
    try:
        data = DataContext(engine=engine, config=config, session_limits=SessionLimits(statement_timeout_ms=60_000))
        assert not data.sessions_limited
        row = data.one(FIRST_COMMAND)
        assert (row.read_only, row.timeout, row.first_command) == ("on", "4321ms", False)
    finally:
        engine.dispose()


def test_rls_leak_and_anon_reads_rows_count_small_tables_several_to_a_statement(make_db):
    """The demo-sized tables of RLS_SQL fit one batch: each member's tenant tables are counted in one statement,
    and anon's tables in one, with the same counts as one statement a table (test_data_checks holds those)."""
    url = make_db(stub_sql() + RLS_SQL + """
        CREATE POLICY notes_anon ON public.notes FOR SELECT TO anon USING (true);
        GRANT SELECT ON public.notes, public.docs TO anon;
    """)
    engine = sa.create_engine(url)
    try:
        sent = _statements(engine)
        findings, skipped = run_data(url, ["rls_leak", "anon_reads_rows"], engine=engine)
    finally:
        engine.dispose()
    assert not skipped
    notes = [s for s in sent if '"public"."notes"' in s and "count(*)" in s]
    # three members (ann, bob, the non-member cy) and anon: four statements, each counting notes and docs together
    assert len(notes) == 4 and all('"public"."docs"' in s and "UNION ALL" in s for s in notes)
    assert {u: c["visible"] for u, c in of(findings, "rls_leak")["public.notes"].evidence["users"].items()} == {
        "ann@a.test": 3, "bob@b.test": 4, "cy@nowhere.test": 1}
    assert of(findings, "anon_reads_rows")["public.notes"].evidence["visible_rows"] == 6


def test_run_audit_sends_no_per_transaction_settings_on_its_own_engine(make_db):
    """run_audit makes the engine (read-only, time-limited sessions), so its data checks rely on it."""
    from auditlib.audit import run_audit

    url = make_db(stub_sql() + RLS_SQL)
    sent: list[str] = []

    def record(conn, cursor, statement, *rest):
        sent.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        result = run_audit(url, AuditConfig().with_overrides({"audit": {"schemas": ["public"]}}))
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
    assert result.extras["data_queries"] > 5 and (result.findings["check"] == "rls_leak").any()
    assert not [s for s in sent if "set_config('transaction_read_only'" in s]


BATCH_READER = "auditlib_test_batch_reader"
TENANT_TABLES_SQL = f"""
    CREATE TABLE organizations (id int PRIMARY KEY);
    CREATE TABLE docs (id int PRIMARY KEY, organization_id int REFERENCES organizations);
    CREATE TABLE notes (id int PRIMARY KEY, organization_id int REFERENCES organizations, doc_id int REFERENCES docs);
    CREATE TABLE secrets (id int PRIMARY KEY, organization_id int REFERENCES organizations,
                          doc_id int REFERENCES docs);
    INSERT INTO organizations VALUES (1), (2);
    INSERT INTO docs VALUES (1, 1), (2, 2), (3, NULL);
    INSERT INTO notes VALUES (1, 1, 1), (2, 1, 2), (3, NULL, NULL);
    INSERT INTO secrets VALUES (1, 2, 1), (2, NULL, NULL);
    ANALYZE;
    DO $$ BEGIN
        CREATE ROLE {BATCH_READER} LOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$;
    GRANT SELECT ON organizations, docs, notes TO {BATCH_READER};
"""


def test_tenant_rows_checks_read_small_tables_together_and_a_denied_one_is_skipped_alone(make_db):
    """tenant_null_rows and tenant_mismatch_rows ask about every small table in one statement; when the auditing
    role may not read one of them, the statement fails, and asked one by one only that table is skipped."""
    url = make_db(TENANT_TABLES_SQL)
    config = AuditConfig().with_overrides({"tenancy": {"tenant_column": "organization_id"}})
    checks = ["tenant_null_rows", "tenant_mismatch_rows"]
    expected_nulls = {"public.docs.organization_id": 1, "public.notes.organization_id": 1}

    engine = sa.create_engine(url)
    try:
        sent = _statements(engine)
        findings, skipped = run_data(url, checks, config, engine=engine)
    finally:
        engine.dispose()
    assert not skipped
    assert {f.object: f.evidence["null_count"] for f in findings if f.check == "tenant_null_rows"} == {
        **expected_nulls, "public.secrets.organization_id": 1}
    assert {f.object: f.evidence["mismatch_count"] for f in findings if f.check == "tenant_mismatch_rows"} == {
        "public.notes.doc_id": 1, "public.secrets.doc_id": 1}
    queries = [s for s in sent if "set_config('transaction_read_only'" not in s]  # the engine's sessions set them
    assert len(queries) == 2 and all("UNION ALL" in s for s in queries)  # one statement for each check

    engine = sa.create_engine(url.set(username=BATCH_READER))
    try:
        findings, skipped = run_data(url, checks, config, engine=engine)
    finally:
        engine.dispose()
    assert sorted((s["check"], s["object"]) for s in skipped) == [
        ("tenant_mismatch_rows", "public.secrets.doc_id"), ("tenant_null_rows", "public.secrets.organization_id")]
    assert all("permission denied" in s["reason"] for s in skipped)
    assert {f.object: f.evidence["null_count"] for f in findings if f.check == "tenant_null_rows"} == expected_nulls
    assert [f.object for f in findings if f.check == "tenant_mismatch_rows"] == ["public.notes.doc_id"]


def test_data_findings_join_the_schema_findings_without_rebuilding_them():
    """The data checks' findings are added to the schema findings' frame: a key already there keeps its schema
    finding, the frame stays in finding order, and its rows are the ones it had."""
    from auditlib.audit import _with_findings
    from auditlib.findings import Finding, findings_frame

    def finding(check: str, table: str, severity: str, title: str, **evidence) -> Finding:
        return Finding(schema="public", table=table, column=None, title=title, detail="", evidence=evidence,
                       check=check, category="data", severity=severity)

    schema = findings_frame([finding("fk_missing", "a", "medium", "schema"), finding("pk_missing", "b", "high", "pk")])
    merged = _with_findings(schema, [finding("orphan_rows", "c", "high", "orphans", count=3),
                                     finding("fk_missing", "a", "critical", "again"),
                                     finding("orphan_rows", "c", "low", "duplicate")])
    assert list(merged["title"]) == ["orphans", "pk", "schema"]  # high with rows, high, medium
    kept = merged.loc[merged["title"] == "schema", "evidence"].iloc[0]
    assert kept is schema.loc[schema["title"] == "schema", "evidence"].iloc[0]  # the same object: not rebuilt
    assert _with_findings(schema, []) is schema


def test_json_columns_of_small_tables_are_sampled_in_one_statement(make_db):
    """orders.doc and orders.prefs (a small table, read whole) are sampled together; the references found are those
    test_json_reference_resolves_ids_by_name_and_by_keys expects one column at a time."""
    url = make_db(JSON_SQL)
    engine = sa.create_engine(url)
    try:
        sent = _statements(engine)
        findings, skipped = run_data(url, ["json_reference"], engine=engine)
    finally:
        engine.dispose()
    assert not skipped
    samples = [s for s in sent if "AS document" in s]
    assert len(samples) == 1 and '"doc"' in samples[0] and '"prefs"' in samples[0]
    assert len(of(findings, "json_reference")) == 5


def test_queries_asked_together_keep_their_own_parameters_and_failures(make_db):
    url = make_db("CREATE TABLE public.t (id int); INSERT INTO public.t VALUES (1), (2), (3);")
    engine = sa.create_engine(url)
    try:
        data = DataContext(engine=engine, config=AuditConfig())
        sent = _statements(engine)
        query = "SELECT count(*) AS n FROM public.t WHERE id >= :low AND id::text <> '\\:low'"
        answers = data.all_each([query, query, "SELECT 1 / 0 AS n"], [3, 3, 0], [{"low": 1}, {"low": 3}, {}])
        assert [a[0].n for a in answers[:2]] == [3, 1] and "division by zero" in str(answers[2])
        # the three together (failed), then each alone
        assert len([s for s in sent if "set_config" not in s]) == 4 and "UNION ALL" in sent[1]
    finally:
        engine.dispose()


def test_a_copied_json_structure_equals_the_original_and_shares_nothing_with_it():
    import copy

    from auditlib.checks.json import Shape, copied, observe

    root = Shape()
    for n, document in enumerate([{"a": {"id": 1, "tags": ["x"]}, "b": [1, 2]}, {"a": {"id": 2}, "c": None}]):
        observe(root, document, n, 0, 8, 10)
    twin = copied(root)
    assert twin == copy.deepcopy(root) == root
    twin.keys["a"].keys["id"].values["3"] = None
    twin.keys["b"].items.docs.add(7)
    assert "3" not in root.keys["a"].keys["id"].values and 7 not in root.keys["b"].items.docs


def test_long_running_data_checks_start_first_and_the_findings_keep_their_order(make_db, monkeypatch):
    """With several workers the data checks marked long-running are started before the others (none is left to run
    alone at the end); the findings come out in the order of one worker."""
    import threading

    from auditlib import audit
    from auditlib.checks import load_checks

    url = make_db(stub_sql() + RLS_SQL + JSON_SQL)
    data_checks = sorted(name for name, spec in load_checks().items() if spec.kind == "data")
    long_running = {name for name in data_checks if load_checks()[name].long_running}
    assert {"rls_leak", "json_orphans"} <= long_running < set(data_checks)

    started, lock, real_call = [], threading.Lock(), audit._call

    def noting(spec, *args):
        with lock:
            started.append(spec.name)
        return real_call(spec, *args)
    monkeypatch.setattr(audit, "_call", noting)
    together, _ = run_data(url, only=data_checks, config=AuditConfig().with_overrides({"data": {"workers": 2}}))
    assert set(started[:len(long_running)]) == long_running
    alone, _ = run_data(url, only=data_checks, config=AuditConfig().with_overrides({"data": {"workers": 1}}))
    assert [f.key for f in together] == [f.key for f in alone] and len(together) > 3
