"""What is audited: one resolver turns what a command or notebook was given into one ``Source``.

A source is a database (a DSN given; else one named by an environment variable: ``--dsn-env``, ``AUDITLIB_DSN``,
``DATABASE_URL``, else libpq's PG* variables), the embedded ProductionOS demo, a catalog snapshot file, a catalog
already in memory, or a folder of SQL migrations. ``resolve_source`` refuses contradictions and missing files or
variables with one sentence before any work starts; ``open_source`` yields what to read and starts the embedded
server when the source lives on it, stopping it after only if it started it. Runs of the audit history are not
sources here: which run is compared depends on the history and on the other side (see ``drift.open_drift``).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from auditlib.catalog import Catalog
from auditlib.connect import Address, SourceError, address, describe_source, is_sqlalchemy, mask_dsn, to_url

if TYPE_CHECKING:
    import sqlalchemy as sa

DSN_VARIABLES = ("AUDITLIB_DSN", "DATABASE_URL")
SourceKind = Literal["dsn", "env", "demo", "snapshot", "migrations", "catalog"]
# How the errors name what the user gave: the audit's flags unless a command spells one differently (diff: --against).
FLAGS = {"dsn": "--dsn", "dsn_env": "--dsn-env", "demo": "--demo", "snapshot": "--snapshot",
         "migrations": "--migrations", "catalog": "a catalog"}
DATABASE_CHOICES = ("dsn", "dsn_env", "demo")


@dataclass(frozen=True, repr=False)
class Source:
    """One audited source: its kind and what it points at. Its ``repr`` and ``label`` never show a password."""

    kind: SourceKind
    dsn: str | sa.URL | sa.Engine | None = field(default=None, compare=False)  # dsn, env (None: the PG* variables)
    variable: str | None = None  # env: the variable the DSN was read from
    path: str = ""  # snapshot, migrations: the file or folder as given
    catalog: Catalog | None = field(default=None, compare=False)  # catalog: one already read

    @property
    def is_database(self) -> bool:
        """A live database is read (a DSN, a variable's DSN or the demo), not a file or a catalog in memory."""
        return self.kind in ("dsn", "env", "demo")

    @property
    def needs_server(self) -> bool:
        """The source lives on the embedded server: the demo, or the scratch database a migration folder is built in."""
        return self.kind in ("demo", "migrations")

    @property
    def label(self) -> str:
        """What the source is, for people: ``database postgresql://app:***@db/prod``, ``snapshot FILE``, …"""
        if self.kind == "demo":
            return "the demo database"
        if self.kind in ("snapshot", "migrations"):
            return f"{self.kind} {self.path}"
        if self.kind == "catalog":
            return "a catalog in memory"
        return f"database {self._masked()}"

    @property
    def slug(self) -> str:
        """A short file-name-safe name: ``demo``, the snapshot's or folder's stem, else the database's name."""
        if self.kind == "demo":
            return "demo"
        if self.kind in ("snapshot", "migrations"):
            name = Path(self.path).stem
        else:
            try:
                name = self.address.database or "database"
            except (SourceError, ValueError):  # a DSN that does not parse (its error is raised when connecting)
                name = "database"
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:40]

    @property
    def url(self) -> sa.URL:
        """The URL of a DSN or variable's database (PG* variables fill what it leaves out); a bad DSN is a
        ``SourceError``."""
        return self.dsn.url if is_sqlalchemy(self.dsn, "Engine") else to_url(self.dsn)

    @property
    def address(self) -> sa.URL | Address:
        """What names the database: the ``Address`` of a DSN psycopg opens as it is (read without importing
        SQLAlchemy), else ``url``."""
        plain = address(self.dsn) if self.dsn is None or isinstance(self.dsn, str) else None
        return plain if plain is not None else self.url

    def facts(self, catalog: Catalog | None = None) -> dict[str, Any]:
        """What an audit records about the source (``AuditResult.source``, the history's ``source_key``); never a
        password. A snapshot's facts include those stored in its ``catalog``; a migration folder's are those the
        migration audit set on its catalog."""
        if self.kind == "demo":
            from auditlib.embedded import DEMO_DATABASE

            return {"kind": "demo", "database": DEMO_DATABASE}
        if self.kind == "snapshot":
            return {"kind": "snapshot", "path": self.path, **(catalog.source if catalog is not None else {})}
        if self.kind == "catalog":
            return {"kind": "snapshot", **self.catalog.source}
        if self.kind == "migrations":
            return dict(catalog.source) if catalog is not None else {"kind": "migrations", "path": self.path}
        return describe_source(self.address)

    def __repr__(self) -> str:
        return f"Source({self.kind}: {self.label})"

    def _masked(self) -> str:
        try:
            where = self.address
            return where.render() if isinstance(where, Address) else mask_dsn(where)
        except (SourceError, ValueError):
            return mask_dsn(self.dsn if isinstance(self.dsn, str) else None)


