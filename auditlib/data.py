"""What data-level checks use to query an audited database: read-only, time-limited, skip-don't-fail.

A data check is registered with ``kind="data"`` and receives a ``DataContext`` as its ``data`` argument:

    @check(name="orphan_rows", category="data", severity="high", kind="data")
    def orphan_rows(catalog, config, data: DataContext):
        for ref in ...:
            with data.guard("orphan_rows", "public.invoices.project_id"):
                row = data.one(ORPHANS_SQL, {...})
                ...

Every query runs in its own read-only transaction with the configured statement and lock timeouts, so a query
that times out, is denied or hits a lock becomes a ``skipped`` entry with the reason (via ``guard``) and the check
goes on with its next object. Queries bring back aggregates and a few sample keys, never whole tables.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditlib.catalog import read_sql
from auditlib.config import AuditConfig

if TYPE_CHECKING:
    import sqlalchemy as sa

SAMPLE_SIZE = 5  # sample keys a finding carries


class QuerySkipped(RuntimeError):
    """A query could not run (timeout, permission, lock); the message says why in one sentence."""


def explain_query_error(error: Exception) -> str:
    """One sentence for a failed data query, from its SQLSTATE."""
    original = getattr(error, "orig", error)
    sqlstate = getattr(original, "sqlstate", None) or ""
    first = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    if sqlstate == "57014":
        return f"the query was cancelled by the statement timeout ({first})"
    if sqlstate == "55P03":
        return f"a lock held by another session blocked the query ({first})"
    if sqlstate in ("42501",):
        return f"permission denied ({first})"
    if sqlstate == "25006":
        return f"the query tried to write in a read-only transaction ({first})"
    return f"{first} (SQLSTATE {sqlstate or 'unknown'})"


@dataclass
class DataContext:
    """A read-only way into the audited database for data checks, collecting what had to be skipped."""

    engine: sa.Engine
    config: AuditConfig
    skipped: list[dict[str, str]] = field(default_factory=list)
    queries: int = 0

    @property
    def statement_timeout_ms(self) -> int:
        return int(self.config.get("data", "statement_timeout_ms"))

    @property
    def workers(self) -> int:
        """Data checks run at once, each query on its own connection (``data.workers``; 1 = one after another)."""
        return max(1, int(self.config.get("data", "workers")))

    def for_check(self) -> DataContext:
        """A context for one check: the same engine and config, its own skipped entries and query count."""
        return dataclasses.replace(self, skipped=[], queries=0)

    def absorb(self, other: DataContext) -> None:
        """Take over what a check's own context recorded (skipped entries, query count)."""
        self.skipped.extend(other.skipped)
        self.queries += other.queries

    @contextlib.contextmanager
    def connection(self) -> Iterator[sa.Connection]:
        """A connection in a read-only transaction with the configured timeouts; rolled back at the end."""
        import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

        with self.engine.connect() as conn:
            # one round trip, not two (a data check's query is often a few milliseconds): turning
            # transaction_read_only on is what SET TRANSACTION READ ONLY does, and is allowed after the first query
            conn.execute(sa.text("SELECT pg_catalog.set_config('transaction_read_only', 'on', true), "
                                 "pg_catalog.set_config('statement_timeout', :t, true), "
                                 "pg_catalog.set_config('lock_timeout', :l, true)"),
                         {"t": str(self.statement_timeout_ms),
                          "l": str(int(self.config.get("data", "lock_timeout_ms")))})
            try:
                yield conn
            finally:
                conn.rollback()

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[sa.Row]:
        """Run one read-only query and return its rows; failures raise QuerySkipped with the reason."""
        import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

        self.queries += 1
        try:
            with self.connection() as conn:
                return list(conn.execute(sa.text(sql), dict(params or {})).all())
        except sa.exc.DBAPIError as error:
            raise QuerySkipped(explain_query_error(error)) from None

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> sa.Row | None:
        """Run one read-only query and return its first row (or None)."""
        rows = self.all(sql, params)
        return rows[0] if rows else None

    @contextlib.contextmanager
    def guard(self, check: str, obj: str) -> Iterator[None]:
        """Turn a QuerySkipped inside the block into a skipped entry for (check, object) and carry on."""
        try:
            yield
        except QuerySkipped as error:
            self.skipped.append({"check": check, "object": obj, "reason": str(error)})

    def skip(self, check: str, obj: str | None, reason: str) -> None:
        """Record that a check (or one object of it) could not run."""
        entry = {"check": check, "reason": reason}
        if obj:
            entry["object"] = obj
        self.skipped.append(entry)


def data_sql(name: str) -> str:
    """A data-check query shipped in ``auditlib/sql/data/``."""
    return read_sql(f"data/{name}")


def compose(name: str, **identifiers: Any) -> str:
    """A data query from ``sql/data/<name>`` with ``{placeholders}`` filled by quoted identifiers.

    A tuple is a qualified name (``("public", "invoices")`` → ``"public"."invoices"``); a list is a comma-separated
    column list; a psycopg ``Composable`` (a fragment built from ``sql.Identifier``) goes in as it is. Values are
    never pasted in: they are bound as ``:parameters`` when the query runs.
    """
    from psycopg import sql

    parts: dict[str, sql.Composable] = {}
    for key, value in identifiers.items():
        if isinstance(value, sql.Composable):
            parts[key] = value
        elif isinstance(value, tuple):
            parts[key] = sql.Identifier(*value)
        elif isinstance(value, list):
            parts[key] = sql.SQL(", ").join(sql.Identifier(v) for v in value)
        else:
            parts[key] = sql.Identifier(value)
    return sql.SQL(data_sql(name)).format(**parts).as_string()
