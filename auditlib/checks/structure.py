"""Structure checks: primary keys, their consistency, and the created_at/updated_at bookkeeping columns."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from fnmatch import fnmatchcase

import pandas as pd
import pglast

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.fixes import object_name
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.model import Analysis
from auditlib.model.references import type_family
from auditlib.quoting import ident, ident_list

_INTEGER_NAMES = {"int2": "smallint", "int4": "integer", "int8": "bigint"}
_SERIAL_NAMES = {"int2": "smallserial", "int4": "serial", "int8": "bigserial"}
# The type a PK pattern belongs to, so that expected_pk_type = "bigint" accepts bigint identity and bigserial.
_PATTERN_TYPE = {"bigint identity": "bigint", "bigserial": "bigint", "integer identity": "integer",
                 "serial": "integer", "smallint identity": "smallint", "smallserial": "smallint"}


def _keyed_tables(catalog: Catalog) -> list[dict]:
    """Tables that can have a primary key: ordinary and partitioned tables that are not partitions."""
    return [t for t in catalog.records("user_tables") if t["kind"] in ("table", "partitioned table")]


def pk_pattern(catalog: Catalog, schema: str, table: str) -> str | None:
    """How a table's primary key is built: uuid, bigint identity, serial, bigint, text, composite … (None: no PK)."""
    pk = catalog.primary_key(schema, table)
    if not pk:
        return None
    if len(pk) > 1:
        return "composite"
    column = catalog.column(schema, table, pk[0])
    base = column["base_type"]
    if base in _INTEGER_NAMES:
        if column["identity"]:
            return f"{_INTEGER_NAMES[base]} identity"
        if column["default"] and "nextval(" in column["default"]:
            return _SERIAL_NAMES[base]
        return _INTEGER_NAMES[base]
    if type_family(base) == "text":
        return "text"
    return base if not column["is_array"] else column["data_type"]


def _matches_expected(pattern: str, expected: str) -> bool:
    return expected in (pattern, _PATTERN_TYPE.get(pattern, pattern))


