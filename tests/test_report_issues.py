"""Issues (findings grouped by root cause) and the report a stakeholder reads first, on real audits of the demo."""

from __future__ import annotations

import dataclasses
import json
import re

import pandas as pd
import pytest

from auditlib.audit import run_audit
from auditlib.findings import Finding, findings_frame
from auditlib.issues import group_issues
from auditlib.report import Report

HREF = re.compile(r'href="#([^"]+)"')
ID = re.compile(r'\bid="([^"]+)"')


@pytest.fixture(scope="module")
def demo_audit(demo_url):
    """The demo audited as `auditlib report --demo` does: the database, its data and its app's code."""
    from auditlib.demo import app_folder

    return run_audit(demo_url, code_dir=app_folder())


@pytest.fixture(scope="module")
def demo_page(demo_audit):
    report = Report(demo_audit, title="ProductionOS data relationship audit")
    return report, "".join(section._repr_html_() for section in report.sections())


def issue_with(issues, check: str, obj: str):
    found = [i for i in issues if any(f["check"] == check and f["object"] == obj for f in i.findings)]
    assert len(found) == 1, (check, obj, [i.title for i in found])
    return found[0]


# -- grouping ------------------------------------------------------------------------------------------------------
def test_every_finding_is_in_exactly_one_issue(demo_audit):
    issues = group_issues(demo_audit.findings, tenant_column="organization_id")
    keys = [f["key"] for i in issues for f in i.findings]
    assert sorted(keys) == sorted(demo_audit.findings["key"]) and len(set(keys)) == len(keys)
    assert len(issues) * 3 < len(demo_audit.findings)  # one issue per problem, not one per check × object


def test_one_issue_per_root_cause(demo_audit):
    issues = group_issues(demo_audit.findings, tenant_column="organization_id")
    # one missing foreign key with its orphans (and, for google_tokens, its type mismatch)
    invoices = issue_with(issues, "fk_missing", "public.invoices.project_id")
    assert {"fk_missing", "orphan_rows"} <= set(invoices.checks)
    tokens = issue_with(issues, "fk_missing", "public.google_tokens.user_id")
    assert {"fk_missing", "orphan_rows", "fk_type_mismatch"} <= set(tokens.checks)
    # one leaky table: the probe's leak, the disabled RLS and the rows without a tenant
    crew_contacts = issue_with(issues, "rls_leak", "public.crew_contacts")
    assert {"rls_leak", "rls_disabled", "tenant_null_rows", "rls_policy_without_rls"} <= set(crew_contacts.checks)
    assert issue_with(issues, "tenant_column_missing", "public.invoices") is issue_with(issues, "rls_leak",
                                                                                      "public.invoices")
    # housekeeping that repeats over many objects is one issue
    unindexed = [i for i in issues if "fk_unindexed" in i.checks]
    assert max(sum(f["check"] == "fk_unindexed" for f in i.findings) for i in unindexed) >= 30


def test_no_column_is_in_more_than_one_serious_issue(demo_audit):
    issues = [i for i in group_issues(demo_audit.findings, tenant_column="organization_id")
              if i.severity in ("critical", "high")]
    seen: dict[str, str] = {}
    for issue in issues:
        for column in issue.columns:
            assert column not in seen, f"{column} is in {seen.get(column)!r} and {issue.title!r}"
            seen[column] = issue.title
    tables = [i.key for i in issues if i.kind == "table"]
    assert len(tables) == len(set(tables))


def test_issues_are_ordered_worst_first_with_plain_titles(demo_audit):
    issues = group_issues(demo_audit.findings, tenant_column="organization_id")
    ranks = [("critical", "high", "medium", "low", "info").index(i.severity) for i in issues]
    assert ranks == sorted(ranks)
    top = issues[:10]
    assert top[0].severity == "critical"
    assert not any(check in i.title for i in top for check in i.checks)  # no internal check names
    assert any(i.title.startswith("Anonymous visitors can") for i in top)
    assert all(i.likelihood in ("High", "Medium", "Low") and i.impact for i in issues)


def finding(check, severity, category, schema, table, column, title="t", **evidence) -> Finding:
    return Finding(schema=schema, table=table, column=column, title=title, detail="d", evidence=evidence,
                   check=check, category=category, severity=severity)


