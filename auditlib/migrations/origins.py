"""Where the objects of a database built from migration files come from: the file and line that created each."""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType

from auditlib.findings import Finding
from auditlib.migrations.applying import AppliedStatement
from auditlib.migrations.static import relation_name, statement_effects


def origins(results: list[AppliedStatement]) -> dict[tuple, tuple[str, int]]:
    """Where each object that exists after the apply pass was created: (schema, table[, name]) → (file, line)."""
    found: dict[tuple, tuple[str, int]] = {}
    # (schema, table) → the keys of found under it: a rename moves them without a pass over every object
    under: dict[tuple, set[tuple]] = {}

    def put(key: tuple, where: tuple[str, int]) -> None:
        found[key] = where
        under.setdefault(key[:2], set()).add(key)

    def take(key: tuple) -> tuple[str, int] | None:
        under.get(key[:2], set()).discard(key)
        return found.pop(key, None)

    for result in results:
        if not result.ok:
            continue
        where = (result.statement.file, result.statement.line)
        effects = statement_effects(result.statement)
        for kind, target in effects["created"]:
            # CREATE OR REPLACE of a function: the latest definition is in force; CREATE ... IF NOT EXISTS on an
            # existing object changes nothing
            if kind in ("function", "procedure") or target not in found:
                put(target, where)
        for _, target in effects["dropped"]:
            take(target)
        for _, old, new in effects["renamed"]:  # the table keeps its origin, and its columns theirs
            for key in sorted(under.get(old, ())):
                put((*new, *key[2:]), take(key))
        for table, old_column, new_column in effects["columns_renamed"]:
            if (*table, old_column) in found:
                put((*table, new_column), take((*table, old_column)))
        node = result.statement.node if result.statement.node_type == "AlterTableStmt" else None
        if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            table = relation_name(node.relation)
            for command in node.cmds or ():
                if command.subtype == AlterTableType.AT_AddColumn and isinstance(command.def_, ast.ColumnDef):
                    put((*table, command.def_.colname), where)
    return found


def attach_origins(findings: list[Finding], where: dict[tuple, tuple[str, int]]) -> None:
    """Give schema findings the file and line that created their object (column, then table)."""
    for finding in findings:
        if finding.file or not finding.table:
            continue
        keys = []
        if finding.column and "," not in finding.column:
            keys.append((finding.schema, finding.table, finding.column))
        keys.append((finding.schema, finding.table))
        for key in keys:
            if key in where:
                finding.file, finding.line = where[key]
                break
