"""Relationship checks: references no foreign key enforces, key type mismatches, unindexed and inconsistent keys.

The references themselves (declared, and those inferred from column names) are the run's model:
``auditlib.model.Analysis.references`` / ``.inferred``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator

import pandas as pd

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.fixes import add_foreign_key_sql, alter_type_sql, object_name, type_change_blockers
from auditlib.checks.queries import (
    audited_schemas,
    column_ref,
    comparable,
    render,
    sample_parameters,
    sample_percent,
    table_sample,
    without_header,
)
from auditlib.config import AuditConfig
from auditlib.data import DataContext, QuerySkipped
from auditlib.findings import Finding
from auditlib.model import Analysis
from auditlib.model.references import INTEGER_WIDTH, can_cast, can_declare_fk, type_family, types_differ
from auditlib.quoting import ident, ident_list

# -- value overlap -------------------------------------------------------------------------------------------------
_CONFIDENCE_ORDER = {"low": 0, "medium": 1, "high": 2}


def measure_reference_overlap(analysis: Analysis, data: DataContext) -> dict[tuple[str, str, str], dict]:
    """Measure in the database how many values of each inferred reference's column exist in its candidate parent,
    and hand the measurements to the analysis (before anything reads its references).

    One bounded read-only query per reference (``sql/data/reference_overlap.sql``: at most
    ``relationships.overlap_values`` distinct values from at most ``overlap_scan_rows`` rows, a page sample of a
    larger child), for at most ``overlap_max_references`` references of the audited schemas, the least sure first.
    A query that times out or is denied becomes a ``skipped`` entry of fk_missing and leaves that reference as
    its name made it; references past the cap are marked not measured.
    """
    catalog, config = analysis.catalog, analysis.config
    schemas = audited_schemas(catalog, config, None)
    settings = config["relationships"]
    values, scan_rows = int(settings["overlap_values"]), int(settings["overlap_scan_rows"])
    cap = int(settings["overlap_max_references"])
    candidates = sorted((r for r in analysis.candidate_references() if r.schema in schemas),
                        key=lambda r: (_CONFIDENCE_ORDER.get(r.confidence, 1), r.schema, r.table, r.column))
    measured: dict[tuple[str, str, str], dict] = {}
    for position, reference in enumerate(candidates):
        key = (reference.schema, reference.table, reference.column)
        if position >= cap:
            measured[key] = {"sampled": 0, "found": 0, "share": None,
                             "not_measured": f"past relationships.overlap_max_references ({cap})"}
            continue
        column, ref_column = analysis.column_of(reference), analysis.ref_column_of(reference)
        percent = sample_percent(catalog, reference.schema, reference.table, scan_rows)
        query = render("reference_overlap", child=reference.source, parent=reference.target, column=column["name"],
                       sample=table_sample(percent),
                       match=comparable(column_ref("p", ref_column["name"]), ref_column, column_ref("d", "v"), column))
        try:
            row = data.one(query, {"values": values, "scan_rows": scan_rows, **sample_parameters(percent)})
        except QuerySkipped as error:
            data.skip("fk_missing", reference.object, f"its value overlap with {reference.parent} was not "
                                                      f"measured: {error}")
            continue
        sampled, found = int(row.sampled), int(row.found)
        measured[key] = {"sampled": sampled, "found": found, "share": round(found / sampled, 4) if sampled else None,
                         "parent": reference.parent, "sample_percent": percent, "max_values": values,
                         "query": without_header(query)}
    analysis.apply_overlap(measured)
    return measured


def _overlap_evidence(measured: dict | None, reference, config: AuditConfig) -> tuple[dict | None, str]:
    """The value-overlap evidence of an inferred reference and the sentence the finding's detail adds."""
    if not measured:
        return None, ""
    if measured.get("share") is None:
        reason = measured.get("not_measured") or "the column holds no value"
        return {"measured": False, "reason": reason}, ""
    evidence = {"measured": True, "sampled_values": measured["sampled"], "found_in_parent": measured["found"],
                "share": measured["share"], "sample_percent": measured["sample_percent"],
                "max_values": measured["max_values"], "query": measured["query"],
                "thresholds": {k: config.get("relationships", k) for k in (
                    "overlap_min_values", "overlap_refuted_below", "overlap_doubtful_below", "overlap_confirmed_at")}}
    sentence = (f" In the data, {measured['found']:,} of {measured['sampled']:,} sampled distinct values exist in "
                f"{reference.parent} ({measured['share']:.0%}), so the reference's confidence is "
                f"{reference.confidence}.")
    return evidence, sentence


