"""Value overlap of inferred references, measured in the embedded PostgreSQL when data checks run: it confirms,
doubts or refutes what the column names say, and fk_missing says what it measured."""

from __future__ import annotations

import sqlalchemy as sa

from auditlib.audit import run_audit
from auditlib.config import AuditConfig

SCHEMA = """
CREATE TABLE projects (id uuid PRIMARY KEY);
CREATE TABLE customers (id uuid PRIMARY KEY);
CREATE TABLE quotes (id int PRIMARY KEY);
INSERT INTO projects SELECT md5('p' || n)::uuid FROM generate_series(1, 20) AS n;
INSERT INTO customers SELECT md5('c' || n)::uuid FROM generate_series(1, 20) AS n;
INSERT INTO quotes SELECT n FROM generate_series(1, 10) AS n;
-- every project_id names a project: confirmed
CREATE TABLE invoices (id int PRIMARY KEY, project_id uuid);
INSERT INTO invoices SELECT n, md5('p' || (mod(n, 20) + 1))::uuid FROM generate_series(1, 60) AS n;
-- ids of a CRM's customers, none of them ours: not a reference at all
CREATE TABLE crm_imports (id int PRIMARY KEY, customer_id uuid);
INSERT INTO crm_imports SELECT n, md5('crm' || n)::uuid FROM generate_series(1, 30) AS n;
-- a quote number that matches a quote a third of the time: kept, with low confidence
CREATE TABLE opportunities (id int PRIMARY KEY, converted_to_quote_id int);
INSERT INTO opportunities SELECT n, CASE WHEN mod(n, 3) = 0 THEN n / 3 ELSE 1000 + n END FROM generate_series(1, 30) AS n;
-- two values only, both missing: too few to judge, so the name decides
CREATE TABLE notes (id int PRIMARY KEY, project_id uuid);
INSERT INTO notes VALUES (1, md5('gone1')::uuid), (2, md5('gone2')::uuid);
"""


def _audit(url, config: AuditConfig | None = None):
    result = run_audit(url, config or AuditConfig())
    return result, {(r["check"], r["object"]): r for r in result.findings.to_dict("records")}


def test_overlap_confirms_doubts_and_refutes_inferred_references(make_db):
    url = make_db(SCHEMA)
    result, found = _audit(url)

    confirmed = found[("fk_missing", "public.invoices.project_id")]
    assert confirmed["evidence"]["confidence"] == "high"
    assert confirmed["evidence"]["value_overlap"]["sampled_values"] == 20
    assert confirmed["evidence"]["value_overlap"]["share"] == 1.0
    assert "20 of 20 sampled distinct values exist in public.projects (100%)" in confirmed["detail"]

    # the CRM's ids: no missing foreign key, and no "orphans" either
    assert ("fk_missing", "public.crm_imports.customer_id") not in found
    assert ("orphan_rows", "public.crm_imports.customer_id") not in found
    assert [r.object for r in result.analysis.refuted] == ["public.crm_imports.customer_id"]

    doubted = found[("fk_missing", "public.opportunities.converted_to_quote_id")]
    assert doubted["evidence"]["confidence"] == "low"
    assert doubted["evidence"]["value_overlap"]["found_in_parent"] == 10
    assert found[("orphan_rows", "public.opportunities.converted_to_quote_id")]["evidence"]["orphan_count"] == 20

    few = found[("fk_missing", "public.notes.project_id")]
    assert few["evidence"]["confidence"] == "high" and few["evidence"]["value_overlap"]["sampled_values"] == 2
    assert not [s for s in result.skipped if s["check"] == "fk_missing"]


def test_without_data_the_names_decide_and_the_cap_bounds_the_queries(make_db):
    url = make_db(SCHEMA)
    no_data = run_audit(url, data=False)
    objects = set(no_data.findings.loc[no_data.findings["check"] == "fk_missing", "object"])
    assert "public.crm_imports.customer_id" in objects
    assert "value_overlap" not in no_data.findings.loc[no_data.findings["check"] == "fk_missing", "evidence"].iloc[0]

    capped = AuditConfig().with_overrides({"relationships": {"overlap_max_references": 1}})
    result, found = _audit(url, capped)
    measured = [r for (check, _), r in found.items() if check == "fk_missing"
                and r["evidence"].get("value_overlap", {}).get("measured")]
    assert len(measured) == 1  # the least sure reference (the prefix-named one) was measured first
    assert measured[0]["object"] == "public.opportunities.converted_to_quote_id"
    assert found[("fk_missing", "public.crm_imports.customer_id")]["evidence"]["value_overlap"] == {
        "measured": False, "reason": "past relationships.overlap_max_references (1)"}


def test_a_blocked_overlap_query_is_a_skipped_entry_and_the_reference_stays(make_db):
    url = make_db(SCHEMA)
    holder = sa.create_engine(url)
    config = AuditConfig().with_overrides({"data": {"lock_timeout_ms": 200}})
    with holder.connect() as conn:
        conn.exec_driver_sql("BEGIN; LOCK TABLE crm_imports IN ACCESS EXCLUSIVE MODE")
        result, found = _audit(url, config)
        conn.exec_driver_sql("ROLLBACK")
    holder.dispose()
    skipped = [s for s in result.skipped if s["check"] == "fk_missing"]
    assert skipped == [{"check": "fk_missing", "object": "public.crm_imports.customer_id",
                        "reason": skipped[0]["reason"]}]
    assert skipped[0]["reason"].startswith("its value overlap with public.customers was not measured: a lock")
    assert ("fk_missing", "public.crm_imports.customer_id") in found
