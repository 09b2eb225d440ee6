"""The one source resolver: its rules (one sentence per refusal), the environment's database, masking, and who
starts and stops the embedded server."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from auditlib import embedded
from auditlib.catalog import Catalog, load_catalog
from auditlib.connect import SourceError
from auditlib.sources import Source, open_source, resolve_source, source_of
from tests.conftest import TEST_HOME
from tests.test_cli import run_main

CANARY = "S3cr3t-Canary-9f2"


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """A snapshot-named file, a migration folder and a plain file; the resolver only looks at whether they exist."""
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text("{}")
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);")
    return {"snapshot": snapshot, "migrations": folder, "missing": tmp_path / "missing.json",
            "missing_folder": tmp_path / "nope"}


REFUSALS = [
    ({"dsn": "postgresql://h/db", "demo": True}, "Give either --dsn or --demo, not both."),
    ({"dsn": "postgresql://h/db", "snapshot": "snapshot"}, "Give either --snapshot or a database (--dsn/--demo), "
                                                           "not both."),
    ({"demo": True, "snapshot": "snapshot"}, "Give either --snapshot or a database (--dsn/--demo), not both."),
    ({"snapshot": "snapshot", "migrations": "migrations"}, "Give either --snapshot or --migrations, not both."),
    ({"demo": True, "migrations": "migrations"}, "Give either --migrations or a database (--dsn/--demo), not both."),
    ({"dsn_env": "AUDITLIB_TEST_SOURCE_DSN", "dsn": "postgresql://h/db"}, "Give either --dsn or --dsn-env, not both."),
    ({"snapshot": "missing"}, "does not exist; write one with `auditlib catalog"),
    ({"migrations": "missing_folder"}, "does not exist; pass the folder that holds your .sql files"),
    ({"migrations": "snapshot"}, "is a file, not a folder; pass the folder that holds your .sql files."),
    ({"dsn_env": "AUDITLIB_TEST_UNSET_VARIABLE"}, "The environment variable AUDITLIB_TEST_UNSET_VARIABLE is not set; "
                                                  "set it to the DSN to audit."),
]


@pytest.mark.parametrize(("given", "message"), REFUSALS, ids=[m[:40] for _, m in REFUSALS])
def test_each_refusal_is_one_sentence(given, message, files, monkeypatch):
    monkeypatch.delenv("AUDITLIB_TEST_UNSET_VARIABLE", raising=False)
    arguments = {name: files.get(value, value) if isinstance(value, str) and name in ("snapshot", "migrations")
                 else value for name, value in given.items()}
    with pytest.raises(SourceError) as raised:
        resolve_source(**arguments)
    sentence = str(raised.value)
    assert message in sentence
    assert "\n" not in sentence and sentence.endswith(".") and not re.search(r"\.\s+[A-Z]", sentence)


def test_a_command_names_its_own_flags(files):
    with pytest.raises(SourceError, match=r"^Give either --against or --migrations, not both\.$"):
        resolve_source(snapshot=files["snapshot"], migrations=files["migrations"], flags={"snapshot": "--against"})


def test_audit_refuses_a_snapshot_and_a_migration_folder_together(files, capsys):
    # It used to audit the folder and silently ignore the snapshot.
    code, err = run_main(capsys, "audit", "--snapshot", str(files["snapshot"]), "--migrations",
                         str(files["migrations"]), "--no-history")
    assert code == 2 and "Give either --snapshot or --migrations, not both." in err


@pytest.mark.parametrize(("args", "message"), [
    (("diff", "--against", "{snapshot}", "--migrations", "{migrations}"), "Give either --against or --migrations"),
    (("diff", "--against", "{missing}"), "The snapshot file"),
    (("report", "--migrations", "{snapshot}"), "is a file, not a folder"),
    (("report", "--dsn-env", "AUDITLIB_TEST_UNSET_VARIABLE"), "AUDITLIB_TEST_UNSET_VARIABLE is not set"),
])
def test_the_commands_refuse_with_the_resolver_sentence_and_exit_2(args, message, files, tmp_path, capsys,
                                                                   monkeypatch):
    monkeypatch.delenv("AUDITLIB_TEST_UNSET_VARIABLE", raising=False)
    history = ("--history", str(tmp_path / "history.db"))
    extra = ("--output-dir", str(tmp_path / "reports"), *history) if args[0] == "report" else history
    code, err = run_main(capsys, *(a.format(**files) for a in args), *extra)
    assert code == 2 and message in err


def test_nothing_given_is_the_environment_database(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://second@h/from_database_url")
    monkeypatch.setenv("AUDITLIB_DSN", "postgresql://first@h/from_auditlib_dsn")
    source = resolve_source()
    assert (source.kind, source.variable, source.url.database) == ("env", "AUDITLIB_DSN", "from_auditlib_dsn")
    monkeypatch.delenv("AUDITLIB_DSN")
    assert resolve_source().variable == "DATABASE_URL"
    monkeypatch.delenv("DATABASE_URL")
    source = resolve_source()
    assert (source.kind, source.dsn, source.variable) == ("env", None, None)  # libpq's PG* variables
    assert resolve_source(default="demo") == Source("demo")
    assert resolve_source(default=None) is None


def test_a_named_variable_is_read(monkeypatch):
    monkeypatch.setenv("AUDITLIB_TEST_SOURCE_DSN", "host=h dbname=named")
    source = resolve_source(dsn_env="AUDITLIB_TEST_SOURCE_DSN")
    assert (source.kind, source.variable, source.url.database, source.slug) == (
        "env", "AUDITLIB_TEST_SOURCE_DSN", "named", "named")


@pytest.mark.parametrize("dsn", [f"postgresql://auditor:{CANARY}@db.example:5433/prod",
                                 f"host=db.example port=5433 dbname=prod user=auditor password={CANARY}",
                                 f"postgresql://auditor:{CANARY}@db.example:notaport/prod"])
def test_no_password_in_what_a_source_shows(dsn):
    source = resolve_source(dsn)
    shown = [repr(source), source.label, source.slug]
    with_facts = shown + ([str(source.facts())] if "notaport" not in dsn else [])
    assert all(CANARY not in text for text in with_facts), with_facts
    assert source.label.startswith("database ") and "***" in source.label


def test_source_of_reads_run_audits_argument(files, tmp_path):
    catalog = Catalog(server={"database": "x"}, frames={})
    assert source_of(files["snapshot"]).kind == "snapshot"
    assert source_of(str(files["snapshot"])) == Source("snapshot", path=str(files["snapshot"]))
    assert source_of(str(files["missing"])).kind == "dsn"  # a missing .json name is a DSN, as it always was
    assert source_of(catalog).catalog is catalog
    assert source_of(sa.make_url("postgresql://h/db")).kind == "dsn"
    assert source_of(None, migrations=files["migrations"]).kind == "migrations"
    given = Source("demo")
    assert source_of(given) is given


def test_a_snapshots_facts_keep_its_path_and_stored_source(small_snapshot):
    source = resolve_source(snapshot=small_snapshot)
    with open_source(source) as catalog:
        assert isinstance(catalog, Catalog)
    facts = source.facts(catalog)
    assert facts["kind"] == "snapshot" and facts["path"] == str(small_snapshot)
    assert source.label == f"snapshot {small_snapshot}"


def test_the_demo_on_a_running_server_is_left_running(embedded_server, demo_url, monkeypatch):
    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))
    with open_source(resolve_source(demo=True)) as conninfo:  # the demo's libpq string: read with psycopg alone
        assert conninfo == embedded_server.conninfo(embedded.DEMO_DATABASE)
        assert load_catalog(conninfo).has_table("public", "contacts")
    assert embedded_server.is_running()  # this process did not start it, so it does not stop it


def test_a_server_started_for_a_source_is_stopped_after(files, monkeypatch):
    home = Path(tempfile.mkdtemp(prefix="al-src-", dir="/var/tmp" if os.geteuid() == 0 else None))
    monkeypatch.setenv("AUDITLIB_HOME", str(home))
    server = embedded.server(home)
    try:
        assert not server.is_running()
        with open_source(resolve_source(migrations=files["migrations"])) as folder:
            assert folder == files["migrations"] and server.is_running()
        assert not server.is_running()
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_a_dsn_is_yielded_as_given_and_nothing_is_started(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDITLIB_HOME", str(tmp_path / "unused-home"))
    with open_source(resolve_source("postgresql://h/db")) as database:
        assert database == "postgresql://h/db"
    assert not (tmp_path / "unused-home").exists()
