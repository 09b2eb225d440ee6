"""Checks on a folder of SQL migration files (kind "migrations"): they read the parsed folder and the apply pass."""

from __future__ import annotations

from collections.abc import Iterator

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.migrations import (
    MigrationRun,
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
