"""The apply pass: the statements run in order on a scratch database, each as if on its own.

Autocommit, as psql runs a file without ON_ERROR_STOP, after a platform stub. Consecutive simple statements go in
batches (in a failed batch the statement that failed runs again alone); failures are recorded with their SQLSTATE,
message and whether an earlier failure caused them.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from auditlib.migrations.progress import Progress
from auditlib.migrations.reading import MigrationFolder, MigrationsError, Statement, load_folder
from auditlib.migrations.static import columns_altered, inspect_statements, statement_effects, tables_touched

_MISSING_OBJECT = re.compile(r'(?:relation|table|function|type|schema|view|sequence) "?([^"\s(]+)"?(?:\(.*?\))? '
                             r'does not exist')


_SUPABASE_NAMES = re.compile(r"\b(?:auth|storage)\.|\bauthenticated\b|\bservice_role\b|\banon\b|\bsupabase_realtime\b")
# Words every match of _SUPABASE_NAMES holds: a statement without any of them is not looked at by the pattern
# (the pattern tried at every character of a 50 MB file took 2 s; these searches a few hundredths).
_SUPABASE_WORDS = ("auth", "storage", "service_role", "anon", "supabase_realtime")


def needs_supabase_stub(folder: MigrationFolder) -> bool:
    """True when the files use Supabase's platform (auth or storage schema, its roles, its realtime publication)."""
    return any(_SUPABASE_NAMES.search(s.text) for s in folder.statements
               if any(word in s.text for word in _SUPABASE_WORDS))


def stub_sql(stubs: str, folder: MigrationFolder | None) -> str:
    """The platform stub to load first: 'supabase', 'none', 'auto' (supabase when the files need it) or a file."""
    if stubs == "auto":
        stubs = "supabase" if needs_supabase_stub(folder) else "none"
    if stubs == "none":
        return ""
    if stubs == "supabase":
        return (resources.files("auditlib") / "stubs" / "supabase.sql").read_text(encoding="utf-8")
    path = Path(stubs)
    if not path.exists():
        raise MigrationsError(f"The stub file {path} does not exist; use --stubs supabase, none or an existing .sql "
                              "file.")
    return path.read_text(encoding="utf-8")


def stub_before_reading(stubs: str, paths: list[Path]) -> str | None:
    """The platform stub of ``stub_sql`` when it can be known before the files are split into statements: always,
    except for 'auto' with a file holding one of the Supabase words (then only its statements can tell: the words
    may be in comments). None then."""
    if stubs == "auto":
        for path in paths:
            data = path.read_bytes()
            if any(word.encode() in data for word in _SUPABASE_WORDS):
                return None
        return ""
    return stub_sql(stubs, None)


def _transaction_control(statement: Statement) -> bool:
    return statement.node_type == "TransactionStmt"


@dataclass
class AppliedStatement:
    """What happened to one statement in the apply pass."""

    statement: Statement
    ok: bool
    sqlstate: str | None = None
    message: str | None = None
    caused_by: int | None = None  # index of the earlier failed statement this failure follows from


# Statement types applied in batches. A batch is one multi-statement query, which the server runs as one implicit
# transaction, and none of these types behaves differently there than alone (unlike LOCK, SET LOCAL, VACUUM, CREATE
# INDEX CONCURRENTLY, temporary tables, cursors, COPY or a SELECT of any function, which always run alone).
# Deferred constraints are made immediate in a batch, so they are checked after each statement as they are alone.
# A batch that fails has changed nothing, so the statement that failed runs again alone and each failure keeps its
# own statement, SQLSTATE and message: a statement that fails only inside a transaction block (ALTER TYPE … ADD
# VALUE followed by a use of the value) still gets its outcome from running alone.
_BATCHED_TYPES = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "CommentStmt", "GrantStmt", "CreateStmt",
                            "IndexStmt", "AlterTableStmt", "CreatePolicyStmt", "CreateFunctionStmt",
                            "CreateTrigStmt", "ViewStmt", "DropStmt", "AlterPolicyStmt", "RenameStmt",
                            "AlterPublicationStmt", "CreateExtensionStmt", "CreateSchemaStmt", "DoStmt",
                            "AlterFunctionStmt", "AlterOwnerStmt", "AlterObjectSchemaStmt", "CreateEnumStmt",
                            "AlterEnumStmt", "CompositeTypeStmt", "CreateDomainStmt", "CreateSeqStmt", "AlterSeqStmt",
                            "AlterDefaultPrivilegesStmt", "CreateTableAsStmt"})
