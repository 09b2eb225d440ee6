"""Tenancy: which tables hold tenant data, and whether they carry, require and tie the tenant column to the root.

The classification of every table is the run's tenancy model (``auditlib.model.tenancy``, ``Analysis.tenancy``);
the checks below read it. A table holds tenant data when it has the tenant column, or when it reaches a table that
has it (or a users table) through declared foreign keys or inferred references.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

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


# -- tenancy x relationships: what one tenant learns about another through keys ----------------------------------
def _writers(catalog: Catalog, roles: list[str]) -> dict[tuple[str, str], dict[str, list[str]]]:
    """(schema, table) -> {INSERT|UPDATE: the API roles holding that table grant (PUBLIC counts as every role)}."""
    grantees = {*roles, "public"}
    held: dict[tuple[str, str], dict[str, set[str]]] = {}
    for row in catalog.records("privileges"):
        if row["privilege"] not in ("INSERT", "UPDATE") or row["grantee"] not in grantees:
            continue
        held.setdefault((row["schema"], row["table"]), {}).setdefault(row["privilege"], set()).add(row["grantee"])
    return {key: {p: list(roles) if "public" in g else [r for r in roles if r in g] for p, g in sorted(grants.items())}
            for key, grants in held.items()}


def _unique_keys(catalog: Catalog) -> dict[tuple[str, str], list[dict]]:
    """Per table, its unique indexes other than the primary key (a UNIQUE constraint is one of them), with whether a
    constraint owns the index."""
    owned = {(c["schema"], c["table"], c["name"]) for c in catalog.records("constraints") if c["type"] == "unique"}
    keys: dict[tuple[str, str], list[dict]] = {}
    for index in catalog.records("indexes"):
        if index["is_unique"] and not index["is_primary"]:
            keys.setdefault((index["schema"], index["table"]), []).append(
                {**index, "constraint": (index["schema"], index["table"], index["name"]) in owned})
    return keys


def _mentions(text: str | None, column: str) -> bool:
    """True when an index expression or predicate names ``column`` (as a word, quoted or not)."""
    import re

    return bool(text) and re.search(rf'(^|[^\w"]){re.escape(column)}($|[^\w"])|"{re.escape(column)}"', text) is not None


def _scoped_unique_sql(catalog: Catalog, key: tuple[str, str], unique: dict, tenant: str) -> str:
    """The statements that replace a unique key by the same key within the tenant."""
    target = ident(*key)
    columns = ", ".join(ident(c) for c in [tenant, *unique["columns"]])
    if unique["constraint"]:
        name = ident(unique["name"])
        return (f"ALTER TABLE {target} DROP CONSTRAINT {name},\n"
                f"    ADD CONSTRAINT {name} UNIQUE ({columns});")
    scoped = ident(object_name(key[1], tenant, *unique["columns"], suffix="key"))
    where = f" WHERE {unique['predicate']}" if unique["predicate"] else ""
    return (f"CREATE UNIQUE INDEX CONCURRENTLY {scoped} ON {target} ({columns}){where};\n"
            f"DROP INDEX CONCURRENTLY {ident(key[0], unique['name'])};")


# Single columns whose values are unique in the whole world by construction (random secrets, digests, ids of other
# systems): a global key on them is right, and a taken value tells nobody anything.
GLOBAL_BY_NATURE = ("*token", "*_hash", "*secret*", "*_ref", "external_*", "*_uuid")


@check(name="unique_not_tenant_scoped", category="tenancy", severity="medium", needs=("analysis",),
       report_section="tenancy.enforcement",
       peers=("pgrls:SEC035",))
def unique_not_tenant_scoped(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A UNIQUE constraint or index of a tenant table is unique across all tenants, not within one.

    ``UNIQUE (email)`` on a table that has the tenant column makes a value taken in one organisation unavailable in
    every other: a tenant can block another's slug, invoice number or e-mail, and learn that the value exists
    elsewhere from the unique violation it gets back. Only tables of tenant data are read (no tenancy, no finding):
    those that carry the detected tenant column, and those that reach it through a parent (the fix then waits for
    ``tenant_column_missing``'s, so none is given). Keys that contain the tenant column or the whole primary key, keys with a column that
    references tenant data or a user (``UNIQUE (project_id, version)`` is scoped through the project), single
    ``uuid`` columns with a generated default (surrogate ids) and single columns unique by nature (``*token``,
    ``*_hash``, ``*secret*``, ``*_ref``, ``external_*``) are not reported. Expression keys are compared by the expression's text.
    Medium when the API roles may insert or update the table, low otherwise.

    Why it matters: values of one tenant leak to another one bit at a time (taken or free), and one tenant can
    squat on names every other tenant needs.

    How to fix: make the key unique per tenant: ``UNIQUE (organization_id, email)`` (for an index, create the new
    one CONCURRENTLY before dropping the old one). Keep a global key only for values that are global by nature
    (a login e-mail in the users table, an external id).
    """
    model = analysis.tenancy
    if not model.multi_tenant:
        return
    roles = list(config.get("tenancy", "api_roles"))
    writers = _writers(catalog, roles)
    # A key column that references tenant data or a user (a foreign key, or a reference the model inferred) scopes
    # the key through that parent's tenant, or to one user.
    scoping: dict[tuple[str, str], set[str]] = {}
    references = [(fk["schema"], fk["table"], fk["ref_schema"], fk["ref_table"], list(fk["columns"]))
                  for fk in catalog.records("foreign_keys")]
    references += [(*ref.source, *ref.target, list(ref.columns)) for ref in model.references]
    for schema, table, ref_schema, ref_table, columns in references:
        parent = (ref_schema, ref_table)
        if len(columns) == 1 and (parent in model.user_tables or model.tables.get(parent, {}).get("scope")
                                  in ("root", "tenant", "inherits")):
            scoping.setdefault((schema, table), set()).update(columns)
    unique_keys = _unique_keys(catalog)
    for key, row in sorted(model.tables.items()):
        if row["scope"] not in ("tenant", "inherits") or key == model.membership:
            continue
        primary = set(catalog.primary_key(*key))
        columns = model.columns.get(key, {})
        for unique in unique_keys.get(key, []):
            names = list(unique["columns"])
            if (model.column in names or any(_mentions(c, model.column) for c in names if c not in columns)
                    or _mentions(unique["predicate"], model.column)):
                continue
            if primary and primary <= set(names):
                continue
            if any(c in scoping.get(key, set()) for c in names):
                continue
            if len(names) == 1 and names[0] in columns and (
                    (columns[names[0]]["base_type"] == "uuid" and columns[names[0]]["default"])
                    or any(fnmatchcase(names[0].lower(), p) for p in GLOBAL_BY_NATURE)):
                continue
            writable = writers.get(key, {})
            callers = sorted({r for rs in writable.values() for r in rs}, key=roles.index)
            shown = ", ".join(names)
            kind = "constraint" if unique["constraint"] else "unique index"
            yield Finding(
                schema=key[0], table=key[1], column=names[0] if len(names) == 1 and names[0] in columns else None,
                object=f"{key[0]}.{key[1]}.{unique['name']}", severity="medium" if callers else "low",
                title=f"{key[0]}.{key[1]} ({shown}) is unique across every tenant, not per {model.column}",
                detail=(f"The {kind} {unique['name']} makes ({shown}) unique in the whole table although "
                        f"{key[0]}.{key[1]} is tenant data ("
                        + (model.column if row["has_tenant_column"] else f"through {row['via']}")
                        + "): a value one organisation uses is refused to every other, which tells them it exists"
                        + (f"; {', '.join(callers)} may write the table over the API." if callers else ".")),
                evidence={"unique": unique["name"], "kind": kind, "columns": names,
                          "predicate": unique["predicate"], "definition": unique["definition"],
                          "tenant_column": model.column, "tenancy": model.why, "writers": writable},
                # an expression key is rewritten by a person: its definition is in the evidence
                # without the tenant column the key cannot be scoped yet (tenant_column_missing comes first)
                remediation_sql=(_scoped_unique_sql(catalog, key, unique, model.column)
                                 if row["has_tenant_column"] and all(c in columns for c in names) else None))


