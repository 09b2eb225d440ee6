"""Data integrity: rows whose reference names no parent, rows without a tenant, rows whose parent is another tenant's.

These checks read rows (``kind="data"``). Each runs one aggregate query per reference or table from
``auditlib/sql/data``, in a read-only transaction with the configured statement timeout (see ``auditlib.data``),
and brings back counts and at most five sample keys: tables never travel to Python. A query that times out or is
denied becomes a ``skipped`` entry and the check goes on with the next object.

The references come from the run's model (``Analysis.unenforced``, ``Analysis.references``, ``Analysis.tenancy``);
the query helpers from ``auditlib.checks.queries``. One schema check lives here too, constraint_not_valid: the
constraints whose rows check_violation_rows and orphan_rows count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from psycopg import sql

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.fixes import object_name
from auditlib.checks.queries import (
    audited_schemas,
    column_ref,
    comparable,
    comparable_sql,
    distinct_samples,
    estimated_rows,
    in_values,
    key_text,
    plural,
    render,
    verb,
    without_header,
)
from auditlib.config import AuditConfig
from auditlib.data import SAMPLE_SIZE, DataContext, QuerySkipped
from auditlib.findings import Finding
from auditlib.model import Analysis, Reference
from auditlib.model.references import type_family
from auditlib.model.tenancy import backfill_from, direct_parents
from auditlib.quoting import ident, ident_list


# -- orphan_rows ---------------------------------------------------------------------------------------------------
def _orphan_query(catalog: Catalog, link: Reference, columns: list[dict], ref_columns: list[dict]) -> str:
    names = [f"v{n}" for n in range(1, len(columns) + 1)]
    values = sql.SQL(", ").join(sql.SQL("{} AS {}").format(column_ref("c", c["name"]), sql.Identifier(v))
                                for c, v in zip(columns, names, strict=True))
    groups = sql.SQL(", ").join(sql.Literal(n) for n in range(1, len(columns) + 1))
    present = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(column_ref("g", v)) for v in names)
    if len(names) == 1:
        value_text = sql.SQL("CAST({} AS text)").format(column_ref("g", names[0]))
    else:
        value_text = sql.SQL("CAST(ROW({}) AS text)").format(sql.SQL(", ").join(column_ref("g", v) for v in names))
    match = sql.SQL(" AND ").join(comparable(column_ref("p", r["name"]), r, column_ref("g", v), c)
                                  for c, r, v in zip(columns, ref_columns, names, strict=True))
    return render("orphan_rows", child=(link.schema, link.table), parent=(link.ref_schema, link.ref_table),
                  values=values, groups=groups, present=present, value_text=value_text, match=match,
                  probe=ref_columns[0]["name"])


def _walkable(catalog: Catalog, config: AuditConfig, data: DataContext, link: Reference) -> dict | None:
    """Planner estimates when the reference can be walked through an index (few distinct values), else None."""
    if len(link.columns) != 1:
        return None
    indexes = catalog.indexes
    leading = indexes[(indexes["schema"] == link.schema) & (indexes["table"] == link.table)
                      & (indexes["method"] == "btree") & indexes["is_valid"] & indexes["predicate"].isna()]
    if not any(cols and cols[0] == link.columns[0] for cols in leading["columns"]):
        return None
    row = data.one(render("column_distinct_estimate"),
                   {"schema": link.schema, "table": link.table, "column": link.columns[0]})
    if row is None or row.n_distinct is None or not row.row_estimate or row.row_estimate <= 0:
        return None
    distinct = row.n_distinct if row.n_distinct > 0 else -row.n_distinct * row.row_estimate
    per_value = row.row_estimate / max(distinct, 1)
    if per_value < config.get("data", "orphan_walk_rows_per_value"):
        return None
    return {"row_estimate": int(row.row_estimate), "distinct_estimate": int(distinct)}


def _orphan_walk_query(link: Reference, column: dict, ref_column: dict) -> str:
    match = comparable(column_ref("p", ref_column["name"]), ref_column, column_ref("w", "v"), column)
    return render("orphan_rows_walk", child=(link.schema, link.table), parent=(link.ref_schema, link.ref_table),
                  column=column["name"], match=match, probe=ref_column["name"])


def _orphan_samples_query(catalog: Catalog, link: Reference, columns: list[dict]) -> str:
    key, _ = key_text(catalog, link.schema, link.table, "c")
    if len(columns) == 1:
        condition = in_values("c", columns[0])
    else:
        row = sql.SQL(", ").join(column_ref("c", c["name"]) for c in columns)
        condition = sql.SQL("CAST(ROW({}) AS text) = ANY (CAST(:values AS text[]))").format(row)
    return render("orphan_samples", child=(link.schema, link.table), key_text=key, condition=condition)


def _orphan_cleanup(link: Reference, columns: list[dict], ref_columns: list[dict], orphans: int) -> str:
    child, parent = ident(link.schema, link.table), ident(link.ref_schema, link.ref_table)
    present = " AND ".join(f"c.{ident(c['name'])} IS NOT NULL" for c in columns)
    match = " AND ".join(comparable_sql(f"p.{ident(r['name'])}", r, f"c.{ident(c['name'])}", c)
                         for c, r in zip(columns, ref_columns, strict=True))
    where = f"{present}\n--   AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE {match})"
    lines = [f"-- review first: {plural(orphans, 'row')} of {link.schema}.{link.table} "
             f"{verb(orphans, 'names a', 'name')} {link.parent} {verb(orphans, 'row', 'rows')} that "
             f"{verb(orphans, 'does', 'do')} not exist."]
    if all(c["nullable"] for c in columns):
        sets = ", ".join(f"{ident(c['name'])} = NULL" for c in columns)
        lines.append("-- Keep the rows and clear the reference:")
        lines.append(f"-- UPDATE {child} AS c SET {sets}\n-- WHERE {where};")
    else:
        lines.append("-- The column is NOT NULL: point the rows at an existing parent, or delete them:")
        lines.append(f"-- DELETE FROM {child} AS c\n-- WHERE {where};")
    if link.constraint:
        lines.append(f"-- then: ALTER TABLE {child} VALIDATE CONSTRAINT {ident(link.constraint)};")
    else:
        lines.append("-- then add the foreign key (see " + ("fk_legacy_trigger" if link.kind == "legacy_trigger"
                                                          else "fk_missing") + ").")
    return "\n".join(lines)


@check(name="orphan_rows", category="data", severity="high", kind="data", needs=("data", "audited", "analysis"),
       report_section="data.orphans", count_key="orphan_count")
def orphan_rows(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                analysis: Analysis) -> Iterator[Finding]:
    """Rows whose reference names a parent row that does not exist (a reference no valid foreign key enforces).

    Why it matters: the schema checks say orphans can happen; this counts the rows where they already have.
    Joins silently drop these rows (invoices vanish from a project report), totals disagree between screens, and
    the foreign key the schema needs cannot be validated until they are dealt with.

    How to fix: review the sample rows, then clear the reference (SET NULL), point it at the right parent or delete
    the rows; afterwards add the missing foreign key (fk_missing) or VALIDATE the NOT VALID one. The counts come
    from one anti-join per reference over the whole child table, run by the server.
    """
    schemas = audited_schemas(catalog, config, audited)
    for link in analysis.unenforced:
        if link.schema not in schemas:
            continue
        columns = [catalog.column(link.schema, link.table, c) for c in link.columns]
        ref_columns = [catalog.column(link.ref_schema, link.ref_table, c) for c in link.ref_columns]
        if None in columns or None in ref_columns:
            continue
        with data.guard("orphan_rows", link.object):
            walk = _walkable(catalog, config, data, link)
            query = _orphan_walk_query(link, columns[0], ref_columns[0]) if walk else \
                _orphan_query(catalog, link, columns, ref_columns)
            row = data.one(query)
            orphans = int(row.orphans)
            if not orphans:
                continue
            values = distinct_samples(row.sample_values)
            samples_query = _orphan_samples_query(catalog, link, columns)
            keys = [r.key for r in data.all(samples_query, {"values": [str(v) for v in values]})]
            _, key_name = key_text(catalog, link.schema, link.table, "c")
            total, with_value = int(row.total), int(row.with_value)
            evidence = {
                "orphan_count": orphans, "count": orphans, "total": total, "with_value": with_value,
                "dangling_values": int(row.dangling_values), "sample_keys": keys, "sample_key_column": key_name,
                "sample_values": values, "references": qualified(link.ref_schema, link.ref_table,
                                                                 ",".join(link.ref_columns)),
                "reference": link.provenance, "share": round(orphans / with_value, 4) if with_value else None,
                "query": without_header(query), "samples_query": without_header(samples_query),
                "sample_size": SAMPLE_SIZE, "statement_timeout_ms": data.statement_timeout_ms,
                "strategy": ("index walk: few distinct values, read through the index" if walk else
                             "grouped scan: the child grouped by its reference, hash-joined to the parent"),
                "planner_estimates": walk,
                "orphan_walk_rows_per_value": config.get("data", "orphan_walk_rows_per_value"),
            }
            kind = {"not_valid": "a foreign key declared NOT VALID",
                    "legacy_trigger": "kept only by legacy RI triggers, which check nothing"}.get(
                link.kind, "an inferred one without a foreign key")
            yield Finding(
                schema=link.schema, table=link.table, column=",".join(link.columns),
                title=(f"{plural(orphans, 'row')} of {link.schema}.{link.table} "
                       f"{verb(orphans, 'points', 'point')} at missing {link.ref_table}"),
                detail=(f"{orphans:,} of {with_value:,} rows of {link.schema}.{link.table} with a "
                        f"{', '.join(link.columns)} name a {link.parent} row that does not exist "
                        f"({int(row.dangling_values):,} distinct missing values); the reference is {kind}."),
                evidence=evidence, remediation_sql=_orphan_cleanup(link, columns, ref_columns, orphans))


# -- tenant_null_rows ----------------------------------------------------------------------------------------------
def _tenant_backfill(analysis: Analysis, key: tuple[str, str]) -> str | None:
    """An UPDATE that copies the tenant from a parent row, for the best parent that carries it (or None)."""
    model = analysis.tenancy
    for ref in direct_parents(model, key):
        if model.column in ref.columns:
            continue  # the tenant column's own reference to the root: nothing to copy from
        backfill = backfill_from(model, key, [ref])
        if backfill:
            return backfill
    return None


@check(name="tenant_null_rows", category="data", severity="high", kind="data",
       needs=("data", "audited", "analysis"), count_key="null_count")
def tenant_null_rows(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                     analysis: Analysis) -> Iterator[Finding]:
    """Rows of a tenant-scoped table whose tenant column is NULL: they belong to no organisation.

    Why it matters: tenant filters skip these rows, and a policy written to tolerate them (``OR organization_id
    IS NULL``) shows them to every tenant; legacy and test rows also distort per-tenant totals and block the NOT
    NULL constraint the column needs.

    How to fix: backfill the tenant from the parent row the table references (the remediation does that where a
    parent carries the tenant), assign or delete what remains by hand, then make the column NOT NULL.
    """
    schemas = audited_schemas(catalog, config, audited)
    model = analysis.tenancy
    column = model.column
    keys = [key for key, row in sorted(model.tables.items())
            if row["scope"] == "tenant" and row["tenant_nullable"] and key[0] in schemas]
    queries = [render("tenant_null_rows", table=key, tenant=column, key_text=key_text(catalog, *key, "t")[0])
               for key in keys]
    # small tables are read several to a statement
    results = data.one_each(queries, [estimated_rows(catalog, key) for key in keys])
    for key, query, result in zip(keys, queries, results, strict=True):
        obj = qualified(key[0], key[1], column)
        if isinstance(result, QuerySkipped):
            data.skip("tenant_null_rows", obj, str(result))
            continue
        nulls, total = int(result.nulls), int(result.total)
        if not nulls:
            continue
        _, key_name = key_text(catalog, key[0], key[1], "t")
        backfill = _tenant_backfill(analysis, key)
        target = ident(*key)
        remediation = ("-- review first: copy the tenant from the parent row\n" + backfill
                       if backfill else
                       f"-- review first: no parent row carries the tenant; assign these rows by hand:\n"
                       f"-- UPDATE {target} SET {ident(column)} = '<organization id>' "
                       f"WHERE {ident(column)} IS NULL AND ...;")
        remediation += (f"\n-- once no row is left without a tenant:\n-- ALTER TABLE {target} ALTER COLUMN "
                        f"{ident(column)} SET NOT NULL;")
        yield Finding(
            schema=key[0], table=key[1], column=column,
            title=f"{plural(nulls, 'row')} of {key[0]}.{key[1]} {verb(nulls, 'has', 'have')} no {column}",
            detail=(f"{nulls:,} of {total:,} rows of {key[0]}.{key[1]} have {column} NULL: they belong to no "
                    "tenant, so tenant filters miss them and NULL-tolerant policies show them to everyone."),
            evidence={"null_count": nulls, "count": nulls, "total": total, "tenant_column": column,
                      "share": round(nulls / total, 4) if total else None,
                      "sample_keys": distinct_samples(result.sample_keys), "sample_key_column": key_name,
                      "backfill_from_parent": backfill is not None, "query": without_header(query),
                      "sample_size": SAMPLE_SIZE, "statement_timeout_ms": data.statement_timeout_ms},
            remediation_sql=remediation)


# -- tenant_mismatch_rows ------------------------------------------------------------------------------------------
def _composite_fk_sql(key: tuple[str, str], ref_key: tuple[str, str], columns: tuple[str, ...],
                      ref_columns: tuple[str, ...], tenant: str, mismatched: int) -> str:
    child, parent = ident(*key), ident(*ref_key)
    index = object_name(ref_key[1], tenant, *ref_columns, suffix="key")
    fk = object_name(key[1], tenant, *columns, suffix="tenant_fkey")
    return (f"-- review first: {plural(mismatched, 'row')} reference another tenant's row; fix them, then let the "
            "database refuse new ones:\n"
            f"CREATE UNIQUE INDEX CONCURRENTLY {ident(index)} ON {parent} ({ident_list([tenant, *ref_columns])});\n"
            f"ALTER TABLE {child} ADD CONSTRAINT {ident(fk)} FOREIGN KEY ({ident_list([tenant, *columns])}) "
            f"REFERENCES {parent} ({ident_list([tenant, *ref_columns])}) NOT VALID;\n"
            f"ALTER TABLE {child} VALIDATE CONSTRAINT {ident(fk)};")


@check(name="tenant_mismatch_rows", category="data", severity="high", kind="data",
       needs=("data", "audited", "analysis"))
def tenant_mismatch_rows(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                         analysis: Analysis) -> Iterator[Finding]:
    """Rows that reference a row of another tenant (the child's and the parent's tenant columns differ).

    Why it matters: a quote of one organisation pointing at another organisation's client shows that client's data
    across the tenant boundary, and cascades, reports and policies that follow the reference cross it too. A
    foreign key on the id alone cannot prevent it.

    How to fix: correct the rows (re-point them at a parent of their own tenant), then include the tenant column
    in the key: a unique index on the parent's (tenant, id) and a composite foreign key (tenant, column) on the
    child make the database refuse cross-tenant references.
    """
    schemas = audited_schemas(catalog, config, audited)
    model = analysis.tenancy
    tenant = model.column
    found: list[tuple[Reference, str, str, str]] = []  # (reference, object, query, key column) of each reference read
    for ref in sorted(analysis.references, key=lambda r: (r.schema, r.table, r.columns)):
        source, target = model.tables.get(ref.source), model.tables.get(ref.target)
        if source is None or target is None or ref.schema not in schemas:
            continue
        if source["scope"] != "tenant" or target["scope"] != "tenant":
            continue  # both ends must carry the tenant column (the root is the tenant itself)
        if tenant in ref.columns or tenant in ref.ref_columns:
            continue  # a composite key that includes the tenant already keeps both ends in one tenant
        columns = [catalog.column(ref.schema, ref.table, c) for c in ref.columns]
        ref_columns = [catalog.column(ref.ref_schema, ref.ref_table, c) for c in ref.ref_columns]
        child_tenant = catalog.column(ref.schema, ref.table, tenant)
        parent_tenant = catalog.column(ref.ref_schema, ref.ref_table, tenant)
        if None in columns or None in ref_columns or child_tenant is None or parent_tenant is None:
            continue
        obj = qualified(ref.schema, ref.table, ",".join(ref.columns))
        match = sql.SQL(" AND ").join(comparable(column_ref("p", r["name"]), r, column_ref("c", c["name"]), c)
                                      for c, r in zip(columns, ref_columns, strict=True))
        if type_family(child_tenant["base_type"]) == type_family(parent_tenant["base_type"]):
            left, right = column_ref("c", tenant), column_ref("p", tenant)
        else:
            left = sql.SQL("CAST({} AS text)").format(column_ref("c", tenant))
            right = sql.SQL("CAST({} AS text)").format(column_ref("p", tenant))
        key_sql, key_name = key_text(catalog, ref.schema, ref.table, "c")
        query = render("tenant_mismatch_rows", child=ref.source, parent=ref.target, match=match,
                       child_tenant=left, parent_tenant=right, key_text=key_sql)
        found.append((ref, obj, query, key_name))
    # each reads the child joined to its parent: small pairs are read several to a statement
    results = data.one_each([query for _, _, query, _ in found],
                            [estimated_rows(catalog, ref.source, ref.target) for ref, _, _, _ in found])
    for (ref, obj, query, key_name), result in zip(found, results, strict=True):
        if isinstance(result, QuerySkipped):
            data.skip("tenant_mismatch_rows", obj, str(result))
            continue
        mismatched, joined = int(result.mismatched), int(result.joined)
        if not mismatched:
            continue
        parent = qualified(*ref.target)
        yield Finding(
            schema=ref.schema, table=ref.table, column=",".join(ref.columns),
            title=(f"{plural(mismatched, 'row')} of {ref.schema}.{ref.table} "
                   f"{verb(mismatched, 'references', 'reference')} another tenant's {ref.ref_table}"),
            detail=(f"{mismatched:,} of {joined:,} rows of {ref.schema}.{ref.table} reference a {parent} row "
                    f"(through {', '.join(ref.columns)}) whose {tenant} differs from their own."),
            evidence={"count": mismatched, "mismatch_count": mismatched, "joined": joined,
                      "references": qualified(ref.ref_schema, ref.ref_table, ",".join(ref.ref_columns)),
                      "reference": ref.describe(), "tenant_column": tenant,
                      "sample_keys": distinct_samples(result.sample_keys), "sample_key_column": key_name,
                      "query": without_header(query), "sample_size": SAMPLE_SIZE,
                      "statement_timeout_ms": data.statement_timeout_ms},
            remediation_sql=_composite_fk_sql(ref.source, ref.target, ref.columns, ref.ref_columns, tenant,
                                              mismatched))


# -- constraint_not_valid, check_violation_rows -------------------------------------------------------------------
_CHECK_DEFINITION = re.compile(r"^CHECK \((?P<expression>.*)\)(?P<options>(?: NO INHERIT| NOT VALID)*)$", re.DOTALL)


def check_expression(definition: str | None) -> str | None:
    """The boolean expression of a CHECK constraint's definition (``CHECK (qty > 0) NOT VALID`` → ``qty > 0``)."""
    match = _CHECK_DEFINITION.match((definition or "").strip())
    return match.group("expression") if match else None


