"""comment_missing's column listing and coverage, and the data checks check_candidate and reverse_ref_missing.

The data checks run on real databases built per test (``make_db``) and on the demo; their remediation SQL is
applied and the audit re-run to show the finding gone. comment_missing's positive and negative cases are in
tests/check_cases/comment_missing.toml; here the columns it lists and the coverage table are checked.
"""

from __future__ import annotations

import pglast
import psycopg
import pytest
import sqlalchemy as sa

from auditlib.audit import run_audit, run_checks
from auditlib.catalog import load_catalog
from auditlib.config import AuditConfig
from auditlib.data import DataContext
from auditlib.demo import load_demo
from auditlib.demo.planted import PLANTED_FLAWS
from auditlib.model import Analysis
from tests.conftest import libpq

DATA_CHECKS = ["check_candidate", "reverse_ref_missing"]


def data_findings(url: sa.URL, only: list[str] | None = None, config: AuditConfig | None = None,
                  engine: sa.Engine | None = None) -> tuple[list, DataContext]:
    """Run data checks directly: catalog, then run_checks with a DataContext."""
    config = config or AuditConfig()
    catalog = load_catalog(url)
    owned = engine is None
    engine = engine or sa.create_engine(url)
    try:
        context = DataContext(engine, config)
        findings = run_checks(catalog, config, kinds=("data",), only=only or DATA_CHECKS, data=context)
    finally:
        if owned:
            engine.dispose()
    return findings, context


def by_object(findings) -> dict[str, object]:
    return {f.object: f for f in findings}




def apply(url: sa.URL, script: str) -> None:
    """Run a remediation script statement by statement in autocommit (CONCURRENTLY needs it); errors raise."""
    with psycopg.connect(**libpq(url), autocommit=True) as conn:
        for statement in pglast.split(script):
            conn.execute(statement)


def rows(count: int, template: str) -> str:
    """``INSERT ... SELECT`` of ``count`` generated rows; the template reads g (1..count)."""
    return f"{template} FROM generate_series(1, {count}) AS g;\n"


# -- comment_missing: which columns are listed, coverage -------------------------------------------------------------
COMMENT_SCHEMA = """
CREATE TABLE projects (id uuid PRIMARY KEY, name text);
COMMENT ON TABLE projects IS 'Productions';
CREATE TABLE tags (id uuid PRIMARY KEY);
CREATE TABLE email_threads (id uuid PRIMARY KEY);
CREATE TABLE invoices (
    id uuid PRIMARY KEY, project_id uuid REFERENCES projects (id), created_at timestamptz, updated_by uuid,
    invoice_number text, due_date date, is_paid boolean, paid boolean, name text, email text,
    line_items jsonb, margin_bp integer, status text, external_ref text, legacy_id uuid,
    converted_to_project_id uuid, thread_id uuid
);
COMMENT ON COLUMN invoices.status IS 'draft, sent, paid';
"""


def test_comment_missing_lists_json_and_unclear_columns_not_self_explanatory_ones(make_db):
    url = make_db(COMMENT_SCHEMA)
    catalog = load_catalog(url)
    found = by_object(run_checks(catalog, AuditConfig(), only=["comment_missing"]))
    invoices = found["public.invoices"]
    # JSON first, then the unclear names; commented status, references named after their table (declared
    # project_id, inferred converted_to_project_id), obvious names and booleans are left out
    assert invoices.column == "line_items,margin_bp,external_ref,legacy_id"
    assert invoices.evidence["json_columns"] == ["line_items"]
    assert "project_id" not in invoices.column.split(",") and "paid" not in invoices.column.split(",")
    assert "public.projects" not in found  # commented, no JSON column
    assert found["public.tags"].column is None and found["public.tags"].detail.endswith("has no COMMENT.")
    # the remediation writes quoted COMMENT templates; applied, the table is no longer reported
    assert 'COMMENT ON COLUMN "public"."invoices"."line_items" IS \'TODO: the JSON shape of line_items\';' \
        in invoices.remediation_sql
    apply(url, invoices.remediation_sql)
    after = by_object(run_checks(load_catalog(url), AuditConfig(), only=["comment_missing"]))
    assert "public.invoices" not in after and "public.tags" in after


