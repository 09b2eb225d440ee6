"""Issues: the findings of one audit grouped by root cause, one issue per problem a person fixes.

A check reports one finding per object it looks at; a person fixes problems. One leaky table shows up as a leak
probe result, a disabled or always-true policy, a missing or nullable tenant column and rows without a tenant: five
findings, one issue ("members can read other organisations' rows in invoices"). One reference without a foreign key
shows up as the missing constraint, its orphaned rows and a type mismatch: one issue. Housekeeping that repeats over
many objects (39 unindexed foreign keys) is one issue too.

How findings are grouped (``group_issues``), reading only the finding contract (``auditlib.findings``):

1. Findings at medium severity and above each name a root: the table for security and tenancy findings (and for
   any finding about the tenant column), the protected table for cascade reach, the column for reference and data
   findings, else the object. Findings with the same root are one issue.
2. Low and info findings, and the few medium checks that repeat over every table (a nullable tenant column), join
   the issue that already names the same column (or, for tenancy, the same table); the rest are one issue per
   check ("39 foreign keys have no index").

Every issue carries its severity (the worst finding's), likelihood and impact in words, its status against the
previous run (``new``, ``open``, ``fixed``) from the statuses the history gave its findings, and a stable anchor id
for the report's links.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from auditlib.findings import SEVERITIES, finding_order, frame_records, severity_rank

# Checks that repeat over every table and are never the reason for an issue of their own: they join an issue that
# names the same column or table, else one issue per check.
ATTACH_ONLY = frozenset({"tenant_column_nullable", "tenant_null_rows", "column_type_inconsistent"})
# Categories whose findings about one table are one problem: who can see or change which rows.
ACCESS_CATEGORIES = frozenset({"security", "tenancy"})
# Evidence keys that count rows already affected: a positive count means the problem is happening now.
COUNT_KEYS = ("leaked_rows", "orphan_count", "null_count", "dangling_count", "mismatch_count", "count")
ANONYMOUS_ROLES = frozenset({"anon", "public"})
SIGNED_IN_ROLES = frozenset({"authenticated"})
STATUSES = ("new", "open", "fixed")


@dataclass
class Issue:
    """One problem: the findings that share a root cause, with what a stakeholder needs to rank it."""

    key: str
    title: str
    severity: str
    likelihood: str
    likelihood_reason: str
    impact: str
    status: str
    findings: list[dict[str, Any]]
    fixed_findings: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "object"

    @property
    def anchor(self) -> str:
        """The issue's HTML id: stable across runs (from the root key), safe whatever the names hold."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.key.split(":", 1)[-1].lower()).strip("-")[:40].strip("-")
        digest = hashlib.sha1(self.key.encode("utf-8")).hexdigest()[:6]
        return f"issue-{slug}-{digest}" if slug else f"issue-{digest}"

    @property
    def checks(self) -> list[str]:
        """The checks behind the issue, worst first."""
        return list(dict.fromkeys(f["check"] for f in self.findings + self.fixed_findings))

    @property
    def objects(self) -> list[str]:
        """The objects the issue is about, each once, worst finding first."""
        return list(dict.fromkeys(f["object"] for f in self.findings + self.fixed_findings))

    @property
    def columns(self) -> set[str]:
        """The columns (schema.table.column) its findings name."""
        return {_column_of(f) for f in self.findings if _column_of(f)}

    @property
    def tables(self) -> set[str]:
        """The tables (schema.table) its findings name."""
        return {_table_of(f) for f in self.findings if _table_of(f)}

    @property
    def category(self) -> str:
        """The category of its worst finding."""
        return (self.findings or self.fixed_findings)[0]["category"] or ""

    def counts(self) -> dict[str, int]:
        """How many of its current findings there are at each severity (every severity, zero when none)."""
        return {s: sum(1 for f in self.findings if f["severity"] == s) for s in SEVERITIES}

    def audiences(self) -> set[str]:
        """Who can use the problem today: ``anonymous`` (not signed in) and/or ``signed-in`` (any user)."""
        found: set[str] = set()
        for record in self.findings:
            found |= audiences_of(record)
        return found