def not_valid_constraints(catalog: Catalog) -> list[dict]:
    """Foreign keys and CHECKs added NOT VALID and never validated (NOT ENFORCED ones, PostgreSQL 18, are left out:
    they are not meant to be checked)."""
    return [c for c in catalog.records("constraints")
            if c["type"] in ("foreign key", "check") and not c["validated"] and c["enforced"]]


def _violations_select(constraint: dict) -> str | None:
    """A SELECT of the rows ``VALIDATE CONSTRAINT`` would reject (None when the definition could not be read)."""
    table = ident(constraint["schema"], constraint["table"])
    if constraint["type"] == "check":
        expression = check_expression(constraint["definition"])
        return f"SELECT t.* FROM {table} AS t WHERE ({expression}) IS FALSE" if expression else None
    parent = ident(constraint["ref_schema"], constraint["ref_table"])
    present = " AND ".join(f"t.{ident(c)} IS NOT NULL" for c in constraint["columns"])
    match = " AND ".join(f"p.{ident(r)} = t.{ident(c)}"
                         for c, r in zip(constraint["columns"], constraint["ref_columns"], strict=True))
    return f"SELECT t.* FROM {table} AS t WHERE {present} AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE {match})"


def _validate_sql(constraint: dict, select: str | None, violations: int | None = None) -> str:
    """The cleanup hint (the rows VALIDATE would reject, to fix or delete) and the VALIDATE CONSTRAINT statement."""
    table = ident(constraint["schema"], constraint["table"])
    if violations:
        hint = (f"-- review first: {plural(violations, 'row')} {verb(violations, 'breaks', 'break')} the constraint "
                "and VALIDATE fails until each is corrected or deleted:")
    else:
        hint = "-- VALIDATE fails while any row breaks the constraint: correct or delete the rows this lists first:"
    lines = [hint, f"-- {select};"] if select else [hint]
    lines.append(f"ALTER TABLE {table} VALIDATE CONSTRAINT {ident(constraint['name'])};")
    return "\n".join(lines)


