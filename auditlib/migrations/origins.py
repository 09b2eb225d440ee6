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
    for result in results:
        if not result.ok:
            continue
        effects = statement_effects(result.statement)
        for kind, target in effects["created"]:
            if kind in ("function", "procedure"):  # CREATE OR REPLACE: the latest definition is in force
                found[target] = (result.statement.file, result.statement.line)
            else:  # CREATE ... IF NOT EXISTS on an existing object changes nothing
                found.setdefault(target, (result.statement.file, result.statement.line))
        for _, target in effects["dropped"]:
            found.pop(target, None)
        for _, old, new in effects["renamed"]:  # the table keeps its origin, and its columns theirs
            for key in [key for key in found if key[:2] == old]:
                found[(*new, *key[2:])] = found.pop(key)
        for table, old_column, new_column in effects["columns_renamed"]:
            if (*table, old_column) in found:
                found[(*table, new_column)] = found.pop((*table, old_column))
        node = result.statement.node if result.statement.node_type == "AlterTableStmt" else None
        if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            table = relation_name(node.relation)
            for command in node.cmds or ():
                if command.subtype == AlterTableType.AT_AddColumn and isinstance(command.def_, ast.ColumnDef):
                    found[(*table, command.def_.colname)] = (result.statement.file, result.statement.line)
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
