"""The one order findings are shown in (CLI table, JSON, report): severity, then proven, exploitable, integrity,
housekeeping; a pure function of the findings, so no database is needed here."""

from __future__ import annotations

from auditlib.findings import Finding, findings_frame, ordered_findings, to_table


def finding(check: str, category: str, severity: str, obj: str, evidence: dict | None = None) -> Finding:
    return Finding(schema="public", table=obj, column=None, title=f"{check} on {obj}", detail="-",
                   evidence=evidence or {}, check=check, category=category, severity=severity)


FINDINGS = [
    finding("pk_missing", "structure", "high", "audit_log"),
    finding("fk_type_mismatch", "relationships", "high", "tokens"),
    finding("orphan_rows", "data", "high", "invoices", {"orphan_count": 4, "count": 4}),
    finding("rls_disabled", "security", "high", "members"),
    finding("tenant_null_rows", "data", "high", "expenses", {"null_count": 40, "count": 40}),
    finding("rls_leak", "security", "critical", "members", {"visible_rows": 12}),
    finding("timestamps_missing", "structure", "low", "tags"),
    finding("table_lookalike", "duplicates", "high", "crew"),
    finding("fk_missing", "relationships", "medium", "invoices"),
]


def test_severity_first_then_proven_rows_then_exploitable_then_integrity_then_housekeeping():
    ordered = [f"{f.check}:{f.table}" for f in ordered_findings(FINDINGS)]
    assert ordered == [
        "rls_leak:members",                                   # critical
        "tenant_null_rows:expenses", "orphan_rows:invoices",  # high, proven by rows (most rows first)
        "rls_disabled:members",                               # high, exploitable
        "fk_type_mismatch:tokens",                            # high, integrity
        "table_lookalike:crew", "pk_missing:audit_log",       # high, housekeeping (by category)
        "fk_missing:invoices",                                # medium
        "timestamps_missing:tags",                            # low
    ]


def test_frames_and_lists_share_the_order_and_it_is_stable():
    frame = findings_frame(FINDINGS)
    assert list(frame["check"]) == [f.check for f in ordered_findings(FINDINGS)]
    assert list(frame["check"]) == list(findings_frame(reversed(FINDINGS))["check"])
    shuffled = frame.iloc[::-1].reset_index(drop=True)
    assert list(ordered_findings(shuffled)["object"]) == list(frame["object"])
    assert to_table(frame).splitlines()[0].startswith("CRITICAL rls_leak")


def test_records_with_evidence_as_json_text_are_ordered_too():
    records = [f.to_dict() for f in FINDINGS[:3]]
    records[2]["evidence"] = '{"orphan_count": 4}'  # as read back from a findings CSV
    assert [r["check"] for r in ordered_findings(records)] == ["orphan_rows", "fk_type_mismatch", "pk_missing"]