# -- grouping ------------------------------------------------------------------------------------------------------
def group_issues(findings: pd.DataFrame | Iterable[dict[str, Any]], *, fixed: pd.DataFrame | None = None,
                 tenant_column: str | None = None) -> list[Issue]:
    """The findings grouped by root cause into issues, most severe first (``order_issues``).

    ``fixed`` are the findings of the previous run that are gone (``result.extras["fixed"]``): an issue all of whose
    findings are gone is listed with status ``fixed``. ``tenant_column`` is the tenant column the audit took
    (``result.tenancy["column"]``): findings about it are grouped with their table's access issue.
    """
    records = frame_records(findings) if isinstance(findings, pd.DataFrame) else list(findings)
    gone = frame_records(fixed) if fixed is not None and len(fixed) else []
    order = {id(record): _finding_key(record) for record in records + gone}  # each finding's key, computed once
    records, gone = order_findings(records, order), order_findings(gone, order)
    statements = _statement_keys(records + gone)
    groups: dict[str, list[dict]] = {}
    for record in records:
        if _is_primary(record):
            groups.setdefault(root_key(record, tenant_column, statements), []).append(record)
    groups, merged = _merge_groups_sharing_a_column(groups)
    column_owner, table_owner = _owners(groups)
    for record in records:
        if not _is_primary(record):
            groups.setdefault(_secondary_key(record, column_owner, table_owner, tenant_column), []).append(record)
    gone_groups: dict[str, list[dict]] = {}
    for record in gone:
        key = merged.get(root_key(record, tenant_column, statements), root_key(record, tenant_column, statements)) \
            if _is_primary(record) else _secondary_key(record, column_owner, table_owner, tenant_column)
        gone_groups.setdefault(key, []).append(record)
    issues = [_issue(key, members, gone_groups.pop(key, []), order) for key, members in groups.items()]
    issues += [_issue(key, [], members, order) for key, members in gone_groups.items()]
    return order_issues(issues)


def root_key(record: dict[str, Any], tenant_column: str | None = None,
             statements: dict[tuple[str, int], str] | None = None) -> str:
    """The root cause a finding at medium severity or above names (see the module docstring)."""
    category = record.get("category") or ""
    table, column = _table_of(record), _column_of(record)
    if category == "migrations":
        return _migration_key(record, statements or {})
    about_tenant = bool(record.get("column")) and record["column"] in _tenant_columns(record, tenant_column)
    if table and category != "code" and (category in ACCESS_CATEGORIES or about_tenant):
        return f"table:{table}"
    if category == "cascade" and not column and table:
        return f"cascade:{table}"
    if column:
        return f"column:{column}"
    if record.get("file") and not table:
        return f"file:{record['file']}:{record.get('object')}"
    return f"object:{record.get('object')}"


MISSING_RELATION = re.compile(r'relation "([^"]+)" does not exist')


def _migration_key(record: dict[str, Any], statements: dict[tuple[str, int], str]) -> str:
    """A migration folder's root causes: a table referenced before (or without) being created, with every statement
    that fails for it; else the first failing statement, with the statements that fail because it did."""
    evidence = record.get("evidence") or {}
    caused_by = evidence.get("caused_by")
    if isinstance(caused_by, dict) and (caused_by.get("file"), caused_by.get("line")) in statements:
        return statements[(caused_by["file"], caused_by["line"])]
    if record.get("check") == "ref_target_missing" and isinstance(evidence.get("target"), str):
        return f"missing:{evidence['target'].rsplit('.', 1)[-1]}"
    missing = MISSING_RELATION.search(str(evidence.get("message") or ""))
    if missing and not caused_by:
        return f"missing:{missing.group(1).rsplit('.', 1)[-1]}"
    return f"statement:{record.get('file')}:{record.get('line')}" if record.get("file") else \
        f"object:{record.get('object')}"