def test_comment_missing_obvious_names_are_configurable(make_db):
    url = make_db(COMMENT_SCHEMA)
    config = AuditConfig().with_overrides({"comments": {"obvious_columns": ["id", "*_bp", "*_ref", "legacy_*"],
                                                        "obvious_types": []}})
    invoices = by_object(run_checks(load_catalog(url), config, only=["comment_missing"]))["public.invoices"]
    # thread_id -> email_threads still names its target
    assert invoices.column == "line_items,created_at,updated_by,invoice_number,due_date,is_paid,paid,name,email"


def test_comment_missing_quotes_names_and_texts(make_db):
    url = make_db("""CREATE TABLE "Line Items" ("id" int PRIMARY KEY, "it's" jsonb);""")
    finding = run_checks(load_catalog(url), AuditConfig(), only=["comment_missing"])[0]
    assert finding.object == "public.Line Items"
    assert 'COMMENT ON COLUMN "public"."Line Items"."it\'s" IS \'TODO: the JSON shape of it\'\'s\';' \
        in finding.remediation_sql
    apply(url, finding.remediation_sql)
    assert run_checks(load_catalog(url), AuditConfig(), only=["comment_missing"]) == []


def test_comment_coverage_by_category(make_db):
    url = make_db(COMMENT_SCHEMA)
    coverage = Analysis(load_catalog(url), AuditConfig()).comment_coverage(["public"])
    rows_by = coverage.set_index("category").to_dict("index")
    assert rows_by["Financial"] == {"tables": 1, "tables_commented": 0, "table_coverage_pct": 0.0,
                                    "json_columns": 1, "json_commented": 0, "unclear_columns": 4,
                                    "unclear_commented": 1, "column_coverage_pct": 20.0}
    assert rows_by["All"]["tables"] == 4 and rows_by["All"]["tables_commented"] == 1
    assert list(coverage["category"])[-1] == "All"


# -- check_candidate -----------------------------------------------------------------------------------------------
CANDIDATE_SCHEMA = """
CREATE TYPE quote_state AS ENUM ('draft', 'sent');
CREATE DOMAIN positive_days AS integer CHECK (VALUE > 0);
CREATE TABLE organizations (id uuid PRIMARY KEY);
CREATE TABLE quotes (
    id serial PRIMARY KEY, organization_id uuid, validity_days integer, applied_count integer, line_count integer,
    total_cost numeric(10, 2), margin numeric, issue_date date, due_date date, valid_from timestamptz,
    valid_to timestamptz, starts_at timestamptz, ends_at timestamptz, status text DEFAULT 'draft',
    stage text DEFAULT 'lead', priority text, full_name text, category text, state quote_state,
    notice_days positive_days, quantity integer CHECK (quantity BETWEEN 1 AND 1000), payment_days integer,
    line_total integer UNIQUE
);
ALTER TABLE quotes ADD CONSTRAINT quotes_window CHECK (ends_at >= starts_at);
""" + rows(60, """
INSERT INTO quotes (organization_id, validity_days, applied_count, line_count, total_cost, margin, issue_date,
                    due_date, valid_from, valid_to, starts_at, ends_at, status, stage, priority, full_name, category,
                    state, notice_days, quantity, payment_days, line_total)
SELECT NULL, 10 + mod(g, 80), mod(g, 7), CASE WHEN g = 30 THEN -1 ELSE g END, g * 1.5, g - 30,
       DATE '2024-01-01' + g, DATE '2024-01-01' + g + (mod(g, 3)) * 15,
       TIMESTAMPTZ '2024-01-01' + g * INTERVAL '1 day', TIMESTAMPTZ '2024-01-01' + (60 - g) * INTERVAL '1 day',
       TIMESTAMPTZ '2024-01-01', TIMESTAMPTZ '2024-01-02',
       (ARRAY['draft', 'sent', 'accepted'])[1 + mod(g, 3)], (ARRAY['qualified', 'proposal'])[1 + mod(g, 2)],
       (ARRAY['low', 'won''t fix'])[1 + mod(g, 2)], (ARRAY['Ann Lee', 'Bo Chan', 'Cy Diaz'])[1 + mod(g, 3)],
       'kit_hire_' || g, 'draft', 30, 2, CASE WHEN mod(g, 2) = 0 THEN 30 END, g""")


