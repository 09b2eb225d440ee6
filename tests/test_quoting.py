"""Names made up for new constraints and indexes: one ``object_name`` for every check, and PostgreSQL keeps the
names it makes as written (no silent truncation to 63 bytes)."""

from __future__ import annotations

import psycopg

from auditlib.checks import fixes, tenancy
from auditlib.quoting import MAX_IDENTIFIER_BYTES, ident, object_name
from tests.conftest import libpq


def test_the_checks_share_one_object_name():
    assert fixes.object_name is object_name and tenancy.object_name is object_name


def test_short_names_are_joined_as_they_are():
    assert object_name("invoices", "project_id", suffix="fkey") == "invoices_project_id_fkey"
    assert object_name("idx", "invoices", "organization_id") == "idx_invoices_organization_id"


def test_long_names_are_hashed_to_fit_and_postgres_keeps_them(make_db):
    long_column = "line_item_" * 8
    names = [object_name("t", long_column, suffix="fkey"),
             object_name("t", long_column + "x", suffix="fkey"),
             object_name("t", "é" * 40, suffix="not_null"),  # a cut through a two-byte character is dropped
             object_name("idx", "t", long_column)]
    assert all(len(name.encode()) <= MAX_IDENTIFIER_BYTES for name in names)
    assert names[0] != names[1] and names[0].endswith("_fkey") and names[2].endswith("_not_null")
    constraints = "".join(f"ALTER TABLE t ADD CONSTRAINT {ident(name)} CHECK (c > 0);" for name in names[:3])
    url = make_db(f"CREATE TABLE t (c int); {constraints} CREATE INDEX {ident(names[3])} ON t (c);")
    with psycopg.connect(**libpq(url)) as conn:
        stored = [row[0] for row in conn.execute(
            "SELECT conname FROM pg_catalog.pg_constraint WHERE conrelid = 't'::regclass "
            "UNION ALL SELECT relname FROM pg_catalog.pg_class WHERE relname = %s", (names[3],))]
    assert sorted(stored) == sorted(names)
