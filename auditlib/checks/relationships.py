"""Relationship checks: references no foreign key enforces, key type mismatches, unindexed and inconsistent keys.

``inferred_references`` is the shared heuristic that finds columns which evidently point at another table's key
without a constraint; the tenancy and data-level orphan checks read it too, so its columns are fixed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator

import pandas as pd

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.config import AuditConfig, split_table
from auditlib.findings import Finding
from auditlib.quoting import ident, ident_list

REFERENCE_COLUMNS = ["schema", "table", "column", "data_type", "ref_schema", "ref_table", "ref_column",
                     "ref_data_type", "rule"]

# Type families: a foreign key can be declared between two columns of the same family (PostgreSQL needs an
# equality operator between them in the referenced index's operator family).
_FAMILIES = {"uuid": "uuid", "int2": "integer", "int4": "integer", "int8": "integer", "text": "text",
             "varchar": "text", "bpchar": "text", "citext": "text", "name": "text"}
_INTEGER_WIDTH = {"int2": 2, "int4": 4, "int8": 8}
# Casts that ALTER COLUMN ... TYPE ... USING col::type can do (from family -> to families).
_CASTABLE = {"text": {"uuid", "integer", "text", "numeric"}, "integer": {"integer", "text", "numeric"},
             "uuid": {"uuid", "text"}, "numeric": {"integer", "numeric", "text"}}


# -- small shared helpers (cascade.py and structure.py use them too) ------------------------------------------------
def type_family(base_type: str | None) -> str | None:
    """The family a column's base type belongs to for key comparisons (uuid, integer, text), else the type."""
    if base_type is None:
        return None
    return _FAMILIES.get(base_type, base_type)


def key_like_type(column: dict) -> bool:
    """True for a scalar column whose type can hold a key (uuid, integers, text): never arrays or JSON."""
    return not column["is_array"] and type_family(column["base_type"]) in ("uuid", "integer", "text")


def types_differ(column: dict, ref_column: dict) -> bool:
    """True when a referencing column's type is not the referenced key's (int4 vs int8 differs; varchar vs text not)."""
    if column["is_array"] != ref_column["is_array"]:
        return True
    a, b = column["base_type"], ref_column["base_type"]
    if type_family(a) != type_family(b):
        return True
    return type_family(a) == "integer" and _INTEGER_WIDTH.get(a) != _INTEGER_WIDTH.get(b)


def can_declare_fk(column: dict, ref_column: dict) -> bool:
    """True when PostgreSQL accepts a foreign key between the two columns as they are typed today."""
    return not column["is_array"] and not ref_column["is_array"] and \
        type_family(column["base_type"]) == type_family(ref_column["base_type"])


def can_cast(from_column: dict, to_column: dict) -> bool:
    """True when ``ALTER COLUMN ... TYPE <to> USING col::<to>`` is a plausible mechanical fix."""
    if from_column["is_array"] or to_column["is_array"]:
        return False
    source, target = type_family(from_column["base_type"]), type_family(to_column["base_type"])
    return target in _CASTABLE.get(source, set())


def object_name(*parts: str, suffix: str) -> str:
    """A constraint/index name ``part_part_suffix`` that fits PostgreSQL's 63-byte limit (hashed when too long)."""
    name = "_".join([*parts, suffix])
    if len(name.encode()) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    head = name.encode()[:63 - len(suffix) - 10].decode(errors="ignore")
    return f"{head}_{digest}_{suffix}"


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
    for policy in catalog.policies.to_dict("records"):
        text = f"{policy['using_expression'] or ''} {policy['with_check'] or ''}"
        own = (policy["schema"], policy["table"]) == (schema, table)
        if word.search(text) and (own or table_name.search(text)):
            blockers.append(f"policy {policy['name']!r} on {qualified(policy['schema'], policy['table'])}")
    for view in catalog.views.to_dict("records"):
        text = view["definition"] or ""
        if table_name.search(text) and word.search(text):
            blockers.append(f"view {qualified(view['schema'], view['name'])}")
    return blockers


def matches_column(schema: str, table: str, column: str, patterns: list[str]) -> bool:
    """True when ``schema.table.column`` matches one of the glob patterns."""
    from fnmatch import fnmatchcase

    name = f"{schema}.{table}.{column}"
    return any(fnmatchcase(name, p) for p in patterns)


