"""The tenancy model: which tables hold tenant data, and how the ones without the tenant column reach it.

The tenant root and column come from the schema itself unless ``tenancy.tenant_root``/``tenancy.tenant_column``
name them: the root is the table that the most tables point at through a tenant-like column
(``tenancy.column_candidates``: tenant_id, organization_id, account_id, workspace_id ...), the column the name most
of those tables use. A candidate that too few tables carry (``tenancy.min_tables``) and reach
(``tenancy.min_coverage``) is not a tenant root (one ``organization_id`` column in a community app is a sponsor,
not a tenant); then the model says there is no tenancy and why (``TenancyModel.detection``), and the tenancy
checks do not run.

A table holds tenant data when it has the tenant column, or when it reaches a table that has it (or a users table)
through declared foreign keys or inferred references. ``build_tenancy`` classifies every table once per run; the
tenancy, RLS and data checks and the report's coverage table all read that classification. The backfill helpers
say how a table without the column can copy it from the rows it references.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase, translate
from functools import lru_cache

import pandas as pd

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig, split_table
from auditlib.model.references import Reference
from auditlib.quoting import ident

NO_TENANCY_NOTE = "tenancy checks did not run: no tenant root found"
NO_TABLE = ("", "")
# the checks that need a tenant column: they have nothing to say about a database without tenancy
TENANCY_CHECKS = ("tenant_column_missing", "tenant_column_nullable", "tenant_fk_missing", "rls_tenant_not_enforced",
                  "rls_null_bypass", "rls_leak", "tenant_null_rows", "tenant_mismatch_rows")
SCOPES = ("root", "tenant", "inherits", "global", "platform")
SCOPE_COLUMNS = ["schema", "table", "category", "has_tenant_column", "tenant_nullable", "tenant_fk", "scope", "via"]


def table_category(table_name: str, config: AuditConfig | None = None) -> str:
    """The domain a table belongs to (Core, CRM, Financial, ... or Other), from ``tenancy.categories`` patterns."""
    categories = (config or AuditConfig()).get("tenancy", "categories")
    name = table_name.lower()
    for category, matches in _category_matchers(tuple((c, tuple(p)) for c, p in categories.items())):
        if matches(name):
            return category
    return "Other"


@lru_cache(maxsize=8)
def _category_matchers(categories: tuple[tuple[str, tuple[str, ...]], ...]) -> list[tuple[str, Callable]]:
    """One compiled regex per category: the alternation of its lowercased glob patterns (``fnmatch.translate``
    anchors each one at the end, ``re.match`` at the start, so it matches where ``fnmatchcase`` on any would).
    Compiled once per set of categories: trying each pattern with ``fnmatchcase`` cost ~160 calls a table."""
    return [(category, re.compile("|".join(translate(p.lower()) for p in patterns)).match)
            for category, patterns in categories if patterns]


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
    source: str = "none"        # configured | detected | none
    why: str = ""               # one sentence: how the root and column were found, or why there is no tenancy
    candidates: list[dict] = field(default_factory=list)   # the roots considered, best first

    @property
    def root_exists(self) -> bool:
        return self.root in self.tables

    @property
    def multi_tenant(self) -> bool:
        """The database separates tenants: a tenant column was configured or detected, and a table carries it."""
        return bool(self.column) and (
            self.root_exists or any(row["has_tenant_column"] for row in self.tables.values()))

    def detection(self) -> dict:
        """What the run took as the tenant root, column and membership table, where from and why (for the
        report's first screen and the JSON document); ``note`` is set when the tenancy checks did not run."""
        with_column = sorted(".".join(k) for k, row in self.tables.items() if row["has_tenant_column"])
        return {
            "multi_tenant": self.multi_tenant, "source": self.source,
            "root": ".".join(self.root) if self.root_exists else None,
            "column": self.column or None,
            "membership_table": ".".join(self.membership) if self.membership in self.tables else None,
            "tables_with_column": len(with_column), "why": self.why,
            "note": None if self.multi_tenant else NO_TENANCY_NOTE,
            "candidates": list(self.candidates),
        }

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

    ``references`` are the declared and inferred references (``Analysis.references``). The tenant root, column
    and membership table are the configured ones, else detected (see the module docstring).
    """
    tenancy = config["tenancy"]
    model = TenancyModel(column="", root=NO_TABLE, membership=NO_TABLE,
                         membership_user_column=tenancy["membership_user_column"])
    platform = set(config.get("audit", "platform_schemas"))
    ignore = [p.lower() for p in tenancy["user_reference_ignore"]]
    for record in catalog.records("columns"):
        model.columns.setdefault((record["schema"], record["table"]), {})[record["name"]] = record
    model.primary_keys = {(r["schema"], r["table"]): list(r["columns"]) for r in catalog.records("constraints")
                          if r["type"] == "primary key"}
    keys = [(t["schema"], t["name"]) for t in catalog.records("user_tables")]
    known = set(keys)
    model.user_tables = {split_table(t) for t in config.get("relationships", "user_tables")} & known
    model.references = [r for r in references
                        if r.source in known and r.target in known and r.source != r.target
                        and not all(any(fnmatchcase(c.lower(), p) for p in ignore) for c in r.columns)]
    _choose_tenancy(model, config, [k for k in keys if k[0] not in platform])

    tenant_fk = set()
    for fk in catalog.records("foreign_keys"):
        if model.column in fk["columns"] and (
                (fk["ref_schema"], fk["ref_table"]) == model.root or model.column in fk["ref_columns"]):
            tenant_fk.add((fk["schema"], fk["table"]))

    scope: dict[tuple[str, str], str | None] = {}
    for key in keys:
        schema, name = key
        column = model.columns.get(key, {}).get(model.column) if model.column else None
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

    if model.column:
        spread([k for k in keys if scope[k] in ("root", "tenant")])
        spread(sorted(model.user_tables))   # user data, for tables that reach no tenant-scoped table
    for key, row in model.tables.items():
        row["scope"] = scope[key] or "global"
        if key in model.via:
            row["via"] = " -> ".join(ref.describe() for ref in model.path(key))
    return model


def _choose_tenancy(model: TenancyModel, config: AuditConfig, tables: list[tuple[str, str]]) -> None:
    """Set the model's column, root, membership table, source and why: configured values win, else detection."""
    tenancy = config["tenancy"]
    column, root = tenancy["tenant_column"], tenancy["tenant_root"]
    known = set(tables)
    if column or root:
        model.source = "configured"
        model.column = column or _majority_column(model, split_table(root), tenancy) or ""
        model.root = split_table(root) if root else _root_of(model, model.column, known)
        model.why = (f"configured: tenancy.tenant_column = {column!r}" if column else
                     f"{model.column!r} is the column most tables referencing the configured root use") + (
                        f", tenancy.tenant_root = {root!r}" if root else
                        f"; the root {'.'.join(model.root)} is the table it references" if model.root != NO_TABLE
                        else "; no table it references was found (no tenant root)")
    else:
        _detect(model, config, tables)
    membership = tenancy["membership_table"]
    if membership:
        model.membership = split_table(membership)
    elif model.column:
        model.membership = _membership_of(model, tables)


def _tenant_like_references(model: TenancyModel, config: AuditConfig, known: set[tuple[str, str]]
                            ) -> dict[tuple[str, str], dict[str, set[tuple[str, str]]]]:
    """root candidate -> tenant-like column name -> the tables whose column of that name references it."""
    names = {c.lower() for c in config.get("tenancy", "column_candidates")}
    found: dict[tuple[str, str], dict[str, set[tuple[str, str]]]] = {}
    for ref in model.references:
        if (len(ref.columns) == 1 and ref.columns[0].lower() in names and ref.target in known
                and ref.source in known and ref.target not in model.user_tables):
            found.setdefault(ref.target, {}).setdefault(ref.columns[0], set()).add(ref.source)
    return found


def _incoming(model: TenancyModel) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """table -> the tables whose references point at it."""
    incoming: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ref in model.references:
        incoming.setdefault(ref.target, []).append(ref.source)
    return incoming


def _reach(model: TenancyModel, seeds: set[tuple[str, str]], known: set[tuple[str, str]],
           incoming: dict[tuple[str, str], list[tuple[str, str]]] | None = None) -> set[tuple[str, str]]:
    """The tables that are ``seeds`` or reach one through references."""
    reached, queue = set(seeds), deque(seeds)
    incoming = _incoming(model) if incoming is None else incoming
    while queue:
        for source in incoming.get(queue.popleft(), []):
            if source in known and source not in reached:
                reached.add(source)
                queue.append(source)
    return reached


def _detect(model: TenancyModel, config: AuditConfig, tables: list[tuple[str, str]]) -> None:
    """The tenant root: the table the most tables point at through a tenant-like column; its column: the name
    most of them use. It counts only when enough of the other tables carry the column or reach the root."""
    tenancy = config["tenancy"]
    known = {t for t in tables if not config.is_global_table(*t)}
    root_names = [n.lower() for n in tenancy["root_candidates"]]
    min_coverage, min_tables = tenancy["min_coverage"], tenancy["min_tables"]
    scored = []
    # Linear in the candidates: a schema of thousands of small modules (org_1 … org_2000, each the root of its
    # own org_id) has thousands. What the tables carrying a column reach is the same for every candidate with that
    # column; a candidate adds what its root reaches.
    incoming, every_other = _incoming(model), known - model.user_tables
    by_column_name: dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]], int]] = {}
    for root, by_column in _tenant_like_references(model, config, known).items():
        column = max(by_column, key=lambda c: (len(by_column[c]), c == "tenant_id", c))
        if column not in by_column_name:
            carrying = {t for t in known if column in model.columns.get(t, {})}
            reached_by_carriers = _reach(model, carrying, known, incoming)
            by_column_name[column] = (carrying, reached_by_carriers, len(reached_by_carriers & every_other))
        carrying, reached_by_carriers, reached_count = by_column_name[column]
        carriers = len(carrying) - (root in carrying)
        referencing = set().union(*by_column.values()) - {root}
        others = len(every_other) - (root in every_other)
        # the other tables the carriers and the root reach (the root itself is not one of them)
        reached = reached_count + sum(1 for t in _reach(model, {root}, known, incoming)
                                      if t not in reached_by_carriers and t in every_other) - (root in every_other)
        coverage = reached / others if others else 0.0
        named = root[1].lower() in root_names
        scored.append({"root": ".".join(root), "column": column, "tables_referencing": len(referencing),
                       "tables_with_column": carriers, "tables_reaching": reached,
                       "tables": others, "coverage": round(coverage, 2), "root_name_known": named})
    scored.sort(key=lambda c: (-c["tables_referencing"], not c["root_name_known"], -c["coverage"], c["root"]))
    model.candidates = scored[:5]
    if not scored:
        columns = ", ".join(tenancy["column_candidates"][:6])
        model.why = (f"no table is referenced through a tenant-like column ({columns} ... "
                     "tenancy.column_candidates); set tenancy.tenant_column and tenancy.tenant_root if the database "
                     "separates tenants by another column")
        return
    best = scored[0]
    summary = (f"{best['tables_referencing']} table{'s' if best['tables_referencing'] != 1 else ''} reference "
               f"{best['root']} through {best['column']}, and {best['tables_reaching']} of the "
               f"{best['tables']} other tables carry it or reach {best['root']} "
               f"({best['coverage']:.0%}; tenancy.min_coverage = {min_coverage:.0%}); {best['tables_with_column']} "
               f"carry {best['column']} (tenancy.min_tables = {min_tables})")
    if best["coverage"] < min_coverage and best["tables_with_column"] < min_tables:
        model.why = (f"not a tenant root: {summary}; set tenancy.tenant_column and tenancy.tenant_root if it is one")
        return
    model.source = "detected"
    model.column, model.root = best["column"], split_table(best["root"])
    model.why = f"detected: {summary}"