@check(name="fk_existence_oracle", category="tenancy", severity="info", needs=("analysis",),
       report_section="tenancy.enforcement",
       peers=("pgrls:SEC047",))
def fk_existence_oracle(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """An API role may write a foreign key into a tenant table protected by RLS: whether the write succeeds tells
    the caller whether a row of another tenant exists.

    Foreign keys are checked without row-level security, so inserting (or updating) a row of the child with a
    guessed parent key succeeds when that key exists in any tenant and fails with a foreign-key violation when it
    does not. Reported when anon or authenticated hold INSERT or UPDATE on the child and some write policy that
    applies to them (or RLS off) leaves the foreign-key column free (a WITH CHECK that compares the column with the
    caller's identity runs before the foreign key and closes the oracle), and the parent is tenant data with RLS on
    that the caller's policies do not already show in full, and its key can be enumerated (integers, text: a
    ``uuid`` key must be known before it can be asked about, so those are left out).

    Why it matters: a caller learns which ids (and so how many rows) other tenants have, which makes ids that leak
    elsewhere (URLs, logs) confirmable and sequential ids countable.

    How to fix: scope the write policy's WITH CHECK to parents the caller may see (``EXISTS (SELECT 1 FROM parent
    p WHERE p.id = child.parent_id)``, which runs under the parent's policies), or use non-enumerable keys.
    """
    from auditlib.model.policies import always_true_clauses, applies_to_api, policies_by_table, restricts_by

    model = analysis.tenancy
    if not model.multi_tenant:
        return
    roles = list(config.get("tenancy", "api_roles"))
    service = list(config.get("tenancy", "service_roles"))
    writers = _writers(catalog, roles)
    policies = policies_by_table(catalog)
    bypass = {r["name"] for r in catalog.records("roles") if r["superuser"] or r["bypass_rls"]}
    for fk in catalog.records("foreign_keys"):
        child, parent = (fk["schema"], fk["table"]), (fk["ref_schema"], fk["ref_table"])
        parent_row = catalog.relation(*parent)
        if (child == parent or child not in writers or parent_row is None or not parent_row["rls_enabled"]
                or model.tables.get(parent, {}).get("scope") not in ("root", "tenant", "inherits")):
            continue
        visible_anyway = any(p["command"] in ("SELECT", "ALL") and p["permissive"] and "USING" in
                             always_true_clauses(p) and applies_to_api(p, roles, service)
                             for p in policies.get(parent, []))
        if visible_anyway:
            continue
        key_types = [(model.columns.get(parent, {}).get(c) or {}).get("base_type") for c in fk["ref_columns"]]
        if "uuid" in key_types:
            continue  # a random key must be known before it can be asked about
        child_row = catalog.relation(*child) or {}
        free: dict[str, list[str]] = {}
        for command, callers in writers[child].items():
            if not child_row.get("rls_enabled"):
                free[command] = callers
                continue
            applicable = [p for p in policies.get(child, []) if p["command"] in (command, "ALL")
                          and applies_to_api(p, roles, service) and not set(p["roles"]) <= bypass]
            checks = [p["with_check"] or p["using_expression"] for p in applicable]
            restricted = [any(restricts_by(text, c) for c in fk["columns"]) for text in checks]
            permissive_free = [p["name"] for p, bound in zip(applicable, restricted, strict=True)
                               if p["permissive"] and not bound]
            restrictive_bound = any(bound for p, bound in zip(applicable, restricted, strict=True)
                                    if not p["permissive"])
            if permissive_free and not restrictive_bound:
                free[command] = callers
        if not free:
            continue
        callers = sorted({r for rs in free.values() for r in rs}, key=roles.index)
        columns = ", ".join(fk["columns"])
        yield Finding(
            schema=child[0], table=child[1], column=fk["columns"][0] if len(fk["columns"]) == 1 else None,
            object=f"{child[0]}.{child[1]}.{fk['name']}",
            title=f"Writing {child[0]}.{child[1]}.{columns} tells {', '.join(callers)} whether a "
                  f"{parent[0]}.{parent[1]} row of another tenant exists",
            detail=(f"{', '.join(callers)} may {' and '.join(c.lower() for c in free)} rows of {child[0]}.{child[1]} "
                    f"with any {columns}; the foreign key {fk['name']} is checked without the row-level security "
                    f"of {parent[0]}.{parent[1]}, so success or a foreign-key violation reveals whether the key "
                    "exists in any tenant."),
            evidence={"foreign_key": fk["name"], "columns": list(fk["columns"]),
                      "references": f"{parent[0]}.{parent[1]}({', '.join(fk['ref_columns'])})",
                      "key_types": key_types, "writes": free, "child_rls_enabled": bool(child_row.get("rls_enabled")),
                      "tenant_column": model.column, "api_roles": roles},
            remediation_sql=None)
