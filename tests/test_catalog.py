"""The catalog, read from real servers: every frame on purpose-built schemas, the snapshot, the query count."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from auditlib.catalog import FRAMES, Catalog, load_catalog, read_sql

SCHEMA = r'''
CREATE SCHEMA "Sales Ops";
CREATE TABLE public.organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
CREATE TABLE public.projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid REFERENCES public.organizations (id) ON DELETE CASCADE,
    code text NOT NULL, region text NOT NULL, budget numeric,
    budget_x2 numeric GENERATED ALWAYS AS (budget * 2) STORED,
    UNIQUE (code, region));
COMMENT ON TABLE public.projects IS 'Productions we run';
COMMENT ON COLUMN public.projects.code IS 'Short code';
CREATE TABLE "Sales Ops"."Line Items" (
    "ID" int PRIMARY KEY, "projectCode" text, region text, qty int CHECK (qty >= 0),
    FOREIGN KEY ("projectCode", region) REFERENCES public.projects (code, region)
        ON DELETE SET NULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED);
ALTER TABLE "Sales Ops"."Line Items" ADD CONSTRAINT line_qty_small CHECK (qty < 1000) NOT VALID;
CREATE INDEX projects_active_idx ON public.projects (region, code) INCLUDE (budget) WHERE budget > 0;
CREATE INDEX projects_lower_code_idx ON public.projects (lower(code));
CREATE TABLE public.events (id int, happened date NOT NULL, project_id bigint REFERENCES public.projects (id))
    PARTITION BY RANGE (happened);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projects FORCE ROW LEVEL SECURITY;
CREATE ROLE catalog_test_reader NOLOGIN;
GRANT SELECT ON public.projects TO catalog_test_reader;
CREATE POLICY "org members read" ON public.projects AS RESTRICTIVE FOR SELECT TO catalog_test_reader
    USING (organization_id IS NULL OR budget > 0);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$ BEGIN NEW.budget := coalesce(NEW.budget, 0); RETURN NEW; END $$;
CREATE TRIGGER projects_touch BEFORE INSERT OR UPDATE OF budget ON public.projects
    FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE VIEW public.project_codes AS SELECT code, region FROM public.projects;
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
'''


@pytest.fixture
def catalog_db(any_server, request):
    name = f"catalog_{request.node.callspec.id if hasattr(request.node, 'callspec') else 'x'}"
    url = any_server.create_database(name.replace("-", "_"), replace=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'catalog_test_reader') "
                             "THEN EXECUTE 'REASSIGN OWNED BY catalog_test_reader TO postgres'; "
                             "EXECUTE 'DROP OWNED BY catalog_test_reader'; "
                             "EXECUTE 'DROP ROLE catalog_test_reader'; END IF; END $$")
    with engine.begin() as conn:
        conn.exec_driver_sql(SCHEMA)
    engine.dispose()
    yield url
    any_server.drop_database(name.replace("-", "_"))


def rows(frame, **where):
    mask = True
    for column, value in where.items():
        mask = mask & (frame[column] == value)
    return frame[mask].to_dict("records")


def test_catalog_reads_every_kind_of_object(catalog_db):
    cat = load_catalog(catalog_db)

    assert set(cat.schemas["name"]) >= {"public", "Sales Ops"}
    kinds = {(r["schema"], r["name"]): r["kind"] for r in cat.relations.to_dict("records")}
    assert kinds[("public", "events")] == "partitioned table"
    assert kinds[("public", "project_codes")] == "view"
    assert kinds[("Sales Ops", "Line Items")] == "table"
    [partition] = rows(cat.relations, name="events_2024")
    assert (partition["parent_schema"], partition["parent_table"]) == ("public", "events")
    assert "happened" in rows(cat.relations, name="events")[0]["partition_key"]
    [projects] = rows(cat.relations, name="projects")
    assert projects["rls_enabled"] and projects["rls_forced"]
    assert projects["comment"] == "Productions we run"
    assert list(cat.user_tables()["name"]).count("events_2024") == 0

    columns = {r["name"]: r for r in cat.table_columns("public", "projects")}
    assert [c["name"] for c in cat.table_columns("public", "projects")][:3] == ["id", "organization_id", "code"]
    assert columns["id"]["identity"] == "always" and not columns["id"]["nullable"]
    assert columns["organization_id"]["nullable"] and columns["organization_id"]["base_type"] == "uuid"
    assert columns["budget_x2"]["generated"] == "stored"
    assert columns["code"]["comment"] == "Short code"
    assert cat.column("Sales Ops", "Line Items", "projectCode")["data_type"] == "text"

    [composite] = rows(cat.foreign_keys, table="Line Items")
    assert composite["columns"] == ["projectCode", "region"]
    assert (composite["ref_schema"], composite["ref_table"], composite["ref_columns"]) == \
        ("public", "projects", ["code", "region"])
    assert (composite["on_delete"], composite["on_update"]) == ("SET NULL", "CASCADE")
    assert composite["deferrable"] and composite["deferred"] and composite["validated"]
    [not_valid] = rows(cat.constraints, name="line_qty_small")
    assert not not_valid["validated"] and not_valid["type"] == "check"
    assert cat.primary_key("Sales Ops", "Line Items") == ["ID"]
    assert cat.primary_key("public", "events") == []
    # NOT NULL constraints (pg_constraint on 18) never show up as constraints
    assert set(cat.constraints["type"]) <= {"primary key", "unique", "foreign key", "check", "exclusion"}
    # the FK of a partitioned table is listed once, not again for each partition
    assert len(rows(cat.foreign_keys, ref_table="projects", table="events")) == 1
    assert rows(cat.foreign_keys, table="events_2024") == []

    [partial] = rows(cat.indexes, name="projects_active_idx")
    assert partial["columns"] == ["region", "code"] and partial["include_columns"] == ["budget"]
    assert partial["predicate"] == "budget > 0::numeric" and not partial["is_unique"] and partial["is_valid"]
    [expression] = rows(cat.indexes, name="projects_lower_code_idx")
    assert expression["columns"] == ["lower(code)"]

    [trigger] = rows(cat.triggers, name="projects_touch")
    assert (trigger["timing"], trigger["events"], trigger["level"], trigger["enabled"]) == \
        ("BEFORE", ["INSERT", "UPDATE"], "ROW", "enabled")
    assert trigger["update_columns"] == ["budget"]
    assert (trigger["function_schema"], trigger["function_name"]) == ("public", "touch")

    [function] = rows(cat.functions, name="touch")
    assert function["language"] == "plpgsql" and function["security_definer"]
    assert function["config"] == ["search_path=public"] and "NEW.budget" in function["source"]
    # extension-owned objects are left out
    assert not any(n.startswith("uuid_") for n in cat.functions["name"])
    assert "uuid-ossp" in set(cat.extensions["name"])

    [policy] = rows(cat.policies, table="projects")
    assert (policy["name"], policy["command"], policy["permissive"], policy["roles"]) == \
        ("org members read", "SELECT", False, ["catalog_test_reader"])
    assert "organization_id IS NULL" in policy["using_expression"] and policy["with_check"] is None
    assert rows(cat.privileges, table="projects", grantee="catalog_test_reader") == \
        [{"schema": "public", "table": "projects", "grantee": "catalog_test_reader", "privilege": "SELECT"}]
    assert "catalog_test_reader" in set(cat.roles["name"])


def test_catalog_limited_to_schemas(catalog_db):
    cat = load_catalog(catalog_db, schemas=["Sales Ops"])
    assert set(cat.relations["schema"]) == {"Sales Ops"}
    assert set(cat.columns["schema"]) == {"Sales Ops"}


def test_snapshot_round_trips_exactly(catalog_db):
    cat = load_catalog(catalog_db)
    again = Catalog.from_json(cat.to_json())
    assert again.equals(cat)
    for name in FRAMES:
        assert list(again.frames[name].dtypes) == list(cat.frames[name].dtypes), name
    # and a changed catalog does not compare equal
    changed = Catalog.from_json(cat.to_json())
    changed.frames["columns"].loc[0, "nullable"] = not changed.frames["columns"].loc[0, "nullable"]
    assert not changed.equals(cat)


def test_snapshot_rejects_other_files():
    with pytest.raises(ValueError, match="not an auditlib catalog"):
        Catalog.from_json('{"tables": []}')


SECURITY_SURFACE = r'''
CREATE ROLE catalog_case_api NOLOGIN;
CREATE TABLE public.accounts (id int PRIMARY KEY, owner_id int, api_key text);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
GRANT SELECT (id, api_key) ON public.accounts TO catalog_case_api;
CREATE TABLE public.notes (id int PRIMARY KEY, account_id int REFERENCES public.accounts (id));
CREATE TABLE public.archived_notes () INHERITS (public.notes);
CREATE VIEW public.account_notes WITH (security_invoker = true, security_barrier) AS
    SELECT n.id, a.owner_id FROM public.notes n JOIN public.accounts a ON a.id = n.account_id;
CREATE VIEW public.plain_notes AS SELECT id FROM public.notes;
CREATE FUNCTION public.same(a int, b int) RETURNS boolean LANGUAGE sql IMMUTABLE LEAKPROOF AS 'SELECT a = b';
CREATE VIEW public.same_notes AS SELECT id, public.same(id, account_id), lower('x') FROM public.notes;
CREATE FUNCTION public.private() RETURNS int LANGUAGE sql AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION public.private() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.private() TO catalog_case_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO catalog_case_api;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO catalog_case_api;
CREATE PUBLICATION catalog_case_pub FOR TABLE public.notes;
'''


def test_catalog_reads_the_security_surface(make_db):
    url = make_db("DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'catalog_case_api') THEN "
                  "EXECUTE 'DROP OWNED BY catalog_case_api'; EXECUTE 'DROP ROLE catalog_case_api'; END IF; END $$;"
                  + SECURITY_SURFACE)
    cat = load_catalog(url)
    [same] = rows(cat.functions, name="same")
    assert same["leakproof"] and same["execute_grantees"] == ["postgres", "public"]
    assert same["owner"] == "postgres"
    [private] = rows(cat.functions, name="private")
    assert not private["leakproof"] and private["execute_grantees"] == ["catalog_case_api", "postgres"]

    [invoker] = rows(cat.relations, name="account_notes")
    assert invoker["security_invoker"] and invoker["security_barrier"]
    assert invoker["reads"] == ["public.accounts", "public.notes"]
    [plain] = rows(cat.relations, name="plain_notes")
    assert not plain["security_invoker"] and not plain["security_barrier"] and plain["reads"] == ["public.notes"]
    assert plain["calls"] == [] and rows(cat.relations, name="same_notes")[0]["calls"] == ["public.same(a integer, b integer)"]
    [notes] = rows(cat.relations, name="notes")
    assert notes["reads"] == [] and notes["publications"] == ["catalog_case_pub"]
    assert rows(cat.relations, name="archived_notes")[0]["inherits_from"] == "public.notes"
    assert notes["inherits_from"] is None

    assert cat.column("public", "accounts", "api_key")["select_grantees"] == ["catalog_case_api"]
    assert cat.column("public", "accounts", "owner_id")["select_grantees"] == []
    assert cat.constraints["enforced"].all()

    defaults = cat.default_privileges
    assert rows(defaults, grantee="catalog_case_api") == [
        {"role": "postgres", "schema": None, "object_type": "function", "grantee": "catalog_case_api",
         "privilege": "EXECUTE"},
        {"role": "postgres", "schema": "public", "object_type": "table", "grantee": "catalog_case_api",
         "privilege": "SELECT"}]


def test_snapshot_written_before_a_frame_gained_columns_still_loads(make_db):
    """Snapshots (and the catalogs history stored) from before the security-surface columns read with defaults."""
    url = make_db("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a (id));"
                  "CREATE VIEW v AS SELECT id FROM a; CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';")
    data = load_catalog(url).to_dict()
    later = {"relations": ["security_invoker", "security_barrier", "reads", "inherits_from", "publications",
                           "calls"],
             "columns": ["select_grantees"], "constraints": ["enforced"],
             "functions": ["leakproof", "execute_grantees", "owner"]}
    for frame, dropped in later.items():
        stored = data["frames"][frame]
        keep = [i for i, c in enumerate(stored["columns"]) if c not in dropped]
        stored["columns"] = [stored["columns"][i] for i in keep]
        stored["rows"] = [[row[i] for i in keep] for row in stored["rows"]]
    del data["frames"]["default_privileges"]
    old = Catalog.from_dict(data)
    assert list(old.relations.columns) == list(FRAMES["relations"][1])
    assert old.constraints["enforced"].all() and len(old.foreign_keys) == 1
    [view] = rows(old.relations, name="v")
    assert view["reads"] == [] and not view["security_invoker"] and view["publications"] == [] and view["calls"] == []
    assert rows(old.functions, name="f")[0]["execute_grantees"] == []
    assert old.default_privileges.empty and list(old.default_privileges.columns) == list(FRAMES["default_privileges"][1])
    # a column this version does not know is still an error
    data["frames"]["columns"]["columns"][-1] = "mystery"
    with pytest.raises(ValueError, match="has columns"):
        Catalog.from_dict(data)


def test_a_view_over_a_locked_table_does_not_block_the_catalog(make_db):
    """Deparsing a view opens the tables it reads: with one of them locked, the view's definition reads as NULL."""
    url = make_db("CREATE TABLE invoices (id int PRIMARY KEY, total numeric);"
                  "CREATE MATERIALIZED VIEW revenue AS SELECT sum(total) AS total FROM invoices;")
    locker = sa.create_engine(url).connect()
    try:
        locker.exec_driver_sql("LOCK TABLE invoices IN ACCESS EXCLUSIVE MODE")
        cat = load_catalog(url)
    finally:
        locker.rollback()
        locker.close()
    [revenue] = rows(cat.relations, name="revenue")
    assert revenue["definition"] is None and not revenue["locked"] and revenue["reads"] == ["public.invoices"]
    assert rows(cat.relations, name="invoices")[0]["locked"]