def _majority_column(model: TenancyModel, root: tuple[str, str], tenancy: dict) -> str | None:
    """The column name most references to ``root`` use (tenant-like names first)."""
    counts: dict[str, int] = {}
    for ref in model.references:
        if ref.target == root and len(ref.columns) == 1:
            counts[ref.columns[0]] = counts.get(ref.columns[0], 0) + 1
    if not counts:
        return None
    names = {c.lower() for c in tenancy["column_candidates"]}
    return max(counts, key=lambda c: (c.lower() in names, counts[c], c))


def _root_of(model: TenancyModel, column: str, known: set[tuple[str, str]]) -> tuple[str, str]:
    """The table a configured tenant column references most often, or NO_TABLE."""
    counts: dict[tuple[str, str], int] = {}
    for ref in model.references:
        if tuple(ref.columns) == (column,):
            counts[ref.target] = counts.get(ref.target, 0) + 1
    counts = {t: n for t, n in counts.items() if t in known}
    return max(counts, key=lambda t: (counts[t], t)) if counts else NO_TABLE


def _membership_of(model: TenancyModel, tables: list[tuple[str, str]]) -> tuple[str, str]:
    """The table that says which users belong to which tenant: it carries the tenant column and the membership user
    column, and its name says so (``*member*``, ``<root>_users``); NO_TABLE when none does."""
    user = model.membership_user_column
    stem = model.root[1].lower().rstrip("s")
    both = [t for t in tables if model.column in model.columns.get(t, {}) and user in model.columns.get(t, {})]
    named = [t for t in both if "member" in t[1].lower() or (stem and t[1].lower() in (f"{stem}_users",
                                                                                         f"{stem}_user"))]
    # organization_members before project_members: the root's own membership first
    return min(named, key=lambda t: (not (stem and t[1].lower().startswith(stem)), len(model.columns[t]), t)) \
        if named else NO_TABLE


def resolve_tenancy(config: AuditConfig, model: TenancyModel) -> AuditConfig:
    """``config`` with the tenancy the model took written into ``tenancy.tenant_column``/``tenant_root``/
    ``membership_table`` (empty strings when there is no tenancy)."""
    def name(table: tuple[str, str]) -> str:
        return ".".join(table) if table in model.tables else ""
    column = model.column if model.multi_tenant else ""
    return config.with_overrides({"tenancy": {
        "tenant_column": column, "tenant_root": name(model.root) if column else "",
        "membership_table": name(model.membership) if column else ""}})


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
