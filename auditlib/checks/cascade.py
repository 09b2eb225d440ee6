"""Cascade checks: what a DELETE on a parent does to its children, and where that goes wrong.

Also the two views of the same graph the report draws on: ``on_delete_rules`` (every foreign key's ON DELETE
rule with a risk assessment) and ``cascade_tree`` (what deleting one row of a table reaches).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

import pandas as pd

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.relationships import Model, _reference_rows, add_foreign_key_sql
from auditlib.config import AuditConfig, split_table
from auditlib.findings import Finding
from auditlib.quoting import ident

TREE_COLUMNS = ["depth", "from_table", "to_table", "columns", "rule", "constraint"]
RULE_COLUMNS = ["table", "columns", "parent", "on_delete", "on_update", "declared", "risk", "assessment",
                "constraint"]
# Parents that classify rather than own their rows: a kit item without its category is still a kit item.
_CLASSIFICATION_WORDS = ("categor", "department", "section", "type", "status", "stage", "template", "tag", "group",
                         "label", "folder", "kind")
_SET_COLUMNS = re.compile(r"ON (DELETE|UPDATE) SET (?:NULL|DEFAULT) \(([^)]*)\)", re.IGNORECASE)

Table = tuple[str, str]


def _children(catalog: Catalog) -> dict[Table, list[dict]]:
    """Foreign keys grouped by the table they reference (parent → the FKs of its children)."""
    children: dict[Table, list[dict]] = defaultdict(list)
    for fk in catalog.foreign_keys.to_dict("records"):
        children[(fk["ref_schema"], fk["ref_table"])].append(fk)
    return children


def cascade_tree(catalog: Catalog, schema: str, table: str, max_depth: int = 6) -> pd.DataFrame:
    """What deleting one row of ``schema.table`` reaches: one row per foreign key met on the way.

    Columns: ``depth`` (1 = direct children), ``from_table`` (the parent, qualified), ``to_table`` (the child),
    ``columns`` (the child's FK columns, comma-joined), ``rule`` (the FK's ON DELETE rule) and ``constraint``.
    Only CASCADE edges are followed further; SET NULL, RESTRICT and NO ACTION edges are listed (the children
    they touch or that block the delete) but end there. Each table is expanded once, at its shallowest depth.
    """
    return _tree(_children(catalog), schema, table, max_depth)


def cascade_walk(children: dict[Table, list[dict]], schema: str, table: str,
                 max_depth: int) -> list[tuple[int, dict]]:
    """(depth, foreign key record) for every FK met when deleting one row of ``schema.table``, breadth first.

    ``children`` is ``_children(catalog)``. Only CASCADE edges are followed further; each table is expanded once,
    at its shallowest depth. The tree table below and the cascade diagrams both read this walk.
    """
    seen = {(schema, table)}
    frontier = [(schema, table)]
    steps: list[tuple[int, dict]] = []
    for depth in range(1, max_depth + 1):
        following = []
        for parent in frontier:
            for fk in children.get(parent, []):
                child = (fk["schema"], fk["table"])
                steps.append((depth, fk))
                if fk["on_delete"] == "CASCADE" and child not in seen:
                    seen.add(child)
                    following.append(child)
        frontier = following
        if not frontier:
            break
    return steps


def _tree(children: dict[Table, list[dict]], schema: str, table: str, max_depth: int) -> pd.DataFrame:
    rows = [{"depth": depth, "from_table": qualified(fk["ref_schema"], fk["ref_table"]),
             "to_table": qualified(fk["schema"], fk["table"]), "columns": ",".join(fk["columns"]),
             "rule": fk["on_delete"], "constraint": fk["name"]}
            for depth, fk in cascade_walk(children, schema, table, max_depth)]
    return pd.DataFrame(rows, columns=TREE_COLUMNS)


def _step(fk: dict) -> str:
    return f"{qualified(fk['schema'], fk['table'])}.{','.join(fk['columns'])} ({fk['on_delete']})"


def _cascade_sources(catalog: Catalog, config: AuditConfig) -> dict[Table, dict[Table, list[list[dict]]]]:
    """For each protected table: the tables whose deletes cascade into it, with up to max_paths FK paths each.

    Searched backwards from each protected table along ON DELETE CASCADE edges, at most max_depth steps. A
    path stops at the first protected table it meets: deleting that table's rows is reported as its own reach.
    """
    max_depth = config.get("cascade", "max_depth")
    max_paths = config.get("cascade", "max_paths")
    parents_of: dict[Table, list[dict]] = defaultdict(list)
    for fk in catalog.foreign_keys.to_dict("records"):
        if fk["on_delete"] == "CASCADE":
            parents_of[(fk["schema"], fk["table"])].append(fk)
    tables = [(r["schema"], r["name"]) for r in catalog.user_tables().to_dict("records")]
    protected = [t for t in tables if config.is_protected_table(*t)]
    reach: dict[Table, dict[Table, list[list[dict]]]] = {}
    for target in protected:
        paths: dict[Table, list[list[dict]]] = {target: [[]]}
        frontier = [target]
        for _ in range(max_depth):
            following = []
            for node in frontier:
                for fk in parents_of.get(node, []):
                    parent = (fk["ref_schema"], fk["ref_table"])
                    if parent == target or parent == node:
                        continue  # a cycle back into the target, or a self-reference
                    known = paths.setdefault(parent, [])
                    first_visit = not known
                    for path in paths[node]:
                        if len(known) >= max_paths:
                            break
                        if all(step["table"] != parent[1] or step["schema"] != parent[0] for step in path):
                            known.append([fk, *path])
                    if first_visit and known and not config.is_protected_table(*parent):
                        following.append(parent)
            frontier = following
            if not frontier:
                break
        reach[target] = {source: found for source, found in paths.items() if source != target and found}
    return reach


@check(name="cascade_reach", category="cascade", severity="medium")
def cascade_reach(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """Deleting one row of a table cascades, through ON DELETE CASCADE foreign keys, into a protected table.

    Why it matters: financial, audit and history rows (invoices, payments, audit logs) must outlive the things
    they describe; a cascade deletes them silently, and a single mistaken delete of a project or client takes
    its invoices with it. Deleting a tenant (the organisation) is meant to remove its data, so that path is
    reported at a lower severity, as a reminder to archive before off-boarding.

    How to fix: on the foreign key that enters the protected table, replace ON DELETE CASCADE with NO ACTION
    (the parent can't be deleted while protected rows point at it; a tenant deletion that removes both in one
    statement still works) or SET NULL, and archive protected rows explicitly when they really must go.
    """
    tenant_root = config.tenant_root
    root_severity = config.get("cascade", "tenant_root_severity")
    max_depth = config.get("cascade", "max_depth")
    patterns = config.get("cascade", "protected_tables")
    children = _children(catalog)
    for target, sources in sorted(_cascade_sources(catalog, config).items()):
        downstream = [row["to_table"] for row in _tree(children, *target, max_depth).to_dict("records")
                      if row["rule"] == "CASCADE" and row["to_table"] != qualified(*target)]
        for source, paths in sorted(sources.items()):
            if config.is_protected_table(*source):
                continue  # deleting a protected row is itself the deliberate act
            is_root = source == tenant_root
            described = [[_step(fk) for fk in path] for path in paths]
            evidence = {"source": qualified(*source), "protected_table": qualified(*target),
                        "paths": described, "depth": min(len(p) for p in paths),
                        "protected_patterns": patterns, "max_depth": max_depth,
                        "then_cascades_to": sorted(set(downstream))}
            remediation = None
            if is_root:
                evidence["note"] = ("deleting a tenant is expected to remove its data; archive these rows first "
                                    "if they must be retained (invoices, audit logs)")
            else:
                last_hops = {fk["name"]: fk for path in paths for fk in path[-1:]}
                remediation = "\n".join(
                    add_foreign_key_sql(catalog, fk["schema"], fk["table"], fk["name"], list(fk["columns"]),
                                        fk["ref_schema"], fk["ref_table"], list(fk["ref_columns"]), "NO ACTION",
                                        fk["on_update"], drop_first=True, deferrable=fk["deferrable"],
                                        deferred=fk["deferred"])
                    for _, fk in sorted(last_hops.items()))
            yield Finding(
                schema=target[0], table=target[1], column=None,
                object=f"{qualified(*source)}~{qualified(*target)}",
                title=f"Deleting a row of {qualified(*source)} deletes rows of {qualified(*target)}",
                detail=(f"A DELETE on {qualified(*source)} cascades through "
                        f"{' → '.join(described[0])} and removes rows of the protected table "
                        f"{qualified(*target)}" + (" (tenant deletion)." if is_root else ".")),
                evidence=evidence, remediation_sql=remediation, severity=root_severity if is_root else None)


def _set_columns(fk: dict, action: str) -> list[str]:
    """The columns an ON DELETE/UPDATE SET NULL|DEFAULT action writes (PostgreSQL 15 allows a subset)."""
    for match in _SET_COLUMNS.finditer(fk["definition"] or ""):
        if match.group(1).upper() == action:
            return [c.strip().strip('"') for c in match.group(2).split(",")]
    return list(fk["columns"])


@check(name="fk_set_null_not_null", category="cascade", severity="high")
def fk_set_null_not_null(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A foreign key says ON DELETE (or ON UPDATE) SET NULL, but the column is NOT NULL.

    Why it matters: the rule can never run: deleting a referenced parent fails with a not-null violation, so
    the delete the application thinks is allowed is refused in production.

    How to fix: decide what the child should do. If it may outlive its parent, drop NOT NULL; if it can't
    (a key column, the tenant column), make the rule CASCADE or NO ACTION instead.
    """
    for fk in catalog.foreign_keys.to_dict("records"):
        schema, table = fk["schema"], fk["table"]
        hits: dict[str, list[str]] = {}
        for action, rule in (("DELETE", fk["on_delete"]), ("UPDATE", fk["on_update"])):
            if rule not in ("SET NULL", "SET DEFAULT"):
                continue
            for name in _set_columns(fk, action):
                column = catalog.column(schema, table, name)
                if column is None or column["nullable"]:
                    continue
                if rule == "SET DEFAULT" and column["default"] is not None:
                    continue  # a default exists; it is written instead of NULL
                hits.setdefault(name, []).append(f"ON {action} {rule}")
        if not hits:
            continue
        columns = sorted(hits)
        pk = set(catalog.primary_key(schema, table))
        keep_required = bool(pk & set(columns)) or config.tenant_column in columns
        if keep_required:
            remediation = add_foreign_key_sql(catalog, schema, table, fk["name"], list(fk["columns"]),
                                              fk["ref_schema"], fk["ref_table"], list(fk["ref_columns"]),
                                              "CASCADE", "NO ACTION" if fk["on_update"] in ("SET NULL",
                                                                                            "SET DEFAULT")
                                              else fk["on_update"], drop_first=True,
                                              deferrable=fk["deferrable"], deferred=fk["deferred"])
        else:
            remediation = "\n".join(f"ALTER TABLE {ident(schema, table)} ALTER COLUMN {ident(c)} DROP NOT NULL;"
                                    for c in columns)
        rules = sorted({r for rs in hits.values() for r in rs})
        yield Finding(
            schema=schema, table=table, column=",".join(columns),
            title=f"{fk['name']}: {' / '.join(rules)} on NOT NULL {', '.join(columns)}",
            detail=(f"Foreign key {fk['name']} on {qualified(schema, table)} would set {', '.join(columns)} to NULL "
                    f"when a {qualified(fk['ref_schema'], fk['ref_table'])} row is "
                    f"{'deleted' if any('DELETE' in r for r in rules) else 'updated'}, but the column is NOT NULL, "
                    "so that statement fails."),
            evidence={"constraint": fk["name"], "rules": rules, "definition": fk["definition"],
                      "references": qualified(fk["ref_schema"], fk["ref_table"]),
                      "suggested_fix": "make the rule CASCADE (key or tenant column)" if keep_required
                      else "drop NOT NULL"},
            remediation_sql=remediation)


