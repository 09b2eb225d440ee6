"""Checks on a folder of SQL migration files (kind "migrations"): they read the parsed folder and the apply pass.

Their input is a MigrationRun: the folder's files and statements, what each statement creates, drops and references
(``statement_effects``, ``created_table``), and what happened to each in the apply pass. They read no parse trees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding

if TYPE_CHECKING:  # the migrations package is imported by these checks when they run (migration mode only)
    from auditlib.migrations import MigrationRun
    from auditlib.migrations.reading import MigrationFolder, Statement

PLATFORM_REFERENCES = {("public", "users"): ("auth", "users")}  # a bare `users` where the platform has auth.users
RENAMED = -1  # table_defined_multiple: the name exists because a rename gave it to another table


def _where(catalog: Catalog, config: AuditConfig, target: tuple[str, str] | None) -> dict[str, str | None]:
    """``schema`` and ``table`` of a finding on a statement's target. A finding with a schema outside the audited
    ones is dropped, and a failing statement must not be: then the target is only named in the evidence."""
    if target is None or target[0] not in config.audited_schemas(list(catalog.schemas["name"])):
        return {"schema": None, "table": None}
    return {"schema": target[0], "table": target[1]}


@check(name="sql_parse_error", category="migrations", severity="high", kind="migrations")
def sql_parse_error(catalog: Catalog, config: AuditConfig, migration_run: MigrationRun) -> Iterator[Finding]:
    """A migration file holds a statement that does not parse (or a psql meta-command).

    Why it matters: the migration tool stops at this statement, or — run by psql without ON_ERROR_STOP — skips it,
    so every database built from the folder silently lacks what it should have created.

    How to fix: correct the statement at the reported line (the parser's message says what it expected), or move
    psql meta-commands such as \\i and \\set out of migration files.
    """
    from auditlib.migrations import statement_target

    folder = migration_run.folder
    for statement in folder.statements:
        if statement.parse_error:
            first = statement.text.strip().splitlines()[0][:120] if statement.text.strip() else ""
            target = statement_target(statement)
            yield Finding(
                **_where(catalog, config, target), column=None, object=f"{statement.file}:{statement.line}",
                title="Statement does not parse",
                detail=f"{statement.file} line {statement.error_line or statement.line}: {statement.parse_error}; "
                       "this statement is skipped and the rest of the folder is still audited.",
                evidence={"message": statement.parse_error, "statement_start": first,
                          "error_line": statement.error_line, "target": ".".join(target) if target else None},
                file=statement.file, line=statement.error_line or statement.line)
        elif statement.meta_command:
            yield Finding(
                schema=None, table=None, column=None, object=f"{statement.file}:{statement.line}",
                title="psql meta-command", severity="low",
                detail=f"{statement.file} line {statement.line}: {statement.text!r} is a psql meta-command, not "
                       "SQL; migration tools other than psql fail on it, and auditlib does not run it.",
                evidence={"command": statement.text}, file=statement.file, line=statement.line)


@check(name="migration_file_not_utf8", category="migrations", severity="low", kind="migrations")
def migration_file_not_utf8(catalog: Catalog, config: AuditConfig, migration_run: MigrationRun) -> Iterator[Finding]:
    """A migration file is not valid UTF-8 (typically Latin-1 or Windows-1252 text from an old editor).

    Why it matters: psql and migration tools send files as UTF-8, and the server rejects a statement holding an
    invalid byte ("invalid byte sequence for encoding UTF8"), even inside a comment; auditlib reads the file as
    Latin-1 to go on, so names and strings may not be what a UTF-8 reader sees.

    How to fix: convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`) or correct the byte at the reported
    line and column.
    """
    folder = migration_run.folder
    for name, where in folder.invalid_utf8.items():
        yield Finding(
            schema=None, table=None, column=None, object=name,
            title="Migration file is not valid UTF-8",
            detail=f"{name} line {where.line}, column {where.column}: byte 0x{where.byte:02x} (offset {where.offset} "
                   "in the file) is not valid UTF-8; auditlib read the file as Latin-1, but psql and migration tools "
                   "read UTF-8 and reject the statement that holds it.",
            evidence={"line": where.line, "column": where.column, "byte_offset": where.offset,
                      "byte": f"0x{where.byte:02x}", "read_as": folder.decoding.get(name, "latin-1")},
            file=name, line=where.line)


@check(name="table_defined_multiple", category="duplicates", severity="high", kind="migrations",
       report_section="duplicates.defined_multiple")
def table_defined_multiple(catalog: Catalog, config: AuditConfig, migration_run: MigrationRun) -> Iterator[Finding]:
    """The same table is created by CREATE TABLE in more than one migration file.

    Definitions that differ (columns, types or foreign keys) are high; identical copies are low. A table renamed
    away takes its definitions with it, so creating its old name again is a new table.

    Why it matters: only one definition ends up in force (the first, unless the table is dropped in between); the
    others are skipped by IF NOT EXISTS or fail, so code written against them finds columns and foreign keys that
    do not exist.

    How to fix: keep one definition, move the differences into ALTER TABLE migrations, and consolidate the data
    of any copies; the evidence lists the columns that differ and which definition is in force.
    """
    from auditlib.migrations import created_table, statement_effects

    # What each CREATE did is what the apply pass saw happen (a first CREATE that failed leaves the table
    # to a later one); a statement the apply pass did not run is simulated.
    folder, applied = migration_run.folder, migration_run.results
    outcome_of = {a.statement.index: a for a in applied or []}
    definitions: dict[tuple[str, str], list[dict]] = {}
    exists: dict[tuple[str, str], int | None] = {}  # table -> index in definitions list of the one in force
    for statement in folder.parsed():
        created = created_table(statement)
        if created is not None:
            table = created["table"]
            entry = {"file": statement.file, "line": statement.line, "if_not_exists": created["if_not_exists"],
                     "columns": created["columns"], "foreign_keys": created["foreign_keys"]}
            definitions.setdefault(table, []).append(entry)
            applied_result = outcome_of.get(statement.index)
            if applied_result is not None and not applied_result.ok:
                entry["outcome"] = f"fails: {applied_result.message}"
            elif exists.get(table) is None:
                exists[table] = len(definitions[table]) - 1
                entry["outcome"] = "creates the table"
            else:
                entry["outcome"] = ("skipped: the table already exists (IF NOT EXISTS)" if created["if_not_exists"]
                                    else "fails: the table already exists")
        elif statement.node_type == "DropStmt":
            for kind, dropped in statement_effects(statement)["dropped"]:
                if kind == "table":
                    exists[dropped] = None
        elif statement.node_type in ("RenameStmt", "AlterObjectSchemaStmt"):
            for _, old, new in statement_effects(statement)["renamed"]:
                # The definitions go with the table; the old name is free for a new table.
                if old in definitions and new not in definitions:
                    definitions[new] = definitions.pop(old)
                    exists[new] = exists.pop(old, None)
                else:
                    exists[new] = RENAMED
                exists[old] = None
    for table, entries in sorted(definitions.items()):
        files = sorted({e["file"] for e in entries})
        if len(files) < 2:
            continue
        in_force = entries[exists[table]] if exists.get(table) not in (None, RENAMED) else None
        all_columns = sorted({c for e in entries for c in e["columns"]})
        diff = [{"column": column, **{f"{e['file']}:{e['line']}": (e["columns"].get(column, "—")
                                                                   + (f" → {e['foreign_keys'][column]}"
                                                                      if column in e["foreign_keys"] else ""))
                                      for e in entries}} for column in all_columns
                if len({(e["columns"].get(column), e["foreign_keys"].get(column)) for e in entries}) > 1]
        first = entries[0]
        # Copies of one definition are clutter; definitions that differ leave code expecting columns that may not
        # exist, depending on which ran first.
        identical = not diff
        yield Finding(
            schema=table[0], table=table[1], column=None, severity="low" if identical else None,
            title=(f"Identical table definition repeated in {len(files)} files" if identical else
                   f"Table defined {len(entries)} times in {len(files)} files, differently"),
            detail=f"{'.'.join(table)} is created in {', '.join(files)}; "
                   + (f"the definition in force is {in_force['file']} line {in_force['line']}" if in_force else
                      "the table in force got its name from a rename" if exists.get(table) == RENAMED else
                      "no definition survives (dropped or renamed last)")
                   + (", and the definitions are identical (columns, types and foreign keys)." if identical else
                      f", and {len(diff)} columns differ between the definitions."),
            evidence={"definitions": [{k: v for k, v in e.items()} for e in entries],
                      "in_force": {"file": in_force["file"], "line": in_force["line"]} if in_force else None,
                      "identical": identical, "column_diff": diff},
            file=first["file"], line=first["line"])


@check(name="ref_target_missing", category="migrations", severity="high", kind="migrations")
def ref_target_missing(catalog: Catalog, config: AuditConfig, migration_run: MigrationRun) -> Iterator[Finding]:
    """A REFERENCES points at a table no file creates, or that only a later file creates.

    Why it matters: the statement fails when the files run in order, so the table or the foreign key is missing in
    every database built from the folder; a reference to `users` where the platform has `auth.users` is the
    common case.

    How to fix: create the parent table first (reorder or split the migration), or point the reference at the
    table that exists (e.g. auth.users).
    """
    from auditlib.migrations import created_table, statement_effects

    folder, platform_tables = migration_run.folder, migration_run.platform_tables
    # Where each name first comes to exist: CREATE, or a rename / SET SCHEMA that gives a relation this name.
    created_at: dict[tuple[str, str], tuple[int, str, int]] = {}
    for statement in folder.parsed():
        effects = statement_effects(statement)
        named = [target[:2] for kind, target in effects["created"] if kind in ("table", "view")]
        for name in named + [new for _, _, new in effects["renamed"]]:
            created_at.setdefault(name, (statement.index, statement.file, statement.line))
    # Then the folder in order: which names exist, which stopped existing (and how), which columns were renamed.
    live: set[tuple[str, str]] = set()
    gone: dict[tuple[str, str], str] = {}
    renamed_columns: dict[tuple[str, str], dict[str, str]] = {}
    for statement in folder.parsed():
        effects = statement_effects(statement)
        where = f"{statement.file} line {statement.line}"
        created = created_table(statement)
        # CREATE TABLE IF NOT EXISTS of a table that exists is skipped, its REFERENCES with it.
        skipped = created is not None and created["if_not_exists"] and (created["table"] in live
                                                                          or created["table"] in platform_tables)
        for kind, target in effects["created"]:
            if kind in ("table", "view") and target[:2] not in live:
                live.add(target[:2])
                gone.pop(target[:2], None)
                renamed_columns.pop(target[:2], None)
        for _, target in effects["dropped"]:
            live.discard(target)
            gone[target] = f"it was dropped in {where}"
            renamed_columns.pop(target, None)
        for _, old, new in effects["renamed"]:
            live.discard(old)
            live.add(new)
            gone.pop(new, None)
            gone[old] = f"it was renamed to {'.'.join(new)} in {where}"
            renamed_columns[new] = renamed_columns.pop(old, {})
        for table, old, new in effects["columns_renamed"]:
            columns = renamed_columns.setdefault(table, {})
            columns.pop(new, None)
            columns[old] = f"its column {old} was renamed to {new} in {where}"
        source = (effects["created"] or effects["altered"] or [(None, ("public", "?"))])[0][1][:2]
        for column, target, target_columns in [] if skipped else effects["references"]:
            target = tuple(target)
            if target in platform_tables:
                continue
            creation = created_at.get(target)
            platform = PLATFORM_REFERENCES.get(target)
            if target in live:
                moved = [renamed_columns[target][c] for c in target_columns if c in renamed_columns.get(target, {})]
                if not moved:
                    continue
                reason = moved[0]
            elif target in gone:
                reason = gone[target]
            elif creation is None:
                reason = "no file creates it"
                if platform and platform in platform_tables:
                    reason = f"no file creates it; the platform provides {'.'.join(platform)}"
            elif creation[0] > statement.index:
                reason = f"it is only created later, in {creation[1]} line {creation[2]} (forward reference)"
            else:
                continue
            yield Finding(
                **_where(catalog, config, source), column=column, severity="critical" if creation is None and not
                platform else None,
                object=f"{source[0]}.{source[1]}.{column}->{'.'.join(target)}",
                title=f"REFERENCES {'.'.join(target)}: {reason.split(';')[0]}",
                detail=f"{statement.file} line {statement.line}: {'.'.join(source)}.{column} references "
                       f"{'.'.join(target)}{'(' + ', '.join(target_columns) + ')' if target_columns else ''}, but "
                       f"{reason}; the statement fails when the files run in order.",
                evidence={"target": ".".join(target), "target_columns": list(target_columns), "reason": reason,
                          "platform_table": ".".join(platform) if platform else None,
                          "created_in": {"file": creation[1], "line": creation[2]} if creation else None},
                remediation_sql=None, file=statement.file, line=statement.line)


@check(name="migration_statement_failed", category="migrations", severity="high", kind="migrations")
def migration_statement_failed(catalog: Catalog, config: AuditConfig,
                               migration_run: MigrationRun) -> Iterator[Finding]:
    """A statement fails when the migration files are applied in order to an empty database, or cannot run in the
    transaction a migration tool wraps its file in (CREATE INDEX CONCURRENTLY, VACUUM … next to other statements).

    A failure caused by an object the platform provides but auditlib's stub lacks (an extension the server does
    not have, a function in storage, extensions, vault …) is a stub gap, reported as low; the evidence names the
    object, the PostgreSQL version that applied the files (``applied_by``) and the statement's table (``target``).

    Why it matters: a fresh environment (CI, staging, a new developer) ends up with a different schema than
    production; knock-on failures show how far one broken statement reaches.

    How to fix: fix the root-cause statements first (the evidence marks them); knock-on failures usually disappear
    with them. Move statements that need autocommit to a file of their own.
    """
    from auditlib.migrations import statement_target

    results = migration_run.results
    by_index = {r.statement.index: r for r in results}
    applied_by = f"PostgreSQL {catalog.server.get('server_version', '?')}"
    gaps = _stub_gaps(results, set(config["audit"]["platform_schemas"]))
    for result in results:
        if result.ok:
            continue
        statement = result.statement
        cause = by_index.get(result.caused_by) if result.caused_by is not None else None
        root = cause
        while root is not None and root.caused_by is not None and root.caused_by in by_index:
            root = by_index[root.caused_by]
        gap = gaps.get(statement.index) or (gaps.get(root.statement.index) if root else None)
        detail = f"{statement.file} line {statement.line} failed with {result.sqlstate}: {result.message}"
        if cause:
            detail += (f" — a knock-on failure: the object comes from {cause.statement.file} line "
                       f"{cause.statement.line}, which failed first.")
        else:
            detail += "."
        if gap:
            detail += (f" The scratch database lacks {gap}, which the platform provides and auditlib's stub does not: "
                       "a gap of the stub, not of the migration (pass --stubs FILE with the missing objects to "
                       "audit what depends on them).")
            title = f"Statement fails on the stub: it lacks {gap} (stub gap)"
        else:
            title = "Statement fails (knock-on)" if cause else "Statement fails when the files run in order"
        target = statement_target(statement)
        yield Finding(
            **_where(catalog, config, target), column=None, object=f"{statement.file}:{statement.line}",
            title=title, severity="low" if gap else "medium" if cause else None, detail=detail,
            evidence={"sqlstate": result.sqlstate, "message": result.message, "root_cause": cause is None,
                      "target": ".".join(target) if target else None, "stub_gap": gap, "applied_by": applied_by,
                      "caused_by": {"file": cause.statement.file, "line": cause.statement.line} if cause else None,
                      "statement": statement.text[:400]},
            file=statement.file, line=statement.line)
    reported = {r.statement.index for r in results if not r.ok}
    for statement, needs, why in _autocommit_in_transaction(migration_run.folder):
        if statement.index in reported:
            continue
        target = statement_target(statement)
        yield Finding(
            **_where(catalog, config, target), column=None, object=f"{statement.file}:{statement.line}",
            title=f"{needs} inside a transaction: fails when a migration tool applies the file",
            detail=f"{statement.file} line {statement.line}: {needs} cannot run inside a transaction block, and "
                   f"{why}. It passed here only because auditlib runs each statement on its own; move it to a file "
                   "of its own (or mark the file to run outside a transaction, where the tool allows it).",
            evidence={"sqlstate": "25001", "message": f"{needs} cannot run inside a transaction block",
                      "root_cause": True, "caused_by": None, "needs_autocommit": needs, "in_transaction": why,
                      "target": ".".join(target) if target else None, "statement": statement.text[:400]},
            file=statement.file, line=statement.line)


_MISSING_EXTENSION = re.compile(r'extension "([^"]+)" is not available')
_MISSING_SCHEMA = re.compile(r'schema "([^"]+)" does not exist')
_MISSING_QUALIFIED = re.compile(r'(relation|function|type|operator|view|sequence) "?([\w$]+)\.([\w$]+)(?:\([^)]*\))?"?'
                                r' does not exist')
_MISSING_UNQUALIFIED = re.compile(r'(function|type) "?([\w$]+)(?:\([^)]*\))?"? does not exist')
_MISSING_COLUMN = re.compile(r'column "([^"]+)" of relation "([^"]+)" does not exist')
_MISSING_ROLE = re.compile(r'role "((?:supabase|pgsodium|pgbouncer|authenticator|dashboard)[^"]*)" does not exist')
_MISSING_PUBLICATION = re.compile(r'publication "(supabase_realtime[^"]*)" does not exist')


def _stub_gaps(results, platform_schemas: set[str]) -> dict[int, str]:
    """Failed statements the platform stub is to blame for: statement index → the object it lacks.

    Blamed: an extension the server does not have, a missing object in a platform schema (auth, storage, realtime,
    extensions, vault, net, cron, graphql, pgsodium …), a platform role or the realtime publication, a missing column
    of a platform table, and a missing unqualified function or type after an extension failed to install (postgis's
    geometry, …) when no file creates it."""
    from auditlib.migrations import statement_target

    gaps: dict[int, str] = {}
    missing_extensions: list[str] = []
    for result in results:
        if result.ok or not result.message:
            continue
        message = result.message
        if match := _MISSING_EXTENSION.search(message):
            missing_extensions.append(match.group(1))
            gaps[result.statement.index] = f"the extension {match.group(1)}"
        elif (match := _MISSING_SCHEMA.search(message)) and match.group(1) in platform_schemas:
            gaps[result.statement.index] = f"the schema {match.group(1)}"
        elif (match := _MISSING_QUALIFIED.search(message)) and match.group(2) in platform_schemas:
            gaps[result.statement.index] = f"the {match.group(1)} {match.group(2)}.{match.group(3)}"
        elif match := _MISSING_ROLE.search(message):
            gaps[result.statement.index] = f"the role {match.group(1)}"
        elif match := _MISSING_PUBLICATION.search(message):
            gaps[result.statement.index] = f"the publication {match.group(1)}"
        elif (match := _MISSING_COLUMN.search(message)) and (target := statement_target(result.statement)) \
                and target[0] in platform_schemas and target[1] == match.group(2):
            gaps[result.statement.index] = f"the column {target[0]}.{target[1]}.{match.group(1)}"
        elif missing_extensions and result.caused_by is None and (match := _MISSING_UNQUALIFIED.search(message)):
            gaps[result.statement.index] = (f"the {match.group(1)} {match.group(2)} (probably from the extension "
                                            f"{', '.join(dict.fromkeys(missing_extensions))})")
    return gaps


def _autocommit_in_transaction(folder: MigrationFolder) -> Iterator[tuple[Statement, str, str]]:
    """Statements that cannot run in a transaction block, in files that will run in one: inside an explicit
    BEGIN … COMMIT, or next to other statements (supabase db push, prisma migrate, goose, dbmate, Flyway and
    most runners apply a file in one transaction unless it is marked otherwise)."""
    from auditlib.migrations import needs_autocommit

    by_file: dict[str, list[Statement]] = {}
    for statement in folder.parsed():
        by_file.setdefault(statement.file, []).append(statement)
    for name, statements in by_file.items():
        if name in folder.no_transaction:
            continue
        others = sum(1 for s in statements if s.node_type != "TransactionStmt") - 1
        begin: Statement | None = None
        for statement in statements:
            if statement.node_type == "TransactionStmt":
                word = statement.text.split(None, 1)[0].upper() if statement.text.strip() else ""
                if word in ("BEGIN", "START"):
                    begin = statement
                elif word in ("COMMIT", "END", "ROLLBACK", "ABORT"):
                    begin = None
                continue
            needs = needs_autocommit(statement)
            if needs is None:
                continue
            if begin is not None:
                yield statement, needs, f"it follows the BEGIN at line {begin.line} of the file"
            elif others > 0:
                yield statement, needs, (f"the file holds {others} other statement{'s' if others > 1 else ''}: "
                                         "supabase db push, prisma migrate and most migration tools run a file in "
                                         "one transaction")