# -- checks ---------------------------------------------------------------------------------------------------------
@check(name="fk_missing", category="relationships", severity="medium", needs=("analysis",),
       report_section="relationships.missing")
def fk_missing(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A column refers to another table's key, but no foreign key enforces it.

    The references are inferred from names and types (``Analysis.inferred``); each finding's evidence carries the
    naming rule and the confidence. A name that fits several tables equally is reported as ambiguous: one low
    finding per column listing every candidate table (evidence ``ambiguous = true``, ``candidates``), with no
    target guessed and no fix SQL, since the fix starts with deciding the target. Where data checks run, the
    column's sampled values are looked up in the candidate parent first: the share found (evidence
    ``value_overlap``) raises or lowers the confidence, and a column almost none of whose values exist there is not
    a reference and is not reported. Foreign keys declared NOT VALID and references kept by legacy RI triggers are
    declared, not missing (see constraint_not_valid and fk_legacy_trigger).

    Why it matters: nothing stops rows pointing at parents that don't exist, and deleting a parent leaves
    orphans behind silently; joins then drop or duplicate rows and reports disagree with the application.

    How to fix: clean or null the orphaned values, add the constraint NOT VALID (a short lock), then VALIDATE
    CONSTRAINT (no write lock). Where the column's type differs from the key's, change the type first.
    """
    tenant_column = config.tenant_column
    tenant_root = config.tenant_root
    for reference in analysis.inferred:
        schema, table, column = reference.schema, reference.table, reference.column
        if column == tenant_column and reference.target == tenant_root:
            continue  # reported by tenant_fk_missing, with the tenancy context
        column_record, ref_record = analysis.column_of(reference), analysis.ref_column_of(reference)
        ref = qualified(reference.ref_schema, reference.ref_table, reference.ref_column)
        nullable = column_record["nullable"]
        on_delete = "SET NULL" if nullable else "NO ACTION"
        creatable = can_declare_fk(column_record, ref_record)
        evidence = {"rule": reference.rule, "references": ref, "data_type": column_record["data_type"],
                    "ref_data_type": ref_record["data_type"], "types_compatible": creatable,
                    "nullable": nullable, "suggested_on_delete": on_delete, "confidence": reference.confidence}
        overlap, measured_sentence = _overlap_evidence(analysis.overlap.get((schema, table, column)), reference,
                                                       config)
        if overlap is not None:
            evidence["value_overlap"] = overlap
        remediation = None
        if creatable:
            name = object_name(table, column, suffix="fkey")
            orphans = (f"SELECT t.* FROM {ident(schema, table)} AS t WHERE t.{ident(column)} IS NOT NULL AND NOT "
                       f"EXISTS (SELECT 1 FROM {ident(reference.ref_schema, reference.ref_table)} AS p "
                       f"WHERE p.{ident(reference.ref_column)} = t.{ident(column)})")
            evidence["orphans_query"] = orphans
            remediation = ("-- VALIDATE fails while rows point at missing parents: fix or null them first (see "
                           "evidence.orphans_query)\n"
                           + add_foreign_key_sql(catalog, schema, table, name, [column], reference.ref_schema,
                                                 reference.ref_table, [reference.ref_column], on_delete))
        else:
            evidence["note"] = (f"{column_record['data_type']} cannot reference {ref_record['data_type']}: change the "
                                "column's type first (see fk_type_mismatch), then add the foreign key.")
        yield Finding(
            schema=schema, table=table, column=column,
            title=f"{column} refers to {reference.ref_schema}.{reference.ref_table} without a foreign key",
            detail=(f"{qualified(schema, table, column)} holds ids of {ref} (matched by the {reference.rule!r} naming "
                    f"rule) but no foreign key enforces it, so rows can point at {reference.ref_table} rows that "
                    f"do not exist.{measured_sentence}"),
            evidence=evidence, remediation_sql=remediation)
    for reference in analysis.ambiguous:
        column_record = analysis.column_of(reference)
        candidates = ", ".join(reference.candidates)
        yield Finding(
            schema=reference.schema, table=reference.table, column=reference.column,
            title=f"{reference.column} may refer to one of {candidates} (ambiguous), without a foreign key",
            detail=(f"{reference.object} looks like a reference (the {reference.rule!r} naming rule) but its name fits "
                    f"{len(reference.candidates)} tables equally ({candidates}), so which one it points at is not "
                    "guessed and no foreign key enforces it."),
            evidence={"rule": reference.rule, "ambiguous": True, "candidates": list(reference.candidates),
                      "data_type": column_record["data_type"],
                      "nullable": column_record["nullable"],
                      "note": "decide which table it references (or rename the column after it), then add the "
                              "foreign key NOT VALID and validate it"},
            severity="low")


_FAILING_WRITES = {"child": "every INSERT and UPDATE of {child}", "parent_del": "every DELETE from {parent}",
                   "parent_upd": "every UPDATE of {parent}"}


@check(name="fk_legacy_trigger", category="relationships", severity="high", needs=("analysis",),
       report_section="relationships.missing")
def fk_legacy_trigger(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A reference is kept by legacy RI_FKey_* constraint triggers (from a pre-7.3 dump), not by a foreign key.

    Old dumps restore a foreign key as ``CREATE CONSTRAINT TRIGGER ... EXECUTE PROCEDURE "RI_FKey_check_ins"(...)``
    (pg_constraint type ``t``). PostgreSQL no longer turns those into a foreign key, and its RI functions only run
    for one: on PostgreSQL 15 and 18 (tested) each such trigger raises "constraint ... is not a foreign key
    constraint", whatever the row. The reference counts as declared (fk_missing does not report it).

    Why it matters: the writes the triggers fire on all fail (inserts and updates of the child, deletes or updates
    of the parent), while nothing checks the reference, so rows loaded around the triggers may point at parents
    that do not exist.

    How to fix: drop the triggers, clean the rows that point at missing parents, and add a real foreign key (NOT
    VALID, then VALIDATE CONSTRAINT), with the ON DELETE action the parent-side trigger stood for.
    """
    triggers = analysis.index.legacy_triggers
    for reference in analysis.legacy_triggers:
        own = [t for t in triggers if (t.child, t.columns, t.parent, t.ref_columns)
               == (reference.source, reference.columns, reference.target, reference.ref_columns)]
        child, parent = qualified(*reference.source), qualified(*reference.target)
        failing = [_FAILING_WRITES[role].format(child=child, parent=parent)
                   for role in _FAILING_WRITES if any(t.role == role for t in own)]
        name = object_name(reference.table, *reference.columns, suffix="fkey")
        present = " AND ".join(f"t.{ident(c)} IS NOT NULL" for c in reference.columns)
        match = " AND ".join(f"p.{ident(r)} = t.{ident(c)}" for c, r in zip(reference.columns, reference.ref_columns,
                                                                            strict=True))
        orphans = (f"SELECT t.* FROM {ident(*reference.source)} AS t WHERE {present} AND NOT EXISTS "
                   f"(SELECT 1 FROM {ident(*reference.target)} AS p WHERE {match})")
        drops = [f"DROP TRIGGER {ident(t.name)} ON {ident(t.schema, t.table)};" for t in own]
        remediation = "\n".join([
            "-- the triggers make the writes they fire on fail and check nothing: replace them by a foreign key",
            *drops,
            "-- VALIDATE fails while rows point at missing parents: fix or delete the rows this lists first",
            f"-- {orphans};",
            add_foreign_key_sql(catalog, reference.schema, reference.table, name, list(reference.columns),
                                reference.ref_schema, reference.ref_table, list(reference.ref_columns),
                                reference.on_delete or "NO ACTION")])
        yield Finding(
            schema=reference.schema, table=reference.table, column=",".join(reference.columns),
            title=f"{','.join(reference.columns)} refers to {parent} through legacy RI triggers, not a foreign key",
            detail=(f"{reference.object} → {parent} ({', '.join(reference.ref_columns)}) is kept by "
                    f"{len(own)} RI_FKey_* constraint trigger{'s' if len(own) != 1 else ''} from an old dump, "
                    "not by a foreign key. PostgreSQL runs those functions only for real foreign keys: each trigger "
                    f"raises \"constraint ... is not a foreign key constraint\", so {' and '.join(failing)} "
                    "fails, and nothing checks the reference."),
            evidence={"references": qualified(reference.ref_schema, reference.ref_table,
                                              ",".join(reference.ref_columns)),
                      "triggers": [{"table": qualified(t.schema, t.table), "trigger": t.name, "function": t.function,
                                    "events": list(t.events), "constraint_name": t.constraint} for t in own],
                      "failing_writes": failing, "on_delete": reference.on_delete, "orphans_query": orphans,
                      "server_version": catalog.server.get("server_version")},
            remediation_sql=remediation)


