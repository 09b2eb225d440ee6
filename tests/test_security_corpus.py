"""The security corpus (tests/security_corpus): every hole in a fixture's answer key is reported, and its clean twin
(the same app with the holes fixed) draws no security finding.

``make bench`` runs the same fixtures beside pgrls; these tests need only auditlib. The pgrls mapping is checked
against the checks' own documentation, which names the pgrls rules each check corresponds to.
"""

from __future__ import annotations

import re

import pytest

from auditlib import bench
from auditlib.checks import load_checks

FIXTURES = bench.security_fixtures()

# Clean twins on which a check still reports something, with the cause: each is a false positive of the check,
# left for its owner to fix. strict: once the check is fixed, the test fails until the entry is removed.
KNOWN_FALSE_POSITIVES: dict[str, str] = {}


def _params():
    for fixture in FIXTURES:
        marks = [pytest.mark.xfail(reason=KNOWN_FALSE_POSITIVES[fixture.name], strict=True)] \
            if fixture.name in KNOWN_FALSE_POSITIVES else []
        yield pytest.param(fixture, id=fixture.name, marks=marks)


def _findings(embedded_server, fixture, variant):
    url = bench.load_security_fixture(embedded_server, fixture, variant)
    try:
        return bench.auditlib_findings(url)
    finally:
        bench.drop_security_fixture(embedded_server, fixture, variant)


def test_the_corpus_covers_every_hole_class_with_a_key_and_a_clean_twin():
    assert len(FIXTURES) >= 8
    for fixture in FIXTURES:
        assert fixture.holes, fixture.name
        assert (fixture.folder / "clean.sql").is_file(), fixture.name
        checks = load_checks()
        assert {check for check, _ in fixture.holes} <= set(checks), fixture.name


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_every_hole_in_the_answer_key_is_reported(embedded_server, fixture):
    reported = {(r["check"], r["object"]) for r in _findings(embedded_server, fixture, "schema")}
    assert sorted(set(fixture.holes) - reported) == []


@pytest.mark.parametrize("fixture", list(_params()))
def test_the_clean_twin_draws_no_security_finding(embedded_server, fixture):
    findings = bench.security_findings(_findings(embedded_server, fixture, "clean"))
    assert [(r["check"], r["object"]) for r in findings] == []


def test_the_pgrls_mapping_names_only_known_checks_and_agrees_with_the_checks_documentation():
    checks = load_checks()
    rules = bench.pgrls_rules()
    for rule, entry in rules.items():
        assert set(entry["checks"]) <= set(checks), rule
        assert entry["checks"] or entry.get("why"), f"{rule} has no counterpart and says not why"
    # every pgrls rule a check's documentation says it corresponds to maps to that check
    for name, spec in checks.items():
        for rule in re.findall(r"\b((?:SEC|PERF|HYG|VIEW)\d{3})\b", spec.func.__doc__ or ""):
            assert name in rules.get(rule, {}).get("checks", []), f"{name}'s documentation names {rule}"


def test_counterparts_are_matched_on_the_same_relation_or_anywhere_for_roles():
    rules = {"SEC001": {"checks": ["rls_disabled"]}, "SEC016": {"checks": ["role_bypasses_rls"]},
             "SEC002": {"checks": ["rls_not_forced"], "why": "owner not reachable"}}
    records = [{"check": "rls_disabled", "object": "public.invoices"},
               {"check": "role_bypasses_rls", "object": "reporting"}]
    assert bench.counterpart({"rule_id": "SEC001", "location": "public.invoices"}, records, rules) == "yes"
    assert bench.counterpart({"rule_id": "SEC001", "location": "public.tasks"}, records, rules) == "no"
    assert bench.counterpart({"rule_id": "SEC016", "location": "etl"}, records, rules) == "yes"
    assert bench.counterpart({"rule_id": "SEC002", "location": "public.tasks"}, records,
                             rules) == "by design: owner not reachable"
    assert bench.counterpart({"rule_id": "SEC999", "location": "public.tasks"}, records, rules) == "no"