def _count_statements(url) -> int:
    engine = sa.create_engine(url)
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    load_catalog(engine)
    engine.dispose()
    return len(statements)


def _generated_schema(tables: int) -> str:
    parts = ["CREATE TABLE t0 (id uuid PRIMARY KEY, name text);"]
    for i in range(1, tables):
        parts.append(f"CREATE TABLE t{i} (id uuid PRIMARY KEY, parent_id uuid REFERENCES t{i - 1}(id), "
                     f"other_id uuid REFERENCES t{max(0, i - 7)}(id), note text, created_at timestamptz);"
                     f"CREATE INDEX ON t{i} (parent_id);"
                     f"ALTER TABLE t{i} ENABLE ROW LEVEL SECURITY;"
                     f"CREATE POLICY p ON t{i} USING (note IS NOT NULL);")
    return "\n".join(parts)


def test_query_count_does_not_grow_with_tables(make_db):
    small = make_db(_generated_schema(10))
    large = make_db(_generated_schema(300))
    small_count, large_count = _count_statements(small), _count_statements(large)
    assert small_count == large_count
    assert small_count <= 15  # one query per frame, the server facts and the search path
    assert len(load_catalog(large).tables) == 300


def test_every_catalog_query_ships_in_the_package():
    for filename, _ in FRAMES.values():
        text = read_sql(f"catalog/{filename}")
        assert text.startswith("-- One row"), filename
        assert "ORDER BY" in text, filename
