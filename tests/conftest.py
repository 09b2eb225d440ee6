"""Shared fixtures: a real PostgreSQL (the embedded one, and Debian's when installed), fresh databases, the demo."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from auditlib import embedded

# Each pytest-xdist worker gets its own embedded server (its own home): a session fixture is per worker, and a
# server shared between workers would be stopped by the first worker to finish.
TEST_HOME = Path(os.environ.get("AUDITLIB_TEST_HOME", "/var/tmp/auditlib-test" if os.geteuid() == 0
                                else Path(tempfile.gettempdir()) / f"auditlib-test-{os.getuid()}"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    TEST_HOME = TEST_HOME.with_name(f"{TEST_HOME.name}-{os.environ['PYTEST_XDIST_WORKER']}")
SYSTEM_PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Runs recorded by code under test go to the test home, never to the working folder's reports/history.db.
os.environ.setdefault("AUDITLIB_HISTORY", str(Path(TEST_HOME) / "history.db"))
_counter = itertools.count()


@pytest.fixture(scope="session")
def embedded_server():
    """The embedded PostgreSQL 18 for the whole test session; always stopped at the end, SIGTERM included."""
    srv = embedded.server(TEST_HOME)
    srv.start()
    previous = signal.getsignal(signal.SIGTERM)

    def stop_and_exit(signum, frame):
        srv.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_and_exit)
    yield srv
    signal.signal(signal.SIGTERM, previous)
    srv.stop()


class DatabaseFactory:
    """Creates throwaway databases on one server and drops them afterwards."""

    def __init__(self, srv, prefix: str):
        self.srv = srv
        self.prefix = prefix
        self.created: list[str] = []

    def __call__(self, sql: str = "", name: str | None = None) -> sa.URL:
        name = name or f"{self.prefix}_{os.getpid()}_{next(_counter)}"
        url = self.srv.create_database(name, replace=True)
        self.created.append(name)
        if sql:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.exec_driver_sql(sql)
            engine.dispose()
        return url

    def drop_all(self) -> None:
        for name in self.created:
            self.srv.drop_database(name)


@pytest.fixture
def make_db(embedded_server, request):
    """Factory fixture: ``make_db(sql)`` creates a fresh database on the embedded server, runs ``sql``, returns its URL."""
    factory = DatabaseFactory(embedded_server, "t_" + request.node.name[:20].lower().replace("[", "_")
                              .replace("]", "").replace("-", "_"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def demo_url(embedded_server):
    """URL of the ProductionOS demo database on the embedded server (loaded once, reloaded when it changed)."""
    return embedded.ensure_demo(embedded_server)


@pytest.fixture
def demo_copy(embedded_server, demo_url, request):
    """A copy of the demo database that the test may change (remediations are applied to it); dropped after."""
    name = f"demo_copy_{request.node.name[:30].lower()}".replace("[", "_").replace("]", "").replace("-", "_")
    url = embedded_server.create_database(name, replace=True, template=embedded.DEMO_DATABASE)
    yield url
    embedded_server.drop_database(name)


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative name: text or bytes}`` under ``folder`` (text dedented, a leading newline dropped)."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return folder


def libpq(url: sa.URL) -> dict:
    """psycopg connection keywords for a URL of the embedded server."""
    return {"dbname": url.database, "user": url.username, "host": url.query["host"]}


class SystemPostgres:
    """A throwaway cluster of Debian's PostgreSQL 15, run as the embedded server's unprivileged user when root."""

    def __init__(self, bin_dir: Path, home: Path):
        self.bin_dir, self.home = bin_dir, home
        self.pgdata, self.socket_dir = home / "pgdata", home / "run"
        self.run_as = embedded.SYSTEM_USER if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        kwargs = {"user": self.run_as} if self.run_as else {}
        subprocess.run([str(self.bin_dir / args[0]), *args[1:]], check=True, capture_output=True,
                       stdin=subprocess.DEVNULL, cwd=self.home, timeout=120, **kwargs)

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if self.run_as:
            shutil.chown(self.home, self.run_as, self.run_as)
            shutil.chown(self.socket_dir, self.run_as, self.run_as)
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "--no-sync")
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-l", str(self.home / "server.log"), "-o",
                  f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-m", "fast", "stop")

    def url(self, database: str = "postgres") -> sa.URL:
        return sa.URL.create("postgresql+psycopg", username="postgres", database=database,
                             query={"host": str(self.socket_dir)})

    def create_database(self, name: str, replace: bool = False) -> sa.URL:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if replace:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)

    def drop_database(self, name: str) -> None:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


@pytest.fixture(scope="session")
def system_server():
    """Debian's PostgreSQL 15 when installed (skipped otherwise), in a throwaway cluster."""
    if not (SYSTEM_PG_BIN / "postgres").exists():
        pytest.skip(f"no system PostgreSQL at {SYSTEM_PG_BIN}")
    home = Path(tempfile.mkdtemp(prefix="auditlib-pg15-", dir="/var/tmp" if os.geteuid() == 0 else None))
    home.chmod(0o755)
    srv = SystemPostgres(SYSTEM_PG_BIN, home)
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(params=["embedded18", "system15"])
def any_server(request):
    """Each available PostgreSQL major version in turn."""
    return request.getfixturevalue("embedded_server" if request.param == "embedded18" else "system_server")


@pytest.fixture(scope="session")
def small_snapshot(embedded_server, tmp_path_factory):
    """A catalog snapshot of a tiny database whose worst finding is medium (tasks.project_id has no foreign key)."""
    from auditlib.catalog import load_catalog

    name = "t_cli_exit_snapshot"
    url = embedded_server.create_database(name, replace=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE projects (id bigint PRIMARY KEY, name text NOT NULL);"
                             "CREATE TABLE tasks (id bigint PRIMARY KEY, project_id bigint NOT NULL);"
                             "CREATE INDEX ON tasks (project_id);")
    engine.dispose()
    path = tmp_path_factory.mktemp("snapshot") / "snapshot.json"
    path.write_text(load_catalog(url).to_json(), encoding="utf-8")
    embedded_server.drop_database(name)
    return path


@pytest.fixture
def make_read_only():
    """``make_read_only(folder)``: a folder nobody can write into, root included (mode 555, else chattr +i)."""
    made: list[tuple[Path, bool]] = []

    def writable(folder: Path) -> bool:
        probe = folder / ".probe"
        try:
            probe.touch()
        except OSError:
            return False
        probe.unlink()
        return True

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        immutable = False
        if writable(folder):  # root ignores mode bits: an immutable folder refuses even root
            try:
                immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
            except FileNotFoundError:
                immutable = False
        made.append((folder, immutable))
        if writable(folder):
            pytest.skip("cannot make a read-only folder here (root without chattr)")
        return folder

    yield make
    for folder, immutable in reversed(made):
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)