def _constraint_object(constraint: dict) -> str:
    return qualified(constraint["schema"], constraint["table"], constraint["name"])


@check(name="constraint_not_valid", category="structure", severity="medium")
def constraint_not_valid(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A foreign key or CHECK constraint was added NOT VALID and never validated.

    NOT VALID constraints still hold every row written since they were added, so the foreign key stays a declared
    reference (fk_missing does not report it); what is unknown is the rows from before. With data checks on,
    orphan_rows counts the rows a NOT VALID foreign key does not hold and check_violation_rows those a NOT VALID
    CHECK rejects. NOT ENFORCED constraints (PostgreSQL 18) are left out: nothing is meant to check them.

    Why it matters: rows written before the constraint was added were never checked, so the data may break it
    (orphans behind a foreign key, values a CHECK forbids); queries and reports that trust the constraint are
    wrong for those rows, and the planner cannot use an unvalidated CHECK to skip partitions.

    How to fix: list the rows that break it (the evidence's query), correct or delete them, then run ALTER TABLE
    ... VALIDATE CONSTRAINT: it reads the table without blocking reads or writes.
    """
    for constraint in not_valid_constraints(catalog):
        select = _violations_select(constraint)
        kind = "Foreign key" if constraint["type"] == "foreign key" else "CHECK constraint"
        name, table = constraint["name"], qualified(constraint["schema"], constraint["table"])
        evidence = {"constraint": name, "type": constraint["type"], "definition": constraint["definition"],
                    "columns": list(constraint["columns"]), "violations_query": select}
        if constraint["type"] == "foreign key":
            evidence["references"] = qualified(constraint["ref_schema"], constraint["ref_table"],
                                               ",".join(constraint["ref_columns"]))
            unknown = f"rows pointing at {qualified(constraint['ref_schema'], constraint['ref_table'])} rows that " \
                      "do not exist"
        else:
            unknown = "rows its condition rejects"
        yield Finding(
            schema=constraint["schema"], table=constraint["table"], column=",".join(constraint["columns"]) or None,
            object=_constraint_object(constraint),
            title=f"{kind} {name} on {table} is NOT VALID",
            detail=(f"{kind} {name} on {table} was added NOT VALID and never validated: rows written since are "
                    f"checked, but older ones may be {unknown}."),
            evidence=evidence, remediation_sql=_validate_sql(constraint, select))


@check(name="check_violation_rows", category="data", severity="high", kind="data", needs=("data", "audited"),
       report_section="data", count_key="violation_count")
def check_violation_rows(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None
                         ) -> Iterator[Finding]:
    """Rows that break a CHECK constraint declared NOT VALID: the rows that make VALIDATE CONSTRAINT fail.

    One aggregate query per constraint counts the rows whose condition is false (a NULL result passes a CHECK, as
    PostgreSQL has it) and brings back five of their keys. The foreign keys declared NOT VALID are counted by
    orphan_rows.

    Why it matters: the constraint says these values cannot exist, yet they do; code and reports that trust it
    are wrong for these rows, and the constraint cannot be validated until they are dealt with.

    How to fix: review the sample rows, correct or delete them, then ALTER TABLE ... VALIDATE CONSTRAINT.
    """
    schemas = audited_schemas(catalog, config, audited)
    for constraint in not_valid_constraints(catalog):
        expression = check_expression(constraint["definition"])
        if constraint["type"] != "check" or constraint["schema"] not in schemas:
            continue
        obj = _constraint_object(constraint)
        if expression is None:
            data.skip("check_violation_rows", obj, "the constraint's definition could not be read (its table was "
                                                   "locked while the catalog was read)")
            continue
        key_sql, key_name = key_text(catalog, constraint["schema"], constraint["table"], "t")
        # the expression is the server's own deparse of the constraint (schema-qualified, read with an empty
        # search_path), so it is put back into a query as the server wrote it
        query = render("check_violation_rows", table=(constraint["schema"], constraint["table"]),
                       violates=sql.SQL(f"({expression}) IS FALSE"), key_text=key_sql)
        with data.guard("check_violation_rows", obj):
            row = data.one(query.replace(":", "\\:"))  # a colon in the expression is text, never a parameter
            violations, total = int(row.violations), int(row.total)
            if not violations:
                continue
            table = qualified(constraint["schema"], constraint["table"])
            yield Finding(
                schema=constraint["schema"], table=constraint["table"],
                column=",".join(constraint["columns"]) or None, object=obj,
                title=(f"{plural(violations, 'row')} of {table} {verb(violations, 'breaks', 'break')} the NOT VALID "
                       f"CHECK {constraint['name']}"),
                detail=(f"{violations:,} of {total:,} rows of {table} fail {constraint['definition']}: "
                        "VALIDATE CONSTRAINT fails until they are corrected or deleted."),
                evidence={"violation_count": violations, "count": violations, "total": total,
                          "constraint": constraint["name"], "definition": constraint["definition"],
                          "sample_keys": distinct_samples(row.sample_keys), "sample_key_column": key_name,
                          "share": round(violations / total, 4) if total else None,
                          "query": without_header(query), "sample_size": SAMPLE_SIZE,
                          "statement_timeout_ms": data.statement_timeout_ms},
                remediation_sql=_validate_sql(constraint, _violations_select(constraint), violations))