# -- the catalog seen as tables, keys and columns ------------------------------------------------------------------
class Model:
    """Dict indexes over a catalog built once per check run: tables, their columns, keys and FK-covered columns."""

    def __init__(self, catalog: Catalog, config: AuditConfig):
        self.catalog = catalog
        self.config = config
        tables = catalog.user_tables()
        self.kinds = {(r["schema"], r["name"]): r["kind"] for r in tables.to_dict("records")}
        self.columns: dict[tuple[str, str], list[dict]] = {
            key: catalog.table_columns(*key) for key in self.kinds}
        self.column_index = {(s, t, c["name"]): c for (s, t), cols in self.columns.items() for c in cols}
        self.by_schema: dict[str, set[str]] = defaultdict(set)
        for schema, name in self.kinds:
            self.by_schema[schema].add(name)
        platform = set(config.get("audit", "platform_schemas"))
        others = sorted(s for s in self.by_schema if s not in platform and s != "public")
        self.search_schemas = (["public"] if "public" in self.by_schema else []) + others
        self.primary_keys = {key: catalog.primary_key(*key) for key in self.kinds}
        self.fk_columns: set[tuple[str, str, str]] = set()
        for fk in catalog.foreign_keys.to_dict("records"):
            for column in fk["columns"]:
                self.fk_columns.add((fk["schema"], fk["table"], column))
        self._unique_columns = self._single_unique_columns()

    def _single_unique_columns(self) -> dict[tuple[str, str], list[str]]:
        unique: dict[tuple[str, str], list[str]] = defaultdict(list)
        for con in self.catalog.constraints.to_dict("records"):
            if con["type"] == "unique" and len(con["columns"]) == 1:
                unique[(con["schema"], con["table"])].append(con["columns"][0])
        for index in self.catalog.indexes.to_dict("records"):
            if index["is_unique"] and index["predicate"] is None and len(index["columns"]) == 1:
                column = index["columns"][0]
                if (index["schema"], index["table"], column) in self.column_index:
                    unique[(index["schema"], index["table"])].append(column)
        return unique

    def key_column(self, schema: str, table: str) -> str | None:
        """The column a reference to this table targets: its single-column PK, else a unique column (``id`` first)."""
        pk = self.primary_keys.get((schema, table), [])
        if len(pk) == 1:
            return pk[0]
        unique = self._unique_columns.get((schema, table), [])
        if "id" in unique:
            return "id"
        return unique[0] if unique else None

    def find_table(self, names: list[str], schemas: list[str]) -> tuple[str, str] | None:
        """The first existing table among ``names`` (in order) searching ``schemas`` in order."""
        for schema in schemas:
            present = self.by_schema.get(schema, ())
            for name in names:
                if name in present:
                    return (schema, name)
        return None


def name_forms(word: str) -> list[str]:
    """Table names a singular or plural word may stand for: itself, plurals, then singulars."""
    forms = [word, word + "s", word + "es"]
    if word.endswith("y") and len(word) > 1:
        forms.append(word[:-1] + "ies")
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    irregular = {"person": "people", "people": "person", "child": "children", "children": "child"}
    if word in irregular:
        forms.append(irregular[word])
    return list(dict.fromkeys(forms))


def _reference_rows(catalog: Catalog, config: AuditConfig) -> list[dict]:
    """Inferred references with the column and key dicts attached (see ``inferred_references``)."""
    model = Model(catalog, config)
    ignore = config.get("relationships", "ignore_columns")
    user_columns = set(config.get("relationships", "user_columns"))
    external = tuple(p.lower() for p in config.get("relationships", "external_prefixes"))
    user_tables = [split_table(t) for t in config.get("relationships", "user_tables")]
    schemas_by_name = set(model.by_schema)
    rows = []
    for (schema, table), columns in model.columns.items():
        if model.kinds[(schema, table)] == "foreign table":
            continue  # foreign tables cannot carry constraints
        others = [schema] + [s for s in model.search_schemas if s != schema]
        for column in columns:
            name = column["name"]
            if (schema, table, name) in model.fk_columns or not key_like_type(column) \
                    or matches_column(schema, table, name, ignore):
                continue
            match = _resolve(model, schema, table, name, others, user_columns, user_tables, external,
                             schemas_by_name, column)
            if match is None:
                continue
            (ref_schema, ref_table), rule = match
            ref_name = model.key_column(ref_schema, ref_table)
            if ref_name is None:
                continue
            if (ref_schema, ref_table, ref_name) == (schema, table, name):
                continue  # the table's own key
            ref_column = model.column_index.get((ref_schema, ref_table, ref_name))
            if ref_column is None:
                continue
            if rule in ("prefix", "suffix") and not can_declare_fk(column, ref_column):
                continue  # weak name evidence: only trusted when the types agree too
            if rule in ("name", "user", "schema_prefix", "self") and not can_declare_fk(column, ref_column) \
                    and type_family(column["base_type"]) != "text":
                continue  # an integer can't hold a uuid; a text column can (and is reported as a type mismatch)
            if name in model.primary_keys.get((schema, table), []) and len(model.primary_keys[(schema, table)]) == 1 \
                    and not can_declare_fk(column, ref_column):
                continue  # a single-column primary key only counts as a reference when its type fits
            rows.append({"schema": schema, "table": table, "column": name, "data_type": column["data_type"],
                         "ref_schema": ref_schema, "ref_table": ref_table, "ref_column": ref_name,
                         "ref_data_type": ref_column["data_type"], "rule": rule,
                         "_column": column, "_ref_column": ref_column})
    rows.sort(key=lambda r: (r["schema"], r["table"], r["column"]))
    return rows


