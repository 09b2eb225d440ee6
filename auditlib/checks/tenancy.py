"""Tenancy: which tables hold tenant data, and whether they carry, require and tie the tenant column to the root.

The classification of every table is the run's tenancy model (``auditlib.model.tenancy``, ``Analysis.tenancy``);
the checks below read it. A table holds tenant data when it has the tenant column, or when it reaches a table that
has it (or a users table) through declared foreign keys or inferred references.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.model import Analysis
from auditlib.model.tenancy import TenancyModel, backfill_from, direct_parents
from auditlib.quoting import ident, object_name


# -- checks --------------------------------------------------------------------------------------------------------
@check(name="tenant_column_missing", category="tenancy", severity="high", needs=("analysis",),
       report_section="tenancy.column")
def tenant_column_missing(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A table holds tenant data (it references tenant-scoped tables or users) but has no tenant column.

    Why it matters: row-level security and application filters can only isolate tenants by a column the row
    carries; without it, a tenant's rows are separated from other tenants' only by joins that every query and
    policy must remember, and financial rows in particular can leak across organisations.

    How to fix: add the tenant column with a foreign key to the tenant root (ON DELETE CASCADE), backfill it from
    the parent row the table references, index it, and make it NOT NULL once every row has a tenant.
    """
    model = analysis.tenancy
    if not model.multi_tenant:
        return
    high = set(config.get("tenancy", "high_severity_categories"))
    root_key = model.root_key()
    for key, row in model.tables.items():
        if row["scope"] != "inherits" or key == model.membership or key in model.user_tables:
            continue
        parents = direct_parents(model, key)
        hops = parents[:1] or model.path(key)
        reached = hops[-1].target
        reaches = ("a users table" if model.tables[reached]["scope"] not in ("tenant", "root")
                   else "the tenant root" if reached == model.root else "a tenant-scoped table")
        severity = "high" if row["category"] in high else "medium"
        backfills = [sql for sql in (backfill_from(model, key, [ref]) for ref in parents) if sql]
        if not backfills:
            sql = backfill_from(model, key, model.path(key))
            backfills = [sql] if sql else []
        evidence = {
            "tenant_column": model.column, "tenant_root": ".".join(model.root), "tenancy": model.why,
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


@check(name="tenant_column_nullable", category="tenancy", severity="medium", needs=("analysis",),
       report_section="tenancy.enforcement")
def tenant_column_nullable(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """The tenant column of a tenant-scoped table allows NULL.

    Why it matters: a row without a tenant belongs to nobody; tenant filters skip it, and policies written to
    tolerate it (``OR organization_id IS NULL``) show it to every tenant.

    How to fix: backfill the missing tenants, then make the column NOT NULL (a validated CHECK constraint first
    lets SET NOT NULL skip the full-table scan under an exclusive lock).
    """
    model = analysis.tenancy
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
            evidence={"tenant_column": model.column, "tenancy": model.why, "nullable": True, "category": row["category"],
                      "tenant_fk": row["tenant_fk"]},
            remediation_sql=(
                f"-- backfill first: rows without a tenant make the VALIDATE fail\n"
                f"ALTER TABLE {target} ADD CONSTRAINT {check_name} CHECK ({col} IS NOT NULL) NOT VALID;\n"
                f"ALTER TABLE {target} VALIDATE CONSTRAINT {check_name};\n"
                f"ALTER TABLE {target} ALTER COLUMN {col} SET NOT NULL;\n"
                f"ALTER TABLE {target} DROP CONSTRAINT {check_name};"))


@check(name="tenant_fk_missing", category="tenancy", severity="medium", needs=("analysis",),
       report_section="tenancy.enforcement")
def tenant_fk_missing(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A table has the tenant column but no foreign key ties it to the tenant root.

    Why it matters: rows can name tenants that do not exist (typos, deleted organisations), and deleting a tenant
    leaves its rows behind instead of removing them with it.

    How to fix: add the foreign key NOT VALID (no long lock), clean up rows pointing at missing tenants, then
    VALIDATE CONSTRAINT.
    """
    model = analysis.tenancy
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
                      # the key it should reference, named like fk_missing's evidence
                      "references": ".".join((*model.root, root_key[0])),
                      "tenancy": model.why,
                      **({} if sql else {"remediation": "the column's type differs from the root key's; change "
                                                        "the type before adding the foreign key"})},
            remediation_sql=sql)
