"""Every check's positive and negative cases, kept as data in tests/check_cases/<check>.toml.

Each case file holds ``[[case]]`` tables: ``name``; ``sql`` (run in a fresh database on the embedded server);
``expect`` (the objects the check must report — exactly those; [] for a negative case); optional ``stub =
"supabase"`` (load the Supabase platform stub first), ``config`` (overrides, as in auditlib.toml) and
``schemas`` (audited schemas). In ``expect``, ``{database}`` stands for the test database's name.
``pytest -k fk_missing`` runs one check's cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from auditlib.audit import run_checks
from auditlib.catalog import load_catalog
from auditlib.checks import load_checks
from auditlib.config import AuditConfig
from tests.conftest import load_cases, stub_sql

CASES_DIR = Path(__file__).parent / "check_cases"


CASES = load_cases(CASES_DIR)


@pytest.mark.parametrize(("check_name", "case"), CASES,
                         ids=[f"{name}-{case['name']}" for name, case in CASES])
def test_check_case(check_name, case, make_db):
    sql = (stub_sql(case["stub"]) + "\n" if case.get("stub") else "") + case["sql"]
    url = make_db(sql)
    engine = sa.create_engine(url)
    catalog = load_catalog(engine)
    engine.dispose()
    config = AuditConfig().with_overrides(case.get("config", {}))
    findings = run_checks(catalog, config, only=[check_name], schemas=case.get("schemas", ["public"]))
    expected = [obj.replace("{database}", url.database) for obj in case["expect"]]
    assert sorted(f.object for f in findings) == sorted(expected)
    for finding in findings:
        assert finding.check == check_name and finding.title and finding.detail
        assert finding.key == f"{check_name}:{finding.object}"
    # a case may pin the severity of some of its objects: {object = severity}
    severities = {f.object: f.severity for f in findings}
    for obj, severity in case.get("severity", {}).items():
        assert severities[obj.replace("{database}", url.database)] == severity, obj


def test_every_check_has_positive_and_negative_cases_and_docs():
    registry = load_checks()
    by_check: dict[str, list[dict]] = {}
    for name, case in CASES:
        by_check.setdefault(name, []).append(case)
    unknown = set(by_check) - set(registry)
    assert not unknown, f"case files for checks that do not exist: {unknown}"
    docs = (Path(__file__).parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    for name, spec in registry.items():
        if spec.kind == "schema":  # migration and code checks: test_migration_check_cases.py, test_code_check_cases.py
            cases = by_check.get(name, [])
            assert any(c["expect"] for c in cases), f"{name} has no positive case"
            assert any(not c["expect"] for c in cases), f"{name} has no negative case"
        assert spec.section("Why it matters:"), f"{name}'s docstring lacks 'Why it matters:'"
        assert spec.section("How to fix:"), f"{name}'s docstring lacks 'How to fix:'"
        assert f"## `{name}`" in docs, f"{name} is missing from docs/checks.md (run `auditlib docs`)"


def test_docs_are_generated_from_the_registry():
    from auditlib.docs import checks_markdown

    docs = (Path(__file__).parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    assert docs == checks_markdown(), "docs/checks.md is stale: run `auditlib docs`"