def test_check_candidate_finds_what_the_data_obeys(make_db):
    url = make_db(CANDIDATE_SCHEMA)
    findings, context = data_findings(url, ["check_candidate"])
    assert context.skipped == []
    found = by_object(findings)
    assert set(found) == {"public.quotes.validity_days", "public.quotes.applied_count", "public.quotes.total_cost",
                          "public.quotes.due_date", "public.quotes.status", "public.quotes.priority"}
    days = found["public.quotes.validity_days"]
    assert days.severity == "low" and days.category == "data"
    assert days.evidence["check"] == '"validity_days" > 0' and days.evidence["rows_checked"] == 60
    assert days.evidence["min"] == 11 and days.evidence["max"] == 70 and days.evidence["sampled"] is False
    assert days.evidence["min_rows"] == 50 and days.evidence["name_pattern"] == "*days"
    assert 'ADD CONSTRAINT "quotes_validity_days_positive" CHECK ("validity_days" > 0) NOT VALID;' \
        in days.remediation_sql
    # zeros in a count: >= 0, not > 0
    assert found["public.quotes.applied_count"].evidence["check"] == '"applied_count" >= 0'
    pair = found["public.quotes.due_date"]
    assert pair.column == "issue_date,due_date" and pair.evidence["check"] == '"due_date" >= "issue_date"'
    assert pair.evidence["min_gap_days"] == 0 and pair.evidence["max_gap_days"] == 30
    status = found["public.quotes.status"]
    assert status.evidence["values"] == ["accepted", "draft", "sent"]
    assert """CHECK ("status" IN ('accepted', 'draft', 'sent')) NOT VALID""" in status.remediation_sql
    assert """CHECK ("priority" IN ('low', 'won''t fix')) NOT VALID""" in found["public.quotes.priority"].remediation_sql


def test_check_candidate_negative_cases(make_db):
    """What a naive inference would suggest and check_candidate does not."""
    url = make_db(CANDIDATE_SCHEMA)
    found = by_object(data_findings(url, ["check_candidate"])[0])
    assert "public.quotes.line_count" not in found       # one negative value: no >= 0 candidate
    assert "public.quotes.margin" not in found           # not named like a count/amount, and negative anyway
    assert "public.quotes.valid_to" not in found         # valid_to precedes valid_from in some rows
    assert "public.quotes.ends_at" not in found          # already covered by quotes_window
    assert "public.quotes.quantity" not in found         # already in a CHECK
    assert "public.quotes.notice_days" not in found      # a domain (with its own CHECK)
    assert "public.quotes.state" not in found            # an enum
    assert "public.quotes.full_name" not in found        # few values, but a name is not a category
    assert "public.quotes.category" not in found         # a category name, but 60 distinct values
    assert "public.quotes.stage" not in found            # the default 'lead' never appears: the set is partial
    assert "public.quotes.payment_days" not in found     # only 30 rows hold a value: under min_rows
    assert "public.quotes.line_total" not in found       # a key (UNIQUE), though named like an amount


def test_check_candidate_needs_min_rows(make_db):
    schema = """CREATE TABLE quotes (id serial PRIMARY KEY, validity_days integer, issue_date date, due_date date,
                                     status text);
             """ + rows(49, """INSERT INTO quotes (validity_days, issue_date, due_date, status)
                               SELECT 30, DATE '2024-01-01', DATE '2024-01-31', (ARRAY['a', 'b'])[1 + mod(g, 2)]""")
    url = make_db(schema + "ANALYZE quotes;")
    assert data_findings(url, ["check_candidate"])[0] == []
    lower = AuditConfig().with_overrides({"data": {"min_rows": 40}})
    assert {f.object for f in data_findings(url, ["check_candidate"], lower)[0]} == {
        "public.quotes.validity_days", "public.quotes.due_date", "public.quotes.status"}


def test_check_candidate_samples_big_tables(make_db):
    url = make_db("CREATE TABLE events (id bigserial PRIMARY KEY, duration_ms integer);\n"
                  + rows(5000, "INSERT INTO events (duration_ms) SELECT mod(g, 100)") + "ANALYZE events;")
    config = AuditConfig().with_overrides({"candidates": {"full_scan_rows": 1000, "sample_rows": 500}})
    finding = data_findings(url, ["check_candidate"], config)[0][0]
    assert finding.evidence["sampled"] is True and finding.evidence["row_estimate"] == 5000
    assert 50 <= finding.evidence["rows_checked"] <= 500 and finding.evidence["sample_rows"] == 500


