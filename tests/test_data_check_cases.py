"""Every data check's positive and negative cases, kept as data in tests/check_cases/data/<check>.toml.

Each case file holds ``[[case]]`` tables: ``name``; ``sql`` (schema and rows, run in a fresh database on the
embedded server); ``expect`` (the objects the check must report — exactly those; [] for a negative case); optional
``stub = "supabase"`` (load the Supabase platform stub first: the roles and auth.users rls_leak signs in with),
``config`` (overrides, as in auditlib.toml), ``schemas`` (audited schemas, default ["public"]) and
``[case.evidence."<object>"]`` (facts the finding's evidence must hold: each key equal, nested tables compared key by
key, so ``users."ann@a.test" = { foreign = 2 }`` checks one user's count). The database is audited through
``run_audit`` with every other check disabled, on its read-only sessions, and the check must skip nothing.
``pytest tests/test_data_check_cases.py -k orphan_rows`` runs one check's cases. The schema checks' cases live one
folder up (tests/test_check_cases.py); the data checks' demo numbers and sampling are in tests/test_data_checks.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.audit import run_audit
from auditlib.checks import load_checks
from auditlib.config import AuditConfig
from tests.conftest import load_cases, stub_sql

CASES_DIR = Path(__file__).parent / "check_cases" / "data"


CASES = load_cases(CASES_DIR)


def mismatches(expected: object, actual: object, where: str) -> list[str]:
    """Where ``actual`` differs from ``expected``: tables compare key by key (extra keys in ``actual`` are fine),
    everything else by equality."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected a table, got {actual!r}"]
        return [problem for key, value in expected.items()
                for problem in (mismatches(value, actual[key], f"{where}.{key}") if key in actual
                                else [f"{where}.{key}: missing"])]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def audit_one_check(url, check_name: str, case: dict):
    """run_audit on the case's database with only ``check_name`` enabled: (its findings as records, its skips)."""
    others = sorted(set(load_checks()) - {check_name})
    config = AuditConfig().with_overrides(case.get("config", {})).with_overrides(
        {"audit": {"disabled_checks": others}})
    result = run_audit(url, config, schemas=case.get("schemas", ["public"]))
    findings = result.findings[result.findings["check"] == check_name].to_dict("records")
    return findings, [s for s in result.skipped if s["check"] == check_name]


@pytest.mark.parametrize(("check_name", "case"), CASES,
                         ids=[f"{name}-{case['name']}" for name, case in CASES])
def test_data_check_case(check_name, case, make_db):
    sql = (stub_sql(case["stub"]) + "\n" if case.get("stub") else "") + case["sql"]
    url = make_db(sql)
    findings, skipped = audit_one_check(url, check_name, case)
    assert not skipped, f"{check_name} skipped objects, so the case proves nothing: {skipped}"
    assert sorted(f["object"] for f in findings) == sorted(case["expect"])
    by_object = {f["object"]: f for f in findings}
    problems = [problem for obj, facts in case.get("evidence", {}).items()
                for problem in mismatches(facts, by_object[obj]["evidence"], obj)]
    assert not problems, "\n".join(problems)
    for finding in findings:
        assert finding["title"] and finding["detail"]
        assert finding["key"] == f"{check_name}:{finding['object']}"


def test_every_data_check_has_positive_and_negative_cases():
    data_checks = {name for name, spec in load_checks().items() if spec.kind == "data"}
    by_check: dict[str, list[dict]] = {}
    for name, case in CASES:
        by_check.setdefault(name, []).append(case)
    assert data_checks, "no data checks are registered"
    unknown = set(by_check) - data_checks
    assert not unknown, f"data case files for checks that are not data checks: {unknown}"
    for name in sorted(data_checks):
        cases = by_check.get(name, [])
        assert any(c["expect"] for c in cases), f"{name} has no positive case in {CASES_DIR}/{name}.toml"
        assert any(not c["expect"] for c in cases), f"{name} has no negative case in {CASES_DIR}/{name}.toml"
    for name, case in CASES:
        assert case.get("name") and case.get("sql") and "expect" in case, f"a case of {name} lacks name, sql or expect"
        stray = set(case.get("evidence", {})) - set(case["expect"])
        assert not stray, f"{name} / {case['name']}: evidence for objects it does not expect: {stray}"