_BATCH_STATEMENTS, _BATCH_CHARACTERS = 512, 1_000_000
# What makes a DO block act differently inside a transaction: it ends the transaction, or sets or locks something
# until the transaction's end (which in a batch is after the statements that follow it).
_TRANSACTION_SCOPED = re.compile(r"\b(?:commit|rollback|set_config|lock|set\s+local|temp|temporary|"
                                 r"pg_advisory_xact_lock\w*)\b", re.I)


def _batchable(statement: Statement) -> bool:
    kind = statement.node_type
    if kind not in _BATCHED_TYPES:
        return False
    if kind == "DoStmt":
        return not _TRANSACTION_SCOPED.search(statement.text)
    if kind in ("CreateStmt", "CreateSeqStmt"):
        relation = statement.node.relation if kind == "CreateStmt" else statement.node.sequence
        return relation.relpersistence != "t"
    if kind == "CreateTableAsStmt":
        return statement.node.into.rel.relpersistence != "t"
    if kind in ("IndexStmt", "DropStmt"):
        return "concurrently" not in statement.text.lower() or not statement.node.concurrent
    return True


def _batch_sql(batch: list[Statement]) -> str:
    # A newline before each separator: a statement may end in a -- comment.
    return "SET CONSTRAINTS ALL IMMEDIATE;\n" + "\n;\n".join(s.text for s in batch)


def _run_batch(conn, batch: list[Statement]) -> int | None:
    """Run a batch as one query (one implicit transaction): None when every statement succeeded, else the position
    in the batch of the statement that failed, -1 when that is unknown. A failed batch has changed nothing.

    The server sends one result per statement, up to the one that failed; psycopg's ``execute`` keeps only the
    error, so the query goes through the connection's libpq wrapper and psycopg's non-blocking wait.
    """
    import psycopg
    from psycopg import pq
    from psycopg.generators import execute

    try:
        conn.pgconn.send_query(_batch_sql(batch).encode(conn.info.encoding))
        outcomes = conn.wait(execute(conn.pgconn))
    except psycopg.Error:  # the connection itself failed: running alone raises it where it belongs
        return -1
    for position, outcome in enumerate(outcomes):
        if outcome.status == pq.ExecStatus.FATAL_ERROR:
            return position - 1  # the first result is SET CONSTRAINTS'
    return None


def apply_folder(folder: MigrationFolder, url, stub: str, progress: Progress | None = None) -> list[AppliedStatement]:
    """Run every parsed statement in order on the scratch database, continuing past errors, as if each ran on its
    own (consecutive simple statements go in batches; in a failed batch the statement that failed runs again alone,
    the ones before it again as a batch)."""
    # While the server applies, this process builds what the checks read of each statement (parse trees and
    # effects) and imports the checks: the apply pass waits on the server, so on a second core this costs no time.
    # A statement this thread has not reached yet is built where it is needed, as before (building one twice is
    # harmless).
    static_pass = threading.Thread(target=_inspect_quietly, args=(folder,), name="auditlib-static-pass", daemon=True)
    static_pass.start()
    totals: dict[str, int] = {}
    for statement in folder.statements:
        if _runnable(statement):
            totals[statement.file] = totals.get(statement.file, 0) + 1
    results = _apply(iter(folder.statements), url, stub, progress or Progress(), totals, folder.root)
    static_pass.join()
    return results


def apply_while_reading(folder: str | Path, url, stub: str,
                        progress: Progress | None = None) -> tuple[MigrationFolder, list[AppliedStatement]]:
    """Read a migration folder and apply its statements (as ``apply_folder``), each as soon as it is read: the
    server applies the first statements of a big file while the rest is split and parsed in a thread, which then
    goes on to the static pass. The stub must be known beforehand (``stub_before_reading``)."""
    import queue

    progress = progress or Progress()
    read: queue.SimpleQueue = queue.SimpleQueue()
    done: dict[str, Any] = {}
    totals: dict[str, int] = {}  # known once the folder is read: the progress lines say "N of M" from then on
    end = object()

    def reader() -> None:
        try:
            loaded = load_folder(folder, progress, on_statement=read.put)
        except BaseException as error:  # noqa: BLE001 -- raised again where the statements are taken
            done["error"] = error
            read.put(end)
            return
        done["folder"] = loaded
        for statement in loaded.statements:
            if _runnable(statement):
                totals[statement.file] = totals.get(statement.file, 0) + 1
        read.put(end)
        _inspect_quietly(loaded)

    def statements() -> Iterator[Statement]:
        while (statement := read.get()) is not end:
            yield statement
        if "error" in done:
            raise done["error"]

    thread = threading.Thread(target=reader, name="auditlib-reader", daemon=True)
    thread.start()
    results = _apply(statements(), url, stub, progress, totals, Path(folder))
    thread.join()
    return done["folder"], results


