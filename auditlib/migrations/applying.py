"""The apply pass: the statements run in order on a scratch database, each as if on its own.

Autocommit, as psql runs a file without ON_ERROR_STOP, after a platform stub. Consecutive simple statements go in
batches (a failed batch is rerun one statement at a time); failures are recorded with their SQLSTATE, message and
whether an earlier failure caused them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from auditlib.migrations.progress import Progress
from auditlib.migrations.reading import MigrationFolder, MigrationsError, Statement
from auditlib.migrations.static import columns_altered, statement_effects, tables_touched

_MISSING_OBJECT = re.compile(r'(?:relation|table|function|type|schema|view|sequence) "?([^"\s(]+)"?(?:\(.*?\))? '
                             r'does not exist')


def needs_supabase_stub(folder: MigrationFolder) -> bool:
    """True when the files use Supabase's platform (auth or storage schema, its roles, its realtime publication)."""
    return any(re.search(r"\b(?:auth|storage)\.|\bauthenticated\b|\bservice_role\b|\banon\b|\bsupabase_realtime\b",
                         s.text) for s in folder.statements)


def stub_sql(stubs: str, folder: MigrationFolder) -> str:
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
# INDEX CONCURRENTLY, temporary tables, cursors or COPY, which always run alone). Deferred constraints are made
# immediate in a batch, so they are checked after each statement as they are alone. A batch that fails has changed
# nothing, so its statements run again one at a time and each failure keeps its own statement, SQLSTATE and message.
_BATCHED_TYPES = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "CommentStmt", "GrantStmt", "CreateStmt",
                            "IndexStmt", "AlterTableStmt", "CreatePolicyStmt", "CreateFunctionStmt",
                            "CreateTrigStmt", "ViewStmt"})
_BATCH_STATEMENTS, _BATCH_CHARACTERS = 512, 1_000_000


def _batchable(statement: Statement) -> bool:
    if statement.node_type not in _BATCHED_TYPES:
        return False
    if statement.node_type == "CreateStmt":
        return statement.node.relation.relpersistence != "t"
    if statement.node_type == "IndexStmt":
        return not statement.node.concurrent
    return True


def _batch_sql(batch: list[Statement]) -> str:
    # A newline before each separator: a statement may end in a -- comment.
    return "SET CONSTRAINTS ALL IMMEDIATE;\n" + "\n;\n".join(s.text for s in batch)


def apply_folder(folder: MigrationFolder, url, stub: str, progress: Progress | None = None) -> list[AppliedStatement]:
    """Run every parsed statement in order on the scratch database, continuing past errors, as if each ran on its
    own (consecutive simple statements go in batches; a failed batch is rerun one statement at a time)."""
    import psycopg

    from auditlib.connect import to_url

    target = to_url(url)
    # The URL's query carries the socket, the port and the settings the embedded server pins against the user's PG*
    # variables (an empty value is one of them: it keeps libpq from reading the variable).
    conninfo = {"host": target.host, "port": target.port, **target.query, "dbname": target.database,
                "user": target.username}
    progress = progress or Progress()
    # unparsed statements and meta-commands are reported by the static pass; BEGIN/COMMIT are moot here
    runnable = [s for s in folder.statements if s.node_type is not None and not _transaction_control(s)]
    totals: dict[str, int] = {}
    for statement in runnable:
        totals[statement.file] = totals.get(statement.file, 0) + 1
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

    def flush(conn) -> None:
        # Batches grow while they succeed and shrink when they fail, so a folder full of failures soon runs its
        # statements one at a time instead of running each twice.
        nonlocal batch_limit, batch_characters, successes_alone
        if len(batch) > 1:
            try:
                conn.execute(_batch_sql(batch), prepare=False)
            except psycopg.Error:
                batch_limit = max(batch_limit // 4, 1)
            else:
                results.extend(AppliedStatement(s, ok=True) for s in batch)
                batch_limit = min(batch_limit * 2, _BATCH_STATEMENTS)
                batch.clear()
                batch_characters = 0
                return
        for statement in batch:
            if run_alone(conn, statement) and batch_limit == 1:
                successes_alone += 1
                if successes_alone >= 32:
                    batch_limit, successes_alone = 2, 0
        batch.clear()
        batch_characters = 0

    done: dict[str, int] = {}
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v is not None}, autocommit=True,
                         application_name="auditlib-migrations") as conn:
        if stub:
            conn.execute(stub)
        for statement in runnable:
            done[statement.file] = done.get(statement.file, 0) + 1
            progress.update(f"applying {statement.file}", done[statement.file], totals[statement.file])
            if _batchable(statement):
                batch.append(statement)
                batch_characters += len(statement.text)
                if len(batch) >= batch_limit or batch_characters >= _BATCH_CHARACTERS:
                    flush(conn)
            else:
                flush(conn)
                run_alone(conn, statement)
        flush(conn)
    return results



@dataclass
class MigrationRun:
    """A folder after both passes: what the migration checks read."""

    folder: MigrationFolder
    results: list[AppliedStatement]
    platform_tables: set[tuple[str, str]]
    database_url: Any = None


def scratch_database_name(folder: MigrationFolder) -> str:
    """The scratch database of a folder: one per folder path, so two folders can be audited at once."""
    digest = hashlib.sha256(str(folder.root.resolve()).encode()).hexdigest()[:10]
    return f"auditlib_migrations_{digest}"
