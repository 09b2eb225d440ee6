"""`auditlib fix`: the plan applies as a team would apply it (psql, file by file), and the re-audit agrees."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pglast
import psycopg
import pytest
import sqlalchemy as sa
from psycopg.conninfo import make_conninfo

from auditlib.audit import run_audit
from auditlib.catalog import load_catalog
from auditlib.cli import main
from auditlib.fixes import PHASES, plan_fixes
from tests.conftest import libpq

PSQL = shutil.which("psql") or "/usr/bin/psql"
# squawk-cli (dev extra) installs its binary next to the interpreter
SQUAWK = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which("squawk")


def conninfo(url: sa.URL) -> str:
    return make_conninfo(**libpq(url))


def apply_plan(folder: Path, url: sa.URL, *, one_session: bool = False) -> list[str]:
    """Run every file of a written plan in order, as its README says: `psql -1` for a transactional file, plain
    `psql` otherwise, ON_ERROR_STOP always. Returns psql's warnings; fails on the first file that fails.

    ``one_session`` runs the files in one psql session instead of one each (a transactional file between BEGIN and
    COMMIT): the same transactions, without starting psql a hundred times for a layout of many small files."""
    entries = json.loads((folder / "plan.json").read_text())["files"]
    if one_session:
        arguments = [argument for entry in entries for argument in (
            ["-c", "BEGIN", "-f", str(folder / entry["path"]), "-c", "COMMIT"] if entry["transactional"]
            else ["-f", str(folder / entry["path"])])]
        commands = [("all files", [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", *arguments, conninfo(url)])]
    else:
        commands = [(entry["path"], [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                     *(["-1"] if entry["transactional"] else []), "-f", str(folder / entry["path"]),
                                     conninfo(url)]) for entry in entries]
    warnings = []
    for what, command in commands:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{what} failed: {result.stderr[-2000:]}"
        warnings += [line for line in result.stderr.splitlines() if "WARNING" in line]
    return warnings


@pytest.fixture(scope="module")
def demo_audit(demo_url):
    return run_audit(demo_url)


@pytest.mark.skipif(not Path(PSQL).exists(), reason="psql is not installed")
def test_audit_fix_apply_reaudit_marks_the_fixed_findings_fixed_in_the_history(demo_copy, tmp_path):
    """The README's workflow, command by command: audit (recorded in a history), fix from the audit's JSON, apply
    with psql, audit again with the same history: what the plan fixes has status ``fixed``, nothing unannounced is
    new, and applying the plan a second time changes nothing."""
    dsn = demo_copy.render_as_string(hide_password=False)
    history = str(tmp_path / "history.db")

    def audit(name: str) -> dict:
        code = main(["audit", "--dsn", dsn, "--history", history, "--format", "json", "--fail-on", "never",
                     "--output", str(tmp_path / name)])
        assert code == 0
        return json.loads((tmp_path / name).read_text())

    before = audit("before.json")
    fixes = tmp_path / "fixes"
    assert main(["fix", "--findings", str(tmp_path / "before.json"), "--dsn-catalog", dsn, "--output",
                 str(fixes)]) == 0
    manifest = json.loads((fixes / "plan.json").read_text())
    apply_plan(fixes, demo_copy)
    after = audit("after.json")

    fixed = {record["key"]: record["status"] for record in after["fixed"]}
    assert set(manifest["fixed"]) <= set(fixed) and {fixed[k] for k in manifest["fixed"]} == {"fixed"}
    assert len(manifest["fixed"]) >= 100
    after_keys = {record["key"] for record in after["findings"]}
    assert sorted(set(manifest["fixed"]) & after_keys) == []
    # what is new is what the plan announced: follow-ups of its decisions, and data findings in the tables that the
    # backfills' triggers write to (the demo's audit log records every row the plan updates)
    side_effects = tuple(f"{t}." for t in manifest["side_effect_tables"])
    new = sorted(record["key"] for record in after["findings"] if record["status"] == "new"
                 and record["key"] not in manifest["follow_up"]
                 and not (record["key"].startswith("json_reference:")
                          and record["key"].split(":", 1)[1].startswith(side_effects)))
    assert new == [], "\n".join(new)
    assert {record["key"] for record in before["findings"]} - after_keys >= set(manifest["fixed"])
    # a plan applied twice is a no-op the second time (every step idempotent, or asking the catalog first)
    apply_plan(fixes, demo_copy)
    assert {record["key"] for record in audit("again.json")["findings"]} == after_keys


# One row every WRITE_INTERVAL into tables the plan alters (a column type, NOT NULL, foreign keys, policies, triggers):
# rows that respect the constraints the plan adds, as the application's would.
WRITE_INTERVAL = 0.05
WRITES = {  # table: (the column that marks the writer's rows, the insert)
    "crew_contacts": ("first_name", "INSERT INTO public.crew_contacts (first_name, organization_id, day_rate) "
                                    "VALUES ('writer', %(org)s, 350)"),
    "projects": ("name", "INSERT INTO public.projects (name, organization_id, client_id) "
                         "VALUES ('writer', %(org)s, %(client)s)"),
    "tasks": ("title", "INSERT INTO public.tasks (title, organization_id, project_id) "
                       "VALUES ('writer', %(org)s, %(project)s)"),
}


class Writer(threading.Thread):
    """The application: autocommit inserts round the tables of ``WRITES``, each timed (start, seconds); failures
    are kept, the thread's own included."""

    def __init__(self, url: sa.URL):
        super().__init__(daemon=True)
        self.conninfo, self.stop, self.rounds = conninfo(url), threading.Event(), 0
        self.inserts: dict[str, list[tuple[float, float]]] = {table: [] for table in WRITES}
        self.failures: list[str] = []

    def run(self) -> None:
        try:
            self.write()
        except Exception as error:  # noqa: BLE001 - a dead writer must fail the test, not pass it silently
            self.failures.append(f"writer: {error!r}")

    def write(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute("SET statement_timeout = '60s'")  # a hung insert fails the test instead of hanging it
            ids = conn.execute(
                "SELECT p.organization_id, p.client_id, p.id FROM public.projects AS p JOIN public.clients AS c "
                "ON c.id = p.client_id AND c.organization_id = p.organization_id ORDER BY p.id LIMIT 1").fetchone()
            values = dict(zip(("org", "client", "project"), ids, strict=True))
            while not self.stop.is_set():
                for table, (_marker, sql) in WRITES.items():
                    started = time.monotonic()
                    try:
                        conn.execute(sql, values)
                    except psycopg.Error as error:
                        self.failures.append(f"{table}: {error}")
                    self.inserts[table].append((started, time.monotonic() - started))
                self.rounds += 1
                time.sleep(WRITE_INTERVAL)

    def wait_rounds(self, count: int) -> None:
        """Until ``count`` more rounds of inserts are done (or the writer died)."""
        target, deadline = self.rounds + count, time.monotonic() + 60
        while self.rounds < target and self.is_alive() and time.monotonic() < deadline:
            time.sleep(WRITE_INTERVAL)


@pytest.mark.skipif(not Path(PSQL).exists(), reason="psql is not installed")
def test_plan_applies_while_the_application_keeps_writing(demo_audit, demo_copy, tmp_path):
    plan = plan_fixes(demo_audit)
    plan.write(tmp_path)
    touched = {table for step in plan.steps for table in [step.table] if table}
    assert {f"public.{table}" for table in WRITES} <= touched
    writer = Writer(demo_copy)
    writer.start()
    try:
        writer.wait_rounds(5)  # writing before the plan starts ...
        began = time.monotonic()
        apply_plan(tmp_path, demo_copy)
        ended = time.monotonic()
        writer.wait_rounds(5)  # ... and after it ends
    finally:
        writer.stop.set()
        writer.join(timeout=70)
    assert writer.failures == []
    during = {table: sum(began <= start <= ended for start, _ in inserts) for table, inserts in writer.inserts.items()}
    assert min(during.values()) >= 3, during  # the plan ran while every table was being written to
    longest = max(seconds for inserts in writer.inserts.values() for _, seconds in inserts)
    lock_timeout = float(plan.lock_timeout.removesuffix("s"))  # the SET lock_timeout of every file
    assert longest < lock_timeout + 1.0, f"an insert waited {longest:.2f} s"
    print(f"{sum(during.values())} inserts while the plan ran {ended - began:.1f} s, the longest took {longest:.3f} s")
    engine = sa.create_engine(demo_copy)
    with engine.connect() as conn:
        for table, (marker, _sql) in WRITES.items():
            rows = conn.exec_driver_sql(f"SELECT count(*) FROM public.{table} WHERE {marker} = 'writer'").scalar()
            assert rows == len(writer.inserts[table])
    engine.dispose()


@pytest.mark.skipif(not Path(PSQL).exists(), reason="psql is not installed")
@pytest.mark.parametrize("layout", ["supabase", "per-finding"])
def test_other_layouts_apply_as_their_readme_says_and_fix_the_same_findings(demo_audit, demo_copy, tmp_path, layout):
    plan = plan_fixes(demo_audit)
    plan.write(tmp_path, layout)
    manifest = json.loads((tmp_path / "plan.json").read_text())
    if layout == "supabase":
        # the CLI runs each migration file in its own transaction: nothing there may refuse one
        migrations = [e for e in manifest["files"] if e["path"].startswith("supabase/migrations/")]
        manual = [e for e in manifest["files"] if e["path"].startswith("supabase/manual/")]
        assert migrations and manual and len(migrations) + len(manual) == len(manifest["files"])
        assert manifest["files"] == migrations + manual  # the manual files come after `supabase db push`
        for entry in migrations:
            text = (tmp_path / entry["path"]).read_text()
            assert entry["transactional"] and "CONCURRENTLY" not in text, entry["path"]
            assert re.fullmatch(r"supabase/migrations/\d{14}_auditlib_fix_\w+\.sql", entry["path"])
            assert text.rstrip().endswith("RESET statement_timeout;")  # later migrations keep their settings
        assert "CONCURRENTLY" in (tmp_path / manual[0]["path"]).read_text() and not manual[0]["transactional"]
        readme = (tmp_path / "README.md").read_text()
        assert "supabase db push" in readme and "CREATE INDEX CONCURRENTLY` cannot run in a transaction" in readme
    else:
        keys = [key for entry in manifest["files"] for step in entry["steps"] for key in step["keys"][:1]]
        assert len(manifest["files"]) == len(set(keys)) > 100  # one file per finding
    apply_plan(tmp_path, demo_copy, one_session=layout == "per-finding")  # as plan.json says
    after = set(run_audit(demo_copy).findings["key"])
    assert sorted(plan.fixed_keys & after) == []


def test_files_separate_concurrently_and_split_not_valid_from_validate(demo_audit):
    plan = plan_fixes(demo_audit)
    files = plan.files("plain")
    assert [f.phase for f in files] == [p.name for p in PHASES if plan.phase_steps(p.name)]
    for plan_file in files:
        assert "SET lock_timeout = '5s';" in plan_file.text and "SET statement_timeout" in plan_file.text
        statements = [s.stmt for s in pglast.parse_sql(plan_file.text)]
        concurrent = [s for s in statements if getattr(s, "concurrent", False)]
        assert not (concurrent and plan_file.transactional), plan_file.path
        validates = [s for s in statements if "VALIDATE CONSTRAINT" in pglast.stream.RawStream()(s)]
        assert not (validates and plan_file.transactional), plan_file.path
        # constraints are added inside DO blocks (a rerun finds them and adds nothing): read the statements there too
        bodies = [s.args[0].arg.sval for s in statements if isinstance(s, pglast.ast.DoStmt)]
        nested = [n.stmt for body in bodies if "ADD CONSTRAINT" in body
                  for n in pglast.parse_sql(re.sub(r"(?s)^.*?THEN|END IF;.*$", "", body))]
        added = [c.def_ for s in [*statements, *nested] if isinstance(s, pglast.ast.AlterTableStmt)
                 for c in s.cmds if c.subtype == pglast.enums.AlterTableType.AT_AddConstraint
                 and c.def_.contype in (pglast.enums.ConstrType.CONSTR_FOREIGN, pglast.enums.ConstrType.CONSTR_CHECK)]
        assert all(constraint.skip_validation for constraint in added), plan_file.path
        if plan_file.phase == "constraints":
            assert len(added) >= 50
    identities = [(s.phase, s.identity) for s in plan.steps]
    assert len(identities) == len(set(identities))  # deduplicated
    rls = [s for s in plan.steps if "crew_contacts ENABLE ROW LEVEL SECURITY" in s.sql]
    assert len(rls) == 1 and set(rls[0].keys) == {"rls_disabled:public.crew_contacts",
                                                   "rls_policy_without_rls:public.crew_contacts"}


def squawk_report(folder: Path) -> list[dict]:
    """squawk's violations in every SQL file of a written plan; a transactional file is linted as one transaction
    (``--assume-in-transaction``), as it is applied."""
    assert SQUAWK, "squawk is not installed: pip install -e '.[dev]'"
    violations = []
    for entry in json.loads((folder / "plan.json").read_text())["files"]:
        command = [SQUAWK, "--reporter", "json", *(["--assume-in-transaction"] if entry["transactional"] else []),
                   str(folder / entry["path"])]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode in (0, 1), result.stderr
        violations += json.loads(result.stdout or "[]")
    return violations


def acknowledgements(text: str) -> list[tuple[str, str]]:
    """Every ``squawk-ignore`` comment of a file as (rule, reason): the reasons are the comment lines above it."""
    lines, found = text.splitlines(), []
    for number, line in enumerate(lines):
        if match := re.match(r"-- squawk-ignore (.+)$", line):
            reasons = dict(re.findall(r"-- acknowledged ([\w-]+): (.+)$", "\n".join(lines[max(0, number - 5):number]),
                                      re.MULTILINE))
            found += [(rule, reasons.get(rule, "")) for rule in match.group(1).split(", ")]
    return found


@pytest.mark.parametrize("layout", ["plain", "supabase", "per-finding"])
def test_squawk_reports_nothing_the_plan_does_not_acknowledge(demo_audit, tmp_path, layout):
    plan = plan_fixes(demo_audit)
    plan.write(tmp_path, layout)
    assert squawk_report(tmp_path) == []
    texts = [(tmp_path / entry["path"]).read_text() for entry in json.loads((tmp_path / "plan.json").read_text())[
        "files"]]
    acknowledged = [pair for text in texts for pair in acknowledgements(text)]
    assert acknowledged and all(len(reason) > 20 for _rule, reason in acknowledged), acknowledged
    # the plan drops no constraint it adds (a rerun asks the catalog instead); squawk is acknowledged only for the
    # helper CHECK that SET NOT NULL makes redundant, for a type change behind its guard, and for statements that
    # run outside a transaction on purpose
    assert {rule for rule, _reason in acknowledged} <= {"ban-drop-constraint", "changing-column-type",
                                                          "prefer-robust-stmts"}
    dropped = [line for text in texts for line in text.splitlines() if "DROP CONSTRAINT" in line]
    assert dropped and all(re.search(r"DROP CONSTRAINT IF EXISTS \S+_not_null\b", line) for line in dropped), dropped


def test_human_decisions_are_never_live_sql(demo_audit):
    plan = plan_fixes(demo_audit)
    text = "".join(f.text for f in plan.files("plain"))
    assert "DROP NOT NULL" not in text  # fk_set_null_not_null: CASCADE or not is a question
    assert "TODO" not in text  # comment placeholders are not documentation
    assert "crew_bookings_crew_id_fkey" in text and \
        "VALIDATE CONSTRAINT crew_bookings_crew_id_fkey" not in text.replace('"', "")  # orphans on a NOT NULL key
    held = plan.held_keys
    assert {"fk_set_null_not_null:public.call_sheet_crew.crew_id", "orphan_rows:public.crew_bookings.crew_id",
            "cascade_reach:public.crew~public.crew_project_history"} <= held
    decisions = plan.decisions_markdown()
    assert "ON DELETE CASCADE" in decisions and "which rows should be deleted" in decisions


def test_rls_is_enabled_only_with_a_policy(make_db):
    url = make_db("""
        CREATE TABLE orgs (id int PRIMARY KEY);
        CREATE TABLE a (id int PRIMARY KEY, organization_id int);
        CREATE TABLE b (id int PRIMARY KEY, organization_id int);
        CREATE TABLE c (id int PRIMARY KEY, organization_id int);
        CREATE TABLE lookup (id int PRIMARY KEY, label text);
        ALTER TABLE a ENABLE ROW LEVEL SECURITY; ALTER TABLE b ENABLE ROW LEVEL SECURITY;
        CREATE POLICY pa ON a FOR ALL USING (organization_id = current_setting('app.org')::int);
        CREATE POLICY pb ON b FOR ALL USING (organization_id = current_setting('app.org')::int);
    """)
    catalog = load_catalog(url)
    records = [finding("rls_disabled", "public", table, f'ALTER TABLE "public"."{table}" ENABLE ROW LEVEL SECURITY;')
               for table in ("c", "lookup")]
    plan = plan_fixes(records, catalog)
    text = "".join(f.text for f in plan.files("plain"))
    assert "CREATE POLICY" in text and "ON public.c" in text.replace('"', "")
    assert "lookup ENABLE ROW LEVEL SECURITY" not in text.replace('"', "").replace("public.", "")
    assert plan.held_keys == {"rls_disabled:public.lookup"}
    assert plan.fixed_keys == {"rls_disabled:public.c"}


PER_COMMAND = """
    CREATE POLICY "{t} read" ON {t} FOR SELECT USING (organization_id = current_setting('app.org')::int);
    CREATE POLICY "{t} add" ON {t} FOR INSERT WITH CHECK (organization_id = current_setting('app.org')::int);
    CREATE POLICY "{t} change" ON {t} FOR UPDATE USING (organization_id = current_setting('app.org')::int);
    CREATE POLICY "{t} remove" ON {t} FOR DELETE USING (organization_id = current_setting('app.org')::int);
"""


@pytest.mark.skipif(not Path(PSQL).exists(), reason="psql is not installed")
def test_rls_copies_a_per_command_policy_set_when_the_schema_shares_one(make_db, tmp_path):
    tables = "".join(f"CREATE TABLE {t} (id int PRIMARY KEY, organization_id int); "
                     f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;" for t in ("a", "b", "tie1", "tie2"))
    url = make_db(tables + PER_COMMAND.format(t="a") + PER_COMMAND.format(t="b") + """
        CREATE TABLE c (id int PRIMARY KEY, organization_id int);
    """)
    records = [finding("rls_disabled", "public", "c", 'ALTER TABLE "public"."c" ENABLE ROW LEVEL SECURITY;')]
    plan = plan_fixes(records, load_catalog(url))
    assert plan.fixed_keys == {"rls_disabled:public.c"}
    plan.write(tmp_path)
    apply_plan(tmp_path, url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        copied = conn.exec_driver_sql("SELECT cmd, qual, with_check FROM pg_policies WHERE tablename = 'c' "
                                      "ORDER BY cmd").all()
        enabled = conn.exec_driver_sql("SELECT relrowsecurity FROM pg_class WHERE relname = 'c'").scalar()
        conn.exec_driver_sql("CREATE POLICY tie ON tie1 FOR ALL USING (organization_id = 1)")
        conn.exec_driver_sql("CREATE POLICY tie ON tie2 FOR ALL USING (organization_id = 1)")
        conn.commit()
    engine.dispose()
    assert enabled and [row[0] for row in copied] == ["DELETE", "INSERT", "SELECT", "UPDATE"]
    assert [(row[1] is None, row[2] is None) for row in copied] == [(False, True), (True, False), (False, True),
                                                                    (False, True)]
    # two FOR ALL tables against b and c's per-command set (a's differs once a policy is gone): a tie, so held
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE d (id int PRIMARY KEY, organization_id int)")
        conn.exec_driver_sql("DROP POLICY \"a read\" ON a")
        conn.commit()
    engine.dispose()
    records = [finding("rls_disabled", "public", "d", 'ALTER TABLE "public"."d" ENABLE ROW LEVEL SECURITY;')]
    plan = plan_fixes(records, load_catalog(url))
    assert plan.held_keys == {"rls_disabled:public.d"} and plan.fixed_keys == set()


def test_trigger_is_attached_only_when_its_function_writes_existing_columns(make_db):
    url = make_db("""
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.modified_at := now(); RETURN NEW;
        END $$;
        CREATE TABLE has_it (id int PRIMARY KEY, modified_at timestamptz);
        CREATE TABLE lacks_it (id int PRIMARY KEY, updated_at timestamptz);
    """)
    catalog = load_catalog(url)
    records = [finding("updated_at_no_trigger", "public", table, f'CREATE TRIGGER "t" BEFORE UPDATE ON "public"."{table}" '
                       'FOR EACH ROW EXECUTE FUNCTION "public"."touch"();', column="updated_at")
               for table in ("has_it", "lacks_it")]
    plan = plan_fixes(records, catalog)
    assert plan.fixed_keys == {"updated_at_no_trigger:public.has_it.updated_at"}
    assert plan.held_keys == {"updated_at_no_trigger:public.lacks_it.updated_at"}
    assert "modified_at" in plan.decisions[0].question


def test_type_change_stops_on_a_value_that_does_not_convert(make_db, tmp_path):
    url = make_db("CREATE TABLE t (id int PRIMARY KEY, code text); INSERT INTO t VALUES (1, '12'), (2, 'x9');")
    records = [finding("column_type_inconsistent", "public", "t",
                       'ALTER TABLE "public"."t" ALTER COLUMN "code" TYPE integer USING "code"::integer;',
                       column="code")]
    plan = plan_fixes(records, load_catalog(url))
    plan.write(tmp_path)
    with pytest.raises(AssertionError, match="does not convert to integer"):
        apply_plan(tmp_path, url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT data_type FROM information_schema.columns WHERE table_name = 't' "
                                    "AND column_name = 'code'").scalar() == "text"
    engine.dispose()


def test_cli_writes_a_plan_from_a_previous_json_audit(demo_audit, tmp_path, capsys):
    document = tmp_path / "audit.json"
    document.write_text(json.dumps(demo_audit.to_document(), default=str))
    code = main(["fix", "--findings", str(document), "--output", str(tmp_path / "fixes"), "--min-severity", "high"])
    assert code == 0
    manifest = json.loads((tmp_path / "fixes" / "plan.json").read_text())
    assert manifest["files"] and all(p.startswith(("critical", "high")) is False for p in manifest["fixed"])
    assert (tmp_path / "fixes" / "decisions.md").exists() and (tmp_path / "fixes" / "README.md").exists()
    severities = {r["key"]: r["severity"] for r in demo_audit.to_document()["findings"]}
    assert {severities[k] for k in manifest["fixed"] + manifest["held"]} <= {"critical", "high"}
    assert "wrote" in capsys.readouterr().out


def finding(check: str, schema: str, table: str, sql: str, column: str | None = None) -> dict:
    obj = ".".join(p for p in (schema, table, column) if p)
    return {"check": check, "severity": "medium", "key": f"{check}:{obj}", "object": obj, "schema": schema,
            "table": table, "column": column, "evidence": {}, "remediation_sql": sql, "title": check}


def rows_members_see(url: sa.URL, tables: list[tuple[str, str, str | None]]) -> dict[tuple[str, str, str], int]:
    """(member, schema, table) -> rows, as the API shows them to one member of each organisation: a rolled-back
    transaction under the `authenticated` role with the member's JWT claims, as PostgREST runs a request.

    On a table with the tenant column only the member's own organisations' rows count: rows of other tenants or of
    none were the leaks the plan closes (rls_disabled, rls_null_bypass), not the member's access."""
    from psycopg import sql

    seen: dict[tuple[str, str, str], int] = {}
    with psycopg.connect(**libpq(url)) as conn:
        members = conn.execute(
            "SELECT user_id::text, array_agg(organization_id) FROM public.organization_members WHERE user_id IN "
            "(SELECT DISTINCT ON (organization_id) user_id FROM public.organization_members ORDER BY organization_id, "
            "user_id) GROUP BY user_id ORDER BY 1").fetchall()
        for user_id, organizations in members:
            with conn.transaction(force_rollback=True):
                conn.execute("SET LOCAL ROLE authenticated")
                conn.execute("SELECT set_config('request.jwt.claims', %s, true), "
                             "set_config('request.jwt.claim.sub', %s, true)",
                             (json.dumps({"sub": user_id, "role": "authenticated"}), user_id))
                for schema, table, tenant in tables:
                    with conn.transaction():  # a table the role may not read is a count of its own kind
                        try:
                            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
                            if tenant:
                                query += sql.SQL(" WHERE {} = ANY(%s)").format(sql.Identifier(tenant))
                            seen[(user_id, schema, table)] = conn.execute(query, [organizations] if tenant
                                                                          else None).fetchone()[0]
                        except psycopg.errors.InsufficientPrivilege:
                            seen[(user_id, schema, table)] = -1
    return seen


@pytest.mark.skipif(not Path(PSQL).exists(), reason="psql is not installed")
def test_the_application_sees_the_same_rows_after_the_plan(demo_audit, demo_copy, tmp_path):
    """The demo app's own tables, read as one member of each organisation: the same rows before and after the plan
    (a fix must never hide a member's data, e.g. RLS enabled without the policy that keeps today's access)."""
    from auditlib.codescan import scan_code
    from auditlib.demo import app_folder

    scan = scan_code(app_folder())
    catalog = load_catalog(demo_copy)
    existing = set(zip(catalog.tables["schema"], catalog.tables["name"], strict=True))
    used = sorted({(ref.schema, ref.table) for ref in scan.tables if ref.kind == "table"} & existing)
    columns = catalog.columns
    with_tenant = set(zip(*[columns.loc[columns["name"] == "organization_id", c] for c in ("schema", "table")],
                          strict=True))

    def tables() -> list[tuple[str, str, str | None]]:  # the plan may add the tenant column to a table
        return [(s, t, "organization_id" if (s, t) in with_tenant else None) for s, t in used]

    assert len(used) >= 10
    before = rows_members_see(demo_copy, tables())
    assert len({member for member, _, _ in before}) >= 2
    plan_fixes(demo_audit, load_catalog(demo_copy)).write(tmp_path / "fixes")
    apply_plan(tmp_path / "fixes", demo_copy)
    after = rows_members_see(demo_copy, tables())
    lost = {key: (before[key], after[key]) for key in before if after[key] < before[key]}
    assert not lost, f"members see fewer of their rows after the plan: {lost}"


def test_held_steps_are_dropped_without_comparing_steps_field_by_field(make_db, monkeypatch):
    """Every trigger fix of a many-table plan is held (its function is missing): each step leaves the plan by
    identity; list.remove compared every field of every step before it, minutes for 1,000 tables."""
    from auditlib.fixes.model import Step

    url = make_db("".join(f"CREATE TABLE t{i} (id int PRIMARY KEY, updated_at timestamptz);" for i in range(30)))
    records = [finding("fk_missing_index", "public", f"t{i}", f'CREATE INDEX ON "public"."t{i}" ("updated_at");',
                       column="updated_at") for i in range(30)]  # planned steps before the ones dropped
    records += [finding("updated_at_no_trigger", "public", f"t{i}", f'CREATE TRIGGER "t" BEFORE UPDATE ON "public"."t{i}" '
                        'FOR EACH ROW EXECUTE FUNCTION "public"."missing"();', column="updated_at") for i in range(30)]
    comparisons = []
    compare = Step.__eq__
    monkeypatch.setattr(Step, "__eq__", lambda self, other: comparisons.append(other) or compare(self, other))
    plan = plan_fixes(records, load_catalog(url))
    assert len(plan.held_keys) == 30 and len(plan.fixed_keys) == 30
    assert comparisons == []
    assert len(plan.decisions) == 30  # one per table: the same question is asked once per table


def test_steps_with_the_same_statement_merge_however_it_is_spelt():
    def finding(key: str, sql: str) -> dict:
        return {"check": "fk_unindexed", "severity": "medium", "category": "relationships", "key": key,
                "schema": "public", "table": "t", "column": "x", "object": "public.t.x", "evidence": {},
                "remediation_sql": sql}

    plan = plan_fixes([finding("a", "CREATE INDEX t_x_idx ON public.t (x);"),
                       finding("b", 'create index  t_x_idx on "public"."t" ("x")'),
                       finding("c", "CREATE INDEX t_x_idx ON public.t (x) WHERE x > 1")])
    assert [step.keys for step in plan.phase_steps("indexes")] == [["a", "b"], ["c"]]
