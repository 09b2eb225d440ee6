"""The static pass: what each parsed statement creates, alters, drops and references, and a per-file inventory.

Only the statement types listed in ``INSPECTED_TYPES`` get their pglast node built; data statements (most of a big
file) are never inspected.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pandas as pd
from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.stream import RawStream

from auditlib.migrations.reading import MigrationFolder, Statement

# Statement types whose node the static pass inspects (statement_effects, origins); the nodes of all others (data
# statements above all, most of a big file) are never built.
INSPECTED_TYPES = frozenset({"CreateStmt", "AlterTableStmt", "DropStmt", "CreatePolicyStmt", "CreateFunctionStmt",
                             "CreateTrigStmt", "ViewStmt", "CreateTableAsStmt", "IndexStmt", "RenameStmt",
                             "AlterObjectSchemaStmt"})

# Relations a rename or SET SCHEMA moves: what REFERENCES and CREATE TABLE can name.
_RELATION_KINDS = {ObjectType.OBJECT_TABLE: "table", ObjectType.OBJECT_FOREIGN_TABLE: "table",
                   ObjectType.OBJECT_VIEW: "view", ObjectType.OBJECT_MATVIEW: "view"}


def relation_name(range_var) -> tuple[str, str]:
    """(schema, name) of a pglast RangeVar; an unqualified name is in public."""
    return (range_var.schemaname or "public", range_var.relname)


def _type_text(type_name) -> str:
    if type_name is None:
        return ""
    if type_name.typmods or type_name.setof or type_name.pct_type:
        return RawStream()(type_name)
    # Most columns have one of a few plain types; printing a node costs far more than looking its text up.
    return _plain_type_text(tuple(name.sval for name in type_name.names),
                            tuple(bound.ival for bound in type_name.arrayBounds or ()), type_name.typemod)


@lru_cache(maxsize=4096)
def _plain_type_text(names: tuple[str, ...], array_bounds: tuple[int, ...], typemod: int) -> str:
    return RawStream()(ast.TypeName(names=tuple(ast.String(sval=name) for name in names), typemod=typemod,
                                    arrayBounds=tuple(ast.Integer(ival=b) for b in array_bounds) or None))


def _references(column: str | None, constraint) -> tuple[str | None, tuple[str, str], tuple[str, ...]]:
    attrs = [a.sval for a in (constraint.fk_attrs or ())]
    return (column if column else ",".join(attrs)), relation_name(constraint.pktable), tuple(
        a.sval for a in (constraint.pk_attrs or ()))


def table_definition(node: ast.CreateStmt) -> dict[str, Any]:
    """Columns (name → type) and foreign keys (column → target table) of a CREATE TABLE."""
    columns: dict[str, str] = {}
    foreign_keys: dict[str, str] = {}
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            columns[element.colname] = _type_text(element.typeName)
            for constraint in element.constraints or ():
                if constraint.contype == ConstrType.CONSTR_FOREIGN:
                    _, target, _ = _references(element.colname, constraint)
                    foreign_keys[element.colname] = ".".join(target)
        elif isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_FOREIGN:
            column, target, _ = _references(None, element)
            foreign_keys[column] = ".".join(target)
    return {"columns": columns, "foreign_keys": foreign_keys}


def created_table(statement: Statement) -> dict[str, Any] | None:
    """What a CREATE TABLE statement defines: ``table`` (schema, name), ``if_not_exists``, ``columns`` (name → type)
    and ``foreign_keys`` (column → target table); None for any other statement."""
    if statement.node_type != "CreateStmt":
        return None
    node = statement.node
    return {"table": relation_name(node.relation), "if_not_exists": bool(node.if_not_exists),
            **table_definition(node)}


def statement_effects(statement: Statement) -> dict[str, list]:
    """What one statement creates, alters, drops and references: lists of (kind, schema.name) and FK targets."""
    if statement._effects is None:
        statement._effects = _effects(statement.node if statement.node_type in INSPECTED_TYPES else None)
    return statement._effects


def inspect_statements(folder: MigrationFolder) -> None:
    """Build the parse tree and effects of every statement the static pass inspects, ahead of their first use (the
    apply pass runs this in a thread while the server works)."""
    for statement in folder.statements:
        if statement.node_type in INSPECTED_TYPES:
            statement_effects(statement)


def _effects(node: Any) -> dict[str, list]:
    # references: (column, target table, target columns); renamed: (kind, old, new) relations; columns_renamed:
    # (table, old column, new column)
    effects: dict[str, list] = {"created": [], "altered": [], "dropped": [], "references": [], "renamed": [],
                                "columns_renamed": []}
    if isinstance(node, ast.CreateStmt):
        table = relation_name(node.relation)
        effects["created"].append(("table", table))
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                for constraint in element.constraints or ():
                    if constraint.contype == ConstrType.CONSTR_FOREIGN:
                        effects["references"].append(_references(element.colname, constraint))
            elif isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_FOREIGN:
                effects["references"].append(_references(None, element))
    elif isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
        table = relation_name(node.relation)
        effects["altered"].append(("table", table))
        for command in node.cmds or ():
            definition = command.def_
            if command.subtype == AlterTableType.AT_AddColumn and isinstance(definition, ast.ColumnDef):
                for constraint in definition.constraints or ():
                    if constraint.contype == ConstrType.CONSTR_FOREIGN:
                        effects["references"].append(_references(definition.colname, constraint))
            elif command.subtype == AlterTableType.AT_AddConstraint and isinstance(definition, ast.Constraint) \
                    and definition.contype == ConstrType.CONSTR_FOREIGN:
                effects["references"].append(_references(None, definition))
    elif isinstance(node, ast.RenameStmt) and node.relation is not None:
        table = relation_name(node.relation)
        if node.renameType in _RELATION_KINDS:
            effects["renamed"].append((_RELATION_KINDS[node.renameType], table, (table[0], node.newname)))
        elif node.renameType == ObjectType.OBJECT_COLUMN and node.relationType in _RELATION_KINDS:
            effects["altered"].append(("table", table))
            effects["columns_renamed"].append((table, node.subname, node.newname))
    elif isinstance(node, ast.AlterObjectSchemaStmt) and node.relation is not None \
            and node.objectType in _RELATION_KINDS:
        table = relation_name(node.relation)
        effects["renamed"].append((_RELATION_KINDS[node.objectType], table, (node.newschema, table[1])))
    elif isinstance(node, ast.DropStmt) and node.removeType in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW):
        kind = "table" if node.removeType == ObjectType.OBJECT_TABLE else "view"
        for names in node.objects or ():
            parts = [n.sval for n in names]
            effects["dropped"].append((kind, (parts[-2] if len(parts) > 1 else "public", parts[-1])))
    elif isinstance(node, ast.CreatePolicyStmt):
        effects["created"].append(("policy", (*relation_name(node.table), node.policy_name)))
    elif isinstance(node, ast.CreateFunctionStmt):
        parts = [n.sval for n in node.funcname]
        effects["created"].append(("procedure" if node.is_procedure else "function",
                                   (parts[-2] if len(parts) > 1 else "public", parts[-1])))
    elif isinstance(node, ast.CreateTrigStmt):
        effects["created"].append(("trigger", (*relation_name(node.relation), node.trigname)))
    elif isinstance(node, ast.ViewStmt):
        effects["created"].append(("view", relation_name(node.view)))
    elif isinstance(node, ast.CreateTableAsStmt):
        effects["created"].append(("view" if node.objtype == ObjectType.OBJECT_MATVIEW else "table",
                                   relation_name(node.into.rel)))
    elif isinstance(node, ast.IndexStmt):
        effects["created"].append(("index", (*relation_name(node.relation), node.idxname or "")))
    return effects


def categorize(tables: list[str], config=None, known: dict[str, str] | None = None) -> str:
    """A domain for a file: the category most of the tables it touches belong to (``tenancy.categories``).
    ``known`` keeps the category of each table name across calls (a table is touched by many files, and each name
    is matched against every pattern)."""
    from auditlib.config import AuditConfig
    from auditlib.model.tenancy import table_category

    config = config or AuditConfig()  # once, not once per table: a fresh config is a deep copy of the defaults
    known = {} if known is None else known
    votes: dict[str, int] = {}
    for table in tables:
        name = table.rsplit(".", 1)[-1]
        if name not in known:
            known[name] = table_category(name, config)
        category = known[name]
        if category != "Other":
            votes[category] = votes.get(category, 0) + 1
    if not votes:
        return "Other"
    return sorted(votes.items(), key=lambda item: (-item[1], item[0]))[0][0]


def file_inventory(folder: MigrationFolder) -> pd.DataFrame:
    """One row per file: statements, tables created/altered/dropped, policies, functions, triggers, views,
    indexes, parse errors and a category guessed from its tables."""
    from auditlib.config import AuditConfig

    config = AuditConfig()
    categories: dict[str, str] = {}
    rows = []
    by_file: dict[str, list[Statement]] = {name: [] for name in folder.files}
    for statement in folder.statements:
        by_file[statement.file].append(statement)
    for name in folder.files:
        statements = by_file[name]
        bucket: dict[str, list[str]] = {k: [] for k in ("tables_created", "tables_altered", "tables_dropped",
                                                         "tables_renamed", "policies", "functions", "triggers",
                                                         "views", "indexes")}
        for statement in statements:
            if statement.node_type not in INSPECTED_TYPES:
                continue
            effects = statement_effects(statement)
            for kind, target in effects["created"]:
                label = ".".join(target[1:]) if target[0] == "public" else ".".join(target)
                key = {"table": "tables_created", "policy": "policies", "function": "functions",
                       "procedure": "functions", "trigger": "triggers", "view": "views", "index": "indexes"}[kind]
                bucket[key].append(label)
            for _, target in effects["altered"]:
                bucket["tables_altered"].append(_short(target))
            for _, target in effects["dropped"]:
                bucket["tables_dropped"].append(_short(target))
            for kind, old, new in effects["renamed"]:
                if kind == "table":
                    bucket["tables_renamed"].append(f"{_short(old)} → {_short(new)}")
        tables = sorted(set(bucket["tables_created"] + bucket["tables_altered"]))
        rows.append({"file": name, "category": categorize(tables, config, categories),
                     "statements": len(statements),
                     **{k: sorted(set(v)) for k, v in bucket.items()},
                     "parse_errors": sum(1 for s in statements if s.parse_error),
                     "meta_commands": sum(1 for s in statements if s.meta_command),
                     "encoding": folder.decoding.get(name, "utf-8")})
    return pd.DataFrame(rows, columns=["file", "category", "statements", "tables_created", "tables_altered",
                                       "tables_dropped", "tables_renamed", "policies", "functions", "triggers", "views", "indexes",
                                       "parse_errors", "meta_commands", "encoding"])


def _short(target: tuple[str, str]) -> str:
    return target[1] if target[0] == "public" else ".".join(target)


def tables_touched(statement: Statement) -> list[tuple[str, str]]:
    """The tables a statement creates, alters or renames (by their old name)."""
    effects = statement_effects(statement)
    return [target[:2] for _, target in effects["altered"] + effects["created"]] + [
        old for _, old, _ in effects["renamed"]]


def columns_altered(statement: Statement) -> list[tuple[tuple[str, str], str]]:
    """(table, column) pairs an ALTER TABLE changes (type, default, nullability, rename)."""
    renamed = [(table, old) for table, old, _ in statement_effects(statement)["columns_renamed"]]
    node = statement.node if statement.node_type == "AlterTableStmt" else None
    if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
        return renamed
    table = relation_name(node.relation)
    return [(table, command.name) for command in node.cmds or () if getattr(command, "name", None)]


def statement_target(statement: Statement) -> tuple[str, str] | None:
    """(schema, name) of the table (or view) a statement acts on, None when it has no one target (or does not
    parse): what it creates, alters, renames or drops, inserts into, updates, deletes from, indexes, grants on,
    comments on, or puts a policy or trigger on."""
    if statement.node_type is None:
        return _guessed_target(statement.text) if statement.parse_error else None
    effects = statement_effects(statement)
    for kind, target in effects["created"] + effects["altered"] + effects["dropped"]:
        if kind not in ("function", "procedure"):  # tables, views, and the tables of policies, triggers, indexes
            return target[:2]
    for _, old, _ in effects["renamed"]:
        return old
    node = statement.node
    relation = getattr(node, "relation", None)
    if isinstance(relation, ast.RangeVar):  # INSERT, UPDATE, DELETE, ALTER TABLE of any kind, REINDEX, COPY, …
        return relation_name(relation)
    if isinstance(node, ast.GrantStmt) and node.objtype == ObjectType.OBJECT_TABLE and node.objects \
            and isinstance(node.objects[0], ast.RangeVar):
        return relation_name(node.objects[0])
    if isinstance(node, ast.CommentStmt) and node.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN):
        names = [part.sval for part in node.object]
        names = names[:-1] if node.objtype == ObjectType.OBJECT_COLUMN else names
        return (names[-2] if len(names) > 1 else "public", names[-1]) if names else None
    if isinstance(node, ast.DropStmt) and node.removeType in (ObjectType.OBJECT_POLICY, ObjectType.OBJECT_TRIGGER) \
            and node.objects:
        names = [part.sval for part in node.objects[0]][:-1]
        return (names[-2] if len(names) > 1 else "public", names[-1]) if names else None
    return None


_TARGET_OF_TEXT = re.compile(r'^\s*(?:CREATE\s+(?:(?:UNLOGGED|TEMP|TEMPORARY)\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?|ALTER\s+TABLE'
                             r'(?:\s+IF\s+EXISTS)?(?:\s+ONLY)?|INSERT\s+INTO|UPDATE(?:\s+ONLY)?|DELETE\s+FROM)\s+'
                             r'((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)', re.I)


def _guessed_target(text: str) -> tuple[str, str] | None:
    # A statement that does not parse still usually names its table in its first words.
    match = _TARGET_OF_TEXT.match(re.sub(r"--[^\n]*|/\*.*?\*/", " ", text[:2000], flags=re.S))
    if not match:
        return None
    parts = [part.strip('"') if part.startswith('"') else part.lower()
             for part in re.findall(r'"[^"]+"|[\w$]+', match.group(1))]
    return (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[0])


# Statements PostgreSQL refuses inside a transaction block ("… cannot run inside a transaction block", 25001).
_ALWAYS_AUTOCOMMIT = {"VacuumStmt": "VACUUM", "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
                      "AlterSystemStmt": "ALTER SYSTEM", "CreateTableSpaceStmt": "CREATE TABLESPACE",
                      "DropTableSpaceStmt": "DROP TABLESPACE"}


def needs_autocommit(statement: Statement) -> str | None:
    """What makes a statement unable to run inside a transaction block ("CREATE INDEX CONCURRENTLY", "VACUUM" …),
    None for the statements that can."""
    kind = statement.node_type
    if kind == "VacuumStmt":
        return "VACUUM" if statement.node.is_vacuumcmd else None  # ANALYZE alone runs in a transaction
    if kind in _ALWAYS_AUTOCOMMIT:
        return _ALWAYS_AUTOCOMMIT[kind]
    if kind not in ("IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt") \
            or "concurrently" not in statement.text.lower():
        return None
    node = statement.node
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and any(option.defname == "concurrently" for option in node.params or ()):
        return "REINDEX CONCURRENTLY"
    if isinstance(node, ast.AlterTableStmt) and any(
            command.subtype == AlterTableType.AT_DetachPartition and getattr(command.def_, "concurrent", False)
            for command in node.cmds or ()):
        return "DETACH PARTITION CONCURRENTLY"
    return None
