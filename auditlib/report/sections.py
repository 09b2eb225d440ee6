"""The report of one audit: a ``Report`` with one method per section, each returning a ``Section``.

A ``Section`` is a title, a short generated narrative and blocks (tables, charts, diagrams, SQL), or an empty
section that renders as nothing, so a section with no content is left out of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from auditlib import __version__
from auditlib.audit import AuditResult
from auditlib.checks import checks_in_section, load_checks
from auditlib.config import AuditConfig
from auditlib.findings import SEVERITIES, frame_records, severity_rank, skipped_checks, skipped_warning
from auditlib.model import Analysis
from auditlib.palette import SEVERITY_COLORS, WARNING_COLOR
from auditlib.report.html import esc, plotly_html, sql_html, svg_html, table_html

SEVERITY_COLOURS = SEVERITY_COLORS  # the one palette: charts, diagrams and the report's badges agree
LIKELIHOOD_HINTS = ("orphan_count", "count", "null_count", "dangling_count", "visible_rows")


@dataclass
class Section:
    """One report section: rendered as HTML when it has blocks, as nothing when empty."""

    title: str
    anchor: str
    narrative: str = ""
    blocks: list[str] = field(default_factory=list)
    level: int = 2

    @property
    def empty(self) -> bool:
        return not any(self.blocks)

    def add(self, block: str | None) -> None:
        if block:
            self.blocks.append(block)

    def add_heading(self, text: str) -> None:
        self.blocks.append(f"<h3>{esc(text)}</h3>")

    def add_text(self, text: str) -> None:
        self.blocks.append(f"<p>{esc(text)}</p>")

    def _repr_html_(self) -> str:
        if self.empty:
            return ""
        narrative = f'<p class="al-narrative">{esc(self.narrative)}</p>' if self.narrative else ""
        return (f'<section class="al-section" id="{esc(self.anchor)}"><h{self.level} id="{esc(self.anchor)}-h">'
                f'{esc(self.title)}</h{self.level}>{narrative}{"".join(self.blocks)}</section>')

    def __repr__(self) -> str:  # plain-text fallback for terminals
        return f"Section({self.title!r}, {len(self.blocks)} blocks)" if not self.empty else f"Section({self.title!r}: empty)"


# -- the report ----------------------------------------------------------------------------------------------------
class Report:
    """An audit ready to be shown: one method per report section."""

    def __init__(self, result: AuditResult, *, title: str = "Data relationship audit", min_severity: str = "info",
                 parameters: dict[str, Any] | None = None):
        self.result = result
        self.catalog = result.catalog
        self.config: AuditConfig = result.config
        self.title = title
        self.parameters = parameters or {}
        threshold = severity_rank(min_severity)
        findings = result.findings
        self.findings = findings[findings["severity"].map(severity_rank) <= threshold].reset_index(drop=True) \
            if len(findings) else findings

    @property
    def analysis(self) -> Analysis:
        """The audit's model of the catalog (references, tenancy, cascade graph, comments), shared with its checks."""
        if self.result.analysis is None:
            self.result.analysis = Analysis(self.catalog, self.config)
        return self.result.analysis

    # data helpers --------------------------------------------------------------------------------------------
    def of(self, *checks: str) -> pd.DataFrame:
        """Findings of the given checks."""
        return self.findings[self.findings["check"].isin(checks)].reset_index(drop=True)

    def in_section(self, *sections: str, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
        """Findings of the checks shown under ``sections``, keys or areas of ``auditlib.checks.REPORT_SECTIONS``."""
        return self.of(*checks_in_section(*sections, exclude=exclude))

    def _add_other_findings(self, section: Section, heading: str, *areas: str) -> None:
        """Findings of checks that name only an area (a check that declares no report section is shown under its
        category), after the section's own blocks."""
        found = self.of(*[name for name, spec in load_checks().items() if spec.report_section in areas])
        if len(found):
            section.add_heading(heading)
            section.add(self._findings_table(found))

    def _findings_table(self, frame: pd.DataFrame, columns=("severity", "object", "title", "detail")) -> str:
        return table_html(frame[list(columns)]) if len(frame) else ""

    # sections ------------------------------------------------------------------------------------------------
    def header(self) -> Section:
        """Title, tool version, time and source (password masked), and the parameters used."""
        section = Section(self.title, "top", level=1)
        section.add(self.skipped_warning())
        source = self.result.source or {}
        facts = {"auditlib": __version__, "generated": self.result.generated_at,
                 "source": source.get("dsn") or source.get("path") or source.get("kind", ""),
                 "database": source.get("database") or (self.catalog.server.get("database") if self.catalog else ""),
                 "PostgreSQL": self.catalog.server.get("server_version") if self.catalog else "",
                 "schemas audited": ", ".join(self.result.schemas)}
        facts.update({f"parameter {k}": v for k, v in self.parameters.items()})
        section.add('<dl class="al-facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>"
                                                     for k, v in facts.items() if v not in (None, "")) + "</dl>")
        section.add('<nav class="al-toc" id="al-toc"></nav>')
        return section

    def skipped_warning(self, shown: int = 10) -> str:
        """A warning box for the top of the report listing the checks that could not run (empty when all ran)."""
        groups = skipped_checks(self.result.skipped)
        if not groups:
            return ""
        items = "".join(
            f"<li><b>{esc(g['check'])}</b>" + (f" ({g['objects']} objects)" if g["objects"] > 1 else "")
            + f": {esc(_shorten(g['reason'], 300))}</li>" for g in groups[:shown])
        more = f"<li>… and {len(groups) - shown} more checks.</li>" if len(groups) > shown else ""
        return (f'<div class="al-warning" id="al-skipped-warning" role="alert" style="border:2px solid {WARNING_COLOR};'
                'background:#fff4e6;color:#5c2400;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0">'
                f"<p style='margin:0 0 .3rem;font-weight:700'>{esc(skipped_warning(self.result.skipped))}</p>"
                "<p style='margin:0 0 .3rem'>What was skipped is not in the findings below. Why:</p>"
                f'<ul style="margin:0">{items}{more}</ul>'
                "<p style='margin:.3rem 0 0'>Every skipped object is listed under "
                "<a href='#summary'>Executive summary › Checks that could not run</a>.</p></div>")

    def executive_summary(self) -> Section:
        """Health per area, counts by severity and the severity × category chart."""
        from auditlib import charts

        summary = self.result.summary if len(self.findings) == len(self.result.findings) else \
            _summary(self.findings)
        counts = summary["by_severity"]
        worst = next((s for s in SEVERITIES if counts.get(s)), None)
        narrative = (f"The audit ran {len(self._checks_run())} checks over {self._table_count()} tables and found "
                     f"{summary['total']} issues" + (f", the worst {worst}" if worst else "") + ".")
        section = Section("Executive summary", "summary", narrative)
        section.add(table_html(self.health()))
        section.add('<div class="al-counts">' + "".join(
            f'<span class="al-badge" style="background:{SEVERITY_COLOURS[s]}">{esc(s)}: {counts.get(s, 0)}</span>'
            for s in SEVERITIES) + "</div>")
        if len(self.findings):
            section.add(plotly_html(charts.findings_by_severity_category(self.findings)))
            section.add(plotly_html(charts.top_tables_by_findings(self.findings)))
        if self.result.skipped:
            section.add_heading("Checks that could not run")
            section.add(table_html(pd.DataFrame(self.result.skipped)))
        return section

    def health(self) -> pd.DataFrame:
        """The seed's 'overall health assessment': one rating per area with the counts behind it."""
        tables = self._table_count()
        rows = []

        def rate(n_bad: int, high: int, medium: int) -> str:
            return "HIGH RISK" if n_bad >= high else ("MEDIUM" if n_bad >= medium else "GOOD")

        rows.append({"area": "Schema complexity", "rating": "HIGH" if tables >= 80 else ("MEDIUM" if tables >= 30
                                                                                        else "LOW"),
                     "evidence": f"{tables} tables, {len(self.catalog.foreign_keys) if self.catalog else 0} "
                                 f"foreign keys"})
        dup = len(self.in_section("duplicates"))
        rows.append({"area": "Duplication", "rating": rate(dup, 5, 1), "evidence": f"{dup} look-alike or "
                                                                                   f"duplicated tables"})
        fk = len(self.in_section("relationships.missing", "relationships.type_mismatch", "data.orphans"))
        rows.append({"area": "FK integrity", "rating": rate(fk, 6, 1), "evidence": f"{fk} missing or mismatched "
                                                                                   f"references"})
        tenancy = self.in_section("tenancy")
        without = self.in_section("tenancy.column")
        rows.append({"area": "Multi-tenancy", "rating": rate(len(without), 3, 1),
                     "evidence": f"{len(without)} tables without the tenant column, "
                                 f"{len(tenancy)} tenancy findings"})
        rls = self.in_section("security")
        rows.append({"area": "Row-level security", "rating": rate(len(rls), 5, 1),
                     "evidence": f"{len(rls)} RLS findings"})
        return pd.DataFrame(rows)

    def schema_overview(self) -> Section:
        """Tables per category, primary-key and timestamp patterns."""
        from auditlib import charts

        if not self.catalog or not len(self.catalog.tables):
            return Section("Schema overview", "schema")
        scope = self._scope()
        section = Section("Schema overview", "schema",
                          f"{len(scope)} tables in {scope['schema'].nunique()} schema(s), grouped by domain.")
        per_category = (scope.groupby("category").agg(tables=("table", "count"),
                                                      examples=("table", lambda t: ", ".join(sorted(t)[:6])))
                        .reset_index().sort_values("tables", ascending=False))
        section.add_heading("Tables per category")
        section.add(table_html(per_category))
        section.add(plotly_html(charts.table_sizes(self.catalog, schemas=self.result.schemas)))
        section.add_heading("Primary keys")
        section.add(table_html(self.pk_patterns()))
        section.add(self._findings_table(self.in_section("structure.primary_keys")))
        section.add_heading("Timestamps")
        section.add(table_html(self.timestamp_patterns()))
        section.add(self._findings_table(self.in_section("structure.timestamps")))
        self._add_other_findings(section, "Other structure findings", "structure")
        return section

    def pk_patterns(self) -> pd.DataFrame:
        """How many audited tables use each primary-key pattern."""
        tables = self._audited_tables()
        patterns = []
        for record in tables.to_dict("records"):
            pk = self.catalog.primary_key(record["schema"], record["name"])
            if not pk:
                patterns.append("no primary key")
            elif len(pk) > 1:
                patterns.append("composite")
            else:
                column = self.catalog.column(record["schema"], record["name"], pk[0]) or {}
                kind = column.get("data_type", "?")
                if column.get("identity"):
                    kind += " identity"
                elif "nextval" in (column.get("default") or ""):
                    kind += " serial"
                patterns.append(kind)
        return (pd.Series(patterns, name="pattern").value_counts().rename_axis("pattern").reset_index(name="tables"))

    def timestamp_patterns(self) -> pd.DataFrame:
        """How many audited tables have created_at / updated_at (names from the config)."""
        created, updated = self.config.get("structure", "created_column"), self.config.get("structure",
                                                                                           "updated_column")
        tables = self._audited_tables()
        names = self.catalog.columns.groupby(["schema", "table"])["name"].apply(set).to_dict()
        rows = {"both": 0, f"only {created}": 0, f"only {updated}": 0, "neither": 0}
        for record in tables.to_dict("records"):
            have = names.get((record["schema"], record["name"]), set())
            key = ("both" if created in have and updated in have else f"only {created}" if created in have else
                   f"only {updated}" if updated in have else "neither")
            rows[key] += 1
        return pd.DataFrame({"timestamps": list(rows), "tables": list(rows.values())})

    def foreign_keys(self) -> Section:
        """ER diagram, ON DELETE rules with a risk assessment, missing FKs and type mismatches."""
        from auditlib import charts, diagrams

        if not self.catalog or not len(self.catalog.tables):
            return Section("Foreign keys", "foreign-keys")
        rules = self.analysis.on_delete_rules(schemas=self.result.schemas)
        missing = self.in_section("relationships.missing")
        section = Section("Foreign keys and relationships", "foreign-keys",
                          f"{int(rules['declared'].sum()) if len(rules) else 0} declared foreign keys; "
                          f"{len(missing)} columns look like references but have no constraint.")
        section.add_heading("Entity-relationship diagram")
        section.add_text("Solid edges are foreign keys labelled with their ON DELETE rule; dashed orange edges are "
                         "references no constraint enforces.")
        for label, svg in self._er_svgs(diagrams):
            if label:
                section.add(f"<h4>{esc(label)}</h4>")
            section.add(svg_html(svg, zoomable=label == "Whole schema"))
        if len(missing):
            section.add_heading("Missing foreign keys")
            section.add(self._findings_table(missing))
        mismatch = self.in_section("relationships.type_mismatch")
        if len(mismatch):
            section.add_heading("Type mismatches")
            section.add(self._findings_table(mismatch))
        unindexed = self.in_section("relationships.indexes_and_types")
        if len(unindexed):
            section.add_heading("Unindexed foreign keys and inconsistent column types")
            section.add(self._findings_table(unindexed))
        self._add_other_findings(section, "Other relationship findings", "relationships")
        if len(rules):
            section.add_heading("ON DELETE behaviour and risk")
            section.add(plotly_html(charts.on_delete_distribution(rules)))
            risky = rules.sort_values(by="risk", key=lambda s: s.map({"danger": 0, "review": 1, "ok": 2}))
            section.add(table_html(risky))
        return section

    def _er_svgs(self, diagrams) -> list[tuple[str, str]]:
        worst = self.findings[self.findings["severity"] == "critical"] if len(self.findings) else self.findings
        core = diagrams.er_core(self.catalog, (worst["schema"] + "." + worst["table"]).dropna().unique()
                                if len(worst) else (), self.findings, self.config, analysis=self.analysis)
        overview = diagrams.er_overview(self.catalog, self.findings, self.config, analysis=self.analysis)
        result = [("Core entities", diagrams.to_svg(core)), ("Whole schema", diagrams.to_svg(overview))]
        if overview.kind == "summary":  # too many tables for one readable diagram: one per domain as well
            for domain, graph in diagrams.er_domains(self.catalog, self.findings, self.config,
                                                         analysis=self.analysis).items():
                result.append((f"Domain: {domain}", diagrams.to_svg(graph)))
        return result

    def cascade(self) -> Section:
        """Blast radius: what deleting one row reaches, for tables whose cascades reach protected tables."""
        from auditlib import diagrams

        reach = self.in_section("cascade")
        section = Section("Cascade deletes", "cascade",
                          f"{len(reach)} delete paths reach protected tables or fail on NOT NULL columns.")
        if not len(reach):
            return section
        section.add(self._findings_table(reach))
        shown = [r for r in frame_records(self.in_section("cascade.paths")) if r["severity"] != "info"][:6]
        for record in shown:
            section.add(f"<h4>{esc(record['title'])}</h4>")
            section.add(svg_html(diagrams.to_svg(diagrams.finding_diagram(self.catalog, record, config=self.config,
                                                                          findings=self.findings,
                                                                          analysis=self.analysis))))
        return section

    def duplicates(self) -> Section:
        """Look-alike tables and tables defined more than once, with their column differences."""
        found = self.in_section("duplicates")
        section = Section("Duplicate and look-alike tables", "duplicates",
                          f"{len(found)} pairs of tables look like copies of each other.")
        for record in frame_records(found):
            evidence = record["evidence"] or {}
            section.add(f"<h4>{esc(record['object'])}</h4><p>{esc(record['detail'])}</p>")
            diff = {k: v for k, v in evidence.items() if isinstance(v, list)}
            if diff:
                section.add(table_html(pd.DataFrame({"columns": list(diff), "names": [", ".join(map(str, v))
                                                                                      for v in diff.values()]})))
        return section

    def tenancy(self) -> Section:
        """Tenant-column coverage by category, the RLS policy review and the leak probe."""
        from auditlib import charts

        if not self.catalog or not len(self.catalog.tables):
            return Section("Multi-tenancy and row-level security", "tenancy")
        scope = self._scope()
        column = self.config.tenant_column
        section = Section("Multi-tenancy and row-level security", "tenancy",
                          f"Tenant column {column}: coverage per category, tables that hold tenant data without it, "
                          f"and the policies that decide who sees which rows.")
        coverage = self.tenant_coverage(scope)
        if len(coverage):
            section.add_heading(f"{column} coverage by category")
            section.add(plotly_html(charts.tenant_coverage_by_category(scope)))
            section.add(table_html(coverage))
        for heading, shown_in in (("Tables missing the tenant column", "tenancy.column"),
                                  ("Tenant column not enforced", "tenancy.enforcement"),
                                  ("Row-level security", "security.policies")):
            found = self.in_section(shown_in)
            if len(found):
                section.add_heading(heading)
                section.add(self._findings_table(found))
        leaks = self.in_section("security.null_bypass")
        if len(leaks):
            section.add_heading("Policies that leak rows without a tenant")
            for record in frame_records(leaks):
                evidence = record["evidence"] or {}
                section.add(f"<p><b>{esc(record['object'])}</b>: {esc(record['detail'])}</p>")
                expression = evidence.get("expression") or evidence.get("using") or ""
                if expression:
                    section.add(sql_html(str(expression)))
        probe = self.in_section("security.probe")
        if len(probe):
            section.add_heading("Leak probe: rows members can see that are not theirs")
            section.add(self._findings_table(probe))
        self._add_other_findings(section, "Other tenancy and security findings", "tenancy", "security")
        return section

    def tenant_coverage(self, scope: pd.DataFrame) -> pd.DataFrame:
        """The seed's 4.1 table: per category, tables with and without the tenant column."""
        data = scope[scope["scope"].isin(["tenant", "inherits"])]
        if not len(data):
            return pd.DataFrame()
        missing = set(self.in_section("tenancy.column")["table"])
        rows = []
        for category, group in data.groupby("category"):
            with_column = sorted(group.loc[group["has_tenant_column"], "table"])
            without = sorted(t for t in group.loc[~group["has_tenant_column"], "table"] if t in missing)
            rows.append({"category": category, "with tenant column": ", ".join(with_column),
                         "missing": ", ".join(without), "status": "complete" if not without else "incomplete"})
        return pd.DataFrame(rows)

    def json_structure(self) -> Section:
        """Inferred JSON document structure and the references it holds (data-level checks)."""
        found = self.in_section("json")
        section = Section("JSONB structure and references", "jsonb",
                          f"{len(found)} findings about ids kept inside JSON documents.")
        section.add(self._findings_table(found))
        for record in frame_records(self.in_section("json.structure")):
            tree = (record["evidence"] or {}).get("paths")
            if tree:
                section.add(f"<h4>{esc(record['object'])}</h4>")
                section.add(table_html(pd.DataFrame(tree)))
        return section

    def data_integrity(self) -> Section:
        """Orphaned rows and rows without a tenant (data-level checks)."""
        from auditlib import charts

        found = self.in_section("data")
        section = Section("Data integrity", "data", f"{len(found)} findings about rows that are already broken.")
        if len(found):
            section.add(plotly_html(charts.orphan_and_leak_counts(self.findings)))
            section.add(self._findings_table(found))
        return section

    def functions(self) -> Section:
        """Trigger functions that touch columns that do not exist."""
        found = self.in_section("functions")
        section = Section("Functions and triggers", "functions",
                          f"{len(found)} trigger functions refer to columns that do not exist; they fail when they "
                          f"fire.")
        section.add(self._findings_table(found))
        return section

    def code(self) -> Section:
        """Code ↔ database: which file uses which table, and the code checks' findings."""
        scan = self.result.extras.get("code_scan")
        found = self.in_section("code")
        if scan is None:
            return Section("Code ↔ database", "code")
        section = Section("Code ↔ database", "code", f"{scan['files']} source files scanned "
                          f"({scan['skipped']} skipped); {len(found)} findings.")
        problems = self.in_section("code", exclude=("code.unused",))
        if len(problems):
            shown = problems.assign(where=problems["file"] + ":" + problems["line"].astype(str))
            section.add(table_html(shown[["severity", "check", "where", "title", "detail"]]))
        matrix = self.result.extras.get("code_matrix")
        if matrix is not None and len(matrix):
            section.add_heading("Tables by file")
            section.add(table_html(matrix.reset_index()))
        unused = self.in_section("code.unused")
        if len(unused):
            section.add_heading(f"{len(unused)} tables the scanned code does not use")
            section.add(table_html(unused[["object", "detail"]]))
        return section

    def documentation_and_constraints(self) -> Section:
        """Comment coverage, CHECK constraints the data already obeys, and conversions with no way back."""
        candidates = self.in_section("comments.constraints")
        reverse = self.in_section("comments.conversions")
        section = Section("Comments, constraints and conversions", "documentation",
                          f"{len(self.in_section('comments.coverage'))} tables lack comments; {len(candidates)} constraints "
                          f"the data already obeys are not enforced; {len(reverse)} conversions can't be followed "
                          "back.")
        if self.catalog is not None and len(self.catalog.tables):
            section.add_heading("Comment coverage by category")
            section.add(table_html(self.analysis.comment_coverage(self.result.schemas)))
        if len(candidates):
            section.add_heading("CHECK constraints the data already obeys")
            section.add(table_html(candidates.assign(rule=candidates["evidence"].map(lambda e: (e or {}).get("check")))
                                   [["severity", "object", "rule", "detail"]]))
        if len(reverse):
            section.add_heading("References with no way back")
            section.add(self._findings_table(reverse))
        return section

    def recommendations(self) -> Section:
        """The remediation plan ``auditlib fix`` writes for these findings: its migration files in the order to
        apply them (each one downloadable), what each locks, and the fixes left to a person's decision."""
        from urllib.parse import quote

        from auditlib.fixes import plan_fixes

        plan = plan_fixes(self.result, self.catalog)
        files = plan.files("plain")
        section = Section(
            "Recommendations", "recommendations",
            f"The fix plan for this audit: {len(files)} migration files that fix {len(plan.fixed_keys)} findings "
            f"(and {len(plan.conditional_keys)} more when the data allows), to apply in order, each with "
            "psql -1 -f FILE when it runs in a transaction and psql -f FILE when it does "
            f"not. {len(plan.decisions)} fixes need a person's decision and are listed after the files, never as "
            "live SQL. The command auditlib fix writes the same files, with a README and a Supabase layout.")
        if not files:
            return section
        rows = pd.DataFrame([{
            "file": f.path, "runs in a transaction": "yes" if f.transactional else "no (one statement at a time)",
            "steps": len(f.steps), "findings fixed": len({k for step in f.steps for k in step.keys}),
            "locks": "; ".join(sorted({step.lock for step in f.steps if step.lock}))[:300]} for f in files])
        section.add(table_html(rows))
        for plan_file in files:
            link = (f'<a download="{esc(plan_file.path)}" href="data:application/sql;charset=utf-8,'
                    f'{quote(plan_file.text)}">download {esc(plan_file.path)}</a>')
            section.add_heading(f"{plan_file.path} — {plan_file.phase}")
            section.add(f"<p>{link}</p><details><summary>Show the SQL ({len(plan_file.steps)} steps)</summary>"
                        f"{sql_html(plan_file.text)}</details>")
        if plan.decisions:
            section.add_heading(f"Decisions for a person — {len(plan.decisions)}")
            decisions = pd.DataFrame([{"findings": ", ".join(d.keys[:3]) + (" …" if len(d.keys) > 3 else ""),
                                       "question": d.question} for d in plan.decisions])
            section.add(table_html(decisions))
        return section

    def risk_matrix(self) -> Section:
        """Every finding with severity, likelihood (from the evidence), impact and status."""
        section = Section("Risk matrix", "risk-matrix", "One row per finding, worst first.")
        section.add(table_html(self.risk_table()))
        return section

    def risk_table(self) -> pd.DataFrame:
        """The risk matrix as a DataFrame: check, object, severity, likelihood, impact, status (new, open,
        suppressed, and the findings of the previous run fixed since), first seen."""
        columns = ["check", "object", "severity", "likelihood", "impact", "status", "first_seen"]
        records = frame_records(self.findings)
        for extra in ("suppressed_findings", "fixed"):
            frame = self.result.extras.get(extra)
            records += frame_records(frame) if frame is not None and len(frame) else []
        if not records:
            return pd.DataFrame(columns=columns)
        rows = []
        for record in records:
            rows.append({"check": record["check"], "object": record["object"], "severity": record["severity"],
                         "likelihood": _likelihood(record), "impact": _impact(record["category"]),
                         "status": record.get("status") or "open",
                         "first_seen": str(record.get("first_seen") or "")[:10]})
        return pd.DataFrame(rows, columns=columns)

    def trends(self) -> Section:
        """Findings over the recorded runs of this source: by severity, new and fixed per run, time to fix."""
        from auditlib import charts

        trends = self.result.extras.get("trends")
        if trends is None or len(trends) < 2:
            return Section("Trends", "trends")
        latest = trends.iloc[-1]
        fixed = self.result.extras.get("fixed")
        section = Section("Trends", "trends",
                          f"{len(trends)} recorded runs of this source. Since the previous run: {int(latest['new'])} "
                          f"new, {int(latest['fixed'])} fixed, {int(latest['total'])} open.")
        section.add(plotly_html(charts.findings_over_runs(trends)))
        section.add(plotly_html(charts.new_and_fixed_per_run(trends)))
        if fixed is not None and len(fixed):
            section.add_heading("Fixed since the previous run")
            section.add(self._findings_table(fixed, ("severity", "object", "title", "first_seen")))
        shown = trends.assign(generated_at=trends["generated_at"].dt.strftime("%Y-%m-%d %H:%M"))
        shown = shown.drop(columns=["mean_days_to_fix"]).rename(columns=lambda c: c.replace("_", " "))
        section.add_heading("Runs")
        section.add(table_html(shown.round(1)))
        return section

    def appendices(self) -> Section:
        """Table inventory and the check documentation."""
        from auditlib.docs import check_documentation_frame

        section = Section("Appendices", "appendices")
        if self.catalog is not None:
            inventory = self._audited_tables()[["schema", "name", "kind", "row_estimate", "size_bytes",
                                                "rls_enabled", "comment"]]
            section.add_heading(f"A. Table inventory ({len(inventory)} tables)")
            section.add(table_html(inventory, max_rows=5000))
        section.add_heading("B. Checks")
        section.add(table_html(check_documentation_frame()))
        queries = [(r["object"], r["evidence"].get("query")) for r in frame_records(self.findings)
                   if isinstance(r["evidence"], dict) and r["evidence"].get("query")]
        if queries:
            section.add_heading("C. Validation queries used")
            section.add(sql_html("\n\n".join(f"-- {obj}\n{query}" for obj, query in queries)))
        return section

    # migration folders -----------------------------------------------------------------------------------------
    def migration_inventory(self) -> Section:
        """The files of a migration folder: what each creates, alters and drops, grouped by category."""
        inventory = self.result.extras.get("migration_inventory")
        if inventory is None or not len(inventory):
            return Section("Migration files", "migration-files")
        failed = self.result.extras.get("failed_statements", 0)
        section = Section("Migration files", "migration-files",
                          f"{len(inventory)} files with {self.result.extras.get('statements', 0)} statements; "
                          f"{failed} statements fail when the files run in order on an empty database.")
        per_category = (inventory.assign(tables=inventory["tables_created"].map(len))
                        .groupby("category").agg(files=("file", "count"), tables=("tables", "sum"),
                                                 key_tables=("tables_created",
                                                             lambda t: ", ".join(sorted({x for v in t for x in v})[:8])))
                        .reset_index().sort_values("files", ascending=False))
        section.add_heading("Files by category")
        section.add(table_html(per_category))
        section.add_heading("Every file")
        section.add(table_html(inventory, max_rows=2000))
        return section

    def migration_duplicates(self) -> Section:
        """Tables created in more than one file, with the definition in force and a column-by-column diff."""
        found = self.in_section("duplicates.defined_multiple")
        section = Section("Tables defined more than once", "migration-duplicates",
                          f"{len(found)} tables are created by CREATE TABLE in more than one file.")
        for record in frame_records(found):
            evidence = record["evidence"] or {}
            section.add(f"<h4>{esc(record['object'])}</h4><p>{esc(record['detail'])}</p>")
            definitions = pd.DataFrame([{k: v for k, v in d.items() if k in ("file", "line", "if_not_exists",
                                                                             "outcome")}
                                        for d in evidence.get("definitions", [])])
            section.add(table_html(definitions))
            if evidence.get("column_diff"):
                section.add(table_html(pd.DataFrame(evidence["column_diff"])))
        return section

    def migration_failures(self) -> Section:
        """Statements that fail or do not parse, root causes first, and references to missing tables."""
        failures = self.in_section("migrations")
        section = Section("Statements that fail", "migration-failures",
                          f"{len(failures)} statements do not parse, fail, or reference tables that are not there "
                          "when they run.")
        if len(failures):
            shown = failures.assign(where=failures["file"] + ":" + failures["line"].astype(str))
            section.add(table_html(shown[["severity", "check", "where", "title", "detail"]]))
        return section

    def sections(self) -> list[Section]:
        """Every section in report order (empty ones included, they render as nothing)."""
        return [self.header(), self.executive_summary(), self.trends(), self.schema_overview(), self.foreign_keys(),
                self.cascade(), self.duplicates(), self.tenancy(), self.json_structure(), self.data_integrity(),
                self.functions(), self.code(), self.documentation_and_constraints(), self.recommendations(), self.risk_matrix(),
                self.appendices()]

    # internals ------------------------------------------------------------------------------------------------
    def _audited_tables(self) -> pd.DataFrame:
        return self.catalog.user_tables(self.result.schemas) if self.catalog is not None else pd.DataFrame()

    def _table_count(self) -> int:
        return len(self._audited_tables()) if self.catalog is not None else 0

    def _scope(self) -> pd.DataFrame:
        scope = self.analysis.tenant_scope()
        return scope[scope["schema"].isin(self.result.schemas)].reset_index(drop=True)

    def _checks_run(self) -> list[str]:
        from auditlib.checks import load_checks

        skipped = {s["check"] for s in self.result.skipped}
        return [n for n, s in load_checks().items() if s.kind == "schema" and n not in skipped]


def _summary(frame: pd.DataFrame) -> dict:
    from auditlib.findings import summarize

    return summarize(frame)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _likelihood(record: dict) -> str:
    evidence = record.get("evidence") or {}
    for key in LIKELIHOOD_HINTS:
        if isinstance(evidence.get(key), (int, float)):
            return "High (already happening)" if evidence[key] > 0 else "Low"
    return {"critical": "High", "high": "Medium", "medium": "Medium", "low": "Low", "info": "Low"}[record["severity"]]


def _impact(category: str) -> str:
    return {"tenancy": "Multi-tenant data leak", "security": "Data exposure", "relationships": "Orphaned rows",
            "cascade": "Unintended data loss", "duplicates": "Data inconsistency", "data": "Broken references",
            "json": "Stale references", "functions": "Failing writes", "structure": "Maintenance cost",
            "migrations": "Broken deploys", "code": "Runtime errors"}.get(category, "")