def test_check_candidate_remediation_runs_and_removes_the_findings(make_db):
    url = make_db(CANDIDATE_SCHEMA)
    before = data_findings(url, ["check_candidate"])[0]
    assert before
    for finding in before:
        apply(url, finding.remediation_sql)
    assert data_findings(url, ["check_candidate"])[0] == []


def test_check_candidate_skips_a_table_it_may_not_read(make_db, embedded_server):
    url = make_db(CANDIDATE_SCHEMA + """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'candidate_reader') THEN
                CREATE ROLE candidate_reader LOGIN;
            END IF;
        END $$;
        GRANT USAGE ON SCHEMA public TO candidate_reader;""")
    engine = sa.create_engine(url.set(username="candidate_reader"))
    try:
        findings, context = data_findings(url, ["check_candidate"], engine=engine)
    finally:
        engine.dispose()
    assert findings == []
    assert len(context.skipped) == 1
    skipped = context.skipped[0]
    assert (skipped["check"], skipped["object"]) == ("check_candidate", "public.quotes")
    assert skipped["reason"].startswith("permission denied")


# -- reverse_ref_missing -------------------------------------------------------------------------------------------
def conversion_schema(*, fk: bool = True, many_to_one: bool = False, back_reference: bool = False,
                      column: str = "converted_to_quote_id", conversions: int = 20) -> str:
    reference = " REFERENCES quotes (id) ON DELETE SET NULL" if fk else ""
    back = ", opportunity_id uuid" if back_reference else ""
    target = "(SELECT id FROM quotes ORDER BY id LIMIT 1)" if many_to_one else "q.id"
    return f"""
        CREATE TABLE quotes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), n int{back});
        CREATE TABLE opportunities (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), {column} uuid{reference});
        INSERT INTO quotes (n) SELECT g FROM generate_series(1, 30) AS g;
        INSERT INTO opportunities ({column}) SELECT {target} FROM quotes q WHERE q.n <= {conversions};
        INSERT INTO opportunities ({column}) SELECT NULL FROM generate_series(1, 15);
    """ + ("ALTER TABLE quotes ADD FOREIGN KEY (opportunity_id) REFERENCES opportunities (id);" if back_reference
           else "")


def test_reverse_ref_missing_reports_a_one_to_one_conversion(make_db):
    url = make_db(conversion_schema())
    findings, context = data_findings(url, ["reverse_ref_missing"])
    assert context.skipped == []
    finding = by_object(findings)["public.opportunities.converted_to_quote_id"]
    assert finding.severity == "info" and finding.category == "relationships"
    assert finding.evidence["references_read"] == 20 and finding.evidence["distinct_targets"] == 20
    assert finding.evidence["declared"] is True and finding.evidence["suggested_column"] == "opportunity_id"
    script = finding.remediation_sql
    assert 'ALTER TABLE "public"."quotes" ADD COLUMN "opportunity_id" uuid;' in script
    assert ('UPDATE "public"."quotes" AS b SET "opportunity_id" = a."id" FROM "public"."opportunities" AS a '
            'WHERE a."converted_to_quote_id" = b."id";') in script
    assert 'CREATE UNIQUE INDEX CONCURRENTLY "quotes_opportunity_id_key"' in script
    apply(url, script)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        backfilled = conn.execute(sa.text("SELECT count(*) FROM quotes q JOIN opportunities o "
                                          "ON o.converted_to_quote_id = q.id AND o.id = q.opportunity_id")).scalar()
    engine.dispose()
    assert backfilled == 20
    assert data_findings(url, ["reverse_ref_missing"])[0] == []


def test_reverse_ref_missing_inferred_reference(make_db):
    url = make_db(conversion_schema(fk=False))
    finding = data_findings(url, ["reverse_ref_missing"])[0][0]
    assert finding.object == "public.opportunities.converted_to_quote_id"
    assert finding.evidence["declared"] is False and finding.evidence["rule"] == "prefix"


@pytest.mark.parametrize(("case", "options"), [
    ("many-to-one: several opportunities converted into one quote", {"many_to_one": True}),
    ("quotes already points back", {"back_reference": True}),
    ("related_quote_id is no conversion, though one-to-one", {"column": "related_quote_id"}),
    ("too few conversions to call it one-to-one", {"conversions": 5}),
])
def test_reverse_ref_missing_negative(make_db, case, options):
    url = make_db(conversion_schema(**options))
    assert data_findings(url, ["reverse_ref_missing"])[0] == [], case


