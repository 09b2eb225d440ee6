"""The tenant root and column come from the schema (or the config), and a database without tenancy says so."""

from __future__ import annotations

import json

import sqlalchemy as sa

from auditlib.audit import audit_catalog
from auditlib.catalog import load_catalog
from auditlib.cli import main
from auditlib.config import AuditConfig
from tests.test_check_cases import stub_sql

TENANT_ID = """
CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE tenant_members (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id),
                             user_id uuid NOT NULL REFERENCES auth.users (id));
CREATE TABLE projects (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id), name text);
CREATE TABLE project_members (tenant_id uuid NOT NULL REFERENCES tenants (id), user_id uuid NOT NULL);
CREATE TABLE tasks (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id),
                    project_id uuid REFERENCES projects (id), title text);
CREATE TABLE invoices (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, total numeric);
CREATE TABLE comments (id uuid PRIMARY KEY, task_id uuid REFERENCES tasks (id), body text);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read invoices" ON invoices FOR SELECT TO authenticated USING (true);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "service only" ON projects FOR ALL USING (auth.role() = 'service_role');
CREATE POLICY "tenant projects" ON projects FOR SELECT TO authenticated
    USING (tenant_id = ((SELECT auth.jwt()) ->> 'tenant_id')::uuid);
"""

# One organization_id column (a sponsor) among tables of user data: not a multi-tenant database.
ONE_ORGANIZATION_COLUMN = """
CREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), name text);
CREATE TABLE organizations (id uuid PRIMARY KEY, name text);
CREATE TABLE sponsorships (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations (id));
CREATE TABLE events (id uuid PRIMARY KEY, created_by uuid REFERENCES profiles (id), title text);
CREATE TABLE posts (id uuid PRIMARY KEY, user_id uuid REFERENCES profiles (id), event_id uuid, body text);
CREATE TABLE rsvps (event_id uuid REFERENCES events (id), user_id uuid REFERENCES profiles (id), status text);
"""


def _audit(make_db, sql: str, config: AuditConfig | None = None):
    url = make_db(stub_sql("supabase") + "\n" + sql)
    engine = sa.create_engine(url)
    try:
        catalog = load_catalog(engine)
    finally:
        engine.dispose()
    return audit_catalog(catalog, config or AuditConfig(), schemas=["public"])


def _keys(result) -> set[str]:
    return set(result.findings["check"] + ":" + result.findings["object"])


def test_a_tenant_id_schema_is_detected_and_its_tenant_checks_run(make_db):
    result = _audit(make_db, TENANT_ID)
    tenancy = result.tenancy
    assert (tenancy["multi_tenant"], tenancy["source"], tenancy["root"], tenancy["column"],
            tenancy["membership_table"]) == (True, "detected", "public.tenants", "tenant_id",
                                             "public.tenant_members")
    assert "reference public.tenants through tenant_id" in tenancy["why"]
    assert result.config.tenant_column == "tenant_id" and result.not_applicable == []
    keys = _keys(result)
    assert "tenant_column_missing:public.comments" in keys
    assert "tenant_fk_missing:public.invoices.tenant_id" in keys
    # USING (true) on tenant data is a leak, not global reference data
    assert "rls_always_true:public.invoices.read invoices" in keys
    # a policy that admits only the service role, next to one enforced through a JWT claim, leaks nothing
    assert "rls_tenant_not_enforced:public.projects" not in keys
    missing = result.findings[result.findings["check"] == "tenant_column_missing"].iloc[0]
    assert missing["evidence"]["tenancy"] == tenancy["why"]


def test_one_unrelated_organization_id_column_is_not_tenancy_and_says_so(make_db, tmp_path):
    result = _audit(make_db, ONE_ORGANIZATION_COLUMN)
    tenancy = result.tenancy
    assert not tenancy["multi_tenant"] and tenancy["source"] == "none"
    assert tenancy["note"] == "tenancy checks did not run: no tenant root found"
    assert "not a tenant root" in tenancy["why"] and "public.organizations" in tenancy["why"]
    assert not {c for c in result.findings["check"] if c.startswith("tenant_")}
    assert result.not_applicable[0]["reason"] == tenancy["note"]
    assert result.skipped == []  # not a gap in the findings: no "checks were skipped" warning
    document = result.to_document()
    assert document["not_applicable"] and document["tenancy"]["column"] is None


def test_the_config_names_the_tenant_when_detection_would_not(make_db):
    config = AuditConfig().with_overrides({"tenancy": {"tenant_column": "organization_id"}})
    result = _audit(make_db, ONE_ORGANIZATION_COLUMN, config)
    assert (result.tenancy["source"], result.tenancy["root"], result.tenancy["column"]) == (
        "configured", "public.organizations", "organization_id")
    assert "tenant_column_missing:public.posts" in _keys(result)


def test_the_cli_prints_the_no_tenancy_note_without_a_skipped_warning(make_db, capsys):
    url = make_db(stub_sql("supabase") + "\n" + ONE_ORGANIZATION_COLUMN)
    main(["audit", "--dsn", url.render_as_string(hide_password=False), "--schema", "public", "--fail-on", "never"])
    out, err = capsys.readouterr()
    assert "note: tenancy checks did not run: no tenant root found" in out
    assert "WARNING" not in out + err
    main(["audit", "--dsn", url.render_as_string(hide_password=False), "--schema", "public", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert document["tenancy"]["note"] == "tenancy checks did not run: no tenant root found"
