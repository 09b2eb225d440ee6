"""Auditing a folder of migration files: the migration checks, ordering, broken and odd files, the CLI."""

from __future__ import annotations

import json

import pytest

from auditlib.audit import audit_migrations
from auditlib.migrations import MigrationsError, file_inventory, load_folder, read_sql_file
from tests.conftest import write_files
from tests.test_cli import run_cli


def objects(result, check: str) -> list[str]:
    frame = result.findings
    return sorted(frame.loc[frame["check"] == check, "object"])


@pytest.fixture
def audit(tmp_path, embedded_server, monkeypatch):
    from tests.conftest import TEST_HOME

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))

    def run(files: dict[str, str | bytes], **kwargs):
        folder = write_files(tmp_path / "migrations", files)
        return audit_migrations(folder, **kwargs)
    return run


def test_table_defined_in_two_files_with_diff(audit):
    result = audit({
        "001_core.sql": "CREATE TABLE clients (id uuid PRIMARY KEY);\n"
                        "CREATE TABLE contacts (id uuid PRIMARY KEY, name text, client_id uuid REFERENCES clients(id));",
        "002_research.sql": "CREATE TABLE companies (id uuid PRIMARY KEY);\n"
                            "CREATE TABLE IF NOT EXISTS contacts (id uuid PRIMARY KEY, first_name text,\n"
                            "    company_id uuid REFERENCES companies(id));",
    })
    assert objects(result, "table_defined_multiple") == ["public.contacts"]
    [finding] = result.findings[result.findings["check"] == "table_defined_multiple"].to_dict("records")
    evidence = finding["evidence"]
    assert evidence["in_force"] == {"file": "001_core.sql", "line": 2}
    differing = {row["column"] for row in evidence["column_diff"]}
    assert differing == {"name", "client_id", "first_name", "company_id"}
    assert (finding["file"], finding["line"]) == ("001_core.sql", 2)


def test_table_created_once_and_altered_later_is_not_a_duplicate(audit):
    result = audit({"001.sql": "CREATE TABLE a (id int PRIMARY KEY);",
                    "002.sql": "ALTER TABLE a ADD COLUMN note text;"})
    assert objects(result, "table_defined_multiple") == []
    assert objects(result, "migration_statement_failed") == []


def test_table_recreated_after_drop_is_in_force(audit):
    result = audit({"001.sql": "CREATE TABLE a (id int PRIMARY KEY, old text);",
                    "002.sql": "DROP TABLE a;\nCREATE TABLE a (id int PRIMARY KEY, new text);"})
    [finding] = result.findings[result.findings["check"] == "table_defined_multiple"].to_dict("records")
    assert finding["evidence"]["in_force"] == {"file": "002.sql", "line": 2}
    assert result.catalog.column("public", "a", "new") is not None


def test_forward_reference_missing_target_and_platform_users(audit):
    result = audit({
        "001.sql": "CREATE TABLE task_boards (id uuid PRIMARY KEY, created_by uuid REFERENCES users(id));\n"
                   "CREATE TABLE invoices (id uuid PRIMARY KEY, project_id uuid REFERENCES projects(id));\n"
                   "GRANT SELECT ON task_boards TO authenticated;",
        "002.sql": "CREATE TABLE projects (id uuid PRIMARY KEY);\n"
                   "CREATE TABLE notes (id uuid PRIMARY KEY, author uuid REFERENCES auth.users(id),\n"
                   "   project_id uuid REFERENCES projects(id));",
    })
    refs = result.findings[result.findings["check"] == "ref_target_missing"].to_dict("records")
    by_object = {r["object"]: r for r in refs}
    assert set(by_object) == {"public.task_boards.created_by->public.users",
                              "public.invoices.project_id->public.projects"}
    assert "auth.users" in by_object["public.task_boards.created_by->public.users"]["evidence"]["reason"]
    assert "forward reference" in by_object["public.invoices.project_id->public.projects"]["evidence"]["reason"]
    failed = result.findings[result.findings["check"] == "migration_statement_failed"].to_dict("records")
    assert {(f["file"], f["line"]) for f in failed} == {("001.sql", 1), ("001.sql", 2), ("001.sql", 3)}
    knock_on = [f for f in failed if not f["evidence"]["root_cause"]]
    assert [(f["line"], f["evidence"]["caused_by"]) for f in knock_on] == [(3, {"file": "001.sql", "line": 1})]


