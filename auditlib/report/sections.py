"""The report of one audit: a ``Report`` with one method per section, each returning a ``Section``.

A ``Section`` is a title, a short generated narrative and blocks (tables, charts, diagrams, SQL), or an empty
section that renders as nothing, so a section with no content is left out of the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from auditlib import __version__
from auditlib.audit import AuditResult
from auditlib.checks import checks_in_section, load_checks
from auditlib.config import AuditConfig
from auditlib.findings import SEVERITIES, frame_records, severity_rank, skipped_checks, skipped_warning
from auditlib.issues import Issue, audiences_of, finding_action, group_issues, issues_by_status
from auditlib.model import Analysis
from auditlib.palette import SEVERITY_COLORS, WARNING_COLOR
from auditlib.report.html import LONG_TABLE_ROWS, esc, plotly_html, sql_html, svg_html, table_html

SEVERITY_COLOURS = SEVERITY_COLORS  # the one palette: charts, diagrams and the report's badges agree
LIKELIHOOD_HINTS = ("orphan_count", "count", "null_count", "dangling_count", "visible_rows")
TOP_ISSUES = 10  # the first screen lists at most this many issues
CHART_BARS = 20  # a bar chart of findings shows the largest ones: its table below lists them all
ISSUE_LINKS_SHOWN = 5  # an area section links its first issues; the others are one click away
PLAN_PREVIEW_LINES = 60  # each fix-plan file shows this many lines in the page; its download holds all of it

# term id → (the term, where it first appears (a pattern over escaped text), what it means in plain words)
GLOSSARY = {
    "rls": ("Row-level security (RLS)", r"[Rr]ow-level security|\bRLS\b",
            "PostgreSQL's per-row access rule. With RLS on, a table shows each user only the rows its policies allow; "
            "with it off, whoever may read the table reads every row."),
    "policy": ("Policy", r"\b[Pp]olic(?:y|ies)\b",
               "A rule attached to a table under row-level security that says which rows a role may read or change."),
    "tenant": ("Tenant", r"\b[Tt]enant\b|\borganisations?\b",
               "One customer organisation sharing the database with the others. The tenant column (for example "
               "organization_id) says which organisation a row belongs to; one organisation must never see another's "
               "rows."),
    "anonymous": ("Anonymous visitor, signed-in user", r"\b[Aa]nonymous visitors?\b|\b[Ss]igned-in\b",
                  "An anonymous visitor is anyone on the internet who has the app's public key (the anon role on "
                  "Supabase); a signed-in user is anyone with an account (the authenticated role)."),
    "foreign-key": ("Foreign key", r"\b[Ff]oreign keys?\b",
                    "A constraint that lets a column point only at rows that exist in another table, and says what "
                    "happens to the pointing rows when the other row is deleted."),
    "orphan": ("Orphan row", r"\b[Oo]rphan(?:ed|s)?\b|that do not exist",
               "A row that points at a row of another table that does not exist (deleted, or never there): the "
               "application shows broken links or fails when it follows them."),
    "cascade": ("Cascade delete", r"\b[Cc]ascades?\b|\bCASCADE\b",
                "ON DELETE CASCADE: deleting one row also deletes the rows that point at it, and theirs in turn, "
                "without asking."),
    "security-definer": ("SECURITY DEFINER", r"SECURITY DEFINER|owner&#x27;s rights",
                         "A function that runs with the rights of its owner instead of its caller's. Owned by an "
                         "administrator, it reads and changes rows past row-level security for whoever may call it."),
}


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
        from auditlib.report.look import styled  # inline styles: the look survives JupyterLab without the template

        narrative = f'<p class="al-narrative">{esc(self.narrative)}</p>' if self.narrative else ""
        return styled(f'<section class="al-section" id="{esc(self.anchor)}"><h{self.level} id="{esc(self.anchor)}-h">'
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
        self._issues: list[Issue] | None = None
        self._er_layouts: Future | None = None  # the ER diagrams being laid out (lay_out_diagrams)
        self._issue_layouts: Future | None = None  # the issues' diagrams being laid out, by issue anchor
        self._terms_linked: set[str] = set()  # glossary terms already linked: each is linked where it first appears
        self._diagram_graph = None  # the catalog as a graph, built for the first issue diagram
        threshold = self._threshold = severity_rank(min_severity)
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
        """The issues these findings belong to, as links (each finding is told once, in its issue), and the
        findings themselves in a collapsed table."""
        if not len(frame):
            return ""
        return self._issue_links(frame) + _collapsed(f"The {len(frame)} finding{'s' if len(frame) != 1 else ''}",
                                                     table_html(frame[list(columns)]))

    def _issue_links(self, frame: pd.DataFrame) -> str:
        """Links to the issues that hold these findings, worst first, with how many of the findings each holds."""
        keys = set(frame["key"]) if "key" in frame else set()
        items = []
        for issue in self.issues:
            held = sum(1 for f in issue.findings + issue.fixed_findings if f["key"] in keys)
            if held:
                items.append(f'<li>{_badge(issue.severity)} <a href="#{esc(issue.anchor)}">{esc(issue.title)}</a>'
                             + (f" ({held} findings)" if held > 1 else "") + "</li>")
        if not items:
            return ""
        shown, rest = items[:ISSUE_LINKS_SHOWN], items[ISSUE_LINKS_SHOWN:]
        more = (f'<details class="issue-links-more"><summary>{len(rest)} more issue{"s" if len(rest) != 1 else ""}'
                f'</summary><ul class="issue-links">{"".join(rest)}</ul></details>') if rest else ""
        return f'<ul class="issue-links">{"".join(shown)}</ul>{more}'

    # sections ------------------------------------------------------------------------------------------------
    @property
    def issues(self) -> list[Issue]:
        """The findings grouped by root cause, most severe first (``auditlib.issues``), fixed ones last."""
        if self._issues is None:
            tenancy = self.result.tenancy or {}
            fixed = self.result.extras.get("fixed")
            if fixed is not None and len(fixed):  # the same severity floor as the findings shown
                fixed = fixed[fixed["severity"].map(severity_rank) <= self._threshold]
            self._issues = group_issues(self.findings, fixed=fixed, tenant_column=tenancy.get("column"))
        return self._issues

    @property
    def open_issues(self) -> list[Issue]:
        """The issues that still have findings in this run."""
        return [i for i in self.issues if i.status != "fixed"]

    def top_issues(self, limit: int = TOP_ISSUES) -> list[Issue]:
        """The issues the first screen lists: at most ``limit``, most severe first, info-only issues left out."""
        return [i for i in self.open_issues if i.severity != "info"][:limit]

    def first_screen(self) -> Section:
        """What a stakeholder sees first: the verdict in plain words, the top issues with links to their detail, a
        warning when checks were skipped, what was audited and the tenancy the audit took."""
        section = Section(self.title, "top", level=1)
        section.add(self.audit_scope_html())
        section.add(self.skipped_warning())
        section.add(self.verdict_html())
        section.add(self.top_issues_html())
        return section

    def header(self) -> Section:
        """The first screen followed by the run facts and the contents, in one section."""
        section = self.first_screen()
        section.blocks += self.contents().blocks
        return section

    def contents(self) -> Section:
        """Tool version, time and source (password masked), the parameters used, and the table of contents."""
        section = Section("About this report", "contents")
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

    def verdict(self) -> str:
        """What is wrong, in one or two plain sentences, naming the worst problem; an audit with skipped checks
        never reads as clean."""
        skipped = skipped_checks(self.result.skipped)
        issues = self.open_issues
        incomplete = (f" The audit is incomplete: {len(skipped)} check{'s' if len(skipped) != 1 else ''} could not "
                      "run, so more problems may be hidden.") if skipped else ""
        if not issues:
            if skipped:
                return (f"No problems were found by the checks that ran, but {len(skipped)} "
                        f"check{'s' if len(skipped) != 1 else ''} could not run: this is not a clean result.")
            return f"No problems found: the checks found nothing to fix in {self._what_audited()}."
        worst = issues[0]
        by_severity = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITIES}
        serious = [f"{by_severity[s]} {s}" for s in ("critical", "high") if by_severity[s]]
        counted = (" and ".join(serious) + f" issue{'s' if sum(by_severity[s] for s in ('critical', 'high')) != 1 else ''}"
                   if serious else f"{len(issues)} issue{'s' if len(issues) != 1 else ''}, none critical or high")
        at_least = "at least " if skipped else ""
        return (f"The worst problem: {_sentence_case(worst.title)}. {_sentence_case(at_least + counted)} need "
                f"attention ({len(self.findings)} findings grouped into {len(issues)} issues).{incomplete}")

    def verdict_html(self) -> str:
        """The verdict as the first screen shows it, the terms in it linked to the glossary."""
        worst = self.open_issues[0].severity if self.open_issues else "none"
        incomplete = " verdict-incomplete" if self.result.skipped else ""
        return (f'<div class="verdict verdict-{esc(worst)}{incomplete}" id="verdict" role="status">'
                f'<p class="verdict-text">{self._linked_terms(self.verdict())}</p></div>')

    def top_issues_html(self) -> str:
        """The top issues as a table: severity, the issue (linked to its detail), likelihood, impact, status."""
        top = self.top_issues()
        if not top:
            return ""
        rows = "".join(
            f'<tr class="issue-summary severity-{esc(i.severity)}"><td data-label="Severity">{_badge(i.severity)}</td>'
            f'<td class="issue-title" data-label="Issue"><a href="#{esc(i.anchor)}">{esc(i.title)}</a></td>'
            f'<td data-label="Likelihood">{esc(i.likelihood)}</td><td data-label="Impact">{esc(i.impact)}</td>'
            f'<td class="issue-status status-{esc(i.status)}" data-label="Status">{esc(self._status_label(i))}</td></tr>'
            for i in top)
        more = len(self.open_issues) - len(top)
        footer = (f'<p class="top-issues-more"><a href="#risk-matrix">All {len(self.open_issues)} issues in the risk '
                  f"matrix</a> ({more} more).</p>") if more > 0 else ""
        return ('<div class="top-issues" id="top-issues"><h2 class="top-issues-heading">Top issues</h2>'
                '<table class="al-table top-issues-table"><thead><tr><th>Severity</th><th>Issue</th>'
                "<th>Likelihood</th><th>Impact</th><th>Status</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>{footer}</div>")

    def audit_scope_html(self) -> str:
        """What was audited (source, server version, schemas, counts, checks) and the tenancy the audit took, as two
        short lines under the title."""
        scope = {"Audited": esc(self._what_audited()),
                 "PostgreSQL": esc(self.catalog.server.get("server_version")) if self.catalog is not None else "",
                 "Schemas": esc(", ".join(self.result.schemas)),
                 "Contents": self._contents_counts(),
                 "Checks": self._checks_line()}
        items = " · ".join(f'<span class="scope-{k.lower()}"><b>{k}:</b> {v}</span>' for k, v in scope.items() if v)
        tenancy = self._tenancy_line()
        return (f'<div class="audit-scope" id="audit-scope"><p class="scope-facts">{items}</p>'
                + (f'<p class="scope-tenancy" id="tenancy-detected">{tenancy}</p>' if tenancy else "")
                + "</div>")

    def _what_audited(self) -> str:
        source = self.result.source or {}
        kind = source.get("kind", "")
        if kind == "demo":
            what = f"the ProductionOS demo database ({source.get('database', '')})"
        elif kind == "migrations" or self.result.extras.get("migration_inventory") is not None:
            what = f"the migration folder {source.get('path', '')}".strip()
        elif kind == "snapshot":
            what = f"the catalog snapshot {source.get('path', '')}".strip()
        else:
            what = f"the database {source.get('dsn') or source.get('database') or ''}".strip()
        scan = self.result.extras.get("code_scan")
        if scan:
            what += f", and the application code ({scan.get('files', 0)} files)"
        return what

    def _contents_counts(self) -> str:
        if self.catalog is None:
            return ""
        audited = set(self.result.schemas)

        def count(frame: pd.DataFrame) -> int:
            return int(frame["schema"].isin(audited).sum()) if len(frame) and "schema" in frame else 0

        parts = [f"{self._table_count()} tables", f"{count(self.catalog.views)} views",
                 f"{count(self.catalog.foreign_keys)} foreign keys", f"{count(self.catalog.policies)} policies",
                 f"{count(self.catalog.functions)} functions"]
        inventory = self.result.extras.get("migration_inventory")
        if inventory is not None and len(inventory):
            parts.insert(0, f"{len(inventory)} migration files")
        return esc(", ".join(parts))

    def _checks_line(self) -> str:
        skipped = skipped_checks(self.result.skipped)
        text = f"{len(self.findings)} findings in {len(self.open_issues)} issues"
        if skipped:
            return (esc(text) + f' — <a class="skipped-link" href="#al-skipped-warning"><strong>{len(skipped)} '
                    f"check{'s' if len(skipped) != 1 else ''} skipped</strong></a>")
        return esc(text + "; every check ran")

    def _tenancy_line(self) -> str:
        tenancy = self.result.tenancy
        if not tenancy:
            return ""
        if not tenancy.get("multi_tenant"):
            return ("<b>Tenancy checks did not run:</b> " +
                    self._linked_terms("no tenant root found" + (f" ({tenancy['why']})" if tenancy.get("why") else "")
                                       + "."))
        text = (f"each row belongs to a tenant through {tenancy.get('column')} → {tenancy.get('root') or 'no root table'}"
                f" ({tenancy.get('source') or 'detected'})")
        return ("<b>Tenancy:</b> " + self._linked_terms(text[:1].upper() + text[1:]) +
                f' <small class="tenancy-why">— why: {esc(tenancy.get("why") or "")}</small>')

    def _status_label(self, issue: Issue) -> str:
        """The status a reader sees: new, open or fixed since the last run; "first run" when there is none."""
        trends = self.result.extras.get("trends")
        if trends is None or len(trends) < 2:
            return "first run" if issue.status == "new" else issue.status
        return issue.status

    def _linked_terms(self, text: str) -> str:
        """Escaped text with the first use in the report of each glossary term linked to its explanation."""
        html_text = esc(text)
        for term, (_, pattern, _) in GLOSSARY.items():
            if term in self._terms_linked:
                continue
            match = re.search(pattern, html_text)
            if match:
                self._terms_linked.add(term)
                html_text = (html_text[:match.start()] + f'<a class="term" href="#term-{term}">{match.group(0)}</a>'
                             + html_text[match.end():])
        return html_text

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
        skipped = skipped_checks(self.result.skipped)
        narrative = (f"The audit ran {len(self._checks_run())} checks over {self._table_count()} tables and found "
                     f"{summary['total']} findings in {len(self.open_issues)} issues"
                     + (f", the worst {worst}" if worst else "") + "."
                     + (f" {len(skipped)} checks could not run: these counts are a lower bound, not a clean bill."
                        if skipped else ""))
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
        domains = []
        for label, svg in self._er_layouts.result() if self._er_layouts is not None else self._er_svgs(diagrams):
            if label.startswith("Domain: "):
                domains.append(f"<h4>{esc(label)}</h4>{svg_html(svg)}")
                continue
            if label == "Whole schema" and domains:  # the domains, each readable, before the whole tangle
                section.add(self._domain_maps_html(domains))
                domains = []
            if label:
                section.add(f"<h4>{esc(label)}</h4>")
            section.add(svg_html(svg, zoomable=label == "Whole schema"))
        if domains:
            section.add(self._domain_maps_html(domains))
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
            section.add(_collapsed(f"The ON DELETE rule of every foreign key ({len(risky)}), riskiest first",
                                   table_html(risky)))
        return section

    def lay_out_diagrams(self) -> None:
        """Start laying out the ER diagrams of ``foreign_keys`` in the background: Graphviz works in other processes
        while the sections before it are made (the issues and the analysis are made here first, not by two threads
        at once)."""
        if self._er_layouts is None and self.catalog and len(self.catalog.tables):
            from auditlib import diagrams

            self.issues, self.analysis  # noqa: B018
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditlib-diagrams")
            # the issues' diagrams first: their section comes before the foreign keys'
            self._issue_layouts = pool.submit(self._issue_svgs)
            self._er_layouts = pool.submit(lambda: list(self._er_svgs(diagrams)))
            pool.shutdown(wait=False)  # its one thread ends with the tasks

    def _er_svgs(self, diagrams) -> Iterator[tuple[str, str]]:
        from auditlib.diagrams.render import to_svgs

        # the core entities and the tables of the issues on the first screen
        top_tables = sorted({table for issue in self.top_issues() for table in issue.tables})
        core = diagrams.er_core(self.catalog, top_tables, self.findings, self.config, analysis=self.analysis)
        overview = diagrams.er_overview(self.catalog, self.findings, self.config, analysis=self.analysis)
        drawn = [("Core entities", core)]
        # One diagram per domain, readable at the page width: maps of table names when the overview below has every
        # table's columns, the tables with their key columns when the overview is a summary of domains.
        for domain, graph in diagrams.er_domains(self.catalog, self.findings, self.config, analysis=self.analysis,
                                                 names_only=overview.kind != "summary").items():
            drawn.append((f"Domain: {domain}", graph))
        drawn.append(("Whole schema", overview))
        # laid out side by side, each yielded as soon as it and those before it are ready
        return zip([label for label, _ in drawn], to_svgs([graph for _, graph in drawn]), strict=True)

    @staticmethod
    def _domain_maps_html(blocks: list[str]) -> str:
        """The per-domain diagrams in one collapsed block (opened on a click; closed, they neither lengthen the page
        nor print)."""
        return (f'<details class="collapsed-findings domain-diagrams" id="domain-diagrams"><summary>The schema domain '
                f"by domain: {len(blocks)} diagram{'s' if len(blocks) != 1 else ''}</summary>{''.join(blocks)}"
                "</details>")

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
        section = Section("Security and multi-tenancy", "tenancy",
                          "First what an attacker can do today, then the tenant column's coverage, the tables that "
                          "hold tenant data without it, and the policies that decide who sees which rows.")
        section.add(self.exploitable_holes_html())
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
            section.add(plotly_html(charts.orphan_and_leak_counts(self.findings, limit=CHART_BARS)))
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
            section.add(_collapsed(f"Which file uses which table ({len(matrix)} rows)", table_html(matrix.reset_index())))
        unused = self.in_section("code.unused")
        if len(unused):
            section.add_heading(f"{len(unused)} tables the scanned code does not use")
            section.add(_collapsed(f"The {len(unused)} tables", table_html(unused[["object", "detail"]])))
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
            section.add(_collapsed(f"The {len(candidates)} rules", table_html(
                candidates.assign(rule=candidates["evidence"].map(lambda e: (e or {}).get("check")))
                [["severity", "object", "rule", "detail"]])))
        if len(reverse):
            section.add_heading("References with no way back")
            section.add(self._findings_table(reverse))
        return section

    def recommendations(self) -> Section:
        """The remediation plan ``auditlib fix`` writes for these findings: its migration files in the order to
        apply them (each one downloadable), what each locks, and the fixes left to a person's decision."""
        import base64

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
            # base64: a third larger than the SQL, where percent-encoding SQL (spaces, quotes, newlines) doubles it
            encoded = base64.b64encode(plan_file.text.encode("utf-8")).decode("ascii")
            link = (f'<a download="{esc(plan_file.path)}" href="data:application/sql;charset=utf-8;base64,'
                    f'{encoded}">download {esc(plan_file.path)}</a>')
            section.add_heading(f"{plan_file.path} — {plan_file.phase}")
            lines = plan_file.text.splitlines()
            shown = "\n".join(lines[:PLAN_PREVIEW_LINES])
            more = (f"<p class='al-note'>The first {PLAN_PREVIEW_LINES} of {len(lines)} lines; the download holds "
                    "the whole file.</p>" if len(lines) > PLAN_PREVIEW_LINES else "")
            section.add(f"<p>{link}</p><details><summary>Show the SQL ({len(plan_file.steps)} steps)</summary>"
                        f"{sql_html(shown)}{more}</details>")
        if plan.decisions:
            section.add_heading(f"Decisions for a person — {len(plan.decisions)}")
            decisions = pd.DataFrame([{"findings": ", ".join(d.keys[:3]) + (" …" if len(d.keys) > 3 else ""),
                                       "question": d.question} for d in plan.decisions])
            section.add(table_html(decisions))
        section.blocks = [_collapsed(f"The plan: {len(files)} files and {len(plan.decisions)} decisions",
                                     "".join(section.blocks))]
        return section

    def risk_matrix(self) -> Section:
        """The list of issues: one row per issue (plain title linked to its detail, which links back), severity,
        likelihood, impact, status and how many findings; low and info issues collapsed with their counts."""
        issues = self.open_issues
        section = Section("Risk matrix", "risk-matrix",
                          f"{len(issues)} issues, most severe first: each groups the findings of one problem "
                          f"({len(self.findings)} findings in all). Click an issue for its findings and fix.")
        if not issues and not self.issues:
            return section
        serious = [i for i in issues if severity_rank(i.severity) <= severity_rank("medium")]
        minor = [i for i in issues if severity_rank(i.severity) > severity_rank("medium")]
        section.add(self._issue_table(serious, start=1, box=True))
        if minor:
            counts = _severity_counts(minor)
            section.add(f'<details class="collapsed-findings" id="risk-matrix-minor"><summary>{counts} '
                        f"({sum(len(i.findings) for i in minor)} findings)</summary>"
                        f"{self._issue_table(minor, start=len(serious) + 1)}</details>")
        fixed = [i for i in self.issues if i.status == "fixed"]
        if fixed:
            section.add_heading(f"Fixed since the last run — {len(fixed)}")
            section.add(self._issue_table(fixed, start=len(issues) + 1))
        return section

    def _issue_table(self, issues: list[Issue], start: int = 1, box: bool = False) -> str:
        """Issues as rows linked to their cards; with ``box``, a long list scrolls in a box of its own on screen."""
        if not issues:
            return ""
        rows = "".join(
            f'<tr id="{esc(i.anchor)}-row" class="issue-row severity-{esc(i.severity)}"><td data-label="#">{n}</td>'
            f'<td data-label="Severity">{_badge(i.severity)}</td>'
            f'<td class="issue-title" data-label="Issue"><a href="#{esc(i.anchor)}">{esc(i.title)}</a></td>'
            f'<td data-label="Likelihood">{esc(i.likelihood)}</td><td data-label="Impact">{esc(i.impact)}</td>'
            f'<td class="issue-status status-{esc(i.status)}" data-label="Status">{esc(self._status_label(i))}</td>'
            f'<td data-label="Findings">{len(i.findings) or len(i.fixed_findings)}</td></tr>'
            for n, i in enumerate(issues, start))
        table = ('<table class="al-table risk-matrix-table"><thead><tr><th>#</th><th>Severity</th><th>Issue</th>'
                 "<th>Likelihood</th><th>Impact</th><th>Status</th><th>Findings</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
        if box and len(issues) > LONG_TABLE_ROWS:
            return f'<div class="al-table-wrap al-table-long" tabindex="0">{table}</div>'
        return table

    def risk_table(self) -> pd.DataFrame:
        """The risk matrix as a DataFrame: one row per issue with its anchor, title, severity, likelihood, impact,
        status, number of findings, checks and objects."""
        from auditlib.issues import issue_frame

        return issue_frame(self.issues)

    def issue_details(self) -> Section:
        """Every issue in detail: what, where, how likely, the findings grouped by check (low and info ones
        collapsed) and the fix; each links back to its row of the risk matrix."""
        issues = self.open_issues
        section = Section("Issues in detail", "issues",
                          "Each issue with the findings behind it, grouped by check, and the SQL that fixes it.")
        serious = [i for i in issues if severity_rank(i.severity) <= severity_rank("medium")]
        minor = [i for i in issues if severity_rank(i.severity) > severity_rank("medium")]
        top = {i.anchor for i in self.top_issues()}
        for issue in serious:
            section.add(self.issue_card(issue, compact=issue.anchor not in top))
        if minor:
            section.add(f'<details class="collapsed-findings" id="issues-minor"><summary>{_severity_counts(minor)} '
                        f"({sum(len(i.findings) for i in minor)} findings)</summary>"
                        + "".join(self.issue_card(i, compact=True) for i in minor) + "</details>")
        fixed = [i for i in self.issues if i.status == "fixed"]
        if fixed:
            section.add(f'<details class="collapsed-findings" id="issues-fixed"><summary>{len(fixed)} issues fixed '
                        "since the last run</summary>" + "".join(self.issue_card(i, compact=True) for i in fixed) + "</details>")
        return section

    def issue_card(self, issue: Issue, compact: bool = False) -> str:
        """One issue: title, severity, likelihood (and why), impact, status, objects, the diagram of its tables and
        references when it is about references (``issue_diagram_html``), findings by check, fix.
        A ``compact`` card (an issue below the top ones) shows its title and one line of facts; the rest opens on a
        click, or by itself when a link leads into it."""
        first_seen = min((str(f.get("first_seen") or "")[:10] for f in issue.findings if f.get("first_seen")),
                         default="")
        meta = (f'<p class="issue-meta">{_badge(issue.severity)} <span class="likelihood">Likelihood: '
                f"{esc(issue.likelihood)} ({esc(issue.likelihood_reason)})</span> · "
                f'<span class="impact">Impact: {esc(issue.impact)}</span> · <span class="issue-status status-'
                f'{esc(issue.status)}">Status: {esc(self._status_label(issue))}</span>'
                + (f' · <span class="first-seen">first seen {esc(first_seen)}</span>' if first_seen else "") + "</p>")
        objects = issue.objects
        where = (f'<p class="issue-objects">Where: {esc(", ".join(objects[:8]))}'
                 + (f" and {len(objects) - 8} more" if len(objects) > 8 else "") + "</p>")
        body = self._findings_by_check(issue.findings) if issue.findings else \
            self._findings_by_check(issue.fixed_findings)
        fixed_note = (f'<p class="issue-fixed-note">{len(issue.fixed_findings)} of its findings were fixed since the '
                      "last run.</p>") if issue.findings and issue.fixed_findings else ""
        back = f'<p class="back-link"><a href="#{esc(issue.anchor)}-row">Back to the risk matrix</a></p>'
        where += self.issue_diagram_html(issue)
        if compact:
            lead = (issue.findings or issue.fixed_findings)[0]
            count = len(issue.findings or issue.fixed_findings)
            explanation = f'<p class="issue-explanation">{esc(lead["detail"])}</p>'
            return (f'<article class="issue-card issue-card-compact severity-{esc(issue.severity)}" '
                    f'id="{esc(issue.anchor)}"><h3>{self._linked_terms(issue.title)}</h3>{meta}'
                    + _collapsed(f"Where, the {count} finding{'s' if count != 1 else ''} and the fix",
                                 explanation + where + fixed_note + body + back)
                    + "</article>")
        return (f'<article class="issue-card severity-{esc(issue.severity)}" id="{esc(issue.anchor)}">'
                f"<h3>{self._linked_terms(issue.title)}</h3>{meta}{where}{fixed_note}{body}{back}</article>")

    def issue_diagram_html(self, issue: Issue) -> str:
        """The tables and references an issue is about, with their neighbours (``diagrams.issue_diagram``); empty
        for an issue with no relational shape (a policy, a function)."""
        from auditlib import diagrams

        if self._issue_layouts is not None:
            svg = self._issue_layouts.result().get(issue.anchor)
        else:
            graph = self._issue_graph(issue)
            svg = diagrams.to_svg(graph) if graph is not None else None
        return f'<div class="issue-diagram">{svg_html(svg)}</div>' if svg else ""

    def _issue_graph(self, issue: Issue):
        """The diagram of one issue (a ``graphviz.Digraph``), or None when it has no relational shape."""
        from auditlib import diagrams

        if self.catalog is None or not len(self.catalog.tables):
            return None
        if self._diagram_graph is None:  # one graph of the catalog for every issue's diagram
            self._diagram_graph = diagrams.Graph(self.catalog, self.config, self.findings, schemas="all",
                                                 analysis=self.analysis)
        return diagrams.issue_diagram(self._diagram_graph, issue.findings or issue.fixed_findings,
                                      title="The tables and references of this issue")

    def _issue_svgs(self) -> dict[str, str]:
        """The SVG of every issue's diagram by the issue's anchor, laid out side by side (``lay_out_diagrams``)."""
        from auditlib.diagrams.render import to_svgs

        shaped = [(issue.anchor, graph) for issue in self.issues
                  if (graph := self._issue_graph(issue)) is not None]
        return dict(zip([anchor for anchor, _ in shaped], to_svgs([graph for _, graph in shaped]), strict=True))

    def _findings_by_check(self, records: list[dict]) -> str:
        """Findings grouped by check (the check's summary as heading), each group's fix SQL collapsed; the low and
        info groups collapsed together with their counts."""
        specs = load_checks()
        groups: dict[str, list[dict]] = {}
        for record in records:
            groups.setdefault(record["check"], []).append(record)
        serious, minor = [], []
        for check, found in groups.items():
            spec = specs.get(check)
            summary = spec.summary if spec is not None else check
            if len(found) == 1:  # one finding reads as a sentence; a table is for many
                table = (f'<p class="finding"><span class="finding-object">{esc(found[0]["object"])}</span>: '
                         f'{esc(found[0]["detail"])}</p>')
            else:
                table = table_html(pd.DataFrame([{"severity": r["severity"], "object": r["object"],
                                                  "title": r["title"], "detail": r["detail"]} for r in found]))
            fixes = list(dict.fromkeys(r["remediation_sql"] for r in found if r.get("remediation_sql")))
            fix = (f'<details class="fix-sql"><summary>Fix: the SQL ({len(fixes)} statement'
                   f"{'s' if len(fixes) != 1 else ''})</summary>{sql_html(chr(10).join(fixes))}</details>"
                   if fixes else "")
            block = (f'<div class="check-group"><h4>{esc(summary)} <code class="check-name">{esc(check)}</code> — '
                     f"{len(found)} finding{'s' if len(found) != 1 else ''}</h4>{table}{fix}</div>")
            (serious if severity_rank(found[0]["severity"]) <= severity_rank("medium") else minor).append((found, block))
        html_text = "".join(block for _, block in serious)
        if minor:
            found = [r for group, _ in minor for r in group]
            html_text += (f'<details class="collapsed-findings"><summary>{_severity_counts_of(found)} findings'
                          "</summary>" + "".join(block for _, block in minor) + "</details>")
        return html_text

    def changes(self) -> Section:
        """What changed since the last run: the issues that are new, and those that are fixed (empty without a
        previous run)."""
        trends = self.result.extras.get("trends")
        if trends is None or len(trends) < 2:
            return Section("What changed since the last run", "changes")
        by_status = issues_by_status(self.issues)
        latest = trends.iloc[-1]
        previous = str(trends.iloc[-2]["generated_at"])[:16]
        section = Section("What changed since the last run", "changes",
                          f"Since the previous run ({previous}): {len(by_status['new'])} new issues, "
                          f"{len(by_status['fixed'])} fixed, {len(by_status['open'])} still open "
                          f"({int(latest['new'])} new and {int(latest['fixed'])} fixed findings).")
        for status, heading in (("new", "New issues"), ("fixed", "Fixed issues")):
            listed = by_status[status]
            if listed:
                items = "".join(f'<li>{_badge(i.severity)} <a href="#{esc(i.anchor)}">{esc(i.title)}</a></li>'
                                for i in listed[:20])
                more = f"<li>… and {len(listed) - 20} more.</li>" if len(listed) > 20 else ""
                section.add(f'<div class="changes-{status}"><h3>{heading} — {len(listed)}</h3>'
                            f"<ul>{items}{more}</ul></div>")
        if not by_status["new"] and not by_status["fixed"]:
            section.add_text("No issue appeared or went away since the previous run.")
        return section

    def exploitable_holes_html(self) -> str:
        """What an anonymous visitor and any signed-in user can do today, from the security findings' evidence:
        each hole with its objects, a link to its issue and the fix."""
        lists = []
        shown: set[str] = set()
        for audience, heading, note in (
                ("anonymous", "What an anonymous visitor can do (anyone on the internet, not signed in)", ""),
                ("signed-in", "What any signed-in user can do", " — besides everything an anonymous visitor can")):
            items = []
            for issue in self.open_issues:
                if issue.anchor in shown or audience not in issue.audiences():
                    continue
                records = [r for r in issue.findings if audience in audiences_of(r) and finding_action(r)]
                if not records:
                    continue
                shown.add(issue.anchor)
                actions = list(dict.fromkeys(finding_action(r) for r in records))
                # the objects the actions do not already name (a policy, a column), on the same line
                objects = [o for o in dict.fromkeys(r["object"] for r in records)
                           if not any(o in action for action in actions)]
                fixes = list(dict.fromkeys(r["remediation_sql"] for r in records if r.get("remediation_sql")))
                fix = (f'<details class="fix-sql"><summary>The fix</summary>{sql_html(chr(10).join(fixes))}</details>'
                       if fixes else "")
                listed = (f' <span class="hole-objects">({esc(", ".join(objects[:6]))})</span>' if objects else "")
                items.append(f'<li class="hole severity-{esc(issue.severity)}">{_badge(issue.severity)} '
                             f'<a href="#{esc(issue.anchor)}">{esc("; ".join(actions))}</a>{listed}{fix}</li>')
            if items:
                lists.append(f'<div class="holes-{audience}"><h3>{esc(heading)}{esc(note if lists else "")}</h3>'
                             f'<ul class="holes">{"".join(items)}</ul></div>')
        if not lists:
            return ""
        return '<div class="exploitable-holes" id="exploitable-holes">' + "".join(lists) + "</div>"

    def glossary(self) -> Section:
        """The terms the report uses, explained once in plain words."""
        section = Section("What the terms mean", "glossary")
        section.add('<dl class="glossary">' + "".join(
            f'<dt id="term-{term}">{esc(name)}</dt><dd>{esc(meaning)}</dd>'
            for term, (name, _, meaning) in GLOSSARY.items()) + "</dl>")
        return section

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
            section.add(_collapsed(f"Every audited table ({len(inventory)})", table_html(inventory, max_rows=5000)))
        section.add_heading("B. Checks")
        checks = check_documentation_frame()
        section.add(_collapsed(f"What each of the {len(checks)} checks looks for", table_html(checks)))
        queries = [(r["object"], r["evidence"].get("query")) for r in frame_records(self.findings)
                   if isinstance(r["evidence"], dict) and r["evidence"].get("query")]
        if queries:
            section.add_heading("C. Validation queries used")
            section.add(_collapsed(f"The {len(queries)} queries", sql_html("\n\n".join(f"-- {obj}\n{query}"
                                                                                        for obj, query in queries))))
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
        # Closed by default: one row per file runs to pages in print and a reader starts from the categories.
        section.add(_collapsed(f"Every file ({len(inventory)})", table_html(inventory, max_rows=2000)))
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
        return [self.first_screen(), self.changes(), self.contents(), self.executive_summary(), self.risk_matrix(),
                self.issue_details(), self.tenancy(), self.trends(), self.schema_overview(), self.foreign_keys(),
                self.cascade(), self.duplicates(), self.json_structure(), self.data_integrity(), self.functions(),
                self.code(), self.documentation_and_constraints(), self.recommendations(), self.glossary(),
                self.appendices()]

    def migration_sections(self) -> list[Section]:
        """Every section of the migration-folder report in report order."""
        return [self.first_screen(), self.changes(), self.contents(), self.executive_summary(), self.risk_matrix(),
                self.issue_details(), self.trends(), self.migration_inventory(), self.migration_duplicates(),
                self.migration_failures(), self.schema_overview(), self.foreign_keys(), self.tenancy(),
                self.functions(), self.recommendations(), self.glossary(), self.appendices()]

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


def _collapsed(summary: str, body: str) -> str:
    """A block closed by default, opened by its one-line summary."""
    return f'<details class="collapsed-findings"><summary>{esc(summary)}</summary>{body}</details>' if body else ""


def _badge(severity: str) -> str:
    return (f'<span class="al-badge severity-badge sev-{esc(severity)}" style="background:'
            f'{SEVERITY_COLOURS.get(severity, "#90a4ae")}">{esc(severity)}</span>')


def _sentence_case(text: str) -> str:
    """The text with a capital first letter unless it starts with a name (schema.table, a quoted name)."""
    first = text.split(" ", 1)[0]
    return text if "." in first or not text else text[:1].upper() + text[1:]


def _severity_counts(issues: list[Issue]) -> str:
    counts = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITIES}
    return " and ".join(f"{n} {s}" for s, n in counts.items() if n) + f" issue{'s' if len(issues) != 1 else ''}"


def _severity_counts_of(records: list[dict]) -> str:
    counts = {s: sum(1 for r in records if r["severity"] == s) for s in SEVERITIES}
    return " and ".join(f"{n} {s}" for s, n in counts.items() if n)


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
