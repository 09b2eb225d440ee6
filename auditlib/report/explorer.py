"""One table of an audited database, shown by the table_explorer notebook."""

from __future__ import annotations

import pandas as pd

from auditlib.audit import AuditResult, run_audit
from auditlib.config import load_config
from auditlib.findings import frame_records
from auditlib.report.html import esc, sql_html, svg_html, table_html
from auditlib.report.sections import Section
from auditlib.sources import resolve_source


class TableExplorer:
    """One table of an audited database: columns, keys, references, neighbourhood, policies, findings."""

    def __init__(self, result: AuditResult, schema: str, table: str, hops: int = 1):
        if result.catalog is None or not result.catalog.has_table(schema, table):
            raise ValueError(f"There is no table {schema}.{table} in the database; check the `table` parameter "
                             "(schema.table).")
        self.result, self.catalog, self.schema, self.table, self.hops = result, result.catalog, schema, table, hops
        frame = result.findings
        self._findings = frame[(frame["schema"] == schema) & (frame["table"] == table)] if len(frame) else frame

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    def header(self) -> Section:
        """The table's name, kind, size, RLS state and comment."""
        relation = self.catalog.relation(self.schema, self.table)
        section = Section(f"Table {self.name}", "top", level=1)
        facts = {"kind": relation["kind"], "rows (estimate)": relation["row_estimate"], "size (bytes, estimate)":
                 relation["size_bytes"], "row-level security": "enabled" if relation["rls_enabled"] else "off",
                 "comment": relation["comment"], "findings": len(self._findings)}
        section.add('<dl class="al-facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts.items()
                                                     if v not in (None, "")) + "</dl>")
        return section

    def columns(self) -> Section:
        """Columns in table order with type, nullability, default and comment."""
        frame = pd.DataFrame(self.catalog.table_columns(self.schema, self.table))
        section = Section("Columns", "columns", f"{len(frame)} columns.")
        section.add(table_html(frame[["position", "name", "data_type", "nullable", "default", "identity",
                                      "comment"]]))
        return section

    def keys(self) -> Section:
        """Primary key, unique and check constraints, and indexes."""
        constraints = self.catalog.constraints
        own = constraints[(constraints["schema"] == self.schema) & (constraints["table"] == self.table)
                          & (constraints["type"] != "foreign key")]
        indexes = self.catalog.indexes
        own_indexes = indexes[(indexes["schema"] == self.schema) & (indexes["table"] == self.table)]
        section = Section("Keys, constraints and indexes", "keys")
        section.add(table_html(own[["name", "type", "columns", "definition", "validated"]]))
        section.add(table_html(own_indexes[["name", "columns", "is_unique", "predicate", "is_valid"]]))
        return section

    def references(self) -> Section:
        """Foreign keys out of and into the table, with ON DELETE rules."""
        out = self.catalog.foreign_keys_of(self.schema, self.table)
        into = self.catalog.foreign_keys_to(self.schema, self.table)
        section = Section("References", "references",
                          f"{len(out)} foreign keys out of the table, {len(into)} into it.")
        if len(out):
            section.add_heading("Outgoing")
            section.add(table_html(out[["name", "columns", "ref_schema", "ref_table", "ref_columns", "on_delete"]]))
        if len(into):
            section.add_heading("Incoming")
            section.add(table_html(into[["schema", "table", "name", "columns", "on_delete"]]))
        return section

    def diagram(self) -> Section:
        """The table and its neighbours within ``hops`` foreign-key hops."""
        from auditlib import diagrams

        section = Section("Neighbourhood", "diagram", f"Tables within {self.hops} hop(s) of {self.name}.")
        graph = diagrams.er_ego(self.catalog, self.schema, self.table, hops=self.hops,
                                findings=self.result.findings, config=self.result.config,
                                analysis=self.result.analysis)
        section.add(svg_html(diagrams.to_svg(graph)))
        return section

    def policies(self) -> Section:
        """Row-level security policies on the table."""
        policies = self.catalog.policies
        own = policies[(policies["schema"] == self.schema) & (policies["table"] == self.table)]
        section = Section("Policies", "policies", f"{len(own)} row-level security policies.")
        section.add(table_html(own[["name", "command", "permissive", "roles", "using_expression", "with_check"]]))
        return section

    def findings(self) -> Section:
        """Findings on this table, worst first, with their fixes."""
        section = Section("Findings", "findings", f"{len(self._findings)} findings on {self.name}.")
        if len(self._findings):
            section.add(table_html(self._findings[["severity", "check", "object", "title", "detail"]]))
            fixes = [r for r in frame_records(self._findings) if r["remediation_sql"]]
            if fixes:
                section.add(sql_html("\n\n".join(f"-- {r['check']}: {r['object']}\n{r['remediation_sql']}"
                                                  for r in fixes)))
        return section


def open_table_explorer(table: str, *, hops: int = 1, demo: bool = False, dsn_env: str = "",
                        config_path: str = "") -> TableExplorer:
    """Audit the database (structure only) and return the explorer for one ``schema.table``."""
    from auditlib.config import split_table

    config = load_config(config_path or None)
    result = run_audit(resolve_source(dsn_env=dsn_env, demo=demo and not dsn_env), config, data=False)
    schema, name = split_table(table)
    return TableExplorer(result, schema, name, hops=hops)
