"""The tenancy model: which tables hold tenant data, and how the ones without the tenant column reach it.

A table holds tenant data when it has the tenant column, or when it reaches a table that has it (or a users table)
through declared foreign keys or inferred references. ``build_tenancy`` classifies every table once per run; the
tenancy, RLS and data checks and the report's coverage table all read that classification. The backfill helpers
say how a table without the column can copy it from the rows it references.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import pandas as pd

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig, split_table
from auditlib.model.references import Reference
from auditlib.quoting import ident

SCOPES = ("root", "tenant", "inherits", "global", "platform")
SCOPE_COLUMNS = ["schema", "table", "category", "has_tenant_column", "tenant_nullable", "tenant_fk", "scope", "via"]


def table_category(table_name: str, config: AuditConfig | None = None) -> str:
    """The domain a table belongs to (Core, CRM, Financial, ... or Other), from ``tenancy.categories`` patterns."""
    categories = (config or AuditConfig()).get("tenancy", "categories")
    name = table_name.lower()
    for category, patterns in categories.items():
        if any(fnmatchcase(name, pattern.lower()) for pattern in patterns):
            return category
    return "Other"


@dataclass
class TenancyModel:
    """Every table's tenancy facts, built once per run (``Analysis.tenancy``)."""

    column: str
    root: tuple[str, str]
    membership: tuple[str, str]
    membership_user_column: str
    tables: dict[tuple[str, str], dict] = field(default_factory=dict)   # (schema, table) -> tenant_scope row
    columns: dict[tuple[str, str], dict[str, dict]] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)
    outgoing: dict[tuple[str, str], list[Reference]] = field(default_factory=dict)
    via: dict[tuple[str, str], Reference] = field(default_factory=dict)
    user_tables: set[tuple[str, str]] = field(default_factory=set)
    primary_keys: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    @property
    def root_exists(self) -> bool:
        return self.root in self.tables

    @property
    def multi_tenant(self) -> bool:
        """The database separates tenants: the root exists or some table has the tenant column."""
        return self.root_exists or any(row["has_tenant_column"] for row in self.tables.values())

    def root_key(self) -> tuple[str, str] | None:
        """(column, type) of the root's single-column primary key, when it has one."""
        pk = self.primary_keys.get(self.root, [])
        if len(pk) != 1:
            return None
        return pk[0], self.columns[self.root][pk[0]]["data_type"]

    def path(self, table: tuple[str, str]) -> list[Reference]:
        """The references by which an inheriting table reaches tenant data (or a users table)."""
        hops, seen = [], {table}
        while table in self.via:
            ref = self.via[table]
            hops.append(ref)
            table = ref.target
            if table in seen:
                break
            seen.add(table)
        return hops


def build_tenancy(catalog: Catalog, config: AuditConfig, references: list[Reference]) -> TenancyModel:
    """Classify every table (root, tenant, inherits, global, platform) and remember how inheriting ones get there.

    ``references`` are the declared and inferred references (``Analysis.references``).
    """
    tenancy = config["tenancy"]
    model = TenancyModel(column=tenancy["tenant_column"], root=split_table(tenancy["tenant_root"]),
                         membership=split_table(tenancy["membership_table"]),
                         membership_user_column=tenancy["membership_user_column"])
    platform = set(config.get("audit", "platform_schemas"))
    ignore = [p.lower() for p in tenancy["user_reference_ignore"]]
    for record in catalog.columns.to_dict("records"):
        model.columns.setdefault((record["schema"], record["table"]), {})[record["name"]] = record
    pks = catalog.constraints[catalog.constraints["type"] == "primary key"]
    model.primary_keys = {(r["schema"], r["table"]): list(r["columns"]) for r in pks.to_dict("records")}
    tables = catalog.user_tables()
    keys = list(zip(tables["schema"], tables["name"], strict=True))
    known = set(keys)
    model.user_tables = {split_table(t) for t in config.get("relationships", "user_tables")} & known

    tenant_fk = set()
    for fk in catalog.foreign_keys.to_dict("records"):
        if model.column in fk["columns"] and (
                (fk["ref_schema"], fk["ref_table"]) == model.root or model.column in fk["ref_columns"]):
            tenant_fk.add((fk["schema"], fk["table"]))

    scope: dict[tuple[str, str], str | None] = {}
    for key in keys:
        schema, name = key
        column = model.columns.get(key, {}).get(model.column)
        if schema in platform:
            scope[key] = "platform"
        elif key == model.root:
            scope[key] = "root"
        elif config.is_global_table(schema, name):
            scope[key] = "global"
        elif column is not None:
            scope[key] = "tenant"
        else:
            scope[key] = None
        model.tables[key] = {
            "schema": schema, "table": name, "category": table_category(name, config),
            "has_tenant_column": column is not None, "tenant_nullable": bool(column and column["nullable"]),
            "tenant_fk": key in tenant_fk, "scope": None, "via": None}

    model.references = [r for r in references
                        if r.source in known and r.target in known and r.source != r.target
                        and not all(any(fnmatchcase(c.lower(), p) for p in ignore) for c in r.columns)]
    incoming: dict[tuple[str, str], list[Reference]] = {}
    for ref in model.references:
        incoming.setdefault(ref.target, []).append(ref)
        model.outgoing.setdefault(ref.source, []).append(ref)

    def spread(seeds: list[tuple[str, str]]) -> None:
        # Breadth first, so every inheriting table keeps its shortest way to tenant data.
        queue = deque(seeds)
        while queue:
            target = queue.popleft()
            for ref in incoming.get(target, []):
                if scope.get(ref.source, "done") is None:
                    scope[ref.source] = "inherits"
                    model.via[ref.source] = ref
                    queue.append(ref.source)

    spread([k for k in keys if scope[k] in ("root", "tenant")])
    spread(sorted(model.user_tables))   # user data, for tables that reach no tenant-scoped table
    for key, row in model.tables.items():
        row["scope"] = scope[key] or "global"
        if key in model.via:
            row["via"] = " -> ".join(ref.describe() for ref in model.path(key))
    return model


