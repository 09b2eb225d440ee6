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