def test_status_new_open_and_fixed_from_the_history_statuses():
    current = findings_frame([
        finding("fk_missing", "medium", "relationships", "public", "tasks", "project_id", references="public.projects.id"),
        finding("orphan_rows", "high", "data", "public", "tasks", "project_id", orphan_count=3),
        finding("rls_disabled", "high", "security", "public", "notes", None, api_roles=["anon"],
                grants={"anon": ["SELECT"]}),
    ])
    current["status"] = current["check"].map({"fk_missing": "open", "orphan_rows": "new", "rls_disabled": "new"})
    fixed = findings_frame([finding("pk_missing", "medium", "structure", "public", "logs", None)]).assign(
        status="fixed")
    issues = {i.kind + ":" + i.title: i for i in group_issues(current, fixed=fixed)}
    by_status = {i.status: i for i in issues.values()}
    assert set(by_status) == {"open", "new", "fixed"}
    assert set(by_status["open"].checks) == {"orphan_rows", "fk_missing"}  # one finding seen before: open
    assert by_status["open"].likelihood == "High" and "3 rows" in by_status["open"].likelihood_reason
    assert by_status["new"].title == "Anonymous visitors can read every row of public.notes (row-level security " \
                                     "is off)"
    assert by_status["fixed"].fixed_findings and not by_status["fixed"].findings
    assert list(issues.values())[-1].status == "fixed"  # fixed issues come last


def test_anchors_are_stable_and_safe_whatever_the_names():
    hostile = finding("rls_disabled", "high", "security", "public", '"><script>alert(1)</script>', None)
    first, again = group_issues([hostile.to_dict()]), group_issues([hostile.to_dict()])
    assert first[0].anchor == again[0].anchor
    assert re.fullmatch(r"issue-[a-z0-9-]+", first[0].anchor)


@pytest.fixture(scope="module")
def migration_audit(embedded_server):
    import os

    from auditlib.demo import migrations_folder
    from tests.conftest import TEST_HOME

    previous = os.environ.get("AUDITLIB_HOME")
    os.environ["AUDITLIB_HOME"] = str(TEST_HOME)
    try:
        return run_audit(migrations=migrations_folder())
    finally:
        if previous is None:
            os.environ.pop("AUDITLIB_HOME")
        else:
            os.environ["AUDITLIB_HOME"] = previous


def test_a_migration_folder_is_grouped_by_root_cause(migration_audit):
    issues = group_issues(migration_audit.findings, tenant_column="organization_id")
    assert len(issues) * 3 < len(migration_audit.findings)
    # public.projects is referenced before any file creates it: the references, the statements that fail for it and
    # the statements that fail because those did are one issue
    projects = issue_with(issues, "ref_target_missing", "public.invoices.project_id->public.projects")
    failing = [f for f in projects.findings if f["check"] == "migration_statement_failed"]
    assert len(failing) >= 5 and any(f["evidence"].get("caused_by") for f in failing)
    assert projects.title.startswith("public.projects:") and "statements fail because of it" in projects.title
    seen: dict[str, str] = {}
    for issue in issues:
        if issue.severity in ("critical", "high"):
            for column in issue.columns:
                assert column not in seen, f"{column} is in {seen.get(column)!r} and {issue.title!r}"
                seen[column] = issue.title
    assert not any(i.title.startswith("Table defined") for i in issues)  # every title names its object


# -- the first screen ----------------------------------------------------------------------------------------------
def test_first_screen_says_what_is_wrong_and_lists_the_top_issues(demo_page):
    report, page = demo_page
    first = report.first_screen()._repr_html_()
    worst = report.open_issues[0]
    verdict = re.search(r'<div class="verdict[^"]*" id="verdict"[^>]*>(.*?)</div>', first, re.S).group(1)
    critical = sum(i.severity == "critical" for i in report.open_issues)
    assert "The worst problem" in verdict and f"{critical} critical" in verdict
    assert re.sub(r"<[^>]+>", "", verdict).count(worst.title.split(";")[0][1:40]) == 1
    top = re.search(r'id="top-issues".*?</table>', first, re.S).group(0)
    links = HREF.findall(top)
    assert 1 <= len(links) <= 10 and links[0] == worst.anchor
    for issue in report.top_issues():
        row = top[top.index(f'href="#{issue.anchor}"'):]
        row = row[:row.index("</tr>")]
        assert issue.likelihood in row and issue.impact.replace("'", "&#x27;") in row
    scope = re.search(r'id="audit-scope".*?</div>', first, re.S).group(0)
    assert "PostgreSQL" in scope and "public" in scope and "tables" in scope and "foreign keys" in scope
    assert "organization_id" in scope and "public.organizations" in scope  # the tenancy the audit took
    assert "application code" in scope  # the demo includes its app's code, as `auditlib report --demo`
    assert 'id="al-toc"' not in first  # contents and metadata come below the first screen


