"""Fix SQL shared by the checks: constraint names that fit, foreign keys added without a long lock, type changes.

Identifiers are always quoted with ``auditlib.quoting``; nothing here reads the database.
"""

from __future__ import annotations

import re

from auditlib.catalog import Catalog, qualified
from auditlib.quoting import ident, ident_list
from auditlib.quoting import object_name as object_name  # constraint names, for the checks that import it here


def foreign_key_sql(schema: str, table: str, name: str, columns: list[str], ref_schema: str, ref_table: str,
                    ref_columns: list[str], on_delete: str, on_update: str = "NO ACTION", *,
                    not_valid: bool = True, deferrable: bool = False, deferred: bool = False) -> str:
    """``ADD CONSTRAINT ... FOREIGN KEY ...`` (without ALTER TABLE) with quoted identifiers."""
    clause = (f"ADD CONSTRAINT {ident(name)} FOREIGN KEY ({ident_list(columns)}) "
              f"REFERENCES {ident(ref_schema, ref_table)} ({ident_list(ref_columns)})")
    if on_delete and on_delete != "NO ACTION":
        clause += f" ON DELETE {on_delete}"
    if on_update and on_update != "NO ACTION":
        clause += f" ON UPDATE {on_update}"
    if deferrable:
        clause += " DEFERRABLE INITIALLY DEFERRED" if deferred else " DEFERRABLE"
    return clause + (" NOT VALID" if not_valid else "")


def add_foreign_key_sql(catalog: Catalog, schema: str, table: str, name: str, columns: list[str],
                        ref_schema: str, ref_table: str, ref_columns: list[str], on_delete: str,
                        on_update: str = "NO ACTION", drop_first: bool = False, deferrable: bool = False,
                        deferred: bool = False) -> str:
    """The statements that add (or, with ``drop_first``, redefine) a foreign key without a long lock.

    NOT VALID first, VALIDATE after, except on partitioned tables where PostgreSQL before 18 refuses NOT VALID.
    """
    relation = catalog.relation(schema, table) or {}
    partitioned = relation.get("kind") == "partitioned table"
    add = foreign_key_sql(schema, table, name, columns, ref_schema, ref_table, ref_columns, on_delete, on_update,
                          not_valid=not partitioned, deferrable=deferrable, deferred=deferred)
    drop = f"DROP CONSTRAINT {ident(name)}, " if drop_first else ""
    statement = f"ALTER TABLE {ident(schema, table)} {drop}{add};"
    if not partitioned:
        statement += f"\nALTER TABLE {ident(schema, table)} VALIDATE CONSTRAINT {ident(name)};"
    return statement


def alter_type_sql(schema: str, table: str, column: str, data_type: str) -> str:
    """``ALTER COLUMN ... TYPE`` with a USING cast. ``data_type`` is format_type() output, valid SQL as it is."""
    return (f"ALTER TABLE {ident(schema, table)} ALTER COLUMN {ident(column)} TYPE {data_type} "
            f"USING {ident(column)}::{data_type};")


def type_change_blockers(catalog: Catalog, schema: str, table: str, column: str) -> list[str]:
    """Policies and views that use a column: PostgreSQL refuses ALTER COLUMN ... TYPE while they exist.

    Read from their expressions (the catalog holds no dependency rows): a policy of the table naming the column,
    or any policy or view naming both the qualified table and the column.
    """
    word = re.compile(rf'\b"?{re.escape(column)}"?\b')
    table_name = re.compile(rf'\b"?{re.escape(schema)}"?\."?{re.escape(table)}"?\b')
    blockers = []
    for policy in catalog.records("policies"):
        text = f"{policy['using_expression'] or ''} {policy['with_check'] or ''}"
        own = (policy["schema"], policy["table"]) == (schema, table)
        if word.search(text) and (own or table_name.search(text)):
            blockers.append(f"policy {policy['name']!r} on {qualified(policy['schema'], policy['table'])}")
    for view in catalog.records("views"):
        text = view["definition"] or ""
        if table_name.search(text) and word.search(text):
            blockers.append(f"view {qualified(view['schema'], view['name'])}")
    return blockers