def _statement_keys(records: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """The root key of every failing statement that is not itself a knock-on, by (file, line)."""
    keys = {}
    for record in records:
        evidence = record.get("evidence") or {}
        if record.get("category") == "migrations" and record.get("file") and not evidence.get("caused_by"):
            keys[(record["file"], record.get("line"))] = _migration_key(record, {})
    return keys


def _merge_groups_sharing_a_column(groups: dict[str, list[dict]]) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Groups that name the same column are one problem (a REFERENCES that failed and the foreign key that is
    therefore missing): merged into the first (worst) of them. Also returns which key went into which."""
    parent = {key: key for key in groups}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    owner: dict[str, str] = {}
    for key, members in groups.items():
        for record in members:
            column = _column_of(record)
            if not column:
                continue
            if column in owner and find(owner[column]) != find(key):
                first, second = sorted((find(owner[column]), find(key)), key=list(groups).index)
                parent[second] = first
            owner.setdefault(column, key)
    merged: dict[str, list[dict]] = {}
    for key, members in groups.items():
        merged.setdefault(find(key), []).extend(members)
    return merged, {key: find(key) for key in groups}


def order_findings(records: list[dict[str, Any]], keys: dict[int, tuple] | None = None) -> list[dict[str, Any]]:
    """Findings worst first: ``findings.finding_order`` (severity, data-proven, exploitable, integrity,
    housekeeping), with what an anonymous visitor can reach first within a severity. ``keys`` holds the sort keys
    already computed, by ``id`` of the record."""
    if keys is None:
        return sorted(records, key=_finding_key)
    return sorted(records, key=lambda record: keys.get(id(record)) or _finding_key(record))


def _finding_key(record: dict[str, Any]) -> tuple:
    severity, *rest = finding_order(record)
    return (severity, "anonymous" not in audiences_of(record), *rest)


def order_issues(issues: list[Issue]) -> list[Issue]:
    """Issues most severe first: severity, then likelihood, then those already happening, then the most findings;
    fixed issues last."""
    likelihood = {"High": 0, "Medium": 1, "Low": 2}
    return sorted(issues, key=lambda i: (i.status == "fixed", severity_rank(i.severity), likelihood[i.likelihood],
                                         -sum(_affected(f) for f in i.findings), -len(i.findings), i.title))


def _is_primary(record: dict[str, Any]) -> bool:
    return severity_rank(record["severity"]) <= severity_rank("medium") and record.get("check") not in ATTACH_ONLY


def _owners(groups: dict[str, list[dict]]) -> tuple[dict[str, str], dict[str, str]]:
    """Which primary issue names each column, and which access issue each table has."""
    columns: dict[str, str] = {}
    tables: dict[str, str] = {}
    for key, members in groups.items():
        for record in members:
            if _column_of(record):
                columns.setdefault(_column_of(record), key)
        if key.startswith("table:"):
            tables[key.removeprefix("table:")] = key
    return columns, tables


def _secondary_key(record: dict[str, Any], column_owner: dict[str, str], table_owner: dict[str, str],
                   tenant_column: str | None) -> str:
    column = _column_of(record)
    if column and column in column_owner:
        return column_owner[column]
    if record.get("check") in ATTACH_ONLY and record.get("column") in _tenant_columns(record, tenant_column) \
            and _table_of(record) in table_owner:
        return table_owner[_table_of(record)]
    return f"pattern:{record.get('check')}"


def _tenant_columns(record: dict[str, Any], tenant_column: str | None) -> set[str]:
    named = (record.get("evidence") or {}).get("tenant_column")
    return {c for c in (tenant_column, named if isinstance(named, str) else None) if c}


def _table_of(record: dict[str, Any]) -> str:
    return f"{record['schema']}.{record['table']}" if record.get("schema") and record.get("table") else ""


def _column_of(record: dict[str, Any]) -> str:
    """schema.table.column for a finding about one real column (not a list of columns, not code)."""
    column = record.get("column")
    if not column or "," in column or not _table_of(record):
        return ""
    return f"{_table_of(record)}.{column}"


def _affected(record: dict[str, Any]) -> int:
    """Rows already affected, from the evidence's counts (0 when the finding counts none)."""
    evidence = record.get("evidence") or {}
    for key in COUNT_KEYS:
        value = evidence.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return 0


# -- one issue -----------------------------------------------------------------------------------------------------
def _issue(key: str, members: list[dict], gone: list[dict], order: dict[int, tuple] | None = None) -> Issue:
    members, gone = order_findings(members, order), order_findings(gone, order)
    shown = members or gone
    lead = shown[0]
    severity = lead["severity"]
    likelihood, reason = _likelihood(members or gone)
    statuses = {r.get("status") for r in members}
    status = "fixed" if not members else "new" if statuses == {"new"} else "open"
    kind = key.split(":", 1)[0]
    return Issue(key=key, title=issue_title(kind, shown), severity=severity, likelihood=likelihood,
                 likelihood_reason=reason, impact=impact_of(shown), status=status, findings=members,
                 fixed_findings=gone, kind=kind)


def _likelihood(records: list[dict]) -> tuple[str, str]:
    affected = max((_affected(r) for r in records), default=0)
    if affected:
        return "High", f"already happening: {affected} rows affected"
    who: set[str] = set()
    for record in records:
        who |= audiences_of(record)
    if "anonymous" in who:
        return "High", "open to anyone, without signing in"
    if "signed-in" in who:
        return "High", "open to every signed-in user"
    worst = records[0]["severity"]
    return {"critical": ("High", "a critical flaw"), "high": ("Medium", "a serious flaw that has not bitten yet"),
            "medium": ("Medium", "happens under ordinary use"), "low": ("Low", "a weakness, not a failure"),
            "info": ("Low", "for information")}[worst]


IMPACTS = {"tenancy": "One organisation's data visible to another", "security": "Data exposed to the wrong people",
           "relationships": "Rows pointing at records that do not exist", "cascade": "Unintended data loss",
           "duplicates": "The same data kept in two places drifts apart", "data": "Broken or orphaned rows",
           "json": "Stale references inside JSON documents", "functions": "Writes fail when a trigger fires",
           "structure": "Maintenance cost", "migrations": "Deploys fail", "code": "The application fails at run time"}

IMPACTS_BY_CHECK = {
    "fk_unindexed": "Slow joins, and deletes that scan the whole table", "policy_uid_per_row": "Slow queries",
    "policy_column_unindexed": "Slow queries", "check_candidate": "Bad values can slip in later",
    "column_type_inconsistent": "Joins need casts; mismatches slip in", "comment_missing": "Harder to understand",
    "reverse_ref_missing": "A record cannot be followed back", "policy_role_bypasses_rls": "A policy that never runs",
    "policy_deny_all": "Users are locked out of rows", "table_unused_in_code": "Dead weight in the schema",
    "fk_set_null_not_null": "Deletes fail with an error", "pk_missing": "Duplicate rows; updates hit the wrong row",
    "immutable_function_reads_session": "One user's identity applied to another's request",
}


def impact_of(records: list[dict]) -> str:
    """What goes wrong, in words, for the issue of these findings (worst first)."""
    lead = records[0]
    checks = {r["check"] for r in records}
    who: set[str] = set()
    for record in records:
        who |= audiences_of(record)
    if "anonymous" in who:
        return "Data readable by anyone on the internet"
    if checks & {"rls_leak", "rls_null_bypass", "rls_tenant_not_enforced", "tenant_column_missing",
                 "tenant_null_rows", "tenant_mismatch_rows"}:
        return "One organisation's data visible to another"
    if lead["check"] == "fk_set_null_not_null":
        return "Deletes fail with an error"
    return IMPACTS_BY_CHECK.get(lead["check"]) or IMPACTS.get(lead["category"] or "", "")


# -- who can use a hole ---------------------------------------------------------------------------------------------
def audiences_of(record: dict[str, Any]) -> set[str]:
    """Who can use the problem a security finding names today: ``anonymous`` and/or ``signed-in``, from the roles its
    evidence names (readers, callers, API roles holding grants, the roles of an always-true policy, the exposure)."""
    if record.get("category") not in ACCESS_CATEGORIES or severity_rank(record["severity"]) > severity_rank("medium"):
        return set()
    evidence = record.get("evidence") or {}
    roles: set[str] = set()
    for key in ("readers", "callers"):
        roles |= set(_names(evidence.get(key)))
    check = record.get("check")
    if check == "rls_disabled" and isinstance(evidence.get("grants"), dict):
        roles |= {role for role, privileges in evidence["grants"].items() if privileges}
    if check == "rls_always_true":
        roles |= set(_names(evidence.get("roles")))
    exposure = evidence.get("exposure")
    found = set()
    # the anonymous probe read the rows (or called the function) as anon itself
    if roles & ANONYMOUS_ROLES or exposure == "anonymous" or check in ("anon_reads_rows", "anon_function_reads"):
        found.add("anonymous")
    if roles & (SIGNED_IN_ROLES | ANONYMOUS_ROLES) or exposure in ("api", "anonymous") or check in (
            "rls_leak", "rls_null_bypass", "rls_tenant_not_enforced"):
        found.add("signed-in")
    return found


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


# -- titles in plain words -------------------------------------------------------------------------------------------
def issue_title(kind: str, records: list[dict]) -> str:
    """The issue's title in plain words, from its worst finding and what the others add."""
    lead = records[0]
    if kind == "pattern":
        return _pattern_title(lead["check"], records)
    if kind in ("missing", "statement"):
        return _migration_title(kind, records)
    checks = {r["check"] for r in records}
    if kind == "column" and checks & {"fk_missing", "orphan_rows", "fk_type_mismatch"}:
        return _reference_title(records)
    if kind == "cascade" and lead["check"] == "cascade_reach":
        sources = list(dict.fromkeys(str((r.get("evidence") or {}).get("source") or "") for r in records
                                     if r["check"] == "cascade_reach"))
        sources = [s for s in sources if s]
        if len(sources) > 1:
            return f"Deleting a row of {_join(sources)} deletes rows of {_table_of(lead)}"
    if kind == "table" and lead["check"] == "sensitive_column_exposed":
        columns = [r["column"] for r in records if r["check"] == lead["check"] and r.get("column")]
        if len(columns) > 1:
            return finding_title(lead).replace(f"the secret column {lead['column']}",
                                               f"the secret columns {_join(columns)}")
    if kind == "table":  # what anyone can do outweighs what members can: it names the wider hole
        opened = next((r for r in records if "anonymous" in audiences_of(r) and finding_action(r)), None)
        if opened is not None:
            return finding_title(opened)
    return finding_title(lead)


def finding_title(record: dict[str, Any]) -> str:
    """One finding's title in plain words: who can do what, for the security findings; the check's title else."""
    action = finding_action(record)
    if not action:
        return _plain_title(record)
    who = audiences_of(record)
    if record["check"] == "rls_leak":
        subject = "Members"
    elif "anonymous" in who:
        subject = "Anonymous visitors"
    elif "signed-in" in who:
        subject = "Any signed-in user"
    else:
        return _plain_title(record)
    return f"{subject} can {action}"


def _plain_title(record: dict[str, Any]) -> str:
    """The titles whose check's wording is jargon, said plainly; the finding's own title for the others."""
    check, evidence, table = record["check"], record.get("evidence") or {}, _table_of(record)
    if check == "immutable_function_reads_session":
        policies = _names(evidence.get("policies"))
        where = f"Policies on {_join(sorted({p.rsplit('.', 1)[0] for p in policies}))}" if policies else "Policies"
        return f"{where} may apply one user's identity to another's request: {record['object']} is wrongly marked " \
               "IMMUTABLE"
    if check == "function_search_path_mutable":
        return f"{record['object']} runs with its owner's rights but lets the caller choose which tables it finds " \
               "(search_path not pinned)"
    if check == "fk_set_null_not_null":
        target = str(evidence.get("references") or "the parent")
        target = target.rsplit(".", 1)[0] if target.count(".") >= 2 else target
        return f"Deleting a row of {target} fails: {_column_of(record)} is set to NULL on delete but may not be NULL"
    if check == "rls_policy_without_rls":
        return f"The policies of {table} do nothing: row-level security is off"
    if check == "table_defined_multiple":
        return f"{record['object']}: {record['title'][:1].lower()}{record['title'][1:]}"
    if check == "rls_no_policy":
        return f"Nobody but the owner can read {table}: row-level security is on with no policy"
    return record["title"]


def finding_action(record: dict[str, Any]) -> str:
    """What a security finding lets someone do, as a verb phrase ("read every row of public.invoices"), or ""."""
    check, evidence, table = record["check"], record.get("evidence") or {}, _table_of(record)
    obj = record.get("object") or table
    if check == "rls_leak":
        foreign, without = evidence.get("foreign_rows"), evidence.get("null_tenant_rows")
        if isinstance(foreign, int) and foreign:
            return f"read {_rows(foreign)} of other organisations in {table}"
        if isinstance(without, int) and without:
            return f"read {_rows(without)} of {table} that {'belongs' if without == 1 else 'belong'} to no organisation"
        return f"read rows of {table} that are not theirs"
    if check == "rls_disabled":
        writes = any(set(p) & {"INSERT", "UPDATE", "DELETE"} for p in (evidence.get("grants") or {}).values())
        return f"{'read and change' if writes else 'read'} every row of {table} (row-level security is off)"
    if check == "rls_always_true":
        command = evidence.get("command")
        verb = "read" if command == "SELECT" else "change" if command in ("INSERT", "UPDATE", "DELETE") else \
            "read and change"
        return f"{verb} every row of {table} (a policy admits every row)"
    if check == "rls_null_bypass":
        return f"read the rows of {table} that belong to no organisation"
    if check == "rls_tenant_not_enforced":
        return f"read rows of other organisations in {table} (no policy limits them to their own)"
    if check == "auth_users_exposed":
        return f"read the user accounts (auth.users) through {table}"
    if check == "security_definer_exposed":
        writes = _names(evidence.get("writes"))
        return f"run {obj} with its owner's rights" + (f" and change {_join(writes)}" if writes else "")
    if check == "view_bypasses_rls":
        return f"read every row of {_join(_names(evidence.get('rls_tables')) or [table])} through the view {table}"
    if check == "materialized_view_exposed":
        reads = _names(evidence.get("reads"))
        return f"read {table}, a copy" + (f" of {_join(reads)}" if reads else "") + " without row-level security"
    if check == "partition_bypasses_rls":
        return f"read {table} directly, past the row-level security of {evidence.get('parent') or 'its parent'}"
    if check == "sensitive_column_exposed":
        return f"read the secret column {record.get('column')} of {table}"
    if check == "policy_inverted_uid_check":
        return f"read {table} (a policy lets in every request without a user)"
    if check == "policy_write_without_check":
        return f"write rows of other users into {table}"
    if check == "policy_trusts_user_metadata":
        return f"pass a policy on {table} by editing their own account data"
    if check == "publication_rls_disabled":
        return f"receive every change to {table} live (Realtime, no row-level security)"
    if check == "foreign_table_exposed":
        return f"read the foreign table {table}, which row-level security does not cover"
    return ""


def _reference_title(records: list[dict]) -> str:
    checks = {r["check"]: r for r in records}
    lead = records[0]
    column = _column_of(lead)
    target = next((str((r.get("evidence") or {}).get("references")) for r in records
                   if isinstance((r.get("evidence") or {}).get("references"), str)), "")
    target_table = target.rsplit(".", 1)[0] if target.count(".") >= 2 else target
    parts = []
    if "fk_missing" in checks:
        parts.append(f"{column} has no foreign key to {target_table or 'the table it points at'}")
    elif "fk_type_mismatch" in checks:
        parts.append(f"{column} has a different type from the key of {target_table or 'the table'} it points at")
    if "fk_type_mismatch" in checks and "fk_missing" in checks:
        parts.append("its type differs from the key's")
    orphans = checks.get("orphan_rows")
    if orphans:
        if not parts:
            return orphans["title"]
        parts.append(f"{_rows(_affected(orphans)).replace('row', 'orphan row')} already")
    return _sentence(parts) if parts else lead["title"]


def _migration_title(kind: str, records: list[dict]) -> str:
    failing = [r for r in records if r["check"] in ("migration_statement_failed", "sql_parse_error")]
    knock_on = sum(1 for r in failing if (r.get("evidence") or {}).get("caused_by"))
    if kind == "missing":
        reference = next((r for r in records if r["check"] == "ref_target_missing"), None)
        target = str((reference.get("evidence") or {}).get("target")) if reference else ""
        if reference is not None and ": " in reference["title"]:
            why = f"{target}: {reference['title'].split(': ', 1)[1]}"
        else:
            name = MISSING_RELATION.search(str((records[0].get("evidence") or {}).get("message") or ""))
            why = f"{name.group(1) if name else target or 'a table'} does not exist when the files that use it run"
        return why + (f"; {len(failing)} statements fail because of it" if failing else "")
    lead = failing[0] if failing else records[0]
    message = (lead.get("evidence") or {}).get("message")
    where = f"{lead.get('file')} line {lead.get('line')}" if lead.get("file") else lead["object"]
    title = f"{where} {'does not parse' if lead['check'] == 'sql_parse_error' else 'fails'}" + \
        (f" ({message})" if message else "")
    return title + (f"; {knock_on} later statements fail because of it" if knock_on else "")


PATTERN_TITLES = {
    "fk_unindexed": "{n} foreign keys have no index (slower joins, and deletes that scan the whole table)",
    "comment_missing": "{n} tables or columns have no comment explaining them",
    "table_unused_in_code": "{n} tables are not used by the scanned application code",
    "policy_uid_per_row": "{n} policies call auth.uid() once per row instead of once per query (slow)",
    "policy_column_unindexed": "{n} columns compared by policies have no index (slow)",
    "tenant_column_nullable": "{column} may be empty (NULL) in {n} tables",
    "tenant_null_rows": "{rows} rows in {n} tables belong to no organisation ({column} is NULL)",
    "check_candidate": "{n} rules the data already follows are not enforced by a CHECK constraint",
    "cascade_reach": "Deleting a row cascades into {n} other tables",
    "updated_at_no_trigger": "updated_at is never maintained by a trigger in {n} tables",
    "timestamps_missing": "{n} tables lack the created_at/updated_at columns the others keep",
    "pk_type_inconsistent": "{n} tables build their primary key differently from the rest",
    "column_type_inconsistent": "{n} columns have a different type than columns of the same name elsewhere",
}


def _pattern_title(check: str, records: list[dict]) -> str:
    if len(records) == 1:
        return finding_title(records[0])
    template = PATTERN_TITLES.get(check)
    if template:
        return template.format(n=len(records), column=records[0].get("column") or "the column",
                               rows=sum(_affected(r) for r in records))
    return f"{finding_title(records[0])} (and {len(records) - 1} more like it)"


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"


def _join(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _sentence(parts: list[str]) -> str:
    return parts[0] + ("; " + "; ".join(parts[1:]) if len(parts) > 1 else "")


# -- what changed -------------------------------------------------------------------------------------------------
def issues_by_status(issues: list[Issue]) -> dict[str, list[Issue]]:
    """The issues under each status (new, open, fixed), in issue order."""
    return {status: [i for i in issues if i.status == status] for status in STATUSES}


def issue_frame(issues: list[Issue]) -> pd.DataFrame:
    """The issues as a DataFrame: anchor, title, severity, likelihood, impact, status, findings, checks, objects."""
    columns = ["anchor", "title", "severity", "likelihood", "impact", "status", "findings", "checks", "objects"]
    return pd.DataFrame([{"anchor": i.anchor, "title": i.title, "severity": i.severity, "likelihood": i.likelihood,
                          "impact": i.impact, "status": i.status, "findings": len(i.findings),
                          "checks": ", ".join(i.checks), "objects": ", ".join(i.objects[:5])} for i in issues],
                        columns=columns)
