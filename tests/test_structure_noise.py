"""Structure checks on real-world shapes: severities that fit the evidence, and fixes that never break the table."""

from __future__ import annotations

import sqlalchemy as sa

from auditlib.audit import run_checks
from auditlib.catalog import load_catalog
from auditlib.config import AuditConfig


def _findings(url, *checks: str):
    engine = sa.create_engine(url)
    try:
        catalog = load_catalog(engine)
    finally:
        engine.dispose()
    return {f.object: f for f in run_checks(catalog, AuditConfig(), only=list(checks), schemas=["public"])}


def test_a_table_keyed_by_a_unique_not_null_index_is_a_medium_pk_missing(make_db):
    url = make_db("""
        CREATE TABLE firmware_versions (version text NOT NULL, released_on date NOT NULL, notes text);
        CREATE UNIQUE INDEX firmware_versions_version_key ON firmware_versions (version);
        CREATE TABLE import_staging (line text, imported_at timestamptz DEFAULT now());
    """)
    found = _findings(url, "pk_missing")
    keyed = found["public.firmware_versions"]
    assert keyed.severity == "medium" and "firmware_versions_version_key" in keyed.evidence["severity_reason"]
    assert found["public.import_staging"].severity == "high"


def test_the_updated_at_fix_never_attaches_a_function_that_writes_a_missing_column(make_db):
    # The schema's shared trigger function also stamps updated_by: attaching it to a table without updated_by
    # would make every UPDATE of that table fail.
    url = make_db("""
        CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated_at := now();
            NEW.updated_by := current_user;
            RETURN NEW;
        END $$;
        CREATE TABLE projects (id int PRIMARY KEY, updated_at timestamptz, updated_by text);
        CREATE TRIGGER projects_stamp BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION stamp();
        CREATE TABLE clients (id int PRIMARY KEY, updated_at timestamptz, updated_by text);
        CREATE TRIGGER clients_stamp BEFORE UPDATE ON clients FOR EACH ROW EXECUTE FUNCTION stamp();
        CREATE TABLE quotes (id int PRIMARY KEY, name text, updated_at timestamptz);
        CREATE TABLE invoices (id int PRIMARY KEY, name text, updated_at timestamptz, updated_by text);
        INSERT INTO quotes VALUES (1, 'a', now()); INSERT INTO invoices VALUES (1, 'a', now(), 'x');
    """)
    found = _findings(url, "updated_at_no_trigger")
    quotes, invoices = found["public.quotes.updated_at"], found["public.invoices.updated_at"]
    assert '"stamp"' not in quotes.remediation_sql
    assert 'CREATE OR REPLACE FUNCTION "public"."set_updated_at"()' in quotes.remediation_sql
    assert quotes.evidence["functions_not_used"] == {"public.stamp": "also sets NEW.updated_by, which the table lacks"}
    assert 'EXECUTE FUNCTION "public"."stamp"()' in invoices.remediation_sql  # this one has updated_by: the shared function fits
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for finding in (quotes, invoices):
                connection.exec_driver_sql(finding.remediation_sql)
            connection.exec_driver_sql("UPDATE quotes SET name = 'b'")   # the fixed table still takes updates
            connection.exec_driver_sql("UPDATE invoices SET name = 'b'")
            assert connection.exec_driver_sql("SELECT updated_at > now() - interval '1 minute' FROM quotes").scalar()
    finally:
        engine.dispose()


def test_the_timestamps_fix_picks_a_function_that_fits_the_table(make_db):
    url = make_db("""
        CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.updated_at := now(); NEW.version := OLD.version + 1; RETURN NEW; END $$;
        CREATE TABLE projects (id int PRIMARY KEY, created_at timestamptz, updated_at timestamptz, version int);
        CREATE TRIGGER projects_stamp BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION stamp();
        CREATE TABLE clients (id int PRIMARY KEY, created_at timestamptz, updated_at timestamptz, version int);
        CREATE TRIGGER clients_stamp BEFORE UPDATE ON clients FOR EACH ROW EXECUTE FUNCTION stamp();
        CREATE TABLE tags (id int PRIMARY KEY, name text);
        INSERT INTO tags VALUES (1, 'a');
    """)
    tags = _findings(url, "timestamps_missing")["public.tags"]
    assert '"stamp"' not in tags.remediation_sql and "updated_at" in tags.remediation_sql
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(tags.remediation_sql)
            connection.exec_driver_sql("UPDATE tags SET name = 'b'")
    finally:
        engine.dispose()