def test_every_link_in_the_page_resolves(demo_page):
    report, page = demo_page
    ids = set(ID.findall(page))
    missing = {target for target in HREF.findall(page) if target not in ids}
    assert not missing, sorted(missing)[:10]
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    nested = re.search(r"<a[\s>][^>]*>(?:(?!</a>).)*?<a[\s>]", markup, re.S)  # a link in a link breaks both
    assert nested is None, nested.group(0)[:300]
    for issue in report.open_issues:  # matrix row → detail, and back
        assert f'id="{issue.anchor}-row"' in page and f'id="{issue.anchor}"' in page
        assert f'href="#{issue.anchor}-row"' in page


def test_risk_matrix_collapses_low_and_info_issues(demo_page):
    report, page = demo_page
    matrix = report.risk_matrix()._repr_html_()
    collapsed = re.search(r'<details class="collapsed-findings"[^>]*><summary>(.*?)</summary>', matrix).group(1)
    minor = [i for i in report.open_issues if i.severity in ("low", "info")]
    assert f"{sum(i.severity == 'info' for i in minor)} info" in collapsed and str(
        sum(len(i.findings) for i in minor)) in collapsed
    assert "<details open" not in matrix
    for check in ("rls_leak", "fk_set_null_not_null"):  # internal names are not the matrix's titles
        assert f">{check}<" not in matrix


def test_security_section_leads_with_what_attackers_can_do(demo_page):
    report, _ = demo_page
    section = report.tenancy()._repr_html_()
    holes = section.index('id="exploitable-holes"')
    assert holes < section.index("<h3>")  # before coverage and the policy review
    anonymous = re.search(r'class="holes-anonymous".*?</ul>', section, re.S).group(0)
    assert "public.team_directory" in anonymous and "auth.users" in anonymous
    assert "REVOKE SELECT ON" in anonymous  # each hole with its fix
    signed_in = re.search(r'class="holes-signed-in".*?</ul>', section, re.S).group(0)
    assert "other organisations" in signed_in and "public.invoices" in signed_in


def test_terms_are_explained_once_and_linked_where_they_first_appear(demo_page):
    _, page = demo_page
    for term in ("rls", "tenant", "foreign-key", "orphan", "cascade", "security-definer"):
        assert page.count(f'id="term-{term}"') == 1, term
        assert page.count(f'href="#term-{term}"') == 1, term


def test_skipped_checks_are_a_warning_and_never_a_clean_verdict(demo_audit):
    skipped = [{"check": "orphan_rows", "object": "public.invoices", "reason": "permission denied for table"}]
    empty = dataclasses.replace(demo_audit, findings=demo_audit.findings.iloc[0:0], skipped=skipped,
                                extras={})
    first = Report(empty).first_screen()._repr_html_()
    assert first.index('id="al-skipped-warning"') < first.index('id="verdict"')
    assert "not a clean result" in first and "No problems found" not in first
    assert "1 check skipped" in first
    partial = dataclasses.replace(demo_audit, skipped=skipped, extras=dict(demo_audit.extras))
    report = Report(partial)
    critical = sum(i.severity == "critical" for i in report.open_issues)
    assert f"at least {critical} critical" in report.verdict().lower() and "incomplete" in report.verdict()


def test_no_tenant_root_is_said_on_the_first_screen(make_db):
    url = make_db("CREATE TABLE notes (id int PRIMARY KEY, body text);")
    first = Report(run_audit(url)).first_screen()._repr_html_()
    assert "Tenancy checks did not run: no tenant root found" in re.sub(r"<[^>]+>", "", first)


