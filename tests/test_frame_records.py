"""frame_records: a findings frame as plain Python dicts (what the report, the CSV export and the history read)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditlib.findings import Finding, findings_frame, frame_records


def test_rows_become_plain_python_values_in_column_order():
    frame = pd.DataFrame({
        "text": ["a", None, np.str_("b")],
        "line": pd.array([1, None, 3], dtype="Int64"),
        "ratio": [1.5, float("nan"), 2.0],
        "mixed": [np.int64(3), np.float64("nan"), pd.NA],
        "flag": [True, False, True],
        "evidence": [{"a": 1}, [1, 2], None],
    })
    records = frame_records(frame)
    assert records == [
        {"text": "a", "line": 1, "ratio": 1.5, "mixed": 3, "flag": True, "evidence": {"a": 1}},
        {"text": None, "line": None, "ratio": None, "mixed": None, "flag": False, "evidence": [1, 2]},
        {"text": "b", "line": 3, "ratio": 2.0, "mixed": None, "flag": True, "evidence": None},
    ]
    assert [list(r) for r in records] == [list(frame.columns)] * 3
    plain = {str, int, float, bool, dict, list, type(None)}
    assert all(type(v) in plain for r in records for v in r.values())  # no NumPy scalar, no pd.NA
    assert frame_records(frame.iloc[0:0]) == []


def test_findings_round_trip_with_their_evidence():
    findings = [Finding(schema="public", table="invoices", column="project_id", title="t", detail="d",
                        evidence={"count": 3, "columns": ["project_id"]}, check="fk_missing",
                        category="relationships", severity="medium")]
    (record,) = frame_records(findings_frame(findings))
    assert record["evidence"] == {"count": 3, "columns": ["project_id"]}
    assert record["key"] == findings[0].key and record["line"] is None
