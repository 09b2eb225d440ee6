"""The finding contract every check speaks, and the formats findings are exported in (JSON, CSV, SARIF, table)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

SEVERITIES = ("critical", "high", "medium", "low", "info")
CATEGORIES = ("structure", "relationships", "cascade", "tenancy", "security", "duplicates", "data", "json",
              "functions", "migrations", "code")
FINDING_FIELDS = ("check", "severity", "category", "schema", "table", "column", "object", "title", "detail",
                  "evidence", "remediation_sql", "key", "file", "line")


def severity_rank(severity: str) -> int:
    """0 for critical … 4 for info; lower is worse."""
    return SEVERITIES.index(severity)


@dataclass
class Finding:
    """One problem found by one check on one object.

    ``check``, ``category`` and the default ``severity`` come from the check's registration; a check sets
    ``severity`` itself only where one finding is worse than its usual (e.g. financial tables).
    """

    schema: str | None
    table: str | None
    column: str | None
    title: str
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation_sql: str | None = None
    object: str | None = None
    file: str | None = None
    line: int | None = None
    check: str | None = None
    category: str | None = None
    severity: str | None = None

    def __post_init__(self) -> None:
        if self.object is None:
            self.object = ".".join(p for p in (self.schema, self.table, self.column) if p)

    @property
    def key(self) -> str:
        """Stable identity across runs: ``check:object``."""
        return f"{self.check}:{self.object}"

    def to_dict(self) -> dict[str, Any]:
        """The finding as a JSON-ready dict with the contract's fields in order (the evidence a copy of its own)."""
        try:
            evidence = _json_copy(self.evidence)
        except TypeError:  # evidence beyond JSON types (a dataclass, a tuple ...): asdict converts and copies it
            data = asdict(self)
        else:
            # the other fields are strings, numbers or None: nothing to copy, so no asdict (a deep copy, ~0.4 ms
            # a finding, twice an audit)
            data = {name: getattr(self, name) for name in FINDING_FIELDS if name not in ("evidence", "key")}
            data["evidence"] = evidence
        data["key"] = self.key
        return {name: data[name] for name in FINDING_FIELDS}


_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))


def _json_copy(value: Any) -> Any:
    """A copy of a JSON value in which every dict and list is new (the scalars are immutable and shared); a
    TypeError for anything else, which the caller copies the general way."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is dict:
        return {key: _json_copy(item) for key, item in value.items()}
    if kind is list:
        return [_json_copy(item) for item in value]
    raise TypeError(f"not a JSON value: {kind.__name__}")


# Within one severity, what comes first: problems the data proves (rows counted: leaked, orphaned, without a
# tenant), then what an API user can exploit (security, tenancy), then broken integrity and failing code, then
# housekeeping (structure, duplicates). A category not listed sorts with integrity.
PROVEN, EXPLOITABLE, INTEGRITY, HOUSEKEEPING = range(4)
CATEGORY_TIERS = {"security": EXPLOITABLE, "tenancy": EXPLOITABLE, "data": INTEGRITY, "relationships": INTEGRITY,
                  "cascade": INTEGRITY, "json": INTEGRITY, "functions": INTEGRITY, "migrations": INTEGRITY,
                  "code": INTEGRITY, "structure": HOUSEKEEPING, "duplicates": HOUSEKEEPING}
# Evidence keys that hold the number of rows a data check proved affected (the checks' count_key, or "count").
PROOF_KEYS = ("count", "visible_rows", "orphan_count", "null_count", "dangling_count", "violation_count")


def proven_rows(evidence: Any) -> int:
    """The number of rows a finding's evidence proves affected (0 when it counts none: a schema-level finding)."""
    evidence = evidence_dict(evidence)
    counts = [value for key in PROOF_KEYS if isinstance(value := evidence.get(key), int | float)
              and not isinstance(value, bool)]
    return int(max(counts)) if counts else 0


def finding_order(record: Finding | dict[str, Any]) -> tuple:
    """The sort key of a finding (a Finding or a record): severity first (critical … info), then data-proven
    problems (most rows first), exploitable ones, integrity, housekeeping, and last check and object for a stable
    order."""
    data = record.to_dict() if isinstance(record, Finding) else record
    severity = data.get("severity")
    rank = severity_rank(severity) if severity in SEVERITIES else len(SEVERITIES)
    rows = proven_rows(data.get("evidence"))
    tier = PROVEN if rows else CATEGORY_TIERS.get(str(data.get("category") or ""), INTEGRITY)
    return (rank, tier, -rows, str(data.get("category") or ""), str(data.get("check") or ""),
            str(data.get("object") or ""))


def ordered_findings(findings: pd.DataFrame | Iterable[Finding | dict[str, Any]]
                     ) -> pd.DataFrame | list[Finding | dict[str, Any]]:
    """Findings most severe true problems first (see ``finding_order``): a DataFrame comes back as a reindexed
    DataFrame (extra columns kept), anything else as a list. The CLI, the JSON document and the report all show
    findings in this order."""
    if isinstance(findings, pd.DataFrame):
        if not len(findings):
            return findings.reset_index(drop=True)
        keys = [finding_order(r) for r in findings.to_dict("records")]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        return findings.iloc[order].reset_index(drop=True)
    return sorted(findings, key=finding_order)


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame with the contract's columns, in ``ordered_findings`` order."""
    records = sorted((f.to_dict() for f in findings), key=finding_order)
    # Built column by column so a column of Nones stays None (from_records would turn it into NaN floats).
    return pd.DataFrame({name: pd.Series([r[name] for r in records], dtype="Int64" if name == "line" else object)
                         for name in FINDING_FIELDS})