def _resolve(model: Model, schema: str, table: str, name: str, others: list[str], user_columns: set[str],
             user_tables: list[tuple[str, str]], external: tuple[str, ...], schemas_by_name: set[str],
             column: dict) -> tuple[tuple[str, str], str] | None:
    """Which table a column name points at, and the rule that said so (None when it names no table)."""
    lowered = name.lower()
    if lowered.split("_", 1)[0] in external:
        return None  # stripe_customer_id, google_event_id: ids in another system
    stem = lowered[:-3] if lowered.endswith("_id") and len(lowered) > 3 else None
    # auth_user_id -> auth.users: a leading word that names a schema holding the table.
    if stem and "_" in stem:
        head, rest = stem.split("_", 1)
        if head in schemas_by_name and head != schema:
            found = model.find_table(name_forms(rest), [head])
            if found:
                return found, "schema_prefix"
    if lowered in ("parent_id",):
        return (schema, table), "self"
    if stem:
        found = model.find_table(name_forms(stem), [schema])
        if found == (schema, table):
            return None  # crew.crew_id: the table's own (often external) number, not a reference
        if found:
            return found, "name"
    # approved_by, booked_by …: unlisted *_by columns only count when typed like the user key (prepared_by text
    # holds a name).
    if lowered in user_columns or lowered.endswith("_by"):
        for user_table in user_tables:
            if model.kinds.get(user_table) not in ("table", "partitioned table"):
                continue
            if lowered not in user_columns:
                key = model.key_column(*user_table)
                key_column = model.column_index.get((*user_table, key)) if key else None
                if key_column is None or not can_declare_fk(column, key_column):
                    return None
            return user_table, "user"
    if stem is None:
        return None
    found = model.find_table(name_forms(stem), others[1:])
    if found and found != (schema, table):
        return found, "name"
    words = stem.split("_")
    # converted_to_quote_id -> quotes, related_client_id -> clients, parent_task_id -> tasks (itself).
    for start in range(1, len(words)):
        found = model.find_table(name_forms("_".join(words[start:])), others)
        if found:
            return found, "self" if found == (schema, table) else "prefix"
    # thread_id -> email_threads: the only table of the schema whose name ends with the word.
    forms = name_forms(stem)
    candidates = [t for t in model.by_schema.get(schema, ()) if t != table
                  and any(t.endswith("_" + form) for form in forms)]
    if len(candidates) == 1:
        return (schema, candidates[0]), "suffix"
    return None


def inferred_references(catalog: Catalog, config: AuditConfig) -> pd.DataFrame:
    """Every column that evidently refers to another table's key but has no foreign key covering it.

    One row per column: ``schema, table, column, data_type, ref_schema, ref_table, ref_column, ref_data_type,
    rule``. ``rule`` says which naming rule matched: ``name`` (``project_id`` → projects), ``user``
    (``created_by``/``user_id`` and the other ``relationships.user_columns``, or any ``*_by`` column typed like
    the user key → the first existing table of ``relationships.user_tables``), ``schema_prefix`` (``auth_user_id`` →
    auth.users), ``self`` (``parent_id``), ``prefix`` (``converted_to_quote_id`` → quotes) or ``suffix``
    (``thread_id`` → email_threads, when only one table ends so). The target is always the referenced table's
    single-column primary key or a unique column. Text columns pointing at a uuid/integer key are kept (their
    type differs: see ``fk_type_mismatch``); for the weaker prefix/suffix rules the types must agree.
    """
    rows = _reference_rows(catalog, config)
    return pd.DataFrame([{k: r[k] for k in REFERENCE_COLUMNS} for r in rows], columns=REFERENCE_COLUMNS)


