"""Schema drift between two catalogs: every kind of object added, removed and changed; no noise; migration folders.

Each case builds a small schema twice — ``old`` and ``new`` — in two real databases and expects exactly the set of
(kind, object, change) rows ``diff_catalogs`` reports, plus a word its details must contain.
"""

from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa

from auditlib.catalog import load_catalog
from auditlib.config import AuditConfig
from auditlib.drift import changed_diagram, changed_tables, diff_catalogs, summarize_diff

BASE = """
CREATE TABLE orgs (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE clients (id uuid PRIMARY KEY, name text);
CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
                       client_id uuid REFERENCES clients (id), name text, budget integer DEFAULT 0,
                       CONSTRAINT budget_positive CHECK (budget >= 0));
CREATE INDEX projects_name_idx ON projects (name);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_read ON projects FOR SELECT USING (org_id IS NOT NULL);
CREATE FUNCTION normalise_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.name := lower(NEW.name);
  RETURN NEW;
END
$$;
CREATE TRIGGER projects_normalise BEFORE INSERT ON projects FOR EACH ROW EXECUTE FUNCTION normalise_name();
CREATE VIEW project_names AS SELECT id, name FROM projects;
"""

# name, SQL run after BASE on the old side, on the new side, expected {(kind, object, change)}, word in details
CASES = [
    ("schema added", "", "CREATE SCHEMA billing;", {("schema", "billing", "added")}, "added"),
    ("schema removed", "CREATE SCHEMA billing;", "", {("schema", "billing", "removed")}, "removed"),
    ("table added", "", "CREATE TABLE notes (id int PRIMARY KEY, body text);",
     {("table", "public.notes", "added"), ("constraint", "public.notes.notes_pkey", "added")}, "added"),
    ("table removed with everything on it", "CREATE TABLE notes (id int PRIMARY KEY, body text);"
     "CREATE INDEX notes_body ON notes (body);", "", {("table", "public.notes", "removed")}, "removed"),
    ("table changed: row level security", "", "ALTER TABLE clients ENABLE ROW LEVEL SECURITY;",
     {("table", "public.clients", "changed")}, "row level security on"),
    ("column added", "", "ALTER TABLE clients ADD COLUMN email text;",
     {("column", "public.clients.email", "added")}, "added"),
    ("column removed", "", "ALTER TABLE clients DROP COLUMN name;",
     {("column", "public.clients.name", "removed")}, "removed"),
    ("column type", "", "ALTER TABLE projects ALTER COLUMN budget TYPE bigint;",
     {("column", "public.projects.budget", "changed")}, "integer → bigint"),
    ("column nullability", "", "ALTER TABLE projects ALTER COLUMN name SET NOT NULL;",
     {("column", "public.projects.name", "changed")}, "made NOT NULL"),
    ("column default", "", "ALTER TABLE projects ALTER COLUMN budget SET DEFAULT 100;",
     {("column", "public.projects.budget", "changed")}, "default 0 → 100"),
    ("constraint added", "", "ALTER TABLE clients ADD CONSTRAINT clients_name_key UNIQUE (name);",
     {("constraint", "public.clients.clients_name_key", "added")}, "added"),
    ("constraint removed", "", "ALTER TABLE projects DROP CONSTRAINT budget_positive;",
     {("constraint", "public.projects.budget_positive", "removed")}, "removed"),
    ("foreign key target", "", "ALTER TABLE projects DROP CONSTRAINT projects_client_id_fkey;"
     "ALTER TABLE projects ADD CONSTRAINT projects_client_id_fkey FOREIGN KEY (client_id) REFERENCES orgs (id);",
     {("constraint", "public.projects.projects_client_id_fkey", "changed")},
     "references public.clients(id) → public.orgs(id)"),
    ("on delete", "", "ALTER TABLE projects DROP CONSTRAINT projects_org_id_fkey;"
     "ALTER TABLE projects ADD CONSTRAINT projects_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) "
     "ON DELETE RESTRICT;", {("constraint", "public.projects.projects_org_id_fkey", "changed")},
     "on delete CASCADE → RESTRICT"),
    ("check expression", "", "ALTER TABLE projects DROP CONSTRAINT budget_positive;"
     "ALTER TABLE projects ADD CONSTRAINT budget_positive CHECK (budget > 0);",
     {("constraint", "public.projects.budget_positive", "changed")}, "(budget > 0)"),
    ("constraint validated later", "ALTER TABLE clients ADD CONSTRAINT named CHECK (name <> '') NOT VALID;",
     "ALTER TABLE clients ADD CONSTRAINT named CHECK (name <> '');",
     {("constraint", "public.clients.named", "changed")}, "validated on"),
    ("constraint renamed", "", "ALTER TABLE projects RENAME CONSTRAINT budget_positive TO budget_not_negative;",
     {("constraint", "public.projects.budget_not_negative", "changed")}, "renamed from budget_positive"),
    ("index added", "", "CREATE INDEX projects_client_idx ON projects (client_id);",
     {("index", "public.projects.projects_client_idx", "added")}, "added"),
    ("index removed", "", "DROP INDEX projects_name_idx;",
     {("index", "public.projects.projects_name_idx", "removed")}, "removed"),
    ("index made unique and partial", "", "DROP INDEX projects_name_idx;"
     "CREATE UNIQUE INDEX projects_name_idx ON projects (name) WHERE name IS NOT NULL;",
     {("index", "public.projects.projects_name_idx", "changed")}, "unique on"),
    ("index renamed", "", "ALTER INDEX projects_name_idx RENAME TO projects_by_name;",
     {("index", "public.projects.projects_by_name", "changed")}, "renamed from projects_name_idx"),
    ("policy added", "", "CREATE POLICY projects_write ON projects FOR INSERT WITH CHECK (org_id IS NOT NULL);",
     {("policy", "public.projects.projects_write", "added")}, "added"),
    ("policy removed", "", "DROP POLICY projects_read ON projects;",
     {("policy", "public.projects.projects_read", "removed")}, "removed"),
    ("policy expression", "", "ALTER POLICY projects_read ON projects USING (true);",
     {("policy", "public.projects.projects_read", "changed")}, "using (org_id IS NOT NULL) → true"),
    ("trigger added", "", "CREATE TRIGGER clients_normalise BEFORE INSERT ON clients FOR EACH ROW "
     "EXECUTE FUNCTION normalise_name();", {("trigger", "public.clients.clients_normalise", "added")}, "added"),
    ("trigger removed", "", "DROP TRIGGER projects_normalise ON projects;",
     {("trigger", "public.projects.projects_normalise", "removed")}, "removed"),
    ("trigger events", "", "DROP TRIGGER projects_normalise ON projects; CREATE TRIGGER projects_normalise "
     "BEFORE INSERT OR UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION normalise_name();",
     {("trigger", "public.projects.projects_normalise", "changed")}, "events (INSERT) → (INSERT, UPDATE)"),
    ("trigger disabled", "", "ALTER TABLE projects DISABLE TRIGGER projects_normalise;",
     {("trigger", "public.projects.projects_normalise", "changed")}, "state enabled → disabled"),
    ("function added", "", "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42';",
     {("function", "public.answer()", "added")}, "added"),
    ("function removed", "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42';", "",
     {("function", "public.answer()", "removed")}, "removed"),
    ("function source", "", "CREATE OR REPLACE FUNCTION normalise_name() RETURNS trigger LANGUAGE plpgsql AS $$\n"
     "BEGIN\n  NEW.name := upper(NEW.name);\n  RETURN NEW;\nEND\n$$;",
     {("function", "public.normalise_name()", "changed")}, "source changed (+1 −1 lines)"),
    ("function security definer and config", "", "ALTER FUNCTION normalise_name() SECURITY DEFINER "
     "SET search_path = '';", {("function", "public.normalise_name()", "changed")}, "security definer on"),
    ("view added", "", "CREATE VIEW client_names AS SELECT name FROM clients;",
     {("view", "public.client_names", "added")}, "added"),
    ("view removed", "", "DROP VIEW project_names;", {("view", "public.project_names", "removed")}, "removed"),
    ("view definition", "", "CREATE OR REPLACE VIEW project_names AS SELECT id, name, budget FROM projects;",
     {("view", "public.project_names", "changed")}, "definition changed"),
]


