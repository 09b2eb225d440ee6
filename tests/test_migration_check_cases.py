"""Every migration check's positive and negative cases, kept as data in tests/check_cases/migrations/<check>.toml.

Each case file holds ``[[case]]`` tables: ``name``; ``[case.files]`` (migration file name → SQL text, written as
UTF-8); ``expect`` (the objects the check must report — exactly those; [] for a negative case); optional ``latin1``
(names of files written as Latin-1 instead), ``stubs`` (as ``--stubs``; "auto" by default) and ``config``
(overrides, as in auditlib.toml). The folder is audited as ``auditlib audit --migrations`` does it.
``pytest tests/test_migration_check_cases.py -k ref_target_missing`` runs one check's cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.audit import audit_migrations
from auditlib.checks import load_checks
from auditlib.config import AuditConfig
from tests.conftest import load_cases, write_files

CASES_DIR = Path(__file__).parent / "check_cases" / "migrations"


CASES = load_cases(CASES_DIR)


@pytest.fixture
def audit_folder(tmp_path, embedded_server, monkeypatch):
    from tests.conftest import TEST_HOME

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))  # the scratch database goes on the test session's server

    def run(files: dict[str, str | bytes], **kwargs):
        return audit_migrations(write_files(tmp_path / "migrations", files), **kwargs)
    return run


@pytest.mark.parametrize(("check_name", "case"), CASES,
                         ids=[f"{name}-{case['name']}" for name, case in CASES])
def test_migration_check_case(check_name, case, audit_folder):
    files = {name: text.encode("latin-1") if name in case.get("latin1", []) else text
             for name, text in case["files"].items()}
    config = AuditConfig().with_overrides(case.get("config", {}))
    result = audit_folder(files, config=config, stubs=case.get("stubs", "auto"))
    findings = result.findings[result.findings["check"] == check_name].to_dict("records")
    assert sorted(f["object"] for f in findings) == sorted(case["expect"])
    for finding in findings:
        assert finding["title"] and finding["detail"]
        assert finding["key"] == f"{check_name}:{finding['object']}"
        assert finding["file"] in case["files"] and finding["line"] >= 1  # every finding points into a file


def test_every_migration_check_has_positive_and_negative_cases():
    registry = load_checks()
    migration_checks = {name for name, spec in registry.items() if spec.kind == "migrations"}
    by_check: dict[str, list[dict]] = {}
    for name, case in CASES:
        by_check.setdefault(name, []).append(case)
    unknown = set(by_check) - migration_checks
    assert not unknown, f"case files for checks that are not migration checks: {unknown}"
    assert migration_checks, "no migration checks are registered"
    for name in sorted(migration_checks):
        cases = by_check.get(name, [])
        assert any(c["expect"] for c in cases), f"{name} has no positive case in {CASES_DIR}/{name}.toml"
        assert any(not c["expect"] for c in cases), f"{name} has no negative case in {CASES_DIR}/{name}.toml"
    for name, case in CASES:
        assert case.get("name") and case.get("files") and "expect" in case, f"a case of {name} lacks name, files " \
                                                                             "or expect"
