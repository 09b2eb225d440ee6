"""Tenancy: which tables hold tenant data, and whether they carry, require and tie the tenant column to the root.

``tenant_scope`` classifies every table once (the report's coverage table reads it too); the checks below read
that classification. A table holds tenant data when it has the tenant column, or when it reaches a table that has
it (or a users table) through declared foreign keys or references the relationships checks infer.
"""

from __future__ import annotations

import copy
import hashlib
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import pandas as pd

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig, split_table
from auditlib.findings import Finding
from auditlib.quoting import ident

SCOPES = ("root", "tenant", "inherits", "global", "platform")
SCOPE_COLUMNS = ["schema", "table", "category", "has_tenant_column", "tenant_nullable", "tenant_fk", "scope", "via"]
MAX_IDENTIFIER_BYTES = 63


def table_category(table_name: str, config: AuditConfig | None = None) -> str:
    """The domain a table belongs to (Core, CRM, Financial, ... or Other), from ``tenancy.categories`` patterns."""
    categories = (config or AuditConfig()).get("tenancy", "categories")
    name = table_name.lower()
    for category, patterns in categories.items():
        if any(fnmatchcase(name, pattern.lower()) for pattern in patterns):
            return category
    return "Other"


@dataclass(frozen=True)
class Reference:
    """One table pointing at another: a declared foreign key or an inferred reference."""

    schema: str
    table: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    declared: bool
    rule: str

    @property
    def source(self) -> tuple[str, str]:
        return (self.schema, self.table)

    @property
    def target(self) -> tuple[str, str]:
        return (self.ref_schema, self.ref_table)

    def describe(self) -> str:
        how = "foreign key" if self.declared else f"inferred: {self.rule}"
        return (f"{self.schema}.{self.table}.{','.join(self.columns)} -> "
                f"{self.ref_schema}.{self.ref_table}.{','.join(self.ref_columns)} ({how})")


def table_references(catalog: Catalog, config: AuditConfig) -> list[Reference]:
    """Declared foreign keys plus the references the relationships checks infer (one row per reference)."""
    from auditlib.checks.relationships import inferred_references

    refs = [Reference(r["schema"], r["table"], tuple(r["columns"]), r["ref_schema"], r["ref_table"],
                      tuple(r["ref_columns"]), True, "foreign key")
            for r in catalog.foreign_keys.to_dict("records")]
    declared = {(r.schema, r.table, r.columns) for r in refs}
    for r in inferred_references(catalog, config).to_dict("records"):
        if (r["schema"], r["table"], (r["column"],)) not in declared:
            refs.append(Reference(r["schema"], r["table"], (r["column"],), r["ref_schema"], r["ref_table"],
                                  (r["ref_column"],), False, str(r["rule"])))
    return refs


@dataclass
class TenancyModel:
    """Every table's tenancy facts, built once per check run."""

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


# The last model built, reused while the same catalog is checked with the same settings (five checks read it).
_LAST: dict[str, tuple] = {}


def build_model(catalog: Catalog, config: AuditConfig) -> TenancyModel:
    """Classify every table (root, tenant, inherits, global, platform) and remember how inheriting ones get there."""
    cached = _LAST.get("model")
    if cached and cached[0]() is catalog and cached[1] == config.values:
        return cached[2]
    model = _build_model(catalog, config)
    _LAST["model"] = (weakref.ref(catalog), copy.deepcopy(config.values), model)
    return model