@pytest.fixture
def catalogs(make_db):
    def build(old_sql: str, new_sql: str):
        return load_catalog(make_db(BASE + old_sql)), load_catalog(make_db(BASE + new_sql))
    return build


@pytest.mark.parametrize("name, old_sql, new_sql, expected, word", CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_change(catalogs, name, old_sql, new_sql, expected, word):
    diff = diff_catalogs(*catalogs(old_sql, new_sql))
    assert set(zip(diff["kind"], diff["object"], diff["change"], strict=True)) == expected, diff.to_string()
    assert any(word in details for details in diff["details"]), diff["details"].tolist()


def test_identical_schemas_built_twice_show_no_change(make_db):
    """Different OIDs, row counts, sizes, column positions (a dropped column, ADD COLUMN order): no drift."""
    first = make_db(BASE + "CREATE TABLE log (id int PRIMARY KEY, a text, b text);")
    second = make_db(BASE + textwrap.dedent("""
        CREATE TABLE log (id int PRIMARY KEY, junk int, b text);
        ALTER TABLE log DROP COLUMN junk;
        ALTER TABLE log ADD COLUMN a text;
        INSERT INTO orgs SELECT gen_random_uuid(), 'org ' || g FROM generate_series(1, 500) g;
        ANALYZE;
    """))
    old, new = load_catalog(first), load_catalog(second)
    assert old.column("public", "log", "a")["position"] != new.column("public", "log", "a")["position"]
    diff = diff_catalogs(old, new)
    assert diff.empty, diff.to_string()
    assert summarize_diff(diff).empty


def test_platform_schemas_are_left_out_unless_asked(make_db):
    platform = "CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY);"
    old, new = load_catalog(make_db(BASE + platform)), load_catalog(make_db(BASE + platform +
                                                                           "ALTER TABLE auth.users ADD email text;"))
    assert diff_catalogs(old, new).empty
    everything = diff_catalogs(old, new, schemas=["all"])
    assert list(everything["object"]) == ["auth.users.email"]
    assert list(diff_catalogs(old, new, schemas=["auth"])["object"]) == ["auth.users.email"]


def test_changed_tables_include_foreign_key_targets_and_draw(make_db):
    old, new = load_catalog(make_db(BASE)), load_catalog(make_db(BASE + textwrap.dedent("""
        CREATE TABLE invoices (id uuid PRIMARY KEY, project_id uuid REFERENCES projects (id));
        ALTER TABLE clients ADD COLUMN email text;
    """)))
    diff = diff_catalogs(old, new)
    assert changed_tables(diff) == [("public", "clients"), ("public", "invoices"), ("public", "projects")]
    graph = changed_diagram(new, diff)
    source = graph.source
    assert "invoices" in source and "added" in source and "changed" in source


def test_a_changed_trigger_function_relates_to_the_tables_it_fires_on(catalogs):
    old, new = catalogs("", "CREATE OR REPLACE FUNCTION normalise_name() RETURNS trigger LANGUAGE plpgsql AS "
                            "$$ BEGIN RETURN NEW; END $$;")
    assert changed_tables(diff_catalogs(old, new)) == [("public", "projects")]


def test_migration_folder_against_the_database_built_from_it(make_db, tmp_path, embedded_server, monkeypatch):
    """The same files applied to a live database: nothing differs (the platform stub, extension versions and
    column positions differ naturally and are not compared); a change made by hand afterwards is reported."""
    from auditlib.audit import audit_migrations
    from tests.conftest import TEST_HOME

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))
    files = {
        "001_core.sql": "CREATE TABLE orgs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);\n"
                        "CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid REFERENCES orgs (id), name text);\n",
        "002_alter.sql": "ALTER TABLE projects ADD COLUMN budget numeric(12, 2) DEFAULT 0 NOT NULL;\n"
                         "CREATE INDEX projects_org_idx ON projects (org_id);\n"
                         "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;\n"
                         "CREATE POLICY projects_members ON projects USING (org_id IS NOT NULL);\n",
        "003_functions.sql": "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
                             "  RETURN NEW;\nEND\n$$;\n"
                             "CREATE TRIGGER projects_touch BEFORE UPDATE ON projects FOR EACH ROW "
                             "EXECUTE FUNCTION touch();\n",
    }
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    live = make_db("".join(files[name] for name in sorted(files)) +
                   "INSERT INTO orgs (name) SELECT 'o' || g FROM generate_series(1, 200) g; ANALYZE;")
    built = audit_migrations(folder, stubs="supabase").catalog
    assert diff_catalogs(built, load_catalog(live)).empty

    engine = sa.create_engine(live)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE projects ALTER COLUMN name SET NOT NULL; DROP INDEX projects_org_idx;")
    engine.dispose()
    drift = diff_catalogs(built, load_catalog(live))
    assert set(zip(drift["object"], drift["change"], strict=True)) == {
        ("public.projects.name", "changed"), ("public.projects.projects_org_idx", "removed")}


