"""The cascade graph: what a DELETE on a parent does to its children, and which deletes reach protected tables.

Built over the declared foreign keys once per run (``Analysis.cascade``). The cascade checks, the report's ON DELETE
table (``on_delete_rules``) and tree (``CascadeGraph.tree``), and the cascade diagrams all read it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pandas as pd

from auditlib.catalog import Catalog, qualified
from auditlib.config import AuditConfig, split_table

if TYPE_CHECKING:
    from auditlib.model.analysis import Analysis

TREE_COLUMNS = ["depth", "from_table", "to_table", "columns", "rule", "constraint"]
RULE_COLUMNS = ["table", "columns", "parent", "on_delete", "on_update", "declared", "risk", "assessment",
                "constraint"]
# Parents that classify rather than own their rows: a kit item without its category is still a kit item.
_CLASSIFICATION_WORDS = ("categor", "department", "section", "type", "status", "stage", "template", "tag", "group",
                         "label", "folder", "kind")

Table = tuple[str, str]


def children_by_parent(catalog: Catalog) -> dict[Table, list[dict]]:
    """Foreign keys grouped by the table they reference (parent → the FKs of its children)."""
    children: dict[Table, list[dict]] = defaultdict(list)
    for fk in catalog.records("foreign_keys"):
        children[(fk["ref_schema"], fk["ref_table"])].append(fk)
    return children


class CascadeGraph:
    """The declared foreign keys as a graph of deletes: children by parent, and the deletes that reach protected
    tables (``cascade.protected_tables``), each computed once."""

    def __init__(self, catalog: Catalog, config: AuditConfig):
        self.catalog = catalog
        self.config = config
        self.children = children_by_parent(catalog)
        # For each protected table: the tables whose deletes cascade into it, with their FK paths.
        self.sources: dict[Table, dict[Table, list[list[dict]]]] = cascade_sources(catalog, config)

    def walk(self, schema: str, table: str, max_depth: int) -> list[tuple[int, dict]]:
        """(depth, foreign key record) met when deleting one row of ``schema.table`` (see ``cascade_walk``)."""
        return cascade_walk(self.children, schema, table, max_depth)

    def tree(self, schema: str, table: str, max_depth: int = 6) -> pd.DataFrame:
        """What deleting one row of ``schema.table`` reaches, as a table (see ``cascade_tree``)."""
        return tree_frame(self.children, schema, table, max_depth)


def cascade_tree(catalog: Catalog, schema: str, table: str, max_depth: int = 6) -> pd.DataFrame:
    """What deleting one row of ``schema.table`` reaches: one row per foreign key met on the way.

    Columns: ``depth`` (1 = direct children), ``from_table`` (the parent, qualified), ``to_table`` (the child),
    ``columns`` (the child's FK columns, comma-joined), ``rule`` (the FK's ON DELETE rule) and ``constraint``.
    Only CASCADE edges are followed further; SET NULL, RESTRICT and NO ACTION edges are listed (the children
    they touch or that block the delete) but end there. Each table is expanded once, at its shallowest depth.
    """
    return tree_frame(children_by_parent(catalog), schema, table, max_depth)


def cascade_walk(children: dict[Table, list[dict]], schema: str, table: str,
                 max_depth: int) -> list[tuple[int, dict]]:
    """(depth, foreign key record) for every FK met when deleting one row of ``schema.table``, breadth first.

    ``children`` is ``CascadeGraph.children``. Only CASCADE edges are followed further; each table is expanded once,
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


def tree_frame(children: dict[Table, list[dict]], schema: str, table: str, max_depth: int) -> pd.DataFrame:
    rows = [{"depth": depth, "from_table": qualified(fk["ref_schema"], fk["ref_table"]),
             "to_table": qualified(fk["schema"], fk["table"]), "columns": ",".join(fk["columns"]),
             "rule": fk["on_delete"], "constraint": fk["name"]}
            for depth, fk in cascade_walk(children, schema, table, max_depth)]
    return pd.DataFrame(rows, columns=TREE_COLUMNS)


def step_text(fk: dict) -> str:
    """One hop of a cascade path: ``s.child.col (CASCADE)``."""
    return f"{qualified(fk['schema'], fk['table'])}.{','.join(fk['columns'])} ({fk['on_delete']})"


def cascade_sources(catalog: Catalog, config: AuditConfig) -> dict[Table, dict[Table, list[list[dict]]]]:
    """For each protected table: the tables whose deletes cascade into it, with up to max_paths FK paths each.

    Searched backwards from each protected table along ON DELETE CASCADE edges, at most max_depth steps. A
    path stops at the first protected table it meets: deleting that table's rows is reported as its own reach.
    """
    max_depth = config.get("cascade", "max_depth")
    max_paths = config.get("cascade", "max_paths")
    parents_of: dict[Table, list[dict]] = defaultdict(list)
    for fk in catalog.records("foreign_keys"):
        if fk["on_delete"] == "CASCADE":
            parents_of[(fk["schema"], fk["table"])].append(fk)
    tables = [(r["schema"], r["name"]) for r in catalog.records("user_tables")]
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


def on_delete_rules(analysis: Analysis, schemas: list[str] | None = None) -> pd.DataFrame:
    """Every foreign key's ON DELETE rule with a risk assessment, plus references that have no foreign key.

    One row per declared foreign key and per inferred reference (``on_delete`` "NO FK", ``declared`` False) whose
    referencing table is in ``schemas`` (default: the audited schemas). Columns: ``table`` and ``parent``
    (qualified names), ``columns`` (comma-joined), ``on_delete``, ``on_update``, ``declared``, ``risk`` (ok,
    review or danger), ``assessment`` (why, in a phrase) and ``constraint`` (None for inferred references).
    """
    catalog, config, model = analysis.catalog, analysis.config, analysis.index
    if schemas is None:
        schemas = config.audited_schemas(list(catalog.schemas["name"]))
    wanted = set(schemas)
    references = analysis.inferred
    user_tables = {split_table(t) for t in config.get("relationships", "user_tables")}
    tenant_root = config.tenant_root
    # The parents each table keeps besides its tenant and its users: SET NULL on the only one orphans the row.
    context: dict[Table, set[Table]] = defaultdict(set)
    for fk in catalog.records("foreign_keys"):
        context[(fk["schema"], fk["table"])].add((fk["ref_schema"], fk["ref_table"]))
    for ref in references:
        context[ref.source].add(ref.target)
    reaches_protected = {source for sources in analysis.cascade.sources.values() for source in sources}

    rows = []
    for fk in catalog.records("foreign_keys"):
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
        if ref.schema not in wanted:
            continue
        tenant_reference = (ref.column, ref.target) == (config.tenant_column, tenant_root)
        suggested = "CASCADE" if tenant_reference else "SET NULL" if analysis.column_of(ref)["nullable"] \
            else "NO ACTION"
        rows.append({"table": qualified(*ref.source), "columns": ref.column,
                     "parent": qualified(*ref.target), "on_delete": "NO FK",
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