def test_syntax_error_in_the_middle_keeps_the_rest(audit):
    result = audit({"001.sql": "CREATE TABLE a (id int PRIMARY KEY);\n\nCREATE TABLE b (id int PRIMARY KEY, x text;\n"
                               "CREATE TABLE c (id int PRIMARY KEY);\n"})
    [error] = result.findings[result.findings["check"] == "sql_parse_error"].to_dict("records")
    assert (error["file"], error["line"]) == ("001.sql", 3)
    assert result.catalog.has_table("public", "a") and result.catalog.has_table("public", "c")
    assert not result.catalog.has_table("public", "b")


def test_concurrent_index_meta_commands_and_transactions_are_handled(audit):
    result = audit({"001.sql": "BEGIN;\nCREATE TABLE a (id int PRIMARY KEY, v int);\nCOMMIT;\n"
                               "CREATE INDEX CONCURRENTLY a_v_idx ON a (v);\n\\set ON_ERROR_STOP on\n"
                               "VACUUM a;\n"})
    # they run here, but not in the transaction a migration tool wraps the file in
    failed = result.findings[result.findings["check"] == "migration_statement_failed"].to_dict("records")
    assert [(f["line"], f["evidence"]["needs_autocommit"], f["table"]) for f in failed] == [
        (4, "CREATE INDEX CONCURRENTLY", "a"), (6, "VACUUM", None)]
    assert "a_v_idx" in set(result.catalog.indexes["name"])
    meta = result.findings[result.findings["check"] == "sql_parse_error"].to_dict("records")
    assert [(m["line"], m["severity"]) for m in meta] == [(5, "low")]


def test_non_utf8_file_is_read_and_reported_with_file_and_line(audit):
    result = audit({"001.sql": "CREATE TABLE caf\xe9 (id int PRIMARY KEY);".encode("latin-1"),
                    "002.sql": "-- Crème brûlée, in UTF-8\nCREATE TABLE b (id int PRIMARY KEY);\n".encode()
                               + "COMMENT ON TABLE b IS 'd\xe9j\xe0 vu';".encode("latin-1")})
    assert result.catalog.has_table("public", "café")
    assert result.extras["migration_inventory"]["encoding"].tolist() == ["latin-1", "latin-1"]
    found = result.findings[result.findings["check"] == "migration_file_not_utf8"].to_dict("records")
    assert [(f["object"], f["file"], f["line"], f["severity"]) for f in found] == [
        ("001.sql", "001.sql", 1, "low"), ("002.sql", "002.sql", 3, "low")]
    assert found[1]["evidence"]["column"] == len("COMMENT ON TABLE b IS 'd") + 1
    assert found[1]["evidence"]["byte"] == "0xe9"
    assert "002.sql line 3, column 25" in found[1]["detail"]


def test_utf8_file_with_accents_is_not_reported(audit):
    result = audit({"001.sql": "\ufeffCREATE TABLE café (id int PRIMARY KEY);\n-- crème brûlée ✓\n"})
    assert objects(result, "migration_file_not_utf8") == []
    assert result.catalog.has_table("public", "café")


def test_invalid_byte_position_counts_characters_after_a_bom(tmp_path):
    path = tmp_path / "001.sql"
    path.write_bytes(b"\xef\xbb\xbfSELECT 1;\n-- \xc3\xa9t\xc3\xa9 \xff\n")
    text, invalid = read_sql_file(path)
    assert text.startswith("\xef\xbb\xbfSELECT 1;")  # read as Latin-1, byte for byte
    assert (invalid.line, invalid.column, invalid.offset, invalid.byte) == (2, 8, 22, 0xFF)  # "-- été " is 7 characters, 9 bytes


