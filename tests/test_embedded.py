"""The embedded server's lifecycle: start, reuse, stop, run as an unprivileged user, no process left behind."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
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