def on_delete_rules(catalog: Catalog, config: AuditConfig, schemas: list[str] | None = None) -> pd.DataFrame:
    """Every foreign key's ON DELETE rule with a risk assessment, plus references that have no foreign key.

    One row per declared foreign key and per inferred reference (``on_delete`` "NO FK", ``declared`` False) whose
    referencing table is in ``schemas`` (default: the audited schemas). Columns: ``table`` and ``parent``
    (qualified names), ``columns`` (comma-joined), ``on_delete``, ``on_update``, ``declared``, ``risk`` (ok,
    review or danger), ``assessment`` (why, in a phrase) and ``constraint`` (None for inferred references).
    """
    if schemas is None:
        schemas = config.audited_schemas(list(catalog.schemas["name"]))
    wanted = set(schemas)
    model = Model(catalog, config)
    references = _reference_rows(catalog, config)
    user_tables = {split_table(t) for t in config.get("relationships", "user_tables")}
    tenant_root = config.tenant_root
    # The parents each table keeps besides its tenant and its users: SET NULL on the only one orphans the row.
    context: dict[Table, set[Table]] = defaultdict(set)
    for fk in catalog.foreign_keys.to_dict("records"):
        context[(fk["schema"], fk["table"])].add((fk["ref_schema"], fk["ref_table"]))
    for ref in references:
        context[(ref["schema"], ref["table"])].add((ref["ref_schema"], ref["ref_table"]))
    reaches_protected = {source for sources in _cascade_sources(catalog, config).values() for source in sources}

    rows = []
    for fk in catalog.foreign_keys.to_dict("records"):
        child, parent = (fk["schema"], fk["table"]), (fk["ref_schema"], fk["ref_table"])
        if fk["schema"] not in wanted:
            continue
        columns = [model.column_index.get((*child, c)) or catalog.column(*child, c) for c in fk["columns"]]
        not_null = any(c is not None and not c["nullable"] for c in columns)
        own_parents = context[child] - {tenant_root} - user_tables - {child}
        risk, assessment = _assess(fk["on_delete"], fk["on_update"], child, parent, not_null, own_parents,
                                   config, tenant_root, user_tables, reaches_protected)
        rows.append({"table": qualified(*child), "columns": ",".join(fk["columns"]), "parent": qualified(*parent),
                     "on_delete": fk["on_delete"], "on_update": fk["on_update"], "declared": True, "risk": risk,
                     "assessment": assessment, "constraint": fk["name"]})
    for ref in references:
        if ref["schema"] not in wanted:
            continue
        tenant_reference = (ref["column"], (ref["ref_schema"], ref["ref_table"])) == (config.tenant_column,
                                                                                      tenant_root)
        suggested = "CASCADE" if tenant_reference else "SET NULL" if ref["_column"]["nullable"] else "NO ACTION"
        rows.append({"table": qualified(ref["schema"], ref["table"]), "columns": ref["column"],
                     "parent": qualified(ref["ref_schema"], ref["ref_table"]), "on_delete": "NO FK",
                     "on_update": None, "declared": False, "risk": "danger",
                     "assessment": f"no foreign key: add one (ON DELETE {suggested})", "constraint": None})
    frame = pd.DataFrame(rows, columns=RULE_COLUMNS).astype(object)
    return frame.sort_values(["table", "columns", "parent"], kind="stable").reset_index(drop=True)