def resolve_source(dsn: str | sa.URL | sa.Engine | None = None, *, dsn_env: str | None = None, demo: bool = False,
                   snapshot: str | Path | None = None, migrations: str | Path | None = None,
                   catalog: Catalog | None = None, default: Literal["environment", "demo"] | None = "environment",
                   flags: Mapping[str, str] | None = None) -> Source | None:
    """The one source given, checked before any work: at most one choice, the file or folder exists, the named
    variable is set. Each refusal is one sentence naming the flags (``flags`` renames them, e.g. ``{"snapshot":
    "--against"}``).

    With nothing given: ``default="environment"`` is the database of ``AUDITLIB_DSN``, else ``DATABASE_URL``, else
    the PG* variables; ``"demo"`` the demo; None returns None (no source).
    """
    names = {**FLAGS, **(flags or {})}
    choices = {"dsn": dsn, "dsn_env": dsn_env, "demo": demo, "snapshot": snapshot, "migrations": migrations,
               "catalog": catalog}
    given = [name for name, value in choices.items() if value is not None and value is not False and value != ""]
    if len(given) > 1:
        raise SourceError(_conflict(given, names))
    if "snapshot" in given:
        if not Path(snapshot).is_file():
            raise SourceError(f"The snapshot file {snapshot} does not exist; write one with `auditlib catalog --dsn ... "
                              "--format json --output FILE`.")
        return Source("snapshot", path=str(snapshot))
    if "migrations" in given:
        folder = Path(migrations)
        if not folder.exists():
            raise SourceError(f"The migrations folder {folder} does not exist; pass the folder that holds your .sql "
                              "files (e.g. supabase/migrations).")
        if not folder.is_dir():
            raise SourceError(f"{folder} is a file, not a folder; pass the folder that holds your .sql files.")
        return Source("migrations", path=str(migrations))
    if "catalog" in given:
        return Source("catalog", catalog=catalog)
    if "dsn" in given:
        return Source("dsn", dsn=dsn)
    if "dsn_env" in given:
        if not os.environ.get(dsn_env):
            raise SourceError(f"The environment variable {dsn_env} is not set; set it to the DSN to audit.")
        return Source("env", dsn=os.environ[dsn_env], variable=dsn_env)
    if "demo" in given or default == "demo":
        return Source("demo")
    if default is None:
        return None
    variable = next((name for name in DSN_VARIABLES if os.environ.get(name)), None)
    return Source("env", dsn=os.environ[variable] if variable else None, variable=variable)


def source_of(value: Any = None, *, demo: bool = False, migrations: str | Path | None = None) -> Source:
    """``run_audit``'s source argument as a ``Source``: a ``Source`` as is; a ``Catalog``; a snapshot (a ``Path``, or
    a string ending in .json naming a file); else a DSN, URL or Engine (None: the environment's database)."""
    if isinstance(value, Source):
        return value
    if isinstance(value, Catalog):
        return resolve_source(catalog=value, demo=demo, migrations=migrations)
    if isinstance(value, Path) or (isinstance(value, str) and value.endswith(".json") and Path(value).exists()):
        return resolve_source(snapshot=value, demo=demo, migrations=migrations)
    return resolve_source(value, demo=demo, migrations=migrations)


@contextlib.contextmanager
def open_source(source: Source) -> Iterator[str | sa.URL | sa.Engine | Catalog | Path | None]:
    """Yield what to read: the database to connect to (a DSN, URL or Engine; None means the PG* variables) for a
    DSN or a variable; the demo's libpq connection string; the ``Catalog`` of a snapshot; the folder of a migration
    source. The embedded server is started for the demo (loading it when missing or stale) and for a migration
    folder (its scratch database), and stopped on exit only if it was started here."""
    if not source.needs_server:
        if source.kind == "snapshot":
            yield Catalog.read_snapshot(source.path)
        elif source.kind == "catalog":
            yield source.catalog
        else:
            yield source.dsn
        return
    from auditlib import embedded

    with embedded.owned_server(check=source.kind != "demo") as server:  # demo_conninfo's query is the check
        yield embedded.demo_conninfo(server) if source.kind == "demo" else Path(source.path)


def _conflict(given: list[str], names: Mapping[str, str]) -> str:
    """One sentence for two choices that exclude each other; the database flags are named together, as the audit's
    help groups them."""
    files = [name for name in given if name not in DATABASE_CHOICES]
    if files and len(files) < len(given):
        database = "/".join(names[name] for name in ("dsn", "demo"))
        return f"Give either {names[files[0]]} or a database ({database}), not both."
    return f"Give either {names[given[0]]} or {names[given[1]]}, not both."