def _runnable(statement: Statement) -> bool:
    # unparsed statements and meta-commands are reported by the static pass; BEGIN/COMMIT are moot here
    return statement.node_type is not None and not _transaction_control(statement)


def _apply(statements: Iterator[Statement], url, stub: str, progress: Progress, totals: dict[str, int],
           root: Path) -> list[AppliedStatement]:
    """The apply pass over ``statements`` (taken as they come; only the runnable ones run), ``totals`` the runnable
    statements per file for the progress lines (a file missing from it is still being read), ``root`` the folder
    their files are in."""
    import psycopg

    from auditlib.connect import to_url

    target = to_url(url)
    # The URL's query carries the socket, the port and the settings the embedded server pins against the user's PG*
    # variables (an empty value is one of them: it keeps libpq from reading the variable).
    conninfo = {"host": target.host, "port": target.port, **target.query, "dbname": target.database,
                "user": target.username}
    results: list[AppliedStatement] = []
    failed_objects: dict[str, int] = {}
    failed_columns: dict[tuple[str, str], dict[str, int]] = {}

    def run_alone(conn, statement: Statement) -> bool:
        try:
            conn.execute(statement.text, prepare=False)
        except psycopg.Error as error:
            sqlstate = error.sqlstate or ""
            message = (error.diag.message_primary or str(error)).strip()
            caused_by = None
            missing = _MISSING_OBJECT.search(message)
            if missing:
                name = missing.group(1).split(".")[-1].strip('"')
                caused_by = failed_objects.get(name)
            if caused_by is None:  # e.g. an FK on a column whose type change failed just before
                for table in tables_touched(statement):
                    for column, index in failed_columns.get(table, {}).items():
                        if re.search(rf'\b{re.escape(column)}\b', message + " " + statement.text):
                            caused_by = index
                            break
            results.append(AppliedStatement(statement, ok=False, sqlstate=sqlstate, message=message,
                                            caused_by=caused_by))
            effects = statement_effects(statement)
            for kind, created in effects["created"]:
                failed_objects.setdefault(created[-1] if kind not in ("policy", "trigger", "index")
                                          else created[1], statement.index)
            for _, _, new in effects["renamed"]:  # the new name does not exist either
                failed_objects.setdefault(new[1], statement.index)
            for table, column in columns_altered(statement):
                failed_columns.setdefault(table, {}).setdefault(column, statement.index)
            return False
        results.append(AppliedStatement(statement, ok=True))
        return True

    batch: list[Statement] = []
    batch_limit, batch_characters, successes_alone = 16, 0, 0

    def run_together(conn, statements: list[Statement], proven: bool = False) -> None:
        # Batches grow while they succeed and shrink when they fail, so a folder full of failures soon runs its
        # statements one at a time. A failed batch has changed nothing, and the server's results say which statement
        # failed: the ones before it run again as a batch (``proven``: they just succeeded together), the failing
        # one alone, for its own outcome, SQLSTATE and message, and the ones after it as the next batch.
        nonlocal batch_limit, successes_alone
        while statements:
            if len(statements) > 1 and (batch_limit > 1 or proven):
                failed_at = _run_batch(conn, statements)
                if failed_at is None:
                    results.extend(AppliedStatement(s, ok=True) for s in statements)
                    batch_limit = batch_limit if proven else min(batch_limit * 2, _BATCH_STATEMENTS)
                    return
                batch_limit = max(batch_limit // 2, 1)
                if 0 <= failed_at < len(statements):
                    if failed_at:
                        run_together(conn, statements[:failed_at], proven=True)
                    run_alone(conn, statements[failed_at])
                    statements, proven = statements[failed_at + 1:], False
                    continue
            for statement in statements:  # alone, as when the results did not say which statement failed
                if run_alone(conn, statement) and batch_limit == 1:
                    successes_alone += 1
                    if successes_alone >= 4:
                        batch_limit, successes_alone = 2, 0
            return

    def flush(conn) -> None:
        nonlocal batch_characters
        run_together(conn, list(batch))
        batch.clear()
        batch_characters = 0

    done: dict[str, int] = {}
    session = _Session({k: v for k, v in conninfo.items() if v is not None}, root)
    try:
        conn = session.conn
        if stub:
            conn.execute(stub)
        for statement in statements:
            if not _runnable(statement):
                continue
            done[statement.file] = done.get(statement.file, 0) + 1
            progress.update(f"applying {statement.file}", done[statement.file], totals.get(statement.file))
            if _batchable(statement):
                batch.append(statement)
                batch_characters += len(statement.text)
                if len(batch) >= batch_limit or batch_characters >= _BATCH_CHARACTERS:
                    flush(conn)
                    conn = session.renewed(len(results), statement)
            else:
                flush(conn)
                conn = session.renewed(len(results), statement)
                run_alone(conn, statement)
        flush(conn)
    finally:
        session.close()
    return results


# Statements one server session applies before a new session takes over. A session keeps every plan its foreign
# keys' checks made (one per constraint it checked), and every change to a table makes the server look through all
# of them: in one session a long file's apply pass grows with the square of its length (a 20 MB file spent a third
# of the server's time there). A new session starts with none.
_SESSION_STATEMENTS = 4_000
# A file that reads a sequence's value for this session (currval, lastval) runs in the session that ran its nextval.
_SESSION_BOUND = re.compile(rb"\b(?:currval|lastval)\s*\(")  # in a file's lowered bytes


class _Session:
    """The apply pass's connection to the scratch database, renewed every ``_SESSION_STATEMENTS`` statements with
    the old session's settings (those the files set, and the defaults it started with where ALTER DATABASE or ALTER
    ROLE ... SET changed them since), session user and role, as long as the old one holds nothing a new one cannot
    take over (temporary objects, prepared statements, cursors, LISTEN, advisory locks) and the statement that comes
    next is not in a file that reads its session's sequence values."""

    def __init__(self, conninfo: dict[str, Any], root: Path):
        self._conninfo = conninfo
        self._root = root
        self._session_bound: dict[str, bool] = {}  # file -> whether it reads its session's sequence values
        self.conn = self._connect()
        self._renew_at = _SESSION_STATEMENTS

    def _connect(self):
        import psycopg

        return psycopg.connect(**self._conninfo, autocommit=True, application_name="auditlib-migrations")

    def _reads_sequence_values(self, file: str) -> bool:
        # From the file's text (comments included), read once: when the statements are applied as they are read,
        # the file's later statements are not known yet.
        if file not in self._session_bound:
            data = (self._root / file).read_bytes().lower()
            self._session_bound[file] = (b"currval" in data or b"lastval" in data) and \
                _SESSION_BOUND.search(data) is not None
        return self._session_bound[file]

    def renewed(self, applied: int, upcoming: Statement):
        """The connection for the statement ``upcoming``, ``applied`` statements into the pass: a new session when
        this one is due for renewal and can hand over, else this one."""
        if applied < self._renew_at or self._reads_sequence_values(upcoming.file):
            return self.conn
        self._renew_at = applied + _SESSION_STATEMENTS
        import psycopg
        from psycopg import sql

        from auditlib.catalog import read_sql

        try:
            settings, session_user, current_user, pinned = self.conn.execute(
                read_sql("migrations/session_state.sql"), prepare=False).fetchone()
        except psycopg.Error:  # the session cannot say: it goes on, and its next statement says what is wrong
            self._renew_at = float("inf")
            return self.conn
        if pinned:
            return self.conn
        fresh = None
        try:
            fresh = self._connect()
            if session_user != self.conn.info.user:
                fresh.execute(sql.SQL("SET SESSION AUTHORIZATION {}").format(sql.Identifier(session_user)))
            if current_user != session_user:
                fresh.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(current_user)))
            started_with = dict(fresh.execute(read_sql("migrations/session_state.sql"), prepare=False).fetchone()[0])
            for name, value in settings:
                if started_with.get(name) != value:
                    fresh.execute("SELECT pg_catalog.set_config(%s, %s, false)", [name, value], prepare=False)
        except Exception:  # noqa: BLE001 -- no new session, or one refusing a setting: the old session goes on
            if fresh is not None:
                fresh.close()
            self._renew_at = float("inf")
            return self.conn
        self.conn.close()
        self.conn = fresh
        return fresh

    def close(self) -> None:
        self.conn.close()


def _inspect_quietly(folder: MigrationFolder) -> None:
    from auditlib.checks import load_checks

    try:
        inspect_statements(folder)
        # the checks run next: their modules are imported here, while the server applies, rather than after it
        load_checks()
    except Exception:  # the checks build the same statement again (or import again) and report what is wrong there
        pass


@dataclass
class MigrationRun:
    """A folder after both passes: what the migration checks read."""

    folder: MigrationFolder
    results: list[AppliedStatement]
    platform_tables: set[tuple[str, str]]
    database_url: Any = None


def scratch_database_name(root: Path) -> str:
    """The scratch database of a folder (its path): one per folder, so two folders can be audited at once."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:10]
    return f"auditlib_migrations_{digest}"
