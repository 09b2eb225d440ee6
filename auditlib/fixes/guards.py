"""The SQL that keeps a plan from making things worse (a statement run only when the data allows, a constraint
added only once) and what the planner reads from SQL to judge safety (a trigger's writes, a policy set's shape)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType
from pglast.stream import RawStream

from auditlib.quoting import ident, literal


def _deparse(node: Any) -> str:
    return RawStream()(node)


def _names(nodes: Iterable[Any] | None) -> list[str]:
    return [n.sval for n in nodes or () if isinstance(n, ast.String)]


def _skip_null_sources(statement: ast.UpdateStmt) -> None:
    """A backfill copies values from other rows: it skips rows whose source is NULL too, so a rerun (after a NOT
    VALID ``CHECK (col IS NOT NULL)`` exists) does not rewrite a NULL with a NULL and trip the constraint."""
    if not statement.fromClause:
        return
    tests = [ast.NullTest(arg=target.val, nulltesttype=1, argisrow=False) for target in statement.targetList
             if isinstance(target.val, ast.ColumnRef)]
    if tests:
        conditions = [statement.whereClause, *tests] if statement.whereClause is not None else tests
        statement.whereClause = ast.BoolExpr(boolop=0, args=tuple(conditions)) if len(conditions) > 1 \
            else conditions[0]


def _not_null_column(constraint: ast.Constraint) -> str | None:
    """The column of a ``CHECK (col IS NOT NULL)``, else None."""
    expression = constraint.raw_expr
    if constraint.contype == ConstrType.CONSTR_CHECK and isinstance(expression, ast.NullTest) \
            and expression.nulltesttype == 1 and isinstance(expression.arg, ast.ColumnRef):
        names = _names(expression.arg.fields)
        return names[-1] if names else None
    return None


def _guarded(target: str, table: str, column: str, sql: str, otherwise: str) -> str:
    """``sql`` run only when no row of the table has NULL in the column; otherwise a WARNING (the file goes on)."""
    message = f"{table}.{column} still has rows without a value: {otherwise}; see decisions.md"
    return (f"DO $$\nBEGIN\n  IF EXISTS (SELECT FROM {target} WHERE {ident(column)} IS NULL) THEN\n"
            f"    RAISE WARNING {literal(message)};\n  ELSE\n    {sql};\n  END IF;\nEND\n$$")


def _unless_constraint_exists(target: str, name: str, sql: str) -> str:
    """``sql`` run only when the table has no constraint called ``name`` (ADD CONSTRAINT has no IF NOT EXISTS)."""
    exists = (f"SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {literal(target)}::regclass AND "
              f"conname = {literal(name)}")
    return f"DO $$\nBEGIN\n  IF NOT EXISTS ({exists}) THEN\n    {sql};\n  END IF;\nEND\n$$"


def _added_columns(sql: str) -> list[str]:
    try:
        statement = pglast.parse_sql(sql)[0].stmt
    except pglast.parser.ParseError:
        return []
    if not isinstance(statement, ast.AlterTableStmt):
        return []
    return [c.def_.colname for c in statement.cmds if c.subtype == AlterTableType.AT_AddColumn]


_WRITES = re.compile(r'\b(?:INSERT\s+INTO|UPDATE)\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)', re.IGNORECASE)


_NEW_ASSIGNMENT = re.compile(r'(?:^|;|\b(?:THEN|ELSE|BEGIN|LOOP)\b)\s*NEW\s*\.\s*("(?:[^"]|"")+"|\w+)\s*:?=(?!=)',
                             re.IGNORECASE | re.MULTILINE)


def _new_columns_written(source: str) -> set[str]:
    """The columns a trigger function assigns (``NEW.col := …``), from its PL/pgSQL source."""
    names = set()
    for match in _NEW_ASSIGNMENT.finditer(source):
        name = match.group(1)
        names.add(name[1:-1].replace('""', '"') if name.startswith('"') else name.lower())
    return names


POLICY_COMMANDS = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")


def _policy_shape(rows: list[dict[str, Any]], columns: set[str]) -> tuple[tuple[str, str, str, tuple[str, ...]], ...] | None:
    """A table's policies as a set that can be copied to a table with ``columns``: permissive, each command once,
    either FOR ALL alone or one per command, every expression on the same single column (the tenant column), which
    the other table has. None otherwise (a table whose policies say more than "rows of my tenant")."""
    if not rows or any(not row["permissive"] for row in rows):
        return None
    commands = [str(row["command"]).upper() for row in rows]
    if len(set(commands)) != len(commands) or not set(commands) <= set(POLICY_COMMANDS) or \
            ("ALL" in commands and len(commands) > 1):
        return None
    referenced: set[str] = set()
    shape = []
    for row, command in zip(rows, commands, strict=True):
        using, check = row["using_expression"] or "", row["with_check"] or ""
        if not (using or check):
            return None
        for expression in (using, check):
            if expression:
                referenced |= _column_refs(expression)
        shape.append((command, using, check, tuple(row["roles"] or ["public"])))
    if len(referenced) != 1 or not referenced <= columns:
        return None
    return tuple(sorted(shape, key=lambda item: POLICY_COMMANDS.index(item[0])))


@functools.lru_cache(maxsize=4096)  # every table of a schema shares the same few policy expressions
def _column_refs(expression: str) -> frozenset[str]:
    try:
        node = pglast.parse_sql(f"SELECT {expression}")[0].stmt
    except pglast.parser.ParseError:
        return frozenset({"?", "??"})
    refs: set[str] = set()

    def visit(item: Any) -> None:
        if isinstance(item, ast.ColumnRef):
            refs.add(".".join(_names(item.fields)))
        elif isinstance(item, ast.Node):
            for name in item:
                visit(getattr(item, name))
        elif isinstance(item, (list, tuple)):
            for element in item:
                visit(element)

    visit(node)
    return frozenset(refs)