def test_order_is_lexical_and_up_sql_only(tmp_path):
    write_files(tmp_path, {"b/up.sql": "SELECT 1;", "b/down.sql": "SELECT 2;", "a.sql": "SELECT 3;", "c.txt": "x",
                     "10_x.sql": "SELECT 4;", "9_y.sql": "SELECT 5;"})
    assert load_folder(tmp_path).files == ["10_x.sql", "9_y.sql", "a.sql", "b/up.sql"]


def test_inventory_lists_what_each_file_does(tmp_path):
    write_files(tmp_path, {"001_crew.sql": "CREATE TABLE crew (id int PRIMARY KEY);\nCREATE TABLE crew_bookings (id int);\n"
                                     "CREATE INDEX ON crew_bookings (id);\nALTER TABLE crew ENABLE ROW LEVEL SECURITY;\n"
                                     "CREATE POLICY p ON crew USING (true);"})
    [row] = file_inventory(load_folder(tmp_path)).to_dict("records")
    assert row["category"] == "Crew"
    assert row["tables_created"] == ["crew", "crew_bookings"] and row["tables_altered"] == ["crew"]
    assert row["policies"] == ["crew.p"] and row["statements"] == 5


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(MigrationsError, match="does not exist"):
        load_folder(tmp_path / "nope")
    result = run_cli("audit", "--migrations", str(tmp_path / "nope"))
    assert result.returncode == 2 and "does not exist" in result.stderr
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("no sql here")
    result = run_cli("audit", "--migrations", str(tmp_path / "empty"))
    assert result.returncode == 2 and "no .sql files" in result.stderr


