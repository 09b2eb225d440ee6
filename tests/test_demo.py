"""The ProductionOS demo: it loads, and every number and flaw it claims to plant is really in the database.

``planted_counts()`` is computed from the generator's plan; these tests count the same things with SQL on the
loaded demo (``demo_url``), impersonate each user the way Supabase does to measure what row level security lets
through, and check ``PLANTED_FLAWS`` against the catalog with queries of their own (independent of the checks).
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from auditlib.demo import demo_fingerprint, load_demo, planted_counts, stub_sql
from auditlib.demo.generate import BULK_TABLES
from auditlib.demo.planted import GLOBAL_TABLES, NOT_REFERENCES, PLANTED_FLAWS, planted


@pytest.fixture(scope="module")
def demo(demo_url):
    engine = sa.create_engine(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def counts():
    return planted_counts()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def objects(check: str) -> set[str]:
    return {f["object"] for f in planted(check)}


# -- loading ------------------------------------------------------------------------------------------------------
def test_demo_has_ninety_tables(demo):
    assert scalar(demo, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") >= 90


def test_row_counts_match_plan(demo, counts):
    for table, expected in counts["row_counts"].items():
        schema, name = table.split(".")
        actual = scalar(demo, f'SELECT count(*) FROM "{schema}"."{name}"')
        assert actual == expected, table
    # a partition's rows are counted through its parent (public.api_requests_2024 through public.api_requests)
    public = {r[0] for r in rows(demo, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                       "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
                                       "AND NOT c.relispartition")}
    assert {t.split(".")[1] for t in counts["row_counts"] if t.startswith("public.")} == public  # no table empty


def test_plan_is_deterministic():
    assert planted_counts() == planted_counts()
    assert planted_counts(seed=7)["row_counts"] != planted_counts()["row_counts"]
    assert demo_fingerprint(0) != demo_fingerprint(1000)


def test_loads_into_a_second_database(embedded_server):
    """The stub is idempotent across databases (roles are cluster-wide) and the load is repeatable."""
    name = "demo_second_load"
    url = embedded_server.create_database(name, replace=True)
    try:
        load_demo(url)
        engine = sa.create_engine(url)
        try:
            assert scalar(engine, "SELECT count(*) FROM public.quotes") == planted_counts()["row_counts"]["public.quotes"]
            with engine.begin() as conn:  # the stub again, in a database that has it
                conn.exec_driver_sql(stub_sql())
        finally:
            engine.dispose()
    finally:
        embedded_server.drop_database(name)


def test_scale_fills_bulk_tables_exactly(embedded_server):
    name = "demo_scale_test"
    scale = 2000
    url = embedded_server.create_database(name, replace=True)
    try:
        load_demo(url, scale=scale)
        engine = sa.create_engine(url)
        expected = planted_counts(scale)
        try:
            for table in BULK_TABLES:
                assert scalar(engine, f"SELECT count(*) FROM public.{table}") == scale
                assert expected["row_counts"][f"public.{table}"] == scale
            assert _orphans(engine) == expected["orphan_rows"]
            assert _json_counts(engine) == (expected["json_refs"], expected["json_orphans"])
            assert expected["orphan_rows"] == planted_counts()["orphan_rows"]
            assert _tenant_mismatches(engine) == {}
        finally:
            engine.dispose()
    finally:
        embedded_server.drop_database(name)


# -- planted data -------------------------------------------------------------------------------------------------
ORPHAN_SQL = {
    "public.invoices.project_id": "SELECT count(*) FROM public.invoices i WHERE i.project_id IS NOT NULL "
                                  "AND NOT EXISTS (SELECT 1 FROM public.projects p WHERE p.id = i.project_id)",
    "public.crew_bookings.crew_id": "SELECT count(*) FROM public.crew_bookings b "
                                    "WHERE NOT EXISTS (SELECT 1 FROM public.crew c WHERE c.id = b.crew_id)",
    "public.expenses.project_id": "SELECT count(*) FROM public.expenses e WHERE e.project_id IS NOT NULL "
                                  "AND NOT EXISTS (SELECT 1 FROM public.projects p WHERE p.id = e.project_id)",
    "public.google_tokens.user_id": "SELECT count(*) FROM public.google_tokens g "
                                    "WHERE NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.id::text = g.user_id)",
}


def _orphans(engine) -> dict[str, int]:
    return {column: scalar(engine, sql) for column, sql in ORPHAN_SQL.items()}


def test_orphan_rows(demo, counts):
    assert _orphans(demo) == counts["orphan_rows"]
    assert all(n > 0 for n in counts["orphan_rows"].values())
    # the crew_bookings orphans are crew_contacts ids, as the seed's story goes
    assert scalar(demo, "SELECT count(*) FROM public.crew_bookings b JOIN public.crew_contacts c ON c.id = b.crew_id") \
        == counts["orphan_rows"]["public.crew_bookings.crew_id"]


def test_tenant_null_rows(demo, counts):
    tables = rows(demo, "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
                        "USING (table_schema, table_name) WHERE c.table_schema = 'public' "
                        "AND c.column_name = 'organization_id' AND t.table_type = 'BASE TABLE'")
    actual = {}
    for (table,) in tables:
        n = scalar(demo, f"SELECT count(*) FROM public.{table} WHERE organization_id IS NULL")
        if n:
            actual[f"public.{table}"] = n
    assert actual == counts["tenant_null_rows"]


def _json_counts(engine) -> tuple[dict[str, int], dict[str, int]]:
    paths = {
        "public.quotes.sections:rateCardItemId": (
            "SELECT item ->> 'rateCardItemId' AS ref FROM public.quotes q, jsonb_each(q.sections) s, "
            "jsonb_each(s.value -> 'subsections') sub, jsonb_array_elements(sub.value) item "
            "WHERE item ->> 'rateCardItemId' IS NOT NULL", "public.rate_cards"),
        "public.quotes.client:id": ("SELECT client ->> 'id' AS ref FROM public.quotes WHERE client ? 'id'",
                                    "public.clients"),
        "public.opportunities.contacts:id": (
            "SELECT c ->> 'id' AS ref FROM public.opportunities o, jsonb_array_elements(o.contacts) c",
            "public.contacts"),
        "public.opportunities.client:id": ("SELECT client ->> 'id' AS ref FROM public.opportunities "
                                           "WHERE client ? 'id'", "public.clients"),
    }
    refs, dangling = {}, {}
    for path, (select, parent) in paths.items():
        refs[path] = scalar(engine, f"SELECT count(*) FROM ({select}) r")
        dangling[path] = scalar(engine, f"SELECT count(*) FROM ({select}) r "
                                        f"WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id::text = r.ref)")
    return refs, dangling


def test_json_references_and_orphans(demo, counts):
    refs, dangling = _json_counts(demo)
    assert refs == counts["json_refs"]
    assert dangling == counts["json_orphans"]
    assert counts["json_orphans"]["public.quotes.sections:rateCardItemId"] > 0
    assert counts["json_orphans"]["public.opportunities.contacts:id"] > 0
    assert counts["json_orphans"]["public.opportunities.client:id"] == 0
    rows_with = scalar(demo, """
        SELECT count(DISTINCT q.id) FROM public.quotes q, jsonb_each(q.sections) s,
             jsonb_each(s.value -> 'subsections') sub, jsonb_array_elements(sub.value) item
        WHERE item ->> 'rateCardItemId' IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM public.rate_cards r WHERE r.id::text = item ->> 'rateCardItemId')""")
    assert rows_with == counts["json_orphan_rows"]["public.quotes.sections:rateCardItemId"]


def test_quote_sections_have_the_seed_structure(demo):
    sample = scalar(demo, "SELECT sections FROM public.quotes WHERE organization_id IS NOT NULL ORDER BY quote_number LIMIT 1")
    section = next(iter(sample.values()))
    assert set(section) == {"name", "visible", "subsections"}
    item = next(iter(section["subsections"].values()))[0]
    assert set(item) == {"id", "name", "quantity", "days", "cost", "charge", "rateCardItemId", "notes"}


def test_conversions_are_one_to_one(demo, counts):
    n, distinct = rows(demo, "SELECT count(converted_to_quote_id), count(DISTINCT converted_to_quote_id) "
                             "FROM public.opportunities")[0]
    assert n == distinct == counts["converted_opportunities"] > 0
    assert scalar(demo, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
                        "AND table_name = 'quotes' AND column_name = 'opportunity_id'") == 0


def _tenant_mismatches(engine) -> dict[str, int]:
    """Rows whose organisation differs from the organisation of the row they reference (both set)."""
    fks = rows(engine, """
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.connamespace = 'public'::regnamespace
          AND a.attname <> 'organization_id'
          AND EXISTS (SELECT 1 FROM pg_attribute x WHERE x.attrelid = c.conrelid AND x.attname = 'organization_id')
          AND EXISTS (SELECT 1 FROM pg_attribute x WHERE x.attrelid = c.confrelid AND x.attname = 'organization_id')""")
    found = {}
    for child, column, parent in fks:
        n = scalar(engine, f'SELECT count(*) FROM {child} c JOIN {parent} p ON p.id = c."{column}" '
                           "WHERE c.organization_id <> p.organization_id")
        if n:
            found[f"{child}.{column}"] = n
    return found


def test_no_cross_tenant_references(demo):
    assert _tenant_mismatches(demo) == {}


def test_check_candidates_hold_in_data(demo):
    assert scalar(demo, "SELECT count(*) FROM public.invoices WHERE due_date < issue_date") == 0
    assert scalar(demo, "SELECT count(*) FROM public.quotes WHERE validity_days <= 0") == 0
    checks = rows(demo, "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE contype = 'c' AND conrelid IN ('public.invoices'::regclass, 'public.quotes'::regclass)")
    assert not [d for _, d in checks if "due_date" in d or "validity_days" in d]


def test_kit_trigger_fails_on_a_confirmed_booking(demo):
    with demo.connect() as conn:
        trans = conn.begin()
        try:
            kit, project = conn.execute(sa.text(
                "SELECT k.id, p.id FROM public.kit_items k JOIN public.projects p "
                "ON p.organization_id = k.organization_id LIMIT 1")).one()
            with pytest.raises(sa.exc.ProgrammingError, match="quantity_available"):
                conn.execute(sa.text(
                    "INSERT INTO public.kit_bookings (organization_id, kit_item_id, project_id, start_date, end_date,"
                    " status) SELECT organization_id, :kit, :project, DATE '2025-01-10', DATE '2025-01-11', "
                    "'confirmed' FROM public.kit_items WHERE id = :kit"), {"kit": kit, "project": project})
        finally:
            trans.rollback()


# -- row level security, as Supabase evaluates it -------------------------------------------------------------
def _as_user(conn, user_id: str) -> None:
    conn.execute(sa.text("SET LOCAL ROLE authenticated"))
    conn.execute(sa.text("SELECT set_config('request.jwt.claims', :claims, true)"),
                 {"claims": json.dumps({"sub": user_id, "role": "authenticated"})})


def test_rls_leak_by_impersonation(demo, counts):
    users = dict(rows(demo, "SELECT email, id::text FROM auth.users"))
    orgs = dict(rows(demo, "SELECT m.user_id::text, m.organization_id::text FROM public.organization_members m"))
    leaked_somewhere = False
    for email, expected_by_table in _by_user(counts["rls_leak"]).items():
        user_id = users[email]
        org = orgs.get(user_id)
        with demo.connect() as conn:
            trans = conn.begin()
            try:
                _as_user(conn, user_id)
                assert conn.execute(sa.text("SELECT public.get_user_organization_id()::text")).scalar() == org
                for table, expected in expected_by_table.items():
                    foreign, nulls = conn.execute(sa.text(
                        f"SELECT count(*) FILTER (WHERE organization_id IS NOT NULL "
                        f"AND organization_id IS DISTINCT FROM CAST(:org AS uuid)), "
                        f"count(*) FILTER (WHERE organization_id IS NULL) FROM {table}"), {"org": org}).one()
                    assert {"foreign": foreign, "null_tenant": nulls} == expected, (email, table)
                    leaked_somewhere |= bool(foreign or nulls)
                for table, visible in counts["untenanted_visible"].items():
                    assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == visible[email], \
                        (email, table)
            finally:
                trans.rollback()
    assert leaked_somewhere


def _by_user(leak: dict) -> dict[str, dict[str, dict]]:
    result: dict[str, dict[str, dict]] = {}
    for table, per_user in leak.items():
        for email, numbers in per_user.items():
            result.setdefault(email, {})[table] = numbers
    return result


def test_null_bypass_tables_leak_their_null_rows(counts):
    for flaw in planted("rls_null_bypass"):
        nulls = counts["tenant_null_rows"].get(flaw["object"], 0)
        assert nulls > 0, flaw["object"]
        assert all(v["null_tenant"] == nulls for v in counts["rls_leak"][flaw["object"]].values())


# -- the answer key against the catalog -------------------------------------------------------------------------
def test_planted_flaws_are_well_formed(demo):
    tables = {f"{s}.{t}" for s, t in rows(demo, "SELECT table_schema, table_name FROM information_schema.tables "
                                                "WHERE table_schema IN ('public', 'auth')")}
    tables |= {f"public.{m}" for (m,) in rows(demo, "SELECT matviewname FROM pg_matviews WHERE schemaname = 'public'")}
    columns = {f"{s}.{t}.{c}" for s, t, c in rows(demo, "SELECT table_schema, table_name, column_name FROM "
                                                        "information_schema.columns WHERE table_schema = 'public'")}
    functions = {f"{s}.{f}({a})" for s, f, a in rows(demo, "SELECT n.nspname, p.proname, "
                                                          "pg_get_function_identity_arguments(p.oid) FROM pg_proc p "
                                                          "JOIN pg_namespace n ON n.oid = p.pronamespace "
                                                          "WHERE n.nspname = 'public'")}
    constraints = {f"{s}.{t}.{c}" for s, t, c in rows(demo, "SELECT n.nspname, r.relname, k.conname FROM pg_constraint k "
                                                           "JOIN pg_class r ON r.oid = k.conrelid "
                                                           "JOIN pg_namespace n ON n.oid = r.relnamespace "
                                                           "WHERE n.nspname = 'public'")}
    defaults = {f"{s}:{kind}:{role}" for s, kind, role in rows(demo, """
        SELECT n.nspname, CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'f' THEN 'functions' END,
               pg_get_userbyid(d.defaclrole)
        FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace""")}
    keys = set()
    for flaw in PLANTED_FLAWS:
        assert {"check", "object", "seed_section", "note"} <= set(flaw), flaw
        key = (flaw["check"], flaw["object"], flaw.get("path"))
        assert key not in keys, key
        keys.add(key)
        obj = flaw["object"]
        if flaw["check"] == "trigger_missing_column":
            assert obj not in columns and obj.rsplit(".", 1)[0] in tables
        elif flaw["check"] in ("security_definer_exposed", "function_search_path_mutable", "function_leakproof",
                               "immutable_function_reads_session"):
            assert obj in functions, obj
        elif flaw["check"] in ("unique_not_tenant_scoped", "fk_existence_oracle"):
            assert obj in constraints, obj
        elif flaw["check"] == "default_privileges_exposed":
            assert obj in defaults, obj
        elif flaw["check"] == "storage_bucket_listable":
            assert scalar(demo, "SELECT count(*) FROM pg_policies WHERE schemaname = 'storage' AND tablename = "
                                "'objects' AND policyname = :name", name=obj.split(".", 2)[2]) == 1, obj
        elif flaw["check"] == "graphql_schema_exposed":
            assert scalar(demo, "SELECT count(*) FROM pg_namespace WHERE nspname = 'graphql_public'") == 1
            assert obj.partition(":")[2] in ("anon", "authenticated"), obj
        else:
            assert obj in tables or obj in columns, obj
        if "references" in flaw:
            assert flaw["references"] in tables
    for table in GLOBAL_TABLES:
        assert table in tables
        assert f"{table}.organization_id" not in columns


def test_fk_unindexed_is_exact(demo):
    found = rows(demo, """
        SELECT c.conrelid::regclass::text || '.' || a.attname
        FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])""")
    assert {f"public.{r[0]}" for r in found} == objects("fk_unindexed")


def test_missing_foreign_keys_are_exact(demo):
    found = rows(demo, """
        SELECT 'public.' || c.relname || '.' || a.attname
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attname <> 'id'
          AND (a.atttypid = 'uuid'::regtype OR a.attname LIKE '%\\_id')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f'
                          AND a.attnum = ANY (k.conkey))""")
    found = {r[0] for r in found} - set(NOT_REFERENCES)
    assert found == objects("fk_missing") | objects("tenant_fk_missing")
    assert objects("fk_type_mismatch") == {"public.google_tokens.user_id"}


def test_tenancy_flaws_are_exact(demo):
    with_column = {r[0]: r[1] for r in rows(demo, """
        SELECT 'public.' || c.relname, a.attnotnull FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition""")}
    public = {f"public.{r[0]}" for r in rows(demo, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    partitions = {f"public.{r[0]}" for r in rows(demo, "SELECT relname FROM pg_class WHERE relispartition")}
    # the Stripe webhook inbox (82_security_surface.sql) is backend data of no organisation
    without = (public - partitions - set(with_column) - set(GLOBAL_TABLES)
               - {"public.organizations", "public.stripe_webhook_events"})
    assert without == objects("tenant_column_missing")
    assert {f"{t}.organization_id" for t, notnull in with_column.items() if not notnull} == \
        objects("tenant_column_nullable")
    no_fk = {r[0] for r in rows(demo, """
        SELECT 'public.' || c.relname || '.organization_id' FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f'
                          AND k.conkey = ARRAY[a.attnum] AND k.confrelid = 'public.organizations'::regclass)""")}
    assert no_fk == objects("tenant_fk_missing")


def test_rls_flaws_are_exact(demo):
    tables = rows(demo, """
        SELECT 'public.' || c.relname, c.relrowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),
               has_table_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
               OR has_table_privilege('authenticated', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition""")
    # RLS off: reported by rls_disabled when the API roles hold a grant, by rls_disabled_exposed when they do not
    assert {t for t, rls, _, api in tables if not rls and api} == objects("rls_disabled")
    assert {t for t, rls, _, api in tables if not rls and not api} == objects("rls_disabled_exposed")
    partitions = rows(demo, """
        SELECT 'public.' || c.relname FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE c.relnamespace = 'public'::regnamespace AND p.relrowsecurity AND NOT c.relrowsecurity""")
    assert {t for (t,) in partitions} == objects("partition_bypasses_rls")
    tables = [(t, rls, n) for t, rls, n, _ in tables]
    assert {t for t, rls, n in tables if rls and n == 0} == objects("rls_no_policy")
    assert {t for t, rls, n in tables if not rls and n > 0} == objects("rls_policy_without_rls")
    policies = rows(demo, "SELECT 'public.' || tablename, policyname, cmd, qual, with_check FROM pg_policies "
                          "WHERE schemaname = 'public'")
    assert {(t, p) for t, p, _, qual, _ in policies if qual and "organization_id IS NULL" in qual} == \
        {(f["object"], f["policy"]) for f in planted("rls_null_bypass")}
    global_select = {(t, "SELECT") for t in GLOBAL_TABLES}
    assert {(t, p) for t, p, cmd, qual, check in policies
            if "true" in (qual, check) and (t, cmd) not in global_select} == \
        {(f["object"], f["policy"]) for f in planted("rls_always_true")}
    tenant_columns = _tenant_columns(demo)
    no_tenant = {(t, p) for t, p, cmd, qual, check in policies
                 if f"{t}.organization_id" in tenant_columns and "true" not in (qual, check)
                 and not all("organization_id" in (e or "") for e in (qual, check) if e)}
    assert no_tenant == {(f["object"], f["policy"]) for f in planted("rls_tenant_not_enforced")}


def _tenant_columns(engine) -> set[str]:
    return {r[0] for r in rows(engine, "SELECT 'public.' || table_name || '.organization_id' FROM "
                                       "information_schema.columns WHERE table_schema = 'public' "
                                       "AND column_name = 'organization_id'")}


def test_structure_flaws_are_exact(demo):
    pk = rows(demo, """
        SELECT 'public.' || c.relname, (SELECT string_agg(format_type(a.atttypid, a.atttypmod), ',')
            FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = c.oid AND i.indisprimary)
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
          AND NOT c.relispartition""")
    assert {t for t, kind in pk if kind is None} == objects("pk_missing")
    assert {f"{t}.id" for t, kind in pk if kind not in (None, "uuid")} == objects("pk_type_inconsistent")
    timestamps = rows(demo, """
        SELECT 'public.' || c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
          AND (NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'created_at')
               OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'updated_at'))""")
    assert {r[0] for r in timestamps} == objects("timestamps_missing")
    no_trigger = rows(demo, """
        SELECT 'public.' || c.relname || '.updated_at' FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'updated_at'
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
          AND NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                          WHERE t.tgrelid = c.oid AND p.proname = 'update_updated_at_column')""")
    assert {r[0] for r in no_trigger} == objects("updated_at_no_trigger")
    set_null = rows(demo, """
        SELECT c.conrelid::regclass::text || '.' || a.attname FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND c.confdeltype = 'n' AND a.attnotnull AND c.connamespace = 'public'::regnamespace""")
    assert {f"public.{r[0]}" for r in set_null} == objects("fk_set_null_not_null")
    assert scalar(demo, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
                        "AND table_name = 'kit_items' AND column_name = 'quantity_available'") == 0
    assert scalar(demo, "SELECT count(*) FROM pg_trigger WHERE tgname = 'kit_booking_availability_update' "
                        "AND tgrelid = 'public.kit_bookings'::regclass AND tgenabled = 'O'") == 1


def test_data_flaws_carry_the_planted_counts(counts):
    for flaw in planted("orphan_rows"):
        assert flaw["count"] == counts["orphan_rows"][flaw["object"]] > 0
    for flaw in planted("json_orphans"):
        assert flaw["count"] == counts["json_orphans"][flaw["path"]] > 0
    assert {f["object"]: f["count"] for f in planted("tenant_null_rows")} == counts["tenant_null_rows"]