def summarize(frame: pd.DataFrame) -> dict[str, Any]:
    """Counts by severity and by category (every severity present, zero when none)."""
    by_severity = {s: int((frame["severity"] == s).sum()) for s in SEVERITIES} if len(frame) else \
        dict.fromkeys(SEVERITIES, 0)
    by_category = {c: int(n) for c, n in frame["category"].value_counts().sort_index().items()} if len(frame) else {}
    return {"total": int(len(frame)), "by_severity": by_severity, "by_category": by_category}


def evidence_dict(value: Any) -> dict[str, Any]:
    """A finding's evidence as a dict, whether it is a dict already or JSON text (as in a findings CSV)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as plain dicts (NA → None) in the contract's field order, plus any extra columns."""
    # Column by column (a list per column, cleaned where a value is not already plain Python), a few times faster
    # than frame.to_dict("records") and a test per value: the report converts every finding of a large schema.
    columns = list(frame.columns)
    values = [[v if type(v) in _PLAIN_VALUES else _plain_value(v) for v in frame[c].tolist()] for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


# Values frame_records passes on as they are (a float may be NaN, so it is not among them).
_PLAIN_VALUES = frozenset((str, int, bool, dict, list, type(None)))


def _plain_value(value: Any) -> Any:
    """A frame's value as plain Python: NA and NaN → None, a NumPy scalar → its Python value."""
    if value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()
        return None if isinstance(value, float) and pd.isna(value) else value
    return value


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...), -1+2, @SUM(...)); names
# and messages come from the audited database, so they are hostile until proven otherwise (OWASP: CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: strings that start like a formula get a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame) -> str:
    """Findings as CSV; evidence is a JSON string in its column, and no cell starts like a spreadsheet formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(frame.columns)
    writer.writerow([spreadsheet_safe(c) for c in columns])
    for record in frame_records(frame):
        writer.writerow([spreadsheet_safe(json.dumps(record[c], sort_keys=True, default=str) if c == "evidence"
                                          else ("" if record[c] is None else record[c])) for c in columns])
    return buffer.getvalue()


_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def to_sarif(frame: pd.DataFrame, rules: dict[str, dict[str, str]], version: str) -> dict[str, Any]:
    """Findings as a SARIF 2.1.0 log: one rule per check, one result per finding."""
    used = sorted(set(frame["check"])) if len(frame) else []
    rule_index = {name: i for i, name in enumerate(used)}
    results = []
    for record in frame_records(frame):
        result = {
            "ruleId": record["check"],
            "ruleIndex": rule_index[record["check"]],
            "level": _SARIF_LEVEL[record["severity"]],
            "message": {"text": f"{record['title']}: {record['detail']}"},
            "partialFingerprints": {"auditlibKey": record["key"]},
            "properties": {"severity": record["severity"], "category": record["category"],
                           "object": record["object"]},
        }
        location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": record["object"],
                                                          "kind": "column" if record["column"] else "table"}]}
        if record.get("file"):
            region = {"startLine": int(record["line"])} if record.get("line") else {}
            location["physicalLocation"] = {"artifactLocation": {"uri": record["file"]}, **(
                {"region": region} if region else {})}
        result["locations"] = [location]
        if record.get("status"):
            result["properties"]["status"] = record["status"]
        results.append(result)
    driver_rules = [{
        "id": name,
        "name": name,
        "shortDescription": {"text": rules.get(name, {}).get("summary", name)},
        "fullDescription": {"text": rules.get(name, {}).get("description", name)},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rules.get(name, {}).get("severity", "medium")]},
        "properties": {"category": rules.get(name, {}).get("category", "")},
    } for name in used]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "auditlib", "version": version, "informationUri":
                                      "https://pypi.org/project/auditlib/", "rules": driver_rules}},
                  "results": results}],
    }


def to_table(frame: pd.DataFrame, width: int = 100) -> str:
    """A compact terminal table: severity, check, object, title."""
    if not len(frame):
        return "No findings."
    lines = []
    for record in frame_records(frame):
        where = f"{record['file']}:{record['line']}" if record.get("file") else record["object"]
        lines.append(f"{record['severity'].upper():<8} {record['check']:<26} {where}  {record['title']}"[:width * 2])
    return "\n".join(lines)


def skipped_checks(skipped: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Skipped entries grouped by check, in first-seen order: check, objects (how many), first reason."""
    grouped: dict[str, dict[str, Any]] = {}
    for entry in skipped:
        name = str(entry.get("check") or "?")
        group = grouped.setdefault(name, {"check": name, "objects": 0, "reason": str(entry.get("reason") or "")})
        group["objects"] += 1
    return list(grouped.values())


def skipped_warning(skipped: list[dict[str, Any]]) -> str:
    """One line saying which checks were skipped, so the findings are incomplete; empty when none were."""
    groups = skipped_checks(skipped)
    if not groups:
        return ""
    names = ", ".join(g["check"] for g in groups[:8]) + (f" and {len(groups) - 8} more" if len(groups) > 8 else "")
    return (f"WARNING: {len(groups)} check{'s were' if len(groups) != 1 else ' was'} skipped in whole or in part "
            f"({names}); the findings are incomplete.")
