"""Check metadata: the report, its charts and the tests select checks by report_section and count_key, not by name."""

from __future__ import annotations

import pytest

from auditlib import charts
from auditlib.audit import run_audit
from auditlib.checks import REGISTRY, REPORT_SECTIONS, CheckSpec, check, checks_in_section, load_checks
from auditlib.findings import CATEGORIES, Finding, findings_frame
from auditlib.report import Report

# The report method that shows each area of REPORT_SECTIONS.
SECTION_OF_AREA = {"structure": "schema_overview", "relationships": "foreign_keys", "cascade": "cascade",
                   "duplicates": "duplicates", "tenancy": "tenancy", "security": "tenancy",
                   "json": "json_structure", "data": "data_integrity", "functions": "functions", "code": "code",
                   "comments": "documentation_and_constraints", "migrations": "migration_failures"}


def no_findings(catalog, config):
    return iter(())


def test_every_category_is_a_report_section_and_unknown_sections_are_refused():
    assert set(CATEGORIES) <= set(REPORT_SECTIONS)
    assert {key.partition(".")[0] for key in REPORT_SECTIONS} == set(SECTION_OF_AREA)
    assert all(spec.report_section in REPORT_SECTIONS for spec in load_checks().values())
    with pytest.raises(ValueError, match="unknown report section 'tenancy.nowhere'"):
        check(name="zz_lost", category="tenancy", severity="low", report_section="tenancy.nowhere")
    assert "zz_lost" not in REGISTRY


def test_a_check_is_selected_by_its_section_or_area():
    assert CheckSpec("zz_plain", "security", "low", "schema", no_findings).report_section == "security"
    assert set(checks_in_section("tenancy")) == {n for n, s in load_checks().items()
                                                 if s.report_section.startswith("tenancy")}
    assert set(checks_in_section("code", exclude=("code.unused",))) == {
        n for n, s in load_checks().items() if s.report_section == "code"}


def test_every_report_section_shows_the_findings_of_its_checks(make_db, monkeypatch):
    """One made-up check per section key, one finding each: the section of its area shows it. A check that
    declares no section (the last one) is shown under its category."""
    result = run_audit(make_db("CREATE TABLE t (id int PRIMARY KEY);"), data=False)
    load_checks()
    markers, findings = {}, []
    declared = [(key, key) for key in REPORT_SECTIONS] + [("default security", "")]
    for number, (key, section) in enumerate(declared):
        name, marker = f"zz_section_{number}", f"[zz {key}]"
        monkeypatch.setitem(REGISTRY, name, CheckSpec(name, "security", "info", "schema", no_findings,
                                                      report_section=section))
        markers[marker] = SECTION_OF_AREA[(section or "security").partition(".")[0]]
        findings.append(Finding(schema="public", table="t", column=None, title=marker, detail=marker, object=marker,
                                check=name, category="security", severity="info", file="app.py", line=1))
    result.findings = findings_frame(findings)
    result.extras["code_scan"] = {"files": 1, "skipped": 0}
    report = Report(result)
    # (names in tables carry line-break opportunities, <wbr>, after dots and underscores)
    pages = {method: getattr(report, method)()._repr_html_().replace("<wbr>", "")
             for method in set(SECTION_OF_AREA.values())}
    # Tables without comments are counted (the coverage table beside the count comes from the model), not listed.
    del markers["[zz comments.coverage]"]
    assert "1 tables lack comments" in pages["documentation_and_constraints"]
    assert [marker for marker, method in markers.items() if marker not in pages[method]] == []
    assert "Other tenancy and security findings" in pages["tenancy"]
    duplicates_in_migrations = report.migration_duplicates()._repr_html_()
    assert "[zz duplicates.defined_multiple]" in duplicates_in_migrations
    assert "[zz duplicates]" not in duplicates_in_migrations


def test_a_check_with_a_count_key_is_charted(monkeypatch):
    load_checks()
    monkeypatch.setitem(REGISTRY, "zz_counted", CheckSpec("zz_counted", "data", "high", "data", no_findings,
                                                          count_key="zz_rows"))
    frame = findings_frame([Finding(schema="public", table="t", column=None, title="t", detail="d", check=check_name,
                                    evidence=evidence, category="data", severity="high")
                            for check_name, evidence in (("zz_counted", {"zz_rows": 7, "count": 99}),
                                                         ("zz_uncounted", {"count": 5}))])
    figure = charts.orphan_and_leak_counts(frame)
    assert [(t.name, list(t.x)) for t in figure.data] == [("zz_counted", [7])]  # its own key before "count"


def test_every_splinter_security_lint_has_a_counterpart_check_listed_in_the_docs():
    from pathlib import Path

    from auditlib.docs import SPLINTER_LINTS, SPLINTER_SECURITY_LINTS, splinter_counterparts

    assert set(SPLINTER_SECURITY_LINTS) >= {"0002", "0007", "0008", "0010", "0011", "0013", "0015", "0016", "0017",
                                            "0023", "0024", "0025", "0026", "0027", "0028", "0029"}
    counterparts = splinter_counterparts()
    missing = [lint for lint in SPLINTER_SECURITY_LINTS if not counterparts[lint]]
    assert not missing, f"splinter lints without a counterpart check (peers=): {missing}"
    declared = {peer.partition(":")[2] for spec in load_checks().values() for peer in spec.peers
                if peer.startswith("splinter:")}
    assert declared <= set(SPLINTER_LINTS), "a check names a splinter lint the docs do not know"
    docs = (Path(__file__).parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    for lint, checks in counterparts.items():
        row = next(line for line in docs.splitlines() if line.startswith(f"| {lint} `{SPLINTER_LINTS[lint]}`"))
        assert all(f"`{name}`" in row for name in checks), row


def test_peer_rules_are_tool_and_id():
    with pytest.raises(ValueError, match="peer rule"):
        check(name="bad_peer_case", category="structure", severity="low", peers=("splinter0010",))
    with pytest.raises(ValueError, match="peer rule"):
        check(name="bad_peer_case", category="structure", severity="low", peers=("sqlfluff:ST01",))
    assert "bad_peer_case" not in REGISTRY


def test_a_check_docstring_is_parsed_once(monkeypatch):
    import inspect

    def documented(catalog, config):
        """Summary line.

        How it decides.

        Why it matters: a reason.

        How to fix: a fix.
        """
        return iter(())

    cleandoc = inspect.cleandoc
    parsed: list[str] = []

    def counting(doc):
        parsed.append(doc)
        return cleandoc(doc)

    monkeypatch.setattr(inspect, "cleandoc", counting)
    spec = CheckSpec(name="zz_documented", category="structure", severity="low", kind="schema", func=documented)
    for _ in range(3):  # the report reads a check's summary once per group of findings
        assert spec.summary == "Summary line."
        assert spec.details == "How it decides."
        assert spec.section("Why it matters:") == "a reason."
        assert spec.as_rule()["description"].startswith("Summary line. How it decides. Why it matters:")
    assert len(parsed) == 1
