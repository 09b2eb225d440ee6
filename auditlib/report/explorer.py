"""One table of an audited database, shown by the table_explorer notebook: everything about it in one place."""

from __future__ import annotations

import pandas as pd

from auditlib.audit import AuditResult
from auditlib.findings import SEVERITIES, evidence_dict, frame_records
from auditlib.model import Analysis
from auditlib.report.html import esc, sql_html, svg_html, table_html
from auditlib.report.look import styled
from auditlib.report.sections import Section

# Evidence fields through which a finding on another table names this one (a reference's target, a cascade's source
# or protected table).
POINTING_EVIDENCE = ("references", "source", "protected_table", "parent", "target")


class ExplorerSection(Section):
    """A report section that keeps the report's look in JupyterLab, trusted or not (inline styles, table cells
    included: the explorer's tables are small)."""

    def _repr_html_(self) -> str:
        return styled(super()._repr_html_(), cells=True)


class TableExplorer:
    """One table of an audited database: its findings (data-level included), columns, keys, references in and out,
    cascade reach, policies and a small neighbourhood diagram."""

    def __init__(self, result: AuditResult, schema: str, table: str, hops: int = 1, max_nodes: int = 12):
        if result.catalog is None or not result.catalog.has_table(schema, table):
            raise ValueError(f"There is no table {schema}.{table} in the database; check the `table` parameter "
                             "(schema.table).")
        self.result, self.catalog, self.schema, self.table = result, result.catalog, schema, table
        self.hops, self.max_nodes = hops, max_nodes
        if result.analysis is None:
            result.analysis = Analysis(result.catalog, result.config)
        self.analysis: Analysis = result.analysis
        frame = result.findings
        own = (frame["schema"] == schema) & (frame["table"] == table) if len(frame) else []
        self._findings = frame[own].reset_index(drop=True) if len(frame) else frame
        self._pointing = frame[~own & frame["evidence"].map(self._points_here)].reset_index(drop=True) \
            if len(frame) else frame

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    def _points_here(self, evidence) -> bool:
        evidence = evidence_dict(evidence)
        for key in POINTING_EVIDENCE:
            value = evidence.get(key)
            if isinstance(value, str) and (value == self.name or value.startswith(self.name + ".")):
                return True
        return False

    def header(self) -> Section:
        """The table's name, kind, size, RLS state, comment and its findings by severity."""
        relation = self.catalog.relation(self.schema, self.table)
        section = ExplorerSection(f"Table {self.name}", "top", level=1)
        facts = {"kind": relation["kind"], "rows (estimate)": relation["row_estimate"], "size (bytes, estimate)":
                 relation["size_bytes"], "row-level security": "enabled" if relation["rls_enabled"] else "off",
                 "comment": relation["comment"], "findings": len(self._findings),
                 "audit": self._audit_scope()}
        section.add('<dl class="al-facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts.items()
                                                     if v not in (None, "")) + "</dl>")
        section.add(_severity_badges(self._findings))
        return section

    def columns(self) -> Section:
        """Columns in table order with type, nullability, default and comment."""
        frame = pd.DataFrame(self.catalog.table_columns(self.schema, self.table))
        section = ExplorerSection("Columns", "columns", f"{len(frame)} columns.")
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
        section = ExplorerSection("Keys, constraints and indexes", "keys")
        section.add(table_html(own[["name", "type", "columns", "definition", "validated"]]))
        section.add(table_html(own_indexes[["name", "columns", "is_unique", "predicate", "is_valid"]]))
        return section

    def reference_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(out, in): the references out of and into the table, declared foreign keys and inferred ones alike."""
        columns = ["table", "columns", "references", "kind", "on delete", "constraint"]
        out, into = [], []
        for ref in self.analysis.references:
            row = {"table": f"{ref.schema}.{ref.table}", "columns": ", ".join(ref.columns),
                   "references": f"{ref.ref_schema}.{ref.ref_table}({', '.join(ref.ref_columns)})",
                   "kind": ref.kind if ref.kind != "inferred" else f"inferred ({ref.rule}, no foreign key)",
                   "on delete": ref.on_delete or "", "constraint": ref.constraint or ""}
            if (ref.schema, ref.table) == (self.schema, self.table):
                out.append(row)
            if (ref.ref_schema, ref.ref_table) == (self.schema, self.table):
                into.append(row)
        return pd.DataFrame(out, columns=columns), pd.DataFrame(into, columns=columns)

    def references(self) -> Section:
        """References out of and into the table: foreign keys with their ON DELETE rule, and the inferred references
        no constraint enforces."""
        out, into = self.reference_frames()
        inferred = int(out["kind"].str.startswith("inferred").sum() + into["kind"].str.startswith("inferred").sum())
        section = ExplorerSection("References", "references",
                                  f"{len(out)} references out of the table, {len(into)} into it ({inferred} of them "
                                  "inferred from names, with no foreign key).")
        if len(out):
            section.add_heading("Out of the table")
            section.add(table_html(out.drop(columns="table")))
        if len(into):
            section.add_heading("Into the table")
            section.add(table_html(into))
        return section

    def cascade_frame(self) -> pd.DataFrame:
        """What deleting one row of the table reaches: one row per foreign key met (depth, child, rule)."""
        depth = int(self.result.config.get("cascade", "max_depth"))
        return self.analysis.cascade.tree(self.schema, self.table, depth)

    def cascade(self) -> Section:
        """Cascade reach: the tables that lose rows, are updated or block when a row of this table is deleted, and
        the parents whose deletes cascade into it."""
        tree = self.cascade_frame()
        deleted = sorted(set(tree.loc[tree["rule"] == "CASCADE", "to_table"])) if len(tree) else []
        blocked = sorted(set(tree.loc[tree["rule"].isin(["RESTRICT", "NO ACTION"]), "to_table"])) if len(tree) else []
        out, _ = self.reference_frames()
        from_parents = out[out["on delete"] == "CASCADE"]["references"].tolist()
        parents = (f"Deleting a row of {', '.join(from_parents)} deletes rows here." if from_parents
                   else "No parent's delete cascades into this table.")
        if not len(tree):
            section = ExplorerSection("Cascade reach", "cascade", parents)
            section.add(f'<p class="al-note">No foreign key points at {esc(self.name)}: deleting a row touches no '
                        "other table.</p>")
            return section
        section = ExplorerSection(
            "Cascade reach", "cascade",
            f"Deleting a row of {self.name} deletes rows in {len(deleted)} tables"
            + (f" ({', '.join(deleted[:8])}{' …' if len(deleted) > 8 else ''})" if deleted else "")
            + f"; {len(blocked)} tables block the delete while they hold rows pointing at it. " + parents)
        section.add(table_html(tree))
        if deleted:
            from auditlib import diagrams

            graph = diagrams.cascade_diagram(self.catalog, self.schema, self.table, config=self.result.config,
                                             analysis=self.analysis, max_nodes=self.max_nodes)
            section.add(svg_html(diagrams.to_svg(graph), caption=f"Deleting a row of {self.name}"))
        return section

    def diagram(self) -> Section:
        """The table and its neighbours within ``hops`` references, at most ``max_nodes`` tables (nearest first)."""
        from auditlib import diagrams

        section = ExplorerSection("Neighbourhood", "diagram", f"Tables within {self.hops} hop(s) of {self.name}.")
        graph = diagrams.er_ego(self.catalog, self.schema, self.table, hops=self.hops,
                                findings=self.result.findings, config=self.result.config,
                                analysis=self.analysis, max_nodes=self.max_nodes)
        section.add(svg_html(diagrams.to_svg(graph), caption=f"{self.name} and its neighbours"))
        return section

    def policies(self) -> Section:
        """Row-level security state and the table's policies."""
        relation = self.catalog.relation(self.schema, self.table)
        policies = self.catalog.policies
        own = policies[(policies["schema"] == self.schema) & (policies["table"] == self.table)]
        state = ("Row-level security is " + ("enabled" if relation["rls_enabled"] else "off")
                 + (" and forced" if relation.get("rls_forced") else "") + f"; {len(own)} policies.")
        section = ExplorerSection("Policies", "policies", state)
        section.add(table_html(own[["name", "command", "permissive", "roles", "using_expression", "with_check"]]))
        return section

    def findings(self) -> Section:
        """Findings on this table, worst first (data-level ones included), each with its fix; then findings on
        other tables that point at this one."""
        from auditlib.workbench import findings_table_html

        section = ExplorerSection("Findings", "findings", f"{len(self._findings)} findings on {self.name}"
                                  + ("" if self._data_checks_ran() else " (structure checks only: data-level "
                                                                        "checks did not run)") + ".")
        if len(self._findings):
            section.add(findings_table_html(self._findings, ["severity", "check", "object", "title", "detail"]))
            for record in frame_records(self._findings):
                if record["remediation_sql"]:
                    section.add(f"<details><summary>Fix for {esc(record['check'])} on {esc(record['object'])}"
                                f"</summary>{sql_html(record['remediation_sql'])}</details>")
        if len(self._pointing):
            section.add_heading(f"On other tables, pointing at {self.name}")
            section.add(findings_table_html(self._pointing, ["severity", "check", "object", "title"]))
        return section

    def sections(self) -> list[Section]:
        """Every section in the notebook's order."""
        return [self.header(), self.findings(), self.references(), self.cascade(), self.diagram(),
                self.policies(), self.columns(), self.keys()]

    def _audit_scope(self) -> str:
        kinds = ["structure"] + (["data"] if self._data_checks_ran() else []) + (
            ["code"] if self.result.extras.get("code_scan") is not None else [])
        return f"{', '.join(kinds[:-1])} and {kinds[-1]} checks" if len(kinds) > 1 else "structure checks only"

    def _data_checks_ran(self) -> bool:
        # An audit records the data queries it ran (as `auditlib.history.checks_run` reads it).
        return "data_queries" in self.result.extras


def _severity_badges(frame: pd.DataFrame) -> str:
    from auditlib.workbench import severity_badge

    if not len(frame):
        return '<p class="al-note">No findings on this table.</p>'
    counts = frame["severity"].value_counts()
    return '<p class="al-counts">' + "".join(severity_badge(s, counts[s]) for s in SEVERITIES if s in counts) + "</p>"


def open_table_explorer(table: str, *, hops: int = 1, demo: bool = False, dsn_env: str = "", snapshot: str = "",
                        config_path: str = "", code_dir: str = "", data: bool = True) -> TableExplorer:
    """Audit the database as the CLI does (data-level checks included; the demo with its app's code) and return
    the explorer for one ``schema.table``."""
    from auditlib.config import split_table
    from auditlib.workbench import audit_for_workbench

    result = audit_for_workbench(demo=demo, dsn_env=dsn_env, snapshot=snapshot, code_dir=code_dir,
                                 config_path=config_path, data=data)
    schema, name = split_table(table)
    return TableExplorer(result, schema, name, hops=hops)