def test_what_changed_since_the_last_run(demo_audit, tmp_path):
    from auditlib.report import record_history

    findings = demo_audit.findings
    appeared = findings["check"] == "trigger_missing_column"
    went_away = findings["check"] == "pk_missing"
    before = dataclasses.replace(demo_audit, findings=findings[~appeared].reset_index(drop=True),
                                 extras=dict(demo_audit.extras), generated_at="2026-01-01T00:00:00+00:00")
    after = dataclasses.replace(demo_audit, findings=findings[~went_away].reset_index(drop=True),
                                extras=dict(demo_audit.extras))
    history = str(tmp_path / "history.db")
    record_history(before, history)
    assert Report(before).changes().empty  # nothing to compare the first run with
    record_history(after, history)
    report = Report(after)
    changes = report.changes()._repr_html_()
    new = re.search(r'class="changes-new".*?</ul>', changes, re.S).group(0)
    fixed = re.search(r'class="changes-fixed".*?</ul>', changes, re.S).group(0)
    assert "quantity_available" in new and "task_card_assignees" in fixed
    statuses = {i.status for i in report.issues if "pk_missing" in i.checks}
    assert statuses == {"fixed"}


# -- the notebooks -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["relationship_audit", "migration_audit"])
def test_notebooks_are_thin_and_call_report_sections(name):
    from auditlib.report import notebook_path

    notebook = json.loads(notebook_path(name).read_text(encoding="utf-8"))
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells)
    calls = ["".join(c["source"]) for c in cells[2:]]
    for call in calls:
        assert re.fullmatch(r"report\.[a-z_]+\(\)", call), call
        assert callable(getattr(Report, call[len("report."):-2]))
    assert calls[0] == "report.first_screen()" and "report.risk_matrix()" in calls and "report.glossary()" in calls


def test_the_notebook_defaults_scan_the_demo_app_like_the_cli(demo_url, demo_audit, monkeypatch):
    from auditlib.report import open_report
    from tests.conftest import TEST_HOME

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))
    report = open_report(demo=True, history=False)  # the notebook's defaults
    assert report.result.extras.get("code_scan") is not None
    assert sorted(report.findings["key"]) == sorted(demo_audit.findings["key"])


def test_issue_frame_is_the_risk_table(demo_page):
    report, _ = demo_page
    table = report.risk_table()
    assert isinstance(table, pd.DataFrame) and len(table) == len(report.issues)
    assert list(table.columns[:6]) == ["anchor", "title", "severity", "likelihood", "impact", "status"]


def test_area_sections_point_to_the_issues_and_collapse_their_findings(demo_page):
    report, _ = demo_page
    section = report.foreign_keys()._repr_html_()
    links = re.search(r'<ul class="issue-links">(.*?)</ul>', section, re.S).group(1)
    invoices = issue_with(report.issues, "fk_missing", "public.invoices.project_id")
    assert f'href="#{invoices.anchor}"' in links  # the missing foreign key points at its issue
    assert re.search(r'<details class="collapsed-findings"><summary>The \d+ findings</summary>', section)
    card = report.issue_card(invoices)
    assert card.count("<details") >= 1 and invoices.findings[0]["detail"][:40].replace("'", "&#x27;") in card


def test_a_second_identical_run_with_a_code_scan_has_nothing_new(demo_audit, tmp_path):
    """The code checks' findings are compared with the previous run like every other check's: the same audit
    twice has no new issue (the code findings were "new" on every run)."""
    from auditlib.report import record_history

    history = str(tmp_path / "history.db")
    record_history(dataclasses.replace(demo_audit, extras=dict(demo_audit.extras),
                                       generated_at="2026-01-01T00:00:00+00:00"), history)
    again = dataclasses.replace(demo_audit, extras=dict(demo_audit.extras))
    record_history(again, history)
    assert again.extras.get("code_scan") is not None
    assert set(again.findings["status"]) == {"open"}
    report = Report(again)
    assert {i.status for i in report.issues} == {"open"}
    assert "No issue appeared or went away" in report.changes()._repr_html_()


def test_what_the_anonymous_probe_read_is_readable_by_anyone(demo_audit):
    issues = group_issues(demo_audit.findings)
    probed = [i for i in issues if "anon_reads_rows" in i.checks]
    assert probed, "the demo plants tables anon can read"
    for issue in probed:
        assert "anonymous" in issue.audiences()
        assert issue.impact == "Data readable by anyone on the internet", issue.title
