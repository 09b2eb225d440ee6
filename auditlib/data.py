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
goes on with its next object. Queries bring back aggregates and a few sample keys, never whole tables. Queries
about several small tables are asked in one statement (``all_each``, ``one_each``); when it fails, they are asked
again one by one, so that a skipped entry still names the one object whose query failed.

A data query costs the server a millisecond or two, so round trips are most of a data check's time. When every
session of the engine already carries the limits (``session_limits``: the audit's own ``read_only_engine``), a query
is one round trip: it runs on its own (autocommit), in the implicit transaction the session makes read-only and
time-limited. On any other engine each transaction sets them itself (one more round trip, plus BEGIN and ROLLBACK).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from auditlib.catalog import read_sql
from auditlib.config import AuditConfig
from auditlib.connect import SessionLimits

if TYPE_CHECKING:
    import sqlalchemy as sa

SAMPLE_SIZE = 5  # sample keys a finding carries
# Small tables are read several to a statement (a UNION ALL): the server reads one in well under a millisecond, so a
# round trip each would be most of the time. A batch holds up to BATCH_ROWS rows in all (planner estimates) and
# BATCH_QUERIES queries; a larger table keeps its own statement (its cost is the reading, not the round trip).
BATCH_ROWS = 10_000
BATCH_QUERIES = 100

Item = TypeVar("Item")
# A bound parameter in a query's text, as sqlalchemy.text finds them (:name; not a ::cast, not an escaped \:)
_BIND = re.compile(r"(?<![:\w\x5c]):(\w+)(?![:\w])")


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
    # the limits every session of the engine carries from its start (read_only_engine's); None: not known
    session_limits: SessionLimits | None = None

    @property
    def statement_timeout_ms(self) -> int:
        return int(self.config.get("data", "statement_timeout_ms"))

    @property
    def limits(self) -> SessionLimits:
        """What every data query runs under: read-only, with the configured statement and lock timeouts."""
        return SessionLimits(statement_timeout_ms=self.statement_timeout_ms,
                             lock_timeout_ms=int(self.config.get("data", "lock_timeout_ms")), read_only=True)

    @property
    def sessions_limited(self) -> bool:
        """Whether the engine's sessions are read-only with the configured timeouts from their start, so that a
        transaction needs no settings of its own."""
        return self.session_limits == self.limits

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
            if not self.sessions_limited:
                # one round trip, not two (a data check's query is often a few milliseconds): turning
                # transaction_read_only on is what SET TRANSACTION READ ONLY does, and is allowed after the first
                # query
                conn.execute(sa.text("SELECT pg_catalog.set_config('transaction_read_only', 'on', true), "
                                     "pg_catalog.set_config('statement_timeout', :t, true), "
                                     "pg_catalog.set_config('lock_timeout', :l, true)"),
                             {"t": str(self.limits.statement_timeout_ms), "l": str(self.limits.lock_timeout_ms)})
            try:
                yield conn
            finally:
                conn.rollback()

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[sa.Row]:
        """Run one read-only query and return its rows; failures raise QuerySkipped with the reason."""
        import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

        self.queries += 1
        try:
            if self.sessions_limited:
                # one round trip: no BEGIN, settings or ROLLBACK; the session makes its implicit transaction
                # read-only and time-limited
                with self.engine.connect() as conn:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    return list(conn.execute(sa.text(sql), dict(params or {})).all())
            with self.connection() as conn:
                return list(conn.execute(sa.text(sql), dict(params or {})).all())
        except sa.exc.DBAPIError as error:
            raise QuerySkipped(explain_query_error(error)) from None

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> sa.Row | None:
        """Run one read-only query and return its first row (or None)."""
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def all_each(self, queries: Sequence[str], rows: Sequence[int | None],
                 params: Sequence[Mapping[str, Any]] | None = None) -> list[list[sa.Row] | QuerySkipped]:
        """The rows each query answers (``params``: each query's parameters), in order.

        Queries reading few rows (``rows``: the planner's estimate of the rows each reads; None to ask it alone) are
        asked several to a statement (``batched``, ``union_all``; each keeps its own parameters). When a statement
        of several fails, each of its queries is asked on its own, so that only a query that fails itself answers a
        QuerySkipped (with the reason)."""
        own = list(params) if params is not None else [{}] * len(queries)
        answers: list[list[sa.Row] | QuerySkipped] = [[] for _ in queries]
        for batch in batched(range(len(queries)), lambda n: rows[n]):
            asked = self._ask([queries[n] for n in batch], [own[n] for n in batch])
            for n, answer in zip(batch, asked, strict=True):
                answers[n] = answer
        return answers

    def one_each(self, queries: Sequence[str], rows: Sequence[int | None]) -> list[sa.Row | None | QuerySkipped]:
        """The row each query answers (each one row of the same columns, such as an aggregate), asked as
        ``all_each`` asks them."""
        return [answer if isinstance(answer, QuerySkipped) else answer[0] if answer else None
                for answer in self.all_each(queries, rows)]

    def _ask(self, queries: list[str], params: list[Mapping[str, Any]]) -> list[list[sa.Row] | QuerySkipped]:
        if len(queries) > 1:
            parts, bound = [], {}
            for n, (query, own) in enumerate(zip(queries, params, strict=True)):
                parts.append(_BIND.sub(lambda m, own=own, n=n: f":{m[1]}_{n}" if m[1] in own else m[0], query))
                bound.update({f"{name}_{n}": value for name, value in own.items()})
            try:
                answers: list[list[sa.Row] | QuerySkipped] = [[] for _ in queries]
                for row in self.all(union_all(parts), bound):
                    answers[row.part].append(row)
                return answers
            except QuerySkipped:
                pass  # which query failed is found by asking them one by one
        answers = []
        for query, own in zip(queries, params, strict=True):
            try:
                answers.append(self.all(query, own))
            except QuerySkipped as error:
                answers.append(error)
        return answers

    @contextlib.contextmanager
    def guard(self, check: str, obj: str) -> Iterator[None]:
        """Turn a QuerySkipped inside the block into a skipped entry for (check, object) and carry on."""
        try:
            yield
        except QuerySkipped as error:
            self.skipped.append({"check": check, "object": obj, "reason": str(error)})

    def skip(self, check: str, obj: str | None, reason: str) -> None:
        """Record that a check (or one object of it) could not run."""
        entry = {"check": check, "object": obj, "reason": reason}  # in the order guard writes them
        if not obj:
            del entry["object"]
        self.skipped.append(entry)


@functools.cache
def data_sql(name: str) -> str:
    """A data-check query shipped in ``auditlib/sql/data/`` (read once per process)."""
    return read_sql(f"data/{name}")


def batched(items: Sequence[Item], rows: Callable[[Item], int | None]) -> list[list[Item]]:
    """``items`` cut into batches of queries to ask in one statement: those reading few rows (``rows(item)``, the
    planner's estimate of the rows a query reads; None for a query to ask alone) first, in order, up to BATCH_ROWS
    rows and BATCH_QUERIES queries a batch; then each of the others alone."""
    batches: list[list[Item]] = []
    alone: list[list[Item]] = []
    total = 0
    for item in items:
        estimate = rows(item)
        if estimate is None:
            alone.append([item])
        elif batches and total + estimate <= BATCH_ROWS and len(batches[-1]) < BATCH_QUERIES:
            batches[-1].append(item)
            total += estimate
        else:
            batches.append([item])
            total = estimate
    return batches + alone


def union_all(queries: Sequence[str]) -> str:
    """One statement answering ``queries``: the rows of each, led by its position in the list (``part``)."""
    from psycopg import sql

    return sql.SQL("\nUNION ALL\n").join(
        sql.SQL("SELECT {} AS part, q.* FROM ({}) AS q").format(sql.Literal(n), sql.SQL(_without_header(query)))
        for n, query in enumerate(queries)).as_string()


def _without_header(query: str) -> str:
    lines = query.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines)


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
