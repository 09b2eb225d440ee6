"""Checks on a folder of SQL migration files (kind "migrations"): they read the parsed folder and the apply pass."""

from __future__ import annotations

from collections.abc import Iterator

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.migrations import (
    MigrationRun,
    not_utf8_findings,
    ref_target_missing_findings,
    sql_parse_error_findings,
    statement_failed_findings,
    table_defined_multiple_findings,
)


@check(name="sql_parse_error", category="migrations", severity="high", kind="migrations")
def sql_parse_error(catalog: Catalog, config: AuditConfig, migration_run: MigrationRun) -> Iterator[Finding]:
    """A migration file holds a statement that does not parse (or a psql meta-command).

    Why it matters: the migration tool stops at this statement, or — run by psql without ON_ERROR_STOP — skips it,
    so every database built from the folder silently lacks what it should have created.

    How to fix: correct the statement at the reported line (the parser's message says what it expected), or move
    psql meta-commands such as \\i and \\set out of migration files.
    """
    yield from sql_parse_error_findings(migration_run.folder)


@check(name="migration_file_not_utf8", category="migrations", severity="low", kind="migrations")
def migration_file_not_utf8(catalog: Catalog, config: AuditConfig, migration_run: MigrationRun) -> Iterator[Finding]:
    """A migration file is not valid UTF-8 (typically Latin-1 or Windows-1252 text from an old editor).

    Why it matters: psql and migration tools send files as UTF-8, and the server rejects a statement holding an
    invalid byte ("invalid byte sequence for encoding UTF8"), even inside a comment; auditlib reads the file as
    Latin-1 to go on, so names and strings may not be what a UTF-8 reader sees.

    How to fix: convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`) or correct the byte at the reported
    line and column.
    """
    yield from not_utf8_findings(migration_run.folder)


@check(name="table_defined_multiple", category="duplicates", severity="high", kind="migrations")
def table_defined_multiple(catalog: Catalog, config: AuditConfig, migration_run: MigrationRun) -> Iterator[Finding]:
    """The same table is created by CREATE TABLE in more than one migration file.

    Why it matters: only one definition ends up in force (the first, unless the table is dropped in between); the
    others are skipped by IF NOT EXISTS or fail, so code written against them finds columns and foreign keys that
    do not exist.

    How to fix: keep one definition, move the differences into ALTER TABLE migrations, and consolidate the data
    of any copies; the evidence lists the columns that differ and which definition is in force.
    """
    yield from table_defined_multiple_findings(migration_run.folder, migration_run.results)


@check(name="ref_target_missing", category="migrations", severity="high", kind="migrations")
def ref_target_missing(catalog: Catalog, config: AuditConfig, migration_run: MigrationRun) -> Iterator[Finding]:
    """A REFERENCES points at a table no file creates, or that only a later file creates.

    Why it matters: the statement fails when the files run in order, so the table or the foreign key is missing in
    every database built from the folder; a reference to `users` where the platform has `auth.users` is the
    common case.

    How to fix: create the parent table first (reorder or split the migration), or point the reference at the
    table that exists (e.g. auth.users).
    """
    yield from ref_target_missing_findings(migration_run.folder, migration_run.platform_tables)


@check(name="migration_statement_failed", category="migrations", severity="high", kind="migrations")
def migration_statement_failed(catalog: Catalog, config: AuditConfig,
                               migration_run: MigrationRun) -> Iterator[Finding]:
    """A statement fails when the migration files are applied in order to an empty database.

    Why it matters: a fresh environment (CI, staging, a new developer) ends up with a different schema than
    production; knock-on failures show how far one broken statement reaches.

    How to fix: fix the root-cause statements first (the evidence marks them); knock-on failures usually disappear
    with them.
    """
    yield from statement_failed_findings(migration_run.results)