def test_cli_json_carries_file_and_line(tmp_path, embedded_server):
    write_files(tmp_path / "m", {"001.sql": "CREATE TABLE projects (id uuid PRIMARY KEY);\n"
                                      "CREATE TABLE invoices (id uuid PRIMARY KEY, project_id uuid);"})
    result = run_cli("audit", "--migrations", str(tmp_path / "m"), "--format", "json", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    missing = [f for f in document["findings"] if f["check"] == "fk_missing"]
    assert [(f["object"], f["file"], f["line"]) for f in missing] == [("public.invoices.project_id", "001.sql", 2)]
    assert document["source"]["kind"] == "migrations"


def test_pg_variables_of_the_shell_do_not_reach_the_scratch_database(audit, monkeypatch):
    # Meant for the user's own databases: a PGPORT would move the socket, a PGOPTIONS would make the scratch session
    # read-only, so every CREATE would fail.
    monkeypatch.setenv("PGPORT", "55432")
    monkeypatch.setenv("PGOPTIONS", "-c default_transaction_read_only=on")
    result = audit({"001_init.sql": "CREATE TABLE projects (id bigint PRIMARY KEY);\n"
                                    "CREATE TABLE tasks (id bigint PRIMARY KEY, project_id bigint REFERENCES projects);"})
    assert not len(result.findings.query("check == 'migration_statement_failed'"))
    assert {"public.projects", "public.tasks"} <= set(result.catalog.tables["schema"] + "." +
                                                      result.catalog.tables["name"])


def test_renamed_table_keeps_the_origin_of_its_create_and_is_in_the_inventory(audit):
    result = audit({"001.sql": "CREATE TABLE projects (id uuid PRIMARY KEY);\n"
                               "CREATE TABLE invoices_old (id uuid PRIMARY KEY, project uuid, project_id uuid);",
                    "002.sql": "ALTER TABLE invoices_old RENAME TO invoices;\n"
                               "ALTER TABLE invoices RENAME COLUMN project TO project_ref;"})
    missing = result.findings[result.findings["check"] == "fk_missing"].to_dict("records")
    assert [(f["object"], f["file"], f["line"]) for f in missing] == [("public.invoices.project_id", "001.sql", 2)]
    inventory = result.extras["migration_inventory"].set_index("file")
    assert inventory.loc["002.sql", "tables_renamed"] == ["invoices_old → invoices"]
    assert objects(result, "ref_target_missing") == [] and objects(result, "migration_statement_failed") == []


def test_identical_definitions_are_low_and_differing_ones_high(audit):
    result = audit({"001.sql": "CREATE TABLE tags (id int PRIMARY KEY, label text);\n"
                               "CREATE TABLE notes (id int PRIMARY KEY, body text);",
                    "002.sql": "CREATE TABLE IF NOT EXISTS tags (id int PRIMARY KEY, label text);\n"
                               "CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body varchar(200));"})
    found = {f["table"]: f for f in result.findings[result.findings["check"] == "table_defined_multiple"]
             .to_dict("records")}
    assert (found["tags"]["severity"], found["tags"]["evidence"]["identical"]) == ("low", True)
    assert (found["notes"]["severity"], found["notes"]["evidence"]["identical"]) == ("high", False)
    assert found["notes"]["evidence"]["column_diff"] == [
        {"column": "body", "001.sql:2": "text", "002.sql:2": "varchar(200)"}]


def test_migration_findings_name_the_table_of_their_statement(audit):
    result = audit({"001.sql": "CREATE TABLE kinds (id int PRIMARY KEY, name text NOT NULL);\n"
                               "INSERT INTO kinds VALUES (1, NULL);\n"
                               "CREATE TABLE crew.members (id int PRIMARY KEY);\n"
                               "ALTER TABLE kinds ADD COLUMN x text,;\n"
                               "SELECT missing_function();"})
    failed = result.findings[result.findings["check"].isin(["migration_statement_failed", "sql_parse_error"])]
    tables = {f["line"]: (f["schema"], f["table"], f["evidence"]["target"]) for f in failed.to_dict("records")}
    # crew is not a schema of the built database, so it is not audited: named in the evidence only, and kept
    assert tables == {2: ("public", "kinds", "public.kinds"), 3: (None, None, "crew.members"),
                      4: ("public", "kinds", "public.kinds"), 5: (None, None, None)}


def test_stub_gaps_are_low_and_blame_the_stub_and_failures_say_which_server_applied_them(audit):
    result = audit({"001.sql": "CREATE EXTENSION IF NOT EXISTS pg_net;\n"
                               "SELECT pgsodium.crypto_aead_det_keygen();\n"
                               "CREATE TABLE notes (id int PRIMARY KEY, author uuid REFERENCES auth.users (id));\n"
                               "INSERT INTO notes VALUES (1, NULL), (1, NULL);\n"}, stubs="supabase")
    failed = {f["line"]: f for f in result.findings[result.findings["check"] == "migration_statement_failed"]
              .to_dict("records")}
    assert {line: (f["severity"], f["evidence"]["stub_gap"]) for line, f in failed.items()} == {
        1: ("low", "the extension pg_net"), 2: ("low", "the schema pgsodium"), 4: ("high", None)}
    assert "(stub gap)" in failed[1]["title"] and "not of the migration" in failed[2]["detail"]
    version = result.catalog.server["server_version"]
    assert {f["evidence"]["applied_by"] for f in failed.values()} == {f"PostgreSQL {version}"}


def test_the_result_says_which_server_and_stub_applied_the_files(audit):
    plain = audit({"001_init.sql": "CREATE TABLE projects (id bigint PRIMARY KEY);"})
    assert plain.source["applied_by"].startswith("PostgreSQL 18") and plain.source["stub"] == "none"
    supabase = audit({"001_init.sql": "CREATE TABLE notes (id bigint PRIMARY KEY, owner uuid REFERENCES auth.users);"})
    assert supabase.source["stub"] == "supabase"