def test_demo_migration_folder_matches_the_demo_database(demo_url, embedded_server, monkeypatch):
    from auditlib.audit import audit_migrations
    from tests.conftest import TEST_HOME

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))
    from importlib import resources

    folder = resources.files("auditlib") / "demo" / "sql"
    built = audit_migrations(str(folder)).catalog
    diff = diff_catalogs(built, load_catalog(demo_url), schemas=["all"])
    assert diff.empty, diff.head(20).to_string()


def test_schema_drift_notebook_runs_with_papermill(make_db, tmp_path):
    """Two recorded runs with a change between them, then the notebook as papermill runs it."""
    import json

    import papermill

    from auditlib.audit import run_audit
    from auditlib.history import open_history
    from auditlib.report import ensure_kernel, notebook_path

    url = make_db(BASE)
    history_path = tmp_path / "history.db"
    with open_history(history_path) as history:
        history.track(run_audit(url, data=False))
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE invoices (id uuid PRIMARY KEY, project_id uuid REFERENCES projects (id)"
                                 " ON DELETE CASCADE); ALTER TABLE projects ALTER COLUMN name SET NOT NULL;")
        engine.dispose()
        history.track(run_audit(url, data=False))
    ensure_kernel()
    output = tmp_path / "drift.ipynb"
    papermill.execute_notebook(str(notebook_path("schema_drift")), str(output),
                               parameters={"history_path": str(history_path)}, kernel_name="python3",
                               progress_bar=False, cwd=str(tmp_path))
    executed = json.loads(output.read_text(encoding="utf-8"))
    outputs = ["".join(o.get("data", {}).get("text/html", "")) for c in executed["cells"]
               for o in c.get("outputs", [])]
    page = "\n".join(outputs)
    assert "public.invoices" in page and "made NOT NULL" in page
    assert "<svg" in page  # the changed-neighbourhood diagram
    assert "invoices_project_id_fkey" in page and "fk_unindexed" in page  # a finding the new table brought


