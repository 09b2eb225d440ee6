"""Constraints that are not what they seem, on the embedded PostgreSQL: what the legacy RI triggers really do, and
that the fixes proposed for them and for NOT VALID constraints run and leave a validated constraint."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from auditlib.audit import run_audit

LEGACY = """
CREATE TABLE sites (id integer PRIMARY KEY);
CREATE TABLE orders (id integer PRIMARY KEY, site_id integer NOT NULL, qty integer);
CREATE CONSTRAINT TRIGGER "RI_ConstraintTrigger_1" AFTER INSERT OR UPDATE ON orders FROM sites
    NOT DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW
    EXECUTE PROCEDURE "RI_FKey_check_ins" ('<unnamed>', 'orders', 'sites', 'UNSPECIFIED', 'site_id', 'id');
CREATE CONSTRAINT TRIGGER "RI_ConstraintTrigger_2" AFTER DELETE ON sites FROM orders
    NOT DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW
    EXECUTE PROCEDURE "RI_FKey_cascade_del" ('<unnamed>', 'orders', 'sites', 'UNSPECIFIED', 'site_id', 'id');
SET session_replication_role = replica;  -- how a dump loads rows: triggers off
INSERT INTO sites VALUES (1), (2);
INSERT INTO orders VALUES (1, 1, 5), (2, 2, -1), (3, 9, 4);
RESET session_replication_role;
ALTER TABLE orders ADD CONSTRAINT orders_qty_check CHECK (qty > 0) NOT VALID;
"""


def _findings(url, check: str, data: bool = True) -> dict[str, dict]:
    result = run_audit(url, data=data)
    return {r["object"]: r for r in result.findings.to_dict("records") if r["check"] == check}


def test_legacy_ri_triggers_make_every_write_fail_and_the_fix_replaces_them_by_a_foreign_key(make_db):
    url = make_db(LEGACY)
    engine = sa.create_engine(url)
    # what the finding says, as PostgreSQL does it: a valid row is refused too, and so is a parent's delete
    for statement in ("INSERT INTO orders VALUES (4, 1, 1)", "UPDATE orders SET qty = 6 WHERE id = 1",
                      "DELETE FROM sites WHERE id = 2"):
        with pytest.raises(sa.exc.DBAPIError, match="is not a foreign key constraint"), engine.begin() as conn:
            conn.exec_driver_sql(statement)

    finding = _findings(url, "fk_legacy_trigger", data=False)["public.orders.site_id"]
    assert finding["severity"] == "high"
    assert finding["evidence"]["on_delete"] == "CASCADE"
    assert finding["evidence"]["failing_writes"] == ["every INSERT and UPDATE of public.orders",
                                                     "every DELETE from public.sites"]
    orphans = _findings(url, "orphan_rows")["public.orders.site_id"]
    assert orphans["evidence"]["orphan_count"] == 1
    assert orphans["evidence"]["reference"] == "legacy RI triggers (no foreign key)"

    with engine.begin() as conn:
        stray = conn.exec_driver_sql(finding["evidence"]["orphans_query"]).all()
        assert [row.id for row in stray] == [3]
        conn.exec_driver_sql("DELETE FROM orders WHERE id = 3")  # no trigger fires on the child's deletes
        conn.exec_driver_sql(finding["remediation_sql"])
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO orders VALUES (4, 1, 1)")
        conn.exec_driver_sql("DELETE FROM sites WHERE id = 1")  # ON DELETE CASCADE, as the trigger had it
        assert conn.exec_driver_sql("SELECT count(*) FROM orders WHERE site_id = 1").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_catalog.pg_constraint WHERE contype = 't'").scalar() == 0
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO orders VALUES (5, 99, 1)")
    assert not _findings(url, "fk_legacy_trigger", data=False)
    engine.dispose()


def test_a_not_valid_check_is_counted_then_validated_by_its_fix(make_db):
    url = make_db(LEGACY.replace("ALTER TABLE orders ADD", "DROP TRIGGER \"RI_ConstraintTrigger_1\" ON orders;\n"
                                 "ALTER TABLE orders ADD"))
    schema_finding = _findings(url, "constraint_not_valid")["public.orders.orders_qty_check"]
    rows = _findings(url, "check_violation_rows")["public.orders.orders_qty_check"]
    assert rows["evidence"]["violation_count"] == 1 and rows["evidence"]["sample_keys"] == ["2"]
    assert rows["severity"] == "high" and schema_finding["severity"] == "medium"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        listed = conn.exec_driver_sql(schema_finding["evidence"]["violations_query"]).all()
        assert [row.id for row in listed] == [2]
        conn.exec_driver_sql("UPDATE orders SET qty = 1 WHERE id = 2")
        conn.exec_driver_sql(rows["remediation_sql"])
        assert conn.exec_driver_sql("SELECT convalidated FROM pg_catalog.pg_constraint "
                                    "WHERE conname = 'orders_qty_check'").scalar() is True
    engine.dispose()
    assert not _findings(url, "constraint_not_valid", data=False)