def _assess(on_delete: str, on_update: str, child: Table, parent: Table, not_null: bool, own_parents: set[Table],
            config: AuditConfig, tenant_root: Table, user_tables: set[Table],
            reaches_protected: set[Table]) -> tuple[str, str]:
    """(risk, assessment) of one foreign key's rules, as in the seed audit's cascade table."""
    child_name, parent_name = qualified(*child), qualified(*parent)
    child_protected = config.is_protected_table(*child)
    parent_protected = config.is_protected_table(*parent)
    if not_null and (on_delete in ("SET NULL", "SET DEFAULT") or on_update in ("SET NULL", "SET DEFAULT")):
        return "danger", "SET NULL on a NOT NULL column: deleting the parent fails"
    if on_delete == "CASCADE":
        if child_protected and parent == tenant_root:
            return "review", f"org deletion also deletes its {child[1]}: archive before off-boarding"
        if child_protected and parent_protected:
            return "ok", f"{child[1]} rows belong to their {parent[1]} row (both protected)"
        if child_protected:
            return "danger", f"deleting a {parent[1]} row deletes protected {child[1]} rows"
        if parent == tenant_root:
            return "ok", "org deletion removes its rows"
        if parent in user_tables:
            return "ok", "rows bound to the user are removed with them"
        if child in reaches_protected:
            return "review", f"deleting a {parent[1]} row cascades on from {child_name} into protected tables"
        return "ok", f"{child[1]} rows belong to their {parent[1]} row"
    if on_delete == "SET NULL":
        if parent in user_tables:
            return "ok", "row kept (without its user) when the user is deleted"
        if parent == tenant_root:
            return "ok", "row kept when the organisation is deleted"
        if parent == child:
            return "ok", f"a {child[1]} row whose parent is deleted becomes a top-level one"
        if child_protected:
            return "review", f"{child[1]} loses its {parent[1]} (context) when that row is deleted"
        if not own_parents - {parent} and not any(word in parent[1] for word in _CLASSIFICATION_WORDS):
            return "review", f"{parent[1]} is the row's only parent: deleting it leaves orphaned {child[1]}"
        return "ok", f"{child[1]} row kept without its {parent[1]}"
    if on_delete == "SET DEFAULT":
        return "review", f"deleting a {parent[1]} row points {child_name} at the column default"
    if parent in user_tables:
        return "review", "deleting a user fails while these rows reference them"
    return "ok", f"deleting a referenced {parent_name} row is refused"