def scope_frame(model: TenancyModel) -> pd.DataFrame:
    """One row per table (partitions left out): schema, table, category, has_tenant_column, tenant_nullable,
    tenant_fk, scope (root | tenant | inherits | global | platform) and via (how an inheriting table reaches
    tenant data)."""
    return pd.DataFrame(list(model.tables.values()), columns=SCOPE_COLUMNS)


# -- copying the tenant from a parent row ---------------------------------------------------------------------------
def join_condition(model: TenancyModel, ref: Reference, child: str, parent: str) -> str:
    """``parent.key = child.column`` for each column pair of a reference, cast to text when the types differ."""
    terms = []
    for column, ref_column in zip(ref.columns, ref.ref_columns, strict=True):
        child_type = model.columns[ref.source][column]["data_type"]
        parent_type = model.columns[ref.target][ref_column]["data_type"]
        left, right = f"{parent}.{ident(ref_column)}", f"{child}.{ident(column)}"
        if child_type != parent_type:
            left, right = f"{left}::text", f"{right}::text"
        terms.append(f"{left} = {right}")
    return " AND ".join(terms)


def _and(conditions: list[str]) -> str:
    return "\n  AND ".join(conditions)


def backfill_from(model: TenancyModel, table: tuple[str, str], hops: list[Reference]) -> str | None:
    """An UPDATE that copies the tenant from the row(s) a table reaches through ``hops``, or None."""
    col = ident(model.column)
    end = hops[-1].target
    froms, conditions = [], []
    child = "t"
    for n, ref in enumerate(hops, start=1):
        alias = f"p{n}"
        if ref.target in model.user_tables and n == len(hops) and model.tables[end]["scope"] != "tenant":
            return backfill_from_membership(model, table, hops[:-1], ref)
        froms.append(f"{ident(*ref.target)} AS {alias}")
        conditions.append(join_condition(model, ref, child, alias))
        child = alias
    if end == model.root:
        value = f"{child}.{ident(hops[-1].ref_columns[0])}"
    elif model.tables[end]["has_tenant_column"]:
        value = f"{child}.{col}"
    else:
        return None
    return (f"UPDATE {ident(*table)} AS t\nSET {col} = {value}\nFROM {', '.join(froms)}\n"
            f"WHERE {_and(conditions)}\n  AND t.{col} IS NULL;")


def backfill_from_membership(model: TenancyModel, table: tuple[str, str], hops: list[Reference],
                              user_ref: Reference) -> str | None:
    """Backfill through the membership table for users who belong to exactly one tenant."""
    members = model.columns.get(model.membership)
    user_column = model.membership_user_column
    if not members or user_column not in members or model.column not in members or len(user_ref.columns) != 1:
        return None
    col = ident(model.column)
    froms, conditions = [], []
    child = "t"
    for n, ref in enumerate(hops, start=1):
        froms.append(f"{ident(*ref.target)} AS p{n}")
        conditions.append(join_condition(model, ref, child, f"p{n}"))
        child = f"p{n}"
    user_type = model.columns[user_ref.source][user_ref.columns[0]]["data_type"]
    member_type = members[user_column]["data_type"]
    left, right = f"m.{ident(user_column)}", f"{child}.{ident(user_ref.columns[0])}"
    if user_type != member_type:
        left, right = f"{left}::text", f"{right}::text"
    froms.append(f"{ident(*model.membership)} AS m")
    conditions.append(f"{left} = {right}")
    conditions.append(f"NOT EXISTS (SELECT 1 FROM {ident(*model.membership)} AS o "
                      f"WHERE o.{ident(user_column)} = m.{ident(user_column)} AND o.{col} <> m.{col})")
    return ("-- users who belong to several tenants are left for a decision by hand\n"
            f"UPDATE {ident(*table)} AS t\nSET {col} = m.{col}\nFROM {', '.join(froms)}\n"
            f"WHERE {_and(conditions)}\n  AND t.{col} IS NULL;")


def direct_parents(model: TenancyModel, table: tuple[str, str]) -> list[Reference]:
    """References from a table straight to the root or to tables that have the tenant column, best first."""
    refs = [r for r in model.outgoing.get(table, [])
            if r.target == model.root or model.tables[r.target]["has_tenant_column"]]

    def rank(ref: Reference) -> tuple:
        nullable = any(model.columns[table][c]["nullable"] for c in ref.columns)
        position = min(model.columns[table][c]["position"] for c in ref.columns)
        return (ref.target != model.root, not ref.declared, nullable, position)

    return sorted(refs, key=rank)