def test_across_postgresql_major_versions(system_server, make_db):
    """PostgreSQL 15 qualifies view columns that 16+ leaves bare: the same schema on both shows no change, and a
    real view change still shows."""
    def on_15(sql: str, name: str):
        url = system_server.create_database(name, replace=True)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
        engine.dispose()
        return load_catalog(url)

    old = on_15(BASE, "drift_same")
    assert old.server_version_num // 10000 == 15
    assert "projects.name" in old.views.iloc[0]["definition"]
    assert diff_catalogs(old, load_catalog(make_db(BASE))).empty
    changed = load_catalog(make_db(BASE + "CREATE OR REPLACE VIEW project_names AS SELECT id, name, budget "
                                          "FROM projects;"))
    diff = diff_catalogs(old, changed)
    assert list(zip(diff["object"], diff["change"], strict=True)) == [("public.project_names", "changed")]


def test_a_policy_change_that_opens_a_leak_is_flagged(catalogs):
    """The findings of both sides are compared by key; the change on the table of a new finding is flagged."""
    from auditlib.drift import Drift, attribute_findings, catalog_finding_changes

    old, new = catalogs("", "DROP POLICY projects_read ON projects;"
                            "CREATE POLICY projects_read ON projects FOR SELECT USING (true);")
    diff = diff_catalogs(old, new)
    changes = catalog_finding_changes(old, new, AuditConfig())
    opened = changes[(changes["change"] == "new") & (changes["check"] == "rls_always_true")]
    assert list(opened["object"]) == ["public.projects.projects_read"], changes.to_string()
    flagged = attribute_findings(diff, changes)
    policy = flagged[flagged["object"] == "public.projects.projects_read"].iloc[0]
    assert "+rls_always_true (high: public.projects.projects_read)" in policy["findings"]
    drift = Drift(old, new, "before", "after", diff, finding_changes=changes)
    assert list(drift.flagged()["object"]) == ["public.projects.projects_read"]
    assert "findings appeared" in drift.header().text
    assert "public.projects.projects_read (changed)" in drift.findings()["schema_changes"].iloc[0]
    # Back again: the same finding is fixed and the change is flagged with a minus.
    back = attribute_findings(diff_catalogs(new, old), catalog_finding_changes(new, old, AuditConfig()))
    assert "−rls_always_true" in back[back["object"] == "public.projects.projects_read"].iloc[0]["findings"]


def test_removed_tables_are_drawn_as_removed(catalogs):
    from auditlib.drift import Drift, removed_diagram

    old, new = catalogs("CREATE TABLE invoices (id uuid PRIMARY KEY, project_id uuid REFERENCES projects (id));", "")
    diff = diff_catalogs(old, new)
    assert set(zip(diff["kind"], diff["change"], strict=True)) == {("table", "removed")}
    assert "No added or changed table" in repr(changed_diagram(new, diff, old))  # never drawn as changed
    graph = removed_diagram(old, diff)
    source = graph.source
    assert "invoices" in source and "removed" in source and "changed" not in source
    assert "#fdecea" in source  # the removed fill, not the changed amber
    page = Drift(old, new, "before", "after", diff).diagram()._repr_html_()
    assert "Removed tables and their former neighbours" in page and "<svg" in page