@check(name="pk_missing", category="structure", severity="high", report_section="structure.primary_keys")
def pk_missing(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table has no primary key.

    Why it matters: rows can't be addressed one by one, duplicates creep in unnoticed, nothing can reference
    the table with a foreign key, and logical replication (and Supabase realtime) can't publish its updates
    and deletes.

    How to fix: promote the column or unique index that already identifies a row to the primary key, or add an
    identity/uuid ``id`` column as the key.
    """
    patterns_by_schema: dict[str, Counter] = defaultdict(Counter)
    tables = _keyed_tables(catalog)
    for t in tables:
        pattern = pk_pattern(catalog, t["schema"], t["name"])
        if pattern and pattern != "composite":
            patterns_by_schema[t["schema"]][pattern] += 1
    unique_indexes: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for index in catalog.records("indexes"):
        if index["is_unique"] and index["is_valid"] and index["predicate"] is None and index["method"] == "btree":
            unique_indexes[(index["schema"], index["table"])].append(index)
    constraint_names = set(zip(catalog.constraints["schema"], catalog.constraints["name"], strict=False))
    for t in tables:
        schema, table = t["schema"], t["name"]
        if catalog.primary_key(schema, table):
            continue
        columns = {c["name"]: c for c in catalog.table_columns(schema, table)}
        candidate = None
        for index in sorted(unique_indexes.get((schema, table), []), key=lambda i: (len(i["columns"]), i["name"])):
            if all(c in columns and not columns[c]["nullable"] for c in index["columns"]):
                candidate = index
                break
        evidence = {"kind": t["kind"], "row_estimate": None if pd.isna(t["row_estimate"]) else int(t["row_estimate"]),
                    "column_count": len(columns)}
        remediation = None
        severity = None
        if candidate is not None:
            # a unique index on NOT NULL columns already identifies every row: the key is missing in name only
            evidence["candidate_key"] = list(candidate["columns"])
            evidence["severity_reason"] = (f"medium, not high: the unique index {candidate['name']} on NOT NULL "
                                           "columns already identifies every row")
            severity = "medium"
        if t["kind"] == "partitioned table":
            evidence["note"] = "a partitioned table's primary key must include the partition key columns"
        elif candidate is not None and (schema, candidate["name"]) not in constraint_names:
            remediation = (f"ALTER TABLE {ident(schema, table)} ADD CONSTRAINT {ident(_pkey_name(table))} "
                           f"PRIMARY KEY USING INDEX {ident(candidate['name'])};")
        elif candidate is not None:
            remediation = f"ALTER TABLE {ident(schema, table)} ADD PRIMARY KEY ({ident_list(candidate['columns'])});"
        elif "id" in columns:
            remediation = f"ALTER TABLE {ident(schema, table)} ADD PRIMARY KEY ({ident('id')});"
            evidence["note"] = "fails if id holds NULLs or duplicates: fix those first"
        else:
            usual = patterns_by_schema[schema].most_common(1)
            if usual and usual[0][0] == "uuid":
                remediation = (f"ALTER TABLE {ident(schema, table)} ADD COLUMN {ident('id')} uuid NOT NULL "
                               "DEFAULT gen_random_uuid() PRIMARY KEY;")
            else:
                remediation = (f"ALTER TABLE {ident(schema, table)} ADD COLUMN {ident('id')} bigint GENERATED "
                               "ALWAYS AS IDENTITY PRIMARY KEY;")
        yield Finding(
            schema=schema, table=table, column=None, severity=severity,
            title=f"{qualified(schema, table)} has no primary key",
            detail=(f"{qualified(schema, table)} has no primary key, so its rows can't be told apart reliably "
                    "or referenced by foreign keys."
                    + (f" The unique index {candidate['name']} on {', '.join(candidate['columns'])} could become "
                       "its key." if candidate is not None else "")),
            evidence=evidence, remediation_sql=remediation)


def _pkey_name(table: str) -> str:
    return object_name(table, suffix="pkey")


@check(name="pk_type_inconsistent", category="structure", severity="low", report_section="structure.primary_keys")
def pk_type_inconsistent(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table's primary key is built differently from the schema's usual one (bigint identity among uuids).

    Why it matters: mixed key types make every foreign key and join a special case, leak row counts where
    sequential ids are exposed next to uuids, and usually mark a table created outside the normal migrations.

    How to fix: if the table is new or small, rebuild its key in the usual pattern (new column, backfill,
    switch the foreign keys, swap the key); otherwise record the exception by setting
    ``structure.expected_pk_type`` or accepting the finding in a baseline.
    """
    expected = config.get("structure", "expected_pk_type")
    min_tables = config.get("structure", "pk_dominant_min_tables")
    by_schema: dict[str, list[tuple[str, str]]] = defaultdict(list)
    links = _link_tables(catalog, config)
    for t in _keyed_tables(catalog):
        if is_framework_table(config, t["name"]) or (t["schema"], t["name"]) in links:
            continue  # a migration tool's table or a link table keeps its own key by design
        pattern = pk_pattern(catalog, t["schema"], t["name"])
        if pattern is not None and pattern != "composite":
            by_schema[t["schema"]].append((t["name"], pattern))
    for schema, tables in sorted(by_schema.items()):
        counts = Counter(pattern for _, pattern in tables)
        if expected:
            norm = expected
        else:
            ranked = counts.most_common(1)
            if len(tables) < min_tables or ranked[0][1] * 2 <= len(tables):
                continue  # too few keys, or no pattern holds a majority of them: there is no convention
            norm = ranked[0][0]
        for table, pattern in sorted(tables):
            if _matches_expected(pattern, norm):
                continue
            if not expected and pattern == "text":
                continue  # a natural key (a code, a slug) next to surrogate keys is a design choice
            column = catalog.primary_key(schema, table)[0]
            data_type = catalog.column(schema, table, column)["data_type"]
            yield Finding(
                schema=schema, table=table, column=column,
                title=f"Primary key is {pattern}, the schema's norm is {norm}",
                detail=(f"{qualified(schema, table, column)} is a {pattern} key ({data_type}), while "
                        + (f"the configured expected key type is {norm}." if expected else
                           f"{counts[norm]} of the {len(tables)} single-column keys in schema {schema} are "
                           f"{norm}.")),
                evidence={"pattern": pattern, "data_type": data_type, "dominant_pattern": norm,
                          "pattern_counts": dict(sorted(counts.items())), "expected_pk_type": expected or None,
                          "min_tables": min_tables,
                          "left_out": "tables of migration tools (structure.framework_tables), link tables and, "
                                      "unless expected_pk_type is set, text natural keys"},
                remediation_sql=None)


def _link_tables(catalog: Catalog, config: AuditConfig) -> set[tuple[str, str]]:
    """Link tables by their declared foreign keys: two or more, and no column but the key, the referencing columns
    and the bookkeeping timestamps (auth_user_groups with its serial id)."""
    refs: dict[tuple[str, str], set[str]] = defaultdict(set)
    parents: Counter = Counter()
    for fk in catalog.records("foreign_keys"):
        refs[(fk["schema"], fk["table"])].update(fk["columns"])
        parents[(fk["schema"], fk["table"])] += 1
    bookkeeping = {config.get("structure", "created_column"), config.get("structure", "updated_column")}
    links = set()
    for key, count in parents.items():
        if count >= 2:
            names = {c["name"] for c in catalog.table_columns(*key)}
            if names <= refs[key] | set(catalog.primary_key(*key) or []) | bookkeeping:
                links.add(key)
    return links


def _join_tables(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> set[tuple[str, str]]:
    """Pure join tables: at least two references and no column that is not a key, reference or timestamp."""
    refs: dict[tuple[str, str], set[str]] = defaultdict(set)
    parents: dict[tuple[str, str], int] = defaultdict(int)
    for fk in catalog.records("foreign_keys"):
        refs[(fk["schema"], fk["table"])].update(fk["columns"])
        parents[(fk["schema"], fk["table"])] += 1
    for ref in analysis.inferred:
        refs[ref.source].add(ref.column)
        parents[ref.source] += 1
    bookkeeping = {config.get("structure", "created_column"), config.get("structure", "updated_column"), "id"}
    joins = set()
    for key, count in parents.items():
        if count < 2:
            continue
        names = {c["name"] for c in catalog.table_columns(*key)}
        if names <= refs[key] | set(catalog.primary_key(*key)) | bookkeeping:
            joins.add(key)
    return joins


@check(name="timestamps_missing", category="structure", severity="low", needs=("analysis",),
       report_section="structure.timestamps")
def timestamps_missing(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A table lacks the created_at and/or updated_at columns the rest of the schema keeps.

    Why it matters: without them nobody can tell when a row appeared or last changed, which is what incident
    reviews, incremental syncs, caches and "last write wins" conflict checks rely on.

    How to fix: add the missing columns with a default of now() (updated_at also needs a BEFORE UPDATE trigger
    to stay current). Append-only tables (logs, history, events) and pure join tables only need created_at.
    """
    created = config.get("structure", "created_column")
    updated = config.get("structure", "updated_column")
    append_only = config.get("structure", "append_only_tables")
    min_share = config.get("structure", "convention_min_share")
    joins = _join_tables(catalog, config, analysis)
    maintaining, writes = None, None  # computed on the first table that lacks updated_at
    trigger_names = defaultdict(set)
    for trigger in catalog.records("triggers"):
        trigger_names[(trigger["schema"], trigger["table"])].add(trigger["name"])
    tables = []
    for t in _keyed_tables(catalog):
        schema, table = t["schema"], t["name"]
        if is_framework_table(config, table):
            continue
        names = {c["name"] for c in catalog.table_columns(schema, table)}
        is_append_only = (any(fnmatchcase(table, p) or fnmatchcase(f"{schema}.{table}", p) for p in append_only)
                          or _keyed_by_time(catalog, schema, table))
        is_join = (schema, table) in joins
        tables.append((schema, table, names, is_append_only, is_join))
    # The database's own convention: a column is expected only where most tables keep it.
    keep_created = [t for t in tables if created in t[2]]
    updatable = [t for t in tables if not (t[3] or t[4])]
    keep_updated = [t for t in updatable if updated in t[2]]
    convention = {created: f"{len(keep_created)} of {len(tables)} tables",
                  updated: f"{len(keep_updated)} of {len(updatable)} tables that are neither append-only nor joins"}
    expect_created = bool(tables) and len(keep_created) >= min_share * len(tables)
    expect_updated = bool(updatable) and len(keep_updated) >= min_share * len(updatable)
    for schema, table, names, is_append_only, is_join in tables:
        required = [c for c, wanted in ((created, expect_created),
                                        (updated, expect_updated and not (is_append_only or is_join))) if wanted]
        missing = [name for name in required if name not in names]
        if not missing:
            continue
        remediation = "\n".join(f"ALTER TABLE {ident(schema, table)} ADD COLUMN IF NOT EXISTS {ident(name)} "
                                "timestamptz NOT NULL DEFAULT now();" for name in missing)
        if updated in missing:
            if maintaining is None:
                maintaining, writes = maintaining_functions(catalog, updated), function_writes(catalog)
            _, trigger_sql = updated_at_trigger_sql(catalog, schema, table, updated, maintaining,
                                                    trigger_names[(schema, table)], writes, names | set(missing))
            remediation += "\n" + trigger_sql
        reason = "append-only table" if is_append_only else "join table" if is_join else None
        yield Finding(
            schema=schema, table=table, column=",".join(missing), object=qualified(schema, table),
            title=f"{qualified(schema, table)} has no {' or '.join(missing)}",
            detail=(f"{qualified(schema, table)} lacks {' and '.join(missing)}, which the other tables keep "
                    f"({'; '.join(convention[name] for name in missing)}), so when its rows were "
                    f"{'created' if created in missing else 'last changed'} is not recorded."),
            evidence={"missing": missing, "expected_columns": required, "created_column": created,
                      "updated_column": updated, "only_created_required_because": reason,
                      "append_only_patterns": append_only, "convention": convention,
                      "convention_min_share": min_share},
            remediation_sql=remediation)


def is_framework_table(config: AuditConfig, table: str) -> bool:
    """A bookkeeping table of a migration tool or framework (``structure.framework_tables``)."""
    return any(fnmatchcase(table, p) for p in config.get("structure", "framework_tables"))


def _keyed_by_time(catalog: Catalog, schema: str, table: str) -> bool:
    """The primary key includes a timestamp: rows are measurements or events identified by when they happened
    (readings keyed by (sensor_id, taken_at)), appended and never updated."""
    for name in catalog.primary_key(schema, table) or []:
        column = catalog.column(schema, table, name)
        if column is not None and column["base_type"] in ("timestamptz", "timestamp", "date"):
            return True
    return False


# -- updated_at maintenance ----------------------------------------------------------------------------------------
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def assigns_new_column(source: str, column: str) -> bool:
    """True when a plpgsql trigger body assigns ``NEW.<column>`` (parsed with pglast; a regex if it won't parse)."""
    tag = "auditlib_body"
    while f"${tag}$" in source:
        tag += "_"
    statement = (f"CREATE FUNCTION auditlib_probe() RETURNS trigger LANGUAGE plpgsql AS ${tag}${source}${tag}$;")
    try:
        tree = pglast.parse_plpgsql(statement)[0]["PLpgSQL_function"]
    except Exception:  # noqa: BLE001 - an unparsable body falls back to the textual test
        text = _COMMENTS.sub(" ", source)
        pattern = rf'\bNEW\s*\.\s*"?{re.escape(column)}"?\s*:?=(?!=)|\bINTO\s+NEW\s*\.\s*"?{re.escape(column)}\b'
        return re.search(pattern, text, re.IGNORECASE) is not None
    datums = tree.get("datums", [])

    def is_new(index: int) -> bool:
        datum = datums[index] if index < len(datums) else {}
        return next(iter(datum.values()), {}).get("refname") == "new"

    targets = {i for i, d in enumerate(datums) if "PLpgSQL_recfield" in d
               and d["PLpgSQL_recfield"].get("fieldname") == column
               and is_new(d["PLpgSQL_recfield"].get("recparentno", 0))}
    found = False

    def walk(node) -> None:
        nonlocal found
        if found:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "PLpgSQL_stmt_assign":
                    varno = value.get("varno", 0)
                    query = value.get("expr", {}).get("PLpgSQL_expr", {}).get("query", "")
                    if varno in targets or (is_new(varno) and re.search(rf"\b{re.escape(column)}\b", query)):
                        found = True
                        return
                if key == "target" and isinstance(value, dict) and "PLpgSQL_row" in value:
                    if any(f.get("varno") in targets for f in value["PLpgSQL_row"].get("fields", [])):
                        found = True
                        return
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree.get("action", {}))
    return found


_NEW_ASSIGNMENT = re.compile(r'\bNEW\s*\.\s*("(?:[^"]|"")+"|\w+)\s*:?=(?!=)', re.IGNORECASE)


def new_columns_assigned(source: str) -> set[str]:
    """Every ``NEW.<column>`` a plpgsql trigger body assigns (parsed with pglast; a regex if it won't parse)."""
    tag = "auditlib_body"
    while f"${tag}$" in source:
        tag += "_"
    statement = f"CREATE FUNCTION auditlib_probe() RETURNS trigger LANGUAGE plpgsql AS ${tag}${source}${tag}$;"
    try:
        tree = pglast.parse_plpgsql(statement)[0]["PLpgSQL_function"]
    except Exception:  # noqa: BLE001 - an unparsable body falls back to the textual test
        return {m.group(1).strip('"') if m.group(1).startswith('"') else m.group(1).lower()
                for m in _NEW_ASSIGNMENT.finditer(_COMMENTS.sub(" ", source))}
    datums = tree.get("datums", [])

    def is_new(index: int) -> bool:
        datum = datums[index] if index < len(datums) else {}
        return next(iter(datum.values()), {}).get("refname") == "new"

    fields = {i: d["PLpgSQL_recfield"].get("fieldname") for i, d in enumerate(datums)
              if "PLpgSQL_recfield" in d and is_new(d["PLpgSQL_recfield"].get("recparentno", 0))}
    assigned: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "PLpgSQL_stmt_assign" and value.get("varno", 0) in fields:
                    assigned.add(fields[value["varno"]])
                if key == "target" and isinstance(value, dict) and "PLpgSQL_row" in value:
                    assigned.update(fields[f["varno"]] for f in value["PLpgSQL_row"].get("fields", [])
                                    if f.get("varno") in fields)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree.get("action", {}))
    return assigned


def function_writes(catalog: Catalog) -> dict[tuple[str, str], set[str]]:
    """(schema, name) of each plpgsql trigger function → the NEW columns it assigns."""
    return {(fn["schema"], fn["name"]): new_columns_assigned(fn["source"] or "")
            for fn in catalog.records("functions")
            if fn["returns"] == "trigger" and not fn["arguments"] and fn["language"] == "plpgsql"}


def _function_verdicts(catalog: Catalog, column: str) -> dict[tuple[str, str], bool | None]:
    """(schema, name) of each no-argument trigger function → does it set NEW.<column>? (None: can't tell)."""
    verdicts: dict[tuple[str, str], bool | None] = {}
    for fn in catalog.records("functions"):
        if fn["returns"] != "trigger" or fn["arguments"]:
            continue
        if fn["language"] == "plpgsql":
            verdicts[(fn["schema"], fn["name"])] = assigns_new_column(fn["source"] or "", column)
        elif fn["language"] in ("c", "internal"):
            verdicts[(fn["schema"], fn["name"])] = None
        else:  # plv8, plpython…: no parser here; trust a body that names the column
            verdicts[(fn["schema"], fn["name"])] = column in (fn["source"] or "")
    return verdicts


def _trigger_verdict(trigger: dict, column: str, verdicts: dict[tuple[str, str], bool | None]) -> tuple[bool, str]:
    """(maintains, reason) for one trigger on a table with an updated_at column."""
    if trigger["timing"] != "BEFORE" or trigger["level"] != "ROW" or "UPDATE" not in trigger["events"]:
        return False, f"{trigger['timing']} {trigger['level']} trigger on {'/'.join(trigger['events'])}"
    if trigger["enabled"] not in ("enabled", "always"):
        return False, f"trigger is {trigger['enabled']}"
    if trigger["update_columns"]:
        return False, f"fires only on UPDATE OF {', '.join(trigger['update_columns'])}"
    if trigger["function_name"] == "moddatetime" and \
            (trigger["function_schema"], trigger["function_name"]) not in verdicts:  # the contrib extension's
        ok = re.search(rf"moddatetime\s*\(\s*'?\"?{re.escape(column)}\"?'?\s*\)", trigger["definition"] or "")
        return (True, f"moddatetime({column})") if ok else (False, "moddatetime on another column")
    verdict = verdicts.get((trigger["function_schema"], trigger["function_name"]))
    if verdict is None:
        return True, "function body not inspectable; assumed to maintain the column"
    if verdict:
        return True, f"sets NEW.{column}"
    return False, f"{trigger['function_schema']}.{trigger['function_name']}() does not set NEW.{column}"


def maintaining_functions(catalog: Catalog, column: str,
                          verdicts: dict[tuple[str, str], bool | None] | None = None) -> list[tuple[str, str]]:
    """Trigger functions that set NEW.<column>, the most used first (the schema's shared updated_at function)."""
    verdicts = _function_verdicts(catalog, column) if verdicts is None else verdicts
    usage = Counter(zip(catalog.triggers["function_schema"], catalog.triggers["function_name"], strict=False))
    return sorted((fn for fn, ok in verdicts.items() if ok), key=lambda fn: (-usage[fn], fn))


def updated_at_trigger_sql(catalog: Catalog, schema: str, table: str, column: str,
                           maintaining: list[tuple[str, str]], taken: set[str],
                           writes: dict[tuple[str, str], set[str]] | None = None,
                           columns: set[str] | None = None) -> tuple[tuple[str, str], str]:
    """(function, SQL) attaching a BEFORE UPDATE trigger that sets ``column``, creating the function if none exists.

    An existing function is used only when every NEW column it assigns is one of ``columns`` (the table's, plus
    ``column``): a function that also sets NEW.updated_by on a table without updated_by would make every UPDATE
    fail."""
    trigger_name = next(n for n in (f"set_{column}", *(f"set_{column}_{i}" for i in range(2, 100)))
                        if n not in taken)
    create_function = ""
    if writes is not None and columns is not None:
        maintaining = [fn for fn in maintaining if writes.get(fn, set()) <= columns | {column}]
    if maintaining:
        function = maintaining[0]
    else:
        existing = {(f["schema"], f["name"]) for f in catalog.records("functions")}
        name = next(n for n in (f"set_{column}", f"auditlib_set_{column}",
                                *(f"auditlib_set_{column}_{i}" for i in range(2, 100))) if (schema, n) not in existing)
        function = (schema, name)
        create_function = (f"CREATE OR REPLACE FUNCTION {ident(*function)}() RETURNS trigger LANGUAGE plpgsql "
                           f"AS $$\nBEGIN\n    NEW.{ident(column)} := now();\n    RETURN NEW;\nEND;\n$$;\n")
    return function, (create_function + f"CREATE TRIGGER {ident(trigger_name)} BEFORE UPDATE ON "
                      f"{ident(schema, table)} FOR EACH ROW EXECUTE FUNCTION {ident(*function)}();")


@check(name="updated_at_no_trigger", category="structure", severity="low", report_section="structure.timestamps")
def updated_at_no_trigger(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table has an updated_at column but no enabled BEFORE UPDATE trigger that sets it.

    Why it matters: updated_at then keeps its insert-time value (or whatever the client sends), so syncs,
    caches and conflict checks that compare it silently miss changes. A trigger that exists but sets another
    column, or is disabled, doesn't help.

    How to fix: attach a BEFORE UPDATE ... FOR EACH ROW trigger whose function sets NEW.updated_at := now()
    (the schema's existing updated_at function when there is one, or moddatetime).
    """
    column = config.get("structure", "updated_column")
    verdicts = _function_verdicts(catalog, column)
    triggers: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for trigger in catalog.records("triggers"):
        triggers[(trigger["schema"], trigger["table"])].append(trigger)
    maintaining = maintaining_functions(catalog, column, verdicts)
    writes = function_writes(catalog)
    for t in _keyed_tables(catalog):
        schema, table = t["schema"], t["name"]
        if catalog.column(schema, table, column) is None:
            continue
        considered = []
        maintained = False
        for trigger in triggers.get((schema, table), []):
            ok, reason = _trigger_verdict(trigger, column, verdicts)
            considered.append({"trigger": trigger["name"],
                               "function": f"{trigger['function_schema']}.{trigger['function_name']}",
                               "maintains": ok, "reason": reason})
            maintained = maintained or ok
        if maintained:
            continue
        taken = {trigger["name"] for trigger in triggers.get((schema, table), [])}
        names = {c["name"] for c in catalog.table_columns(schema, table)}
        function, remediation = updated_at_trigger_sql(catalog, schema, table, column, maintaining, taken,
                                                       writes, names)
        unfit = {qualified(*fn): sorted(writes.get(fn, set()) - names - {column}) for fn in maintaining
                 if writes.get(fn, set()) - names - {column}}
        yield Finding(
            schema=schema, table=table, column=column,
            title=f"{column} is never maintained by a trigger",
            detail=(f"{qualified(schema, table, column)} exists, but no enabled BEFORE UPDATE row trigger sets it, "
                    "so it keeps the value it had at insert time unless every client remembers to set it."),
            evidence={"updated_column": column, "triggers_considered": considered,
                      "function_used_in_fix": qualified(*function),
                      **({"functions_not_used": {fn: f"also sets NEW.{', NEW.'.join(cols)}, which the table lacks"
                                                 for fn, cols in unfit.items()}} if unfit else {})},
            remediation_sql=remediation)
