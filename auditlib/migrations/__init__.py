"""Auditing a folder of SQL migration files: a static pass (pglast) and an apply pass (a scratch database).

Static pass: every ``*.sql`` file, in the order migration tools apply them (lexical by path; in folders holding an
``up.sql`` only that file), is split into statements with their line numbers — psql meta-commands are reported and
blanked, a statement that does not parse is reported and the rest still audited — and turned into an inventory of
what each file creates, alters and drops.

Apply pass: the statements run in order, each as if on its own (autocommit, as psql runs a file without
ON_ERROR_STOP), in a scratch database on the embedded server after a platform stub. Failures are recorded with their
SQLSTATE and whether an earlier failure caused them. The resulting database gets the full schema audit, and each
finding is traced back to the file and line that created its object.

Both passes are linear in the size of the files: files of many megabytes (data seeds, schema dumps) are normal, and
long passes report their progress on stderr.

This package produces facts; what is a finding is decided by the checks in ``auditlib.checks.migrations``.

    reading.py   the folder's files in apply order, their text, their statements with lines and parse errors
    static.py    what each statement creates, alters, drops and references; the per-file inventory
    applying.py  the apply pass on the scratch database and what happened to each statement
    origins.py   the file and line that created each object of the built database
    progress.py  progress lines on stderr for the long passes
    synthetic.py generated folders for the bench and the tests: a long history, one very big file
"""

from auditlib.migrations.applying import (
    AppliedStatement,
    MigrationRun,
    apply_folder,
    apply_while_reading,
    needs_supabase_stub,
    scratch_database_name,
    stub_before_reading,
    stub_sql,
)
from auditlib.migrations.origins import attach_origins, origins
from auditlib.migrations.progress import Progress
from auditlib.migrations.reading import (
    InvalidUtf8,
    LineIndex,
    MigrationFolder,
    MigrationsError,
    Statement,
    blank_meta_commands,
    discover,
    load_folder,
    read_sql_file,
    split_parsed,
    split_statements,
)
from auditlib.migrations.static import (
    INSPECTED_TYPES,
    categorize,
    created_table,
    file_inventory,
    needs_autocommit,
    relation_name,
    statement_effects,
    statement_target,
    table_definition,
)

__all__ = ["INSPECTED_TYPES", "AppliedStatement", "InvalidUtf8", "LineIndex", "MigrationFolder", "MigrationRun",
           "MigrationsError", "Progress", "Statement", "apply_folder", "apply_while_reading", "attach_origins",
           "blank_meta_commands", "categorize", "created_table", "discover", "file_inventory", "load_folder",
           "needs_autocommit", "needs_supabase_stub", "origins", "read_sql_file", "relation_name",
           "scratch_database_name", "split_parsed", "split_statements", "statement_effects", "statement_target",
           "stub_before_reading", "stub_sql", "table_definition"]