# -- checks ---------------------------------------------------------------------------------------------------------
@check(name="fk_missing", category="relationships", severity="medium")
def fk_missing(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A column refers to another table's key, but no foreign key enforces it.

    Why it matters: nothing stops rows pointing at parents that don't exist, and deleting a parent leaves
    orphans behind silently; joins then drop or duplicate rows and reports disagree with the application.

    How to fix: clean or null the orphaned values, add the constraint NOT VALID (a short lock), then VALIDATE
    CONSTRAINT (no write lock). Where the column's type differs from the key's, change the type first.
    """
    tenant_column = config.tenant_column
    tenant_root = config.tenant_root
    for row in _reference_rows(catalog, config):
        schema, table, column = row["schema"], row["table"], row["column"]
        if column == tenant_column and (row["ref_schema"], row["ref_table"]) == tenant_root:
            continue  # reported by tenant_fk_missing, with the tenancy context
        ref = qualified(row["ref_schema"], row["ref_table"], row["ref_column"])
        nullable = row["_column"]["nullable"]
        on_delete = "SET NULL" if nullable else "NO ACTION"
        creatable = can_declare_fk(row["_column"], row["_ref_column"])
        evidence = {"rule": row["rule"], "references": ref, "data_type": row["data_type"],
                    "ref_data_type": row["ref_data_type"], "types_compatible": creatable,
                    "nullable": nullable, "suggested_on_delete": on_delete}
        remediation = None
        if creatable:
            name = object_name(table, column, suffix="fkey")
            orphans = (f"SELECT t.* FROM {ident(schema, table)} AS t WHERE t.{ident(column)} IS NOT NULL AND NOT "
                       f"EXISTS (SELECT 1 FROM {ident(row['ref_schema'], row['ref_table'])} AS p "
                       f"WHERE p.{ident(row['ref_column'])} = t.{ident(column)})")
            evidence["orphans_query"] = orphans
            remediation = ("-- VALIDATE fails while rows point at missing parents: fix or null them first (see "
                           "evidence.orphans_query)\n"
                           + add_foreign_key_sql(catalog, schema, table, name, [column], row["ref_schema"],
                                                 row["ref_table"], [row["ref_column"]], on_delete))
        else:
            evidence["note"] = (f"{row['data_type']} cannot reference {row['ref_data_type']}: change the column's "
                                "type first (see fk_type_mismatch), then add the foreign key.")
        yield Finding(
            schema=schema, table=table, column=column,
            title=f"{column} refers to {row['ref_schema']}.{row['ref_table']} without a foreign key",
            detail=(f"{qualified(schema, table, column)} holds ids of {ref} (matched by the {row['rule']!r} naming "
                    f"rule) but no foreign key enforces it, so rows can point at {row['ref_table']} rows that "
                    "do not exist."),
            evidence=evidence, remediation_sql=remediation)


@check(name="fk_type_mismatch", category="relationships", severity="high")
def fk_type_mismatch(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A referencing column's type differs from the type of the key it refers to.

    Why it matters: a text column holding uuids can't carry a foreign key at all, an integer pointing at a
    bigint key overflows once the parent passes 2^31, and every join needs a cast that defeats the index.

    How to fix: change the referencing column to the key's type (ALTER COLUMN ... TYPE ... USING col::type,
    after fixing values that don't convert), then add or keep the foreign key.
    """
    model = Model(catalog, config)
    for fk in catalog.foreign_keys.to_dict("records"):
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
    for row in _reference_rows(catalog, config):
        if types_differ(row["_column"], row["_ref_column"]):
            yield _mismatch_finding(catalog, row["schema"], row["table"], [(row["_column"], row["_ref_column"])],
                                    qualified(row["ref_schema"], row["ref_table"]), declared=None,
                                    rule=row["rule"])


def _mismatch_finding(catalog: Catalog, schema: str, table: str, pairs: list[tuple[dict, dict]], parent: str,
                      declared: str | None, rule: str | None = None) -> Finding:
    columns = [c["name"] for c, _ in pairs]
    described = ", ".join(f"{c['name']} {c['data_type']} → {parent}.{r['name']} {r['data_type']}" for c, r in pairs)
    narrower = all(type_family(c["base_type"]) == "integer" == type_family(r["base_type"])
                   and _INTEGER_WIDTH.get(c["base_type"], 0) > _INTEGER_WIDTH.get(r["base_type"], 0)
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


@check(name="fk_unindexed", category="relationships", severity="low")
def fk_unindexed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A foreign key's columns are not the leading columns of any index on the referencing table.

    Why it matters: every delete or key update on the parent scans the whole child table to check or cascade,
    under lock, and joins from parent to children can't use an index.

    How to fix: create an index on the foreign-key columns (CREATE INDEX CONCURRENTLY, which does not block
    writes).
    """
    indexes: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for index in catalog.indexes.to_dict("records"):
        if index["is_valid"]:
            indexes[(index["schema"], index["table"])].append(index)
    for fk in catalog.foreign_keys.to_dict("records"):
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
@check(name="column_type_inconsistent", category="relationships", severity="low")
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
    tables = catalog.user_tables(sorted(audited) if audited is not None else None)
    by_name: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
    for record in tables.to_dict("records"):
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