def _build_model(catalog: Catalog, config: AuditConfig) -> TenancyModel:
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

    model.references = [r for r in table_references(catalog, config)
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


def tenant_scope(catalog: Catalog, config: AuditConfig | None = None) -> pd.DataFrame:
    """One row per table (partitions left out): schema, table, category, has_tenant_column, tenant_nullable,
    tenant_fk, scope (root | tenant | inherits | global | platform) and via (how an inheriting table reaches
    tenant data)."""
    model = build_model(catalog, config or AuditConfig())
    return pd.DataFrame(list(model.tables.values()), columns=SCOPE_COLUMNS)


# -- remediation helpers -------------------------------------------------------------------------------------------
def object_name(*parts: str, suffix: str = "") -> str:
    """A constraint/index name from parts, shortened with a hash to fit PostgreSQL's 63-byte limit."""
    name = "_".join(parts) + (f"_{suffix}" if suffix else "")
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    keep = MAX_IDENTIFIER_BYTES - len(digest) - 1 - (len(suffix) + 1 if suffix else 0)
    head = "_".join(parts).encode()[:keep].decode(errors="ignore")
    return f"{head}_{digest}" + (f"_{suffix}" if suffix else "")


def _join_condition(model: TenancyModel, ref: Reference, child: str, parent: str) -> str:
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


def _backfill_from(model: TenancyModel, table: tuple[str, str], hops: list[Reference]) -> str | None:
    """An UPDATE that copies the tenant from the row(s) a table reaches through ``hops``, or None."""
    col = ident(model.column)
    end = hops[-1].target
    froms, conditions = [], []
    child = "t"
    for n, ref in enumerate(hops, start=1):
        alias = f"p{n}"
        if ref.target in model.user_tables and n == len(hops) and model.tables[end]["scope"] != "tenant":
            return _backfill_from_membership(model, table, hops[:-1], ref)
        froms.append(f"{ident(*ref.target)} AS {alias}")
        conditions.append(_join_condition(model, ref, child, alias))
        child = alias
    if end == model.root:
        value = f"{child}.{ident(hops[-1].ref_columns[0])}"
    elif model.tables[end]["has_tenant_column"]:
        value = f"{child}.{col}"
    else:
        return None
    return (f"UPDATE {ident(*table)} AS t\nSET {col} = {value}\nFROM {', '.join(froms)}\n"
            f"WHERE {_and(conditions)}\n  AND t.{col} IS NULL;")


def _backfill_from_membership(model: TenancyModel, table: tuple[str, str], hops: list[Reference],
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
        conditions.append(_join_condition(model, ref, child, f"p{n}"))
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


def _direct_parents(model: TenancyModel, table: tuple[str, str]) -> list[Reference]:
    """References from a table straight to the root or to tables that have the tenant column, best first."""
    refs = [r for r in model.outgoing.get(table, [])
            if r.target == model.root or model.tables[r.target]["has_tenant_column"]]

    def rank(ref: Reference) -> tuple:
        nullable = any(model.columns[table][c]["nullable"] for c in ref.columns)
        position = min(model.columns[table][c]["position"] for c in ref.columns)
        return (ref.target != model.root, not ref.declared, nullable, position)

    return sorted(refs, key=rank)


# -- checks --------------------------------------------------------------------------------------------------------
@check(name="tenant_column_missing", category="tenancy", severity="high")
def tenant_column_missing(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table holds tenant data (it references tenant-scoped tables or users) but has no tenant column.

    Why it matters: row-level security and application filters can only isolate tenants by a column the row
    carries; without it, a tenant's rows are separated from other tenants' only by joins that every query and
    policy must remember, and financial rows in particular can leak across organisations.

    How to fix: add the tenant column with a foreign key to the tenant root (ON DELETE CASCADE), backfill it from
    the parent row the table references, index it, and make it NOT NULL once every row has a tenant.
    """
    model = build_model(catalog, config)
    if not model.multi_tenant:
        return
    high = set(config.get("tenancy", "high_severity_categories"))
    root_key = model.root_key()
    for key, row in model.tables.items():
        if row["scope"] != "inherits" or key == model.membership or key in model.user_tables:
            continue
        parents = _direct_parents(model, key)
        hops = parents[:1] or model.path(key)
        reached = hops[-1].target
        reaches = ("a users table" if model.tables[reached]["scope"] not in ("tenant", "root")
                   else "the tenant root" if reached == model.root else "a tenant-scoped table")
        severity = "high" if row["category"] in high else "medium"
        backfills = [sql for sql in (_backfill_from(model, key, [ref]) for ref in parents) if sql]
        if not backfills:
            sql = _backfill_from(model, key, model.path(key))
            backfills = [sql] if sql else []
        evidence = {
            "tenant_column": model.column, "tenant_root": ".".join(model.root),
            "reaches": f"{reached[0]}.{reached[1]} ({reaches})",
            "path": [ref.describe() for ref in hops],
            "tenant_parents": [ref.describe() for ref in parents],
            "category": row["category"],
            "severity_reason": (f"{row['category']} tables are in tenancy.high_severity_categories "
                                f"{sorted(high)}" if severity == "high" else
                                f"{row['category']} is not in tenancy.high_severity_categories {sorted(high)}"),
        }
        yield Finding(
            schema=key[0], table=key[1], column=None, severity=severity,
            title=f"{key[0]}.{key[1]} holds tenant data but has no {model.column}",
            detail=(f"{key[0]}.{key[1]} references {reached[0]}.{reached[1]} ({reaches}) but has no "
                    f"{model.column} column, so its rows can only be isolated by tenant through joins."),
            evidence=evidence,
            remediation_sql=_add_tenant_column_sql(model, key, root_key, backfills))


def _add_tenant_column_sql(model: TenancyModel, table: tuple[str, str], root_key: tuple[str, str] | None,
                           backfills: list[str]) -> str:
    col = ident(model.column)
    target = ident(*table)
    if root_key:
        add = (f"ALTER TABLE {target} ADD COLUMN {col} {root_key[1]} REFERENCES {ident(*model.root)} "
               f"({ident(root_key[0])}) ON DELETE CASCADE;")
    else:
        types = [cols[model.column]["data_type"] for cols in model.columns.values() if model.column in cols]
        add = f"ALTER TABLE {target} ADD COLUMN {col} {max(set(types), key=types.count) if types else 'uuid'};"
    index = ident(object_name("idx", table[1], model.column))
    parts = [add]
    if backfills:
        parts.append("-- backfill from the parent rows (the first parent with a tenant wins)")
        parts.extend(backfills)
    else:
        parts.append("-- no parent row carries the tenant: fill the column by hand")
    parts.append(f"CREATE INDEX CONCURRENTLY {index} ON {target} ({col});")
    parts.append(f"-- once every row has a tenant:\n-- ALTER TABLE {target} ALTER COLUMN {col} SET NOT NULL;")
    return "\n".join(parts)


@check(name="tenant_column_nullable", category="tenancy", severity="medium")
def tenant_column_nullable(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """The tenant column of a tenant-scoped table allows NULL.

    Why it matters: a row without a tenant belongs to nobody; tenant filters skip it, and policies written to
    tolerate it (``OR organization_id IS NULL``) show it to every tenant.

    How to fix: backfill the missing tenants, then make the column NOT NULL (a validated CHECK constraint first
    lets SET NOT NULL skip the full-table scan under an exclusive lock).
    """
    model = build_model(catalog, config)
    col = ident(model.column)
    for key, row in model.tables.items():
        if row["scope"] != "tenant" or not row["tenant_nullable"]:
            continue
        target = ident(*key)
        check_name = ident(object_name(key[1], model.column, suffix="not_null"))
        yield Finding(
            schema=key[0], table=key[1], column=model.column,
            title=f"{key[0]}.{key[1]}.{model.column} allows NULL",
            detail=(f"{key[0]}.{key[1]} can hold rows without an {model.column}: such rows belong to no tenant "
                    "and escape tenant isolation."),
            evidence={"tenant_column": model.column, "nullable": True, "category": row["category"],
                      "tenant_fk": row["tenant_fk"]},
            remediation_sql=(
                f"-- backfill first: rows without a tenant make the VALIDATE fail\n"
                f"ALTER TABLE {target} ADD CONSTRAINT {check_name} CHECK ({col} IS NOT NULL) NOT VALID;\n"
                f"ALTER TABLE {target} VALIDATE CONSTRAINT {check_name};\n"
                f"ALTER TABLE {target} ALTER COLUMN {col} SET NOT NULL;\n"
                f"ALTER TABLE {target} DROP CONSTRAINT {check_name};"))


@check(name="tenant_fk_missing", category="tenancy", severity="medium")
def tenant_fk_missing(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table has the tenant column but no foreign key ties it to the tenant root.

    Why it matters: rows can name tenants that do not exist (typos, deleted organisations), and deleting a tenant
    leaves its rows behind instead of removing them with it.

    How to fix: add the foreign key NOT VALID (no long lock), clean up rows pointing at missing tenants, then
    VALIDATE CONSTRAINT.
    """
    model = build_model(catalog, config)
    root_key = model.root_key()
    if root_key is None:
        return
    for key, row in model.tables.items():
        if row["scope"] != "tenant" or row["tenant_fk"]:
            continue
        data_type = model.columns[key][model.column]["data_type"]
        name = ident(object_name(key[1], model.column, suffix="fkey"))
        target = ident(*key)
        sql = None
        if data_type == root_key[1]:
            sql = (f"ALTER TABLE {target} ADD CONSTRAINT {name} FOREIGN KEY ({ident(model.column)}) "
                   f"REFERENCES {ident(*model.root)} ({ident(root_key[0])}) ON DELETE CASCADE NOT VALID;\n"
                   f"ALTER TABLE {target} VALIDATE CONSTRAINT {name};")
        yield Finding(
            schema=key[0], table=key[1], column=model.column,
            title=f"{key[0]}.{key[1]}.{model.column} has no foreign key to {'.'.join(model.root)}",
            detail=(f"Nothing guarantees that {key[0]}.{key[1]}.{model.column} names an existing tenant in "
                    f"{'.'.join(model.root)}, and deleting a tenant leaves these rows behind."),
            evidence={"tenant_column": model.column, "tenant_root": ".".join(model.root), "column_type": data_type,
                      "root_key": f"{root_key[0]} {root_key[1]}",
                      **({} if sql else {"remediation": "the column's type differs from the root key's; change "
                                                        "the type before adding the foreign key"})},
            remediation_sql=sql)