# -- through run_audit, and on the demo ----------------------------------------------------------------------------
def test_run_audit_includes_the_data_checks(make_db):
    url = make_db(conversion_schema() + "CREATE TABLE bookings (id serial PRIMARY KEY, validity_days int);\n"
                  + rows(60, "INSERT INTO bookings (validity_days) SELECT g"))
    result = run_audit(url, AuditConfig())
    frame = result.findings
    keys = set(frame["key"])
    assert "check_candidate:public.bookings.validity_days" in keys
    assert "reverse_ref_missing:public.opportunities.converted_to_quote_id" in keys
    assert "comment_missing:public.quotes" in keys
    assert not [s for s in result.skipped if s["check"] in DATA_CHECKS]
    without = run_audit(url, AuditConfig(), data=False).findings
    assert not set(without["check"]) & set(DATA_CHECKS)


# Closed sets of values the demo's data holds in status/type-like text columns without a CHECK. Each has at least
# 50 rows, 2 to 8 short values and its default among them. Not (yet) in the answer key, which lists the seed's
# two CHECK candidates only: kept here until auditlib/demo/planted.py lists them.
@pytest.fixture(scope="module")
def demo_data_findings(demo_url):
    return data_findings(demo_url)


def test_demo_reverse_ref_missing_matches_the_answer_key(demo_data_findings):
    findings, context = demo_data_findings
    assert context.skipped == []
    expected = {f["object"] for f in PLANTED_FLAWS if f["check"] == "reverse_ref_missing"}
    assert {f.object for f in findings if f.check == "reverse_ref_missing"} == expected


def test_demo_check_candidate_matches_the_answer_key(demo_data_findings):
    findings = [f for f in demo_data_findings[0] if f.check == "check_candidate"]
    expected = {f["object"] for f in PLANTED_FLAWS if f["check"] == "check_candidate"}
    assert {f.object for f in findings} == expected
    closed = {f.object for f in findings if f.evidence["kind"] == "closed set"}
    assert all(f.severity == "info" for f in findings if f.object in closed)
    assert {"public.invoices.due_date", "public.quotes.validity_days"} <= expected - closed


def test_demo_check_candidate_finds_the_invoice_dates_with_a_lower_minimum(demo_url):
    config = AuditConfig().with_overrides({"data": {"min_rows": 40}})
    found = by_object(data_findings(demo_url, ["check_candidate"], config)[0])
    pair = found["public.invoices.due_date"]
    assert pair.evidence["check"] == '"due_date" >= "issue_date"' and pair.evidence["reversed"] == 0
    assert found["public.quotes.validity_days"].evidence["check"] == '"validity_days" > 0'


def test_demo_comment_coverage(demo_url):
    catalog = load_catalog(demo_url)
    findings = by_object(run_checks(catalog, AuditConfig(), only=["comment_missing"]))
    # commented tables appear only for uncommented JSON columns; quotes.sections is commented, its others are not
    assert findings["public.quotes"].column == "client,project,fees,proposal"
    assert "public.projects" not in findings and "public.kit_categories" not in findings
    coverage = Analysis(catalog, AuditConfig()).comment_coverage()
    total = coverage[coverage["category"] == "All"].iloc[0]
    # 5 commented tables, and the two 82_security_surface.sql adds (stripe_webhook_events, api_requests)
    assert total["tables"] == len(catalog.user_tables(["public"])) and total["tables_commented"] == 7
    assert len(findings) == total["tables"] - 4


def test_demo_remediations_apply_and_clear_the_findings(make_db):
    demo_copy = make_db()
    load_demo(demo_copy)
    config = AuditConfig().with_overrides({"data": {"min_rows": 40}})
    before = data_findings(demo_copy, config=config)[0]
    assert {"check_candidate:public.invoices.due_date", "check_candidate:public.quotes.validity_days",
            "reverse_ref_missing:public.opportunities.converted_to_quote_id"} <= {f.key for f in before}
    for finding in before:
        apply(demo_copy, finding.remediation_sql)
    assert data_findings(demo_copy, config=config)[0] == []