@check(name="fk_type_mismatch", category="relationships", severity="high", needs=("analysis",),
       report_section="relationships.type_mismatch")
def fk_type_mismatch(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A referencing column's type differs from the type of the key it refers to.

    Why it matters: a text column holding uuids can't carry a foreign key at all, an integer pointing at a
    bigint key overflows once the parent passes 2^31, and every join needs a cast that defeats the index.

    How to fix: change the referencing column to the key's type (ALTER COLUMN ... TYPE ... USING col::type,
    after fixing values that don't convert), then add or keep the foreign key.
    """
    model = analysis.index
    for fk in catalog.records("foreign_keys"):
        pairs = []
        for column, ref_name in zip(fk["columns"], fk["ref_columns"], strict=False):
            col = model.column_index.get((fk["schema"], fk["table"], column)) or \
                catalog.column(fk["schema"], fk["table"], column)
            ref = catalog.column(fk["ref_schema"], fk["ref_table"], ref_name)
            if col is not None and ref is not None and types_differ(col, ref):
                pairs.append((col, ref))
        if pairs:
            yield _mismatch_finding(catalog, fk["schema"], fk["table"], pairs,
                                    qualified(fk["ref_schema"], fk["ref_table"]), declared=fk["name"])
    for ref in analysis.inferred:
        column, ref_column = analysis.column_of(ref), analysis.ref_column_of(ref)
        if types_differ(column, ref_column):
            yield _mismatch_finding(catalog, ref.schema, ref.table, [(column, ref_column)],
                                    qualified(ref.ref_schema, ref.ref_table), declared=None, rule=ref.rule)


def _mismatch_finding(catalog: Catalog, schema: str, table: str, pairs: list[tuple[dict, dict]], parent: str,
                      declared: str | None, rule: str | None = None) -> Finding:
    columns = [c["name"] for c, _ in pairs]
    described = ", ".join(f"{c['name']} {c['data_type']} → {parent}.{r['name']} {r['data_type']}" for c, r in pairs)
    narrower = all(type_family(c["base_type"]) == "integer" == type_family(r["base_type"])
                   and INTEGER_WIDTH.get(c["base_type"], 0) > INTEGER_WIDTH.get(r["base_type"], 0)
                   for c, r in pairs)
    evidence = {"references": parent, "declared_fk": declared,
                "pairs": [{"column": c["name"], "data_type": c["data_type"], "ref_column": r["name"],
                           "ref_data_type": r["data_type"]} for c, r in pairs]}
    if rule is not None:
        evidence["inferred_by_rule"] = rule
    if narrower:
        evidence["note"] = "the referencing column is wider than the key: harmless but inconsistent"
    fixable = all(can_cast(c, r) for c, r in pairs)
    blockers = [b for c, _ in pairs for b in type_change_blockers(catalog, schema, table, c["name"])]
    remediation = "\n".join(alter_type_sql(schema, table, c["name"], r["data_type"]) for c, r in pairs) \
        if fixable and not blockers else None
    if not fixable:
        evidence["note"] = "no cast converts these types; migrate the values through a mapping table"
    elif blockers:
        evidence["blocked_by"] = blockers
        evidence["note"] = ("PostgreSQL refuses the type change while these use the column: drop them, change the "
                            "type (ALTER COLUMN ... TYPE ... USING col::type), then recreate them for the new type")
    kind = f"foreign key {declared}" if declared else "an undeclared reference"
    return Finding(
        schema=schema, table=table, column=",".join(columns),
        title=f"{','.join(columns)} type differs from the key it references ({parent})",
        detail=(f"In {qualified(schema, table)}, {described} ({kind}): the types differ, so values must be cast "
                "to join and the reference cannot be enforced cleanly."),
        evidence=evidence, remediation_sql=remediation, severity="low" if narrower else None)


@check(name="fk_unindexed", category="relationships", severity="low", report_section="relationships.indexes_and_types")
def fk_unindexed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A foreign key's columns are not the leading columns of any index on the referencing table.

    Why it matters: every delete or key update on the parent scans the whole child table to check or cascade,
    under lock, and joins from parent to children can't use an index.

    How to fix: create an index on the foreign-key columns (CREATE INDEX CONCURRENTLY, which does not block
    writes).
    """
    indexes: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for index in catalog.records("indexes"):
        if index["is_valid"]:
            indexes[(index["schema"], index["table"])].append(index)
    for fk in catalog.records("foreign_keys"):
        schema, table, columns = fk["schema"], fk["table"], list(fk["columns"])
        if any(_covers(index, columns) for index in indexes.get((schema, table), [])):
            continue
        relation = catalog.relation(schema, table) or {}
        partitioned = relation.get("kind") == "partitioned table"
        name = object_name(table, *columns, suffix="idx")
        concurrently = "" if partitioned else " CONCURRENTLY"
        remediation = (f"CREATE INDEX{concurrently} IF NOT EXISTS {ident(name)} ON {ident(schema, table)} "
                       f"({ident_list(columns)});")
        evidence = {"constraint": fk["name"], "references": qualified(fk["ref_schema"], fk["ref_table"]),
                    "on_delete": fk["on_delete"], "row_estimate": _plain_int(relation.get("row_estimate"))}
        if partitioned:
            evidence["note"] = "partitioned table: CONCURRENTLY is not available; create it per partition first"
        yield Finding(
            schema=schema, table=table, column=",".join(columns),
            title=f"Foreign key {fk['name']} has no index on {', '.join(columns)}",
            detail=(f"No index on {qualified(schema, table)} starts with {', '.join(columns)}, so deleting or "
                    f"re-keying a row of {qualified(fk['ref_schema'], fk['ref_table'])} scans "
                    f"{qualified(schema, table)}."),
            evidence=evidence, remediation_sql=remediation)


def _plain_int(value) -> int | None:
    return None if value is None or value is pd.NA else int(value)


_NOT_NULL_TERM = re.compile(r'^\(*\s*"?(\w+)"?\s+IS\s+NOT\s+NULL\s*\)*$', re.IGNORECASE)


def _covers(index: dict, columns: list[str]) -> bool:
    """True when the index's leading key columns are exactly the FK's columns (in any order)."""
    leading = list(index["columns"][:len(columns)])
    if len(leading) < len(columns) or set(leading) != set(columns):
        return False
    if index["method"] == "hash":
        return len(columns) == 1 and len(index["columns"]) == 1
    if index["method"] != "btree":
        return False
    if index["predicate"]:
        # A partial index still serves the FK when it only leaves out NULL keys.
        terms = re.split(r"\s+AND\s+", index["predicate"].strip().strip("()"), flags=re.IGNORECASE)
        named = {m.group(1) for m in (_NOT_NULL_TERM.match(t.strip()) for t in terms) if m}
        return len(named) == len(terms) and named <= set(columns)
    return True


# Key-like names (*_id, the user and tenant columns) are compared from two tables on; other names from
# relationships.type_consistency_min_tables tables on, and only within one kind of value (integer vs numeric,
# timestamp vs timestamptz, json vs jsonb): "company" as jsonb settings and as a text name are different things.
# Primary keys are left to pk_type_inconsistent; varchar and text count as the same type.
@check(name="column_type_inconsistent", category="relationships", severity="low", needs=("audited",),
       report_section="relationships.indexes_and_types")
def column_type_inconsistent(catalog: Catalog, config: AuditConfig, audited: set[str] | None = None
                             ) -> Iterator[Finding]:
    """The same column name has a different type in one table than in the others.

    Why it matters: ``user_id`` as uuid in most tables and text in one means joins need casts that skip
    indexes, foreign keys can't be declared, and values that are valid in one table are rejected in another.

    How to fix: convert the odd column to the type the other tables use (ALTER COLUMN ... TYPE ... USING
    col::type), after checking that every value converts.
    """
    min_tables = config.get("relationships", "type_consistency_min_tables")
    key_names = set(config.get("relationships", "user_columns")) | {config.tenant_column}
    by_name: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
    for record in catalog.records("user_tables"):
        if audited is not None and record["schema"] not in audited:
            continue
        schema, table = record["schema"], record["name"]
        pk = catalog.primary_key(schema, table)
        for column in catalog.table_columns(schema, table):
            if len(pk) == 1 and pk[0] == column["name"]:
                continue  # primary keys are compared by pk_type_inconsistent
            by_name[column["name"]].append((schema, table, column))
    for name, occurrences in sorted(by_name.items()):
        key_like = name.endswith("_id") or name in key_names
        if len(occurrences) < (2 if key_like else min_tables):
            continue
        signatures = Counter(_signature(c) for _, _, c in occurrences)
        if len(signatures) < 2:
            continue
        (dominant, dominant_count), (_, runner_up) = signatures.most_common(2)
        if dominant_count == runner_up:
            continue  # no type is the norm; nothing to call the odd one out
        example = next(c for _, _, c in occurrences if _signature(c) == dominant)
        counts = dict(sorted(signatures.items()))
        for schema, table, column in occurrences:
            if _signature(column) == dominant:
                continue
            if not key_like and _kind(column) != _kind(example):
                continue  # settings.company jsonb vs clients.company text: the same word for different things
            blockers = type_change_blockers(catalog, schema, table, name)
            remediation = alter_type_sql(schema, table, name, example["data_type"]) \
                if can_cast(column, example) and not blockers else None
            evidence = {"data_type": column["data_type"], "dominant_type": example["data_type"],
                        "type_counts": counts, "tables_with_column": len(occurrences),
                        "examples": sorted(qualified(s, t) for s, t, c in occurrences
                                           if _signature(c) == dominant)[:5],
                        "min_tables": 2 if key_like else min_tables}
            if blockers:
                evidence["blocked_by"] = blockers
            yield Finding(
                schema=schema, table=table, column=name,
                title=f"{name} is {column['data_type']} here but {example['data_type']} in "
                      f"{dominant_count} other tables",
                detail=(f"{qualified(schema, table, name)} is {column['data_type']}, while {dominant_count} of the "
                        f"{len(occurrences)} tables with a {name} column use {example['data_type']}."),
                evidence=evidence, remediation_sql=remediation)


_KINDS = {"int2": "number", "int4": "number", "int8": "number", "numeric": "number", "float4": "number",
          "float8": "number", "money": "number", "timestamp": "time", "timestamptz": "time", "date": "time",
          "time": "time", "timetz": "time", "json": "json", "jsonb": "json"}


def _kind(column: dict) -> str:
    """What sort of value a column holds (number, time, text, json …): a non-key name is only compared within one."""
    base = column["base_type"]
    kind = "text" if type_family(base) == "text" else _KINDS.get(base, base)
    return kind + ("[]" if column["is_array"] else "")


def _signature(column: dict) -> str:
    """A column's type for consistency purposes: the base type (varchar = text, typmods ignored), [] for arrays."""
    base = column["base_type"]
    family = "text" if type_family(base) == "text" else base
    return family + ("[]" if column["is_array"] else "")
