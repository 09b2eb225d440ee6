"""A finding's dict holds the contract's fields in order and a copy of the evidence its caller may change."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from auditlib.audit import run_checks
from auditlib.catalog import load_catalog
from auditlib.config import AuditConfig
from auditlib.findings import FINDING_FIELDS, Finding

NESTED = {"count": 3, "ratio": 0.5, "exposed": True, "missing": None, "roles": ["anon", "authenticated"],
          "policies": [{"name": "read", "using": "true", "roles": ["anon"]}], "by_table": {"a": {"rows": [1, 2]}}}


@dataclass
class Span:
    start: int
    end: int


def _by_asdict(finding: Finding) -> dict:
    """The dict as dataclasses.asdict builds it (a deep copy of every field)."""
    data = asdict(finding)
    data["key"] = finding.key
    return {name: data[name] for name in FINDING_FIELDS}


def _finding(evidence) -> Finding:
    return Finding("public", "invoices", None, "t", "d", evidence=evidence, check="c", category="security",
                   severity="high")


def test_json_evidence_is_copied_as_deep_as_its_dicts_and_lists():
    finding = _finding(NESTED)
    data = finding.to_dict()
    assert list(data) == list(FINDING_FIELDS) and data == _by_asdict(finding)
    data["evidence"]["roles"].append("service_role")
    data["evidence"]["policies"][0]["roles"].clear()
    data["evidence"]["by_table"]["a"]["rows"].pop()
    data["evidence"]["count"] = 0
    assert finding.evidence == NESTED and finding.evidence["roles"] == ["anon", "authenticated"]
    assert finding.evidence["policies"][0]["roles"] == ["anon"] and finding.evidence["by_table"]["a"]["rows"] == [1, 2]


def test_evidence_beyond_json_types_is_converted_as_asdict_does():
    finding = _finding({"span": Span(1, 4), "pair": ("a", "b"), "nested": [{"span": Span(2, 3)}]})
    data = finding.to_dict()
    assert data == _by_asdict(finding)
    assert data["evidence"]["span"] == {"start": 1, "end": 4} and data["evidence"]["nested"][0]["span"] == {
        "start": 2, "end": 3}


def test_every_demo_finding_gives_the_asdict_result(demo_url):
    findings = run_checks(load_catalog(demo_url), AuditConfig())
    assert len(findings) > 100
    assert [f.to_dict() for f in findings] == [_by_asdict(f) for f in findings]
