"""Cascade checks: what a DELETE on a parent does to its children, and where that goes wrong.

The graph they read (children by parent, the deletes that reach protected tables) is the run's cascade model,
``auditlib.model.cascade`` (``Analysis.cascade``); the report's ON DELETE table and cascade tree read it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.fixes import add_foreign_key_sql
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.model import Analysis
from auditlib.model.cascade import step_text
from auditlib.quoting import ident

_SET_COLUMNS = re.compile(r"ON (DELETE|UPDATE) SET (?:NULL|DEFAULT) \(([^)]*)\)", re.IGNORECASE)


@check(name="cascade_reach", category="cascade", severity="medium", needs=("analysis",), report_section="cascade.paths")
def cascade_reach(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
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
    graph = analysis.cascade
    for target, sources in sorted(graph.sources.items()):
        downstream = [qualified(fk["schema"], fk["table"]) for _, fk in graph.walk(*target, max_depth)
                      if fk["on_delete"] == "CASCADE" and qualified(fk["schema"], fk["table"]) != qualified(*target)]
        for source, paths in sorted(sources.items()):
            if config.is_protected_table(*source):
                continue  # deleting a protected row is itself the deliberate act
            is_root = source == tenant_root
            described = [[step_text(fk) for fk in path] for path in paths]
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
    for fk in catalog.records("foreign_keys"):
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
