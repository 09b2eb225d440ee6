"""Every code check's positive and negative cases, kept as data in tests/check_cases/code/<check>.toml.

Each case file holds ``[[case]]`` tables: ``name``; ``sql`` (run in a fresh database on the embedded server);
``[case.files]`` (the application's source, ``"relative/path" = '''source'''``, dedented); ``expect`` (the objects the
check must report — exactly those; [] for a negative case); optional ``config`` (overrides, as in auditlib.toml)
and ``schemas`` (audited schemas, default ["public"]). ``pytest -k code_table_unknown`` runs one check's cases.
The schema checks' cases live one folder up and run in tests/test_check_cases.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from auditlib.audit import run_checks
from auditlib.catalog import load_catalog
from auditlib.checks import load_checks
from auditlib.codescan import scan_code
from auditlib.config import AuditConfig
from tests.conftest import load_cases, write_files

CASES_DIR = Path(__file__).parent / "check_cases" / "code"


CASES = load_cases(CASES_DIR)


@pytest.mark.parametrize(("check_name", "case"), CASES,
                         ids=[f"{name}-{case['name']}" for name, case in CASES])
def test_code_check_case(check_name, case, make_db, tmp_path):
    url = make_db(case["sql"])
    engine = sa.create_engine(url)
    catalog = load_catalog(engine)
    engine.dispose()
    config = AuditConfig().with_overrides(case.get("config", {}))
    scan = scan_code(write_files(tmp_path / "app", case["files"]), config)
    findings = run_checks(catalog, config, only=[check_name], kinds=("code",), code_scan=scan,
                          schemas=case.get("schemas", ["public"]))
    assert sorted(f.object for f in findings) == sorted(case["expect"])
    for finding in findings:
        assert finding.check == check_name and finding.title and finding.detail
        assert finding.key == f"{check_name}:{finding.object}"


def test_every_code_check_has_positive_and_negative_cases():
    code_checks = {name for name, spec in load_checks().items() if spec.kind == "code"}
    by_check: dict[str, list[dict]] = {}
    for name, case in CASES:
        by_check.setdefault(name, []).append(case)
    assert code_checks, "no code checks are registered"
    unknown = set(by_check) - code_checks
    assert not unknown, f"code case files for checks that are not code checks: {unknown}"
    for name in sorted(code_checks):
        cases = by_check.get(name, [])
        assert any(c["expect"] for c in cases), f"{name} has no positive case in {CASES_DIR}"
        assert any(not c["expect"] for c in cases), f"{name} has no negative case in {CASES_DIR}"
        assert all(c.get("files") for c in cases), f"a case of {name} has no [case.files]"
