"""The data-level checks: orphan_rows, tenant_null_rows, tenant_mismatch_rows, json_reference, json_orphans, rls_leak.

Each check runs on small databases built per test (``make_db``: a positive and a negative case at least) and on the
ProductionOS demo, whose planted numbers (``planted_counts()``) the findings must match exactly. Also: a role that
cannot SET ROLE (rls_leak skipped, not failed), a statement timeout (skipped, the audit goes on), and a run under
``default_transaction_read_only`` that leaves every row as it was. ``CASES`` at the end lists each check's positive
and negative tests, and a test keeps it complete.
"""

from __future__ import annotations

import json
import threading

import pglast
import psycopg
import pytest
import sqlalchemy as sa

from auditlib.audit import run_audit, run_checks
from auditlib.catalog import load_catalog
from auditlib.checks import REGISTRY, CheckSpec
from auditlib.checks.json import Shape, generalise, id_hint, json_structure, observe, path_text, snake_words, walk
from auditlib.checks.probe import probe_rows
from auditlib.config import AuditConfig
from auditlib.data import DataContext
from auditlib.demo import planted_counts, stub_sql
from tests.conftest import libpq

MY_CHECKS = ("orphan_rows", "tenant_null_rows", "tenant_mismatch_rows", "json_reference", "json_orphans", "rls_leak")


# -- helpers ------------------------------------------------------------------------------------------------------
def run_data(url: sa.URL, only: list[str] | None = None, config: AuditConfig | None = None,
             engine: sa.Engine | None = None) -> tuple[list, list[dict]]:
    """The catalog, then the data checks through run_checks with a DataContext: (findings, skipped)."""
    config = config or AuditConfig()
    owned = engine is None
    engine = engine or sa.create_engine(url)
    try:
        catalog = load_catalog(url)
        data = DataContext(engine=engine, config=config)
        findings = run_checks(catalog, config, kinds=("data",), only=list(only or MY_CHECKS), schemas=["public"],
                              skipped=data.skipped, data=data)
    finally:
        if owned:
            engine.dispose()
    return findings, data.skipped


def of(findings, check: str) -> dict[str, object]:
    return {f.object: f for f in findings if f.check == check}




def apply(url: sa.URL, script: str) -> None:
    """Run the uncommented statements of a remediation script one by one in autocommit (CONCURRENTLY needs it)."""
    with psycopg.connect(**libpq(url), autocommit=True) as conn:
        for statement in pglast.split(script):
            conn.execute(statement)


def scalar(url: sa.URL, query: str):
    with psycopg.connect(**libpq(url)) as conn:
        return conn.execute(query).fetchone()[0]


def uid(n: int | str, kind: str = "") -> str:
    """A deterministic uuid: md5 of kind and n (n a number, or an SQL expression such as ``'g'``)."""
    if isinstance(n, int):
        return f"md5('{kind}{n}')::uuid"
    return f"md5('{kind}' || ({n}))::uuid"


# -- orphan_rows ----------------------------------------------------------------------------------------------------
ORPHANS_SQL = f"""
CREATE TABLE projects (id uuid PRIMARY KEY, name text);
CREATE TABLE invoices (id uuid PRIMARY KEY, project_id uuid, total numeric);
CREATE INDEX ON invoices (project_id);
INSERT INTO projects SELECT {uid('g', 'p')}, 'p' || g FROM generate_series(1, 4) AS g;
INSERT INTO invoices SELECT {uid('g', 'i')}, {uid('1 + mod(g, 4)', 'p')}, g FROM generate_series(1, 20) AS g;
INSERT INTO invoices SELECT {uid('g', 'i')}, {uid('g', 'gone')}, g FROM generate_series(21, 23) AS g;  -- orphans
INSERT INTO invoices VALUES ({uid(24, 'i')}, {uid(21, 'gone')}, 0), ({uid(25, 'i')}, NULL, 0), ({uid(26, 'i')}, NULL, 0);
"""


def test_orphan_rows_counts_rows_pointing_at_missing_parents(make_db):
    url = make_db(ORPHANS_SQL)
    findings, skipped = run_data(url, ["orphan_rows"])
    assert not skipped
    finding = of(findings, "orphan_rows")["public.invoices.project_id"]
    evidence = finding.evidence
    assert (evidence["orphan_count"], evidence["count"], evidence["total"], evidence["with_value"]) == (4, 4, 26, 24)
    assert evidence["dangling_values"] == 3
    orphan_ids = {str(r[0]) for r in _rows(url, "SELECT id FROM invoices WHERE project_id IS NOT NULL AND project_id "
                                                "NOT IN (SELECT id FROM projects)")}
    assert set(evidence["sample_keys"]) == orphan_ids and len(evidence["sample_keys"]) == 4
    assert 'GROUP BY 1) AS g\nLEFT JOIN "public"."projects" AS p' in evidence["query"]  # one grouped pass, hash-joined
    assert evidence["references"] == "public.projects.id" and evidence["reference"] == "inferred (name)"
    assert finding.severity == "high" and "4 rows of public.invoices point at missing projects" == finding.title
    # the cleanup suggestion is commented out; uncommented it runs and clears every orphan
    assert all(line.startswith("--") for line in finding.remediation_sql.splitlines())
    update = "\n".join(line[3:] for line in finding.remediation_sql.splitlines()
                       if line.startswith(("-- UPDATE", "-- WHERE", "--   AND")))
    apply(url, update)
    assert not of(run_data(url, ["orphan_rows"])[0], "orphan_rows")


def _rows(url: sa.URL, query: str) -> list[tuple]:
    with psycopg.connect(**libpq(url)) as conn:
        return conn.execute(query).fetchall()


def test_orphan_rows_checks_not_valid_foreign_keys_including_composite_ones(make_db):
    url = make_db("""
        CREATE TABLE parts (maker text, code int, PRIMARY KEY (maker, code));
        CREATE TABLE orders (id int PRIMARY KEY, maker text, code int);
        INSERT INTO parts VALUES ('acme', 1), ('acme', 2);
        INSERT INTO orders VALUES (1, 'acme', 1), (2, 'acme', 3), (3, 'zeta', 1), (4, NULL, 9), (5, 'acme', 2);
        ALTER TABLE orders ADD CONSTRAINT orders_part_fkey FOREIGN KEY (maker, code) REFERENCES parts NOT VALID;
    """)
    findings, skipped = run_data(url, ["orphan_rows"])
    finding = of(findings, "orphan_rows")["public.orders.maker,code"]
    assert finding.evidence["orphan_count"] == 2  # (acme, 3) and (zeta, 1); a NULL column exempts the row
    assert finding.evidence["reference"] == "NOT VALID foreign key orders_part_fkey"
    assert sorted(finding.evidence["sample_keys"]) == ["2", "3"]
    assert 'VALIDATE CONSTRAINT "orders_part_fkey"' in finding.remediation_sql
    assert not skipped


def test_orphan_rows_compares_text_and_uuid_as_text(make_db):
    url = make_db(f"""
        CREATE TABLE users (id uuid PRIMARY KEY);
        CREATE TABLE tokens (id int PRIMARY KEY, user_id text NOT NULL);
        INSERT INTO users SELECT {uid('g', 'u')} FROM generate_series(1, 3) AS g;
        INSERT INTO tokens SELECT g, ({uid('g', 'u')})::text FROM generate_series(1, 3) AS g;
        INSERT INTO tokens VALUES (4, 'not-a-uuid'), (5, ({uid(9, 'u')})::text);
    """)
    finding = of(run_data(url, ["orphan_rows"])[0], "orphan_rows")["public.tokens.user_id"]
    assert finding.evidence["orphan_count"] == 2
    assert set(finding.evidence["sample_keys"]) == {"4", "5"}
    assert "-- DELETE FROM" in finding.remediation_sql  # NOT NULL: the rows cannot keep a NULL reference


def test_orphan_rows_walks_an_index_when_values_are_few_with_the_same_answer(make_db):
    url = make_db(f"""
        CREATE TABLE crew (id uuid PRIMARY KEY);
        CREATE TABLE crew_bookings (id int PRIMARY KEY, crew_id uuid);
        CREATE INDEX ON crew_bookings (crew_id);
        INSERT INTO crew SELECT {uid('g', 'c')} FROM generate_series(1, 20) g;
        INSERT INTO crew_bookings SELECT g, CASE WHEN mod(g, 997) = 0 THEN {uid('mod(g, 3)', 'gone')}
                                               WHEN mod(g, 101) = 0 THEN NULL ELSE {uid('1 + mod(g, 20)', 'c')} END
        FROM generate_series(1, 20000) g;
        ANALYZE;
    """)
    walked = of(run_data(url, ["orphan_rows"])[0], "orphan_rows")["public.crew_bookings.crew_id"].evidence
    config = AuditConfig().with_overrides({"data": {"orphan_walk_rows_per_value": 10**9}})
    grouped = of(run_data(url, ["orphan_rows"], config)[0], "orphan_rows")["public.crew_bookings.crew_id"].evidence
    assert walked["strategy"].startswith("index walk") and grouped["strategy"].startswith("grouped scan")
    assert "WITH RECURSIVE walk" in walked["query"] and walked["planner_estimates"]["distinct_estimate"] <= 25
    facts = ("orphan_count", "total", "with_value", "dangling_values", "sample_keys", "sample_values")
    assert {k: walked[k] for k in facts} == {k: grouped[k] for k in facts}
    assert (walked["orphan_count"], walked["dangling_values"], walked["total"]) == (20, 3, 20000)
    assert walked["with_value"] == 20000 - len([g for g in range(1, 20001) if g % 101 == 0 and g % 997])


def test_orphan_rows_is_silent_when_every_reference_resolves(make_db):
    url = make_db(f"""
        CREATE TABLE projects (id uuid PRIMARY KEY);
        CREATE TABLE invoices (id uuid PRIMARY KEY, project_id uuid);
        INSERT INTO projects SELECT {uid('g', 'p')} FROM generate_series(1, 4) AS g;
        INSERT INTO invoices SELECT {uid('g', 'i')}, CASE WHEN mod(g, 3) = 0 THEN NULL ELSE {uid('1 + mod(g, 4)', 'p')} END
        FROM generate_series(1, 30) AS g;
    """)
    findings, skipped = run_data(url, ["orphan_rows"])
    assert not findings and not skipped


def test_orphan_rows_trusts_validated_foreign_keys(make_db):
    """A declared, validated foreign key is not scanned (even rows slipped in with triggers off are not looked for)."""
    url = make_db("""
        CREATE TABLE projects (id int PRIMARY KEY);
        CREATE TABLE invoices (id int PRIMARY KEY, project_id int REFERENCES projects);
        SET session_replication_role = replica;
        INSERT INTO invoices VALUES (1, 99);
    """)
    assert not run_data(url, ["orphan_rows"])[0]


# -- tenant_null_rows ----------------------------------------------------------------------------------------------
TENANCY_SQL = f"""
CREATE TABLE organizations (id uuid PRIMARY KEY, name text);
CREATE TABLE projects (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations, name text);
CREATE TABLE tasks (id uuid PRIMARY KEY, organization_id uuid REFERENCES organizations,
                    project_id uuid REFERENCES projects, title text);
CREATE TABLE currencies (code text PRIMARY KEY, organization_id uuid);
INSERT INTO organizations VALUES ({uid(1, 'o')}, 'A'), ({uid(2, 'o')}, 'B');
INSERT INTO projects VALUES ({uid(1, 'p')}, {uid(1, 'o')}, 'a1'), ({uid(2, 'p')}, {uid(2, 'o')}, 'b1');
INSERT INTO tasks SELECT {uid('g', 't')}, {uid('1 + mod(g, 2)', 'o')}, {uid('1 + mod(g, 2)', 'p')}, 't' FROM generate_series(1, 6) g;
INSERT INTO tasks VALUES ({uid(7, 't')}, NULL, {uid(1, 'p')}, 'legacy'), ({uid(8, 't')}, NULL, {uid(2, 'p')}, 'legacy'),
                         ({uid(9, 't')}, NULL, NULL, 'orphan legacy');
INSERT INTO currencies VALUES ('GBP', NULL), ('EUR', NULL);
"""


def test_tenant_null_rows_counts_and_backfills_from_the_parent(make_db):
    url = make_db(TENANCY_SQL)
    config = AuditConfig().with_overrides({"tenancy": {"global_tables": ["currencies"]}})
    findings, skipped = run_data(url, ["tenant_null_rows"], config)
    assert not skipped
    found = of(findings, "tenant_null_rows")
    assert set(found) == {"public.tasks.organization_id"}  # projects is NOT NULL, currencies is global
    evidence = found["public.tasks.organization_id"].evidence
    assert (evidence["null_count"], evidence["count"], evidence["total"]) == (3, 3, 9)
    assert sorted(evidence["sample_keys"]) == sorted(str(r[0]) for r in _rows(
        url, "SELECT id FROM tasks WHERE organization_id IS NULL"))
    remediation = found["public.tasks.organization_id"].remediation_sql
    assert 'FROM "public"."projects"' in remediation
    apply(url, "\n".join(line for line in remediation.splitlines() if not line.startswith("--")))
    after = of(run_data(url, ["tenant_null_rows"], config)[0], "tenant_null_rows")
    assert after["public.tasks.organization_id"].evidence["null_count"] == 1  # no parent to copy from


def test_tenant_null_rows_is_silent_without_null_tenants(make_db):
    url = make_db(TENANCY_SQL + "DELETE FROM tasks WHERE organization_id IS NULL;")
    config = AuditConfig().with_overrides({"tenancy": {"global_tables": ["currencies"]}})
    assert not run_data(url, ["tenant_null_rows"], config)[0]


# -- tenant_mismatch_rows ------------------------------------------------------------------------------------------
MISMATCH_SQL = f"""
CREATE TABLE organizations (id uuid PRIMARY KEY);
CREATE TABLE clients (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations);
CREATE TABLE quotes (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations,
                     client_id uuid REFERENCES clients);
INSERT INTO organizations VALUES ({uid(1, 'o')}), ({uid(2, 'o')});
INSERT INTO clients VALUES ({uid(1, 'c')}, {uid(1, 'o')}), ({uid(2, 'c')}, {uid(2, 'o')});
INSERT INTO quotes VALUES ({uid(1, 'q')}, {uid(1, 'o')}, {uid(1, 'c')}), ({uid(2, 'q')}, {uid(1, 'o')}, {uid(2, 'c')}),
                          ({uid(3, 'q')}, {uid(2, 'o')}, {uid(2, 'c')}), ({uid(4, 'q')}, {uid(2, 'o')}, NULL);
"""


def test_tenant_mismatch_rows_finds_references_across_tenants(make_db):
    url = make_db(MISMATCH_SQL)
    findings, skipped = run_data(url, ["tenant_mismatch_rows"])
    assert not skipped
    finding = of(findings, "tenant_mismatch_rows")["public.quotes.client_id"]
    assert (finding.evidence["count"], finding.evidence["joined"]) == (1, 3)
    assert finding.evidence["sample_keys"] == [str(_rows(url, "SELECT md5('q2')::uuid")[0][0])]
    # fix the row, then the composite key of the remediation makes the database refuse a new one
    apply(url, f"UPDATE quotes SET client_id = {uid(1, 'c')} WHERE id = {uid(2, 'q')}")
    apply(url, "\n".join(line for line in finding.remediation_sql.splitlines() if not line.startswith("--")))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        apply(url, f"INSERT INTO quotes VALUES ({uid(5, 'q')}, {uid(1, 'o')}, {uid(2, 'c')})")
    assert not run_data(url, ["tenant_mismatch_rows"])[0]


def test_tenant_mismatch_rows_skips_keys_that_include_the_tenant(make_db):
    url = make_db(f"""
        CREATE TABLE organizations (id uuid PRIMARY KEY);
        CREATE TABLE clients (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations,
                              UNIQUE (organization_id, id));
        CREATE TABLE quotes (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations,
                             client_id uuid, FOREIGN KEY (organization_id, client_id)
                             REFERENCES clients (organization_id, id));
        INSERT INTO organizations VALUES ({uid(1, 'o')});
        INSERT INTO clients VALUES ({uid(1, 'c')}, {uid(1, 'o')});
        INSERT INTO quotes VALUES ({uid(1, 'q')}, {uid(1, 'o')}, {uid(1, 'c')});
    """)
    findings, skipped = run_data(url, ["tenant_mismatch_rows"])
    assert not findings and not skipped


# -- json_reference / json_orphans ---------------------------------------------------------------------------------
JSON_SQL = f"""
CREATE TABLE customers (id uuid PRIMARY KEY, name text);
CREATE TABLE products (id uuid PRIMARY KEY, name text);
CREATE TABLE rate_cards (id uuid PRIMARY KEY, name text);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE crew (id uuid PRIMARY KEY, name text);
INSERT INTO customers SELECT {uid('g', 'cu')}, 'c' FROM generate_series(1, 5) g;
INSERT INTO products SELECT {uid('g', 'pr')}, 'p' FROM generate_series(1, 5) g;
INSERT INTO rate_cards SELECT {uid('g', 'rc')}, 'r' FROM generate_series(1, 5) g;
INSERT INTO tags SELECT g, 't' FROM generate_series(1, 5) g;
INSERT INTO crew SELECT {uid('g', 'cr')}, 'k' FROM generate_series(1, 5) g;
CREATE TABLE orders (id int PRIMARY KEY, doc jsonb, prefs json);
INSERT INTO orders
SELECT g,
       jsonb_build_object(
           'customer', jsonb_build_object('id', {uid('1 + mod(g, 5)', 'cu')}, 'name', 'x'),
           'lines', jsonb_build_array(jsonb_build_object('productId', {uid('1 + mod(g, 5)', 'pr')}, 'qty', 1),
                                      jsonb_build_object('productId', CASE WHEN g <= 3 THEN {uid(99, 'pr')}
                                                                      ELSE {uid('1 + mod(g, 4)', 'pr')} END, 'qty', 2)),
           'tagIds', jsonb_build_array(1 + mod(g, 5), 2, 99),
           'rate_card_item_id', {uid('1 + mod(g, 5)', 'rc')},
           'assigneeId', {uid('1 + mod(g, 5)', 'cr')},
           'stripeCustomerId', {uid('1 + mod(g, 5)', 'cu')},
           'sessionId', md5('s' || g)::uuid),
       json_build_object('theme', 'dark', 'fontSize', 12, 'id', g)
FROM generate_series(1, 12) AS g;
"""


def test_json_reference_resolves_ids_by_name_and_by_keys(make_db):
    url = make_db(JSON_SQL)
    findings, skipped = run_data(url, ["json_reference"])
    assert not skipped
    found = of(findings, "json_reference")
    assert {o: f.evidence["references"] for o, f in found.items()} == {
        "public.orders.doc:$.customer.id": "public.customers.id",        # id inside an object named after a table
        "public.orders.doc:$.lines[*].productId": "public.products.id",  # ids inside arrays
        "public.orders.doc:$.tagIds[*]": "public.tags.id",               # a list of integer ids
        "public.orders.doc:$.rate_card_item_id": "public.rate_cards.id",  # rate_card_items? no: rate_cards
        "public.orders.doc:$.assigneeId": "public.crew.id",              # the name points nowhere: by keys
    }
    assert found["public.orders.doc:$.assigneeId"].evidence["rule"] == "keys"
    assert found["public.orders.doc:$.lines[*].productId"].evidence["rule"] == "name and keys"
    products = found["public.orders.doc:$.lines[*].productId"].evidence
    assert products["by_name"] == products["by_keys"] == "public.products"
    assert products["hit_rates"]["public.products"]["rate"] == pytest.approx(5 / 6, abs=0.01)
    assert products["occurrences"] == 24 and products["documents"] == 12 and products["sampled"] == 12
    assert any(row["path"] == "$.lines[*].productId" for row in products["paths"])
    # stripeCustomerId (another system's id), sessionId (matches no table) and prefs (no ids) are not references


def test_json_orphans_counts_dangling_ids_over_the_whole_table(make_db):
    url = make_db(JSON_SQL)
    findings, skipped = run_data(url, ["json_reference", "json_orphans"])
    assert not skipped
    found = of(findings, "json_orphans")
    assert {o: (f.evidence["dangling_count"], f.evidence["total"], f.evidence["rows"]) for o, f in found.items()} == {
        "public.orders.doc:$.lines[*].productId": (3, 24, 3),
        "public.orders.doc:$.tagIds[*]": (12, 36, 12),
    }
    products = found["public.orders.doc:$.lines[*].productId"]
    assert products.evidence["sample_values"] == [_rows(url, "SELECT md5('pr99')::uuid::text")[0][0]]
    assert sorted(products.evidence["sample_keys"]) == ["1", "2", "3"]
    assert products.evidence["parameters"]["path"] == 'strict $.**."productId"'
    review = _rows(url, products.remediation_sql)  # the review query runs and lists exactly those rows
    assert sorted(r[0] for r in review) == [1, 2, 3]


def test_json_orphans_estimates_from_a_page_sample_beyond_json_scan_rows(make_db):
    url = make_db(f"""
        CREATE TABLE customers (id uuid PRIMARY KEY);
        INSERT INTO customers SELECT {uid('g', 'cu')} FROM generate_series(1, 50) g;
        CREATE TABLE events (id int PRIMARY KEY, doc jsonb);
        INSERT INTO events
        SELECT g, jsonb_build_object('customerId', CASE WHEN mod(g, 10) = 0 THEN {uid('1000 + mod(g, 7)', 'cu')}
                                                        ELSE {uid('1 + mod(g, 50)', 'cu')} END, 'kind', 'visit')
        FROM generate_series(1, 60000) g;
        ANALYZE;
    """)
    exact, skipped = run_data(url, ["json_reference", "json_orphans"],
                              AuditConfig().with_overrides({"data": {"json_scan_rows": 0}}))
    assert not skipped
    counted = of(exact, "json_orphans")["public.events.doc:$.customerId"]
    assert (counted.evidence["dangling_count"], counted.evidence["total"]) == (6000, 60000)
    assert not counted.evidence["estimated"] and counted.evidence["sample_percent"] == 100.0
    assert not counted.title.startswith("About")

    sampled, skipped = run_data(url, ["json_reference", "json_orphans"],
                                AuditConfig().with_overrides({"data": {"json_scan_rows": 5000}}))
    assert not skipped
    estimate = of(sampled, "json_orphans")["public.events.doc:$.customerId"]
    evidence = estimate.evidence
    assert evidence["estimated"] and evidence["sample_percent"] == pytest.approx(100 * 5000 / 60000, rel=0.01)
    assert evidence["ids_read"] < 20000                      # a slice of the table was read, not all of it
    assert 4000 <= evidence["dangling_count"] <= 8000         # scaled up from the slice: about 6,000
    assert evidence["share"] == pytest.approx(0.1, abs=0.03)
    assert estimate.title.startswith("About ") and "json_scan_rows" in estimate.detail
    assert evidence["parameters"]["percent"] == evidence["sample_percent"]


def _meeting_checks(monkeypatch, timeout: float) -> dict[str, int]:
    """Two data checks that each hold a connection and wait for the other: they pass only when run at once."""
    barrier = threading.Barrier(2, timeout=timeout)
    sessions: dict[str, int] = {}

    def meeting(catalog, config, data):
        with data.connection() as conn:
            pid = conn.exec_driver_sql("SELECT pg_catalog.pg_backend_pid()").scalar()
            barrier.wait()
            sessions[threading.current_thread().name] = pid
        return []

    for name in ("zz_meeting_a", "zz_meeting_b"):
        monkeypatch.setitem(REGISTRY, name, CheckSpec(name=name, category="data", severity="low", kind="data",
                                                      func=meeting))
    return sessions


def test_data_workers_run_checks_at_once_on_their_own_connections(demo_url, monkeypatch):
    sessions = _meeting_checks(monkeypatch, timeout=20)
    _, skipped = run_data(demo_url, ["zz_meeting_a", "zz_meeting_b"],
                          AuditConfig().with_overrides({"data": {"workers": 2}}))
    assert not skipped and len(set(sessions.values())) == 2   # both met, each on its own server session

    sessions = _meeting_checks(monkeypatch, timeout=2)
    _, skipped = run_data(demo_url, ["zz_meeting_a", "zz_meeting_b"],
                          AuditConfig().with_overrides({"data": {"workers": 1}}))
    assert [entry["check"] for entry in skipped] == ["zz_meeting_a", "zz_meeting_b"]  # one at a time: nobody met
    assert all("BrokenBarrierError" in entry["reason"] for entry in skipped)


def test_data_workers_give_the_same_findings_and_skips_as_one_at_a_time(demo_url):
    def run(workers: int):
        config = AuditConfig().with_overrides({"data": {"workers": workers, "statement_timeout_ms": 60_000}})
        findings, skipped = run_data(demo_url, None, config)
        return [(f.check, f.object, f.title) for f in findings], skipped

    (sequential, sequential_skips), (parallel, parallel_skips) = run(1), run(4)
    assert sequential == parallel and sequential_skips == parallel_skips
    assert len({check for check, _, _ in parallel}) >= 5  # every data check but tenant_mismatch_rows finds some


def test_json_column_without_references_gives_no_finding(make_db):
    url = make_db("""
        CREATE TABLE settings (id int PRIMARY KEY, preferences jsonb, users jsonb);
        CREATE TABLE users (id uuid PRIMARY KEY);
        INSERT INTO users SELECT md5(g::text)::uuid FROM generate_series(1, 3) g;
        INSERT INTO settings SELECT g, '{"theme": "dark", "widgets": ["cash", "pipeline"], "layout": {"cols": 3}}',
                                    '[{"id": "u1", "name": "Maya"}, {"id": "u2", "name": "Tom"}]'
        FROM generate_series(1, 10) g;
    """)
    findings, skipped = run_data(url, ["json_reference", "json_orphans"])
    assert not findings and not skipped  # settings.users ids "u1" look like ids of users but are none of them


def test_json_structure_collapses_maps_and_keeps_records():
    root = Shape()
    documents = [
        {"prod_post": {"name": "Post", "visible": True, "subsections": {"edit": [{"id": "a", "rateCardItemId": "r1"}],
                                                                        "audio": [{"id": "b", "rateCardItemId": None}]}},
         "prod_travel": {"name": "Travel", "visible": True, "subsections": {"flights": [{"id": "c",
                                                                                         "rateCardItemId": "r2"}]}}},
        {"prod_post": {"name": "Post", "visible": False, "subsections": {}}},
    ]
    for n, document in enumerate(documents):
        observe(root, document, n, 0, 16, 100)
    generalise(root, 50, 100)
    paths = {path_text(steps): node for steps, node in walk(root)}
    assert "$.*.subsections.*[*].rateCardItemId" in paths
    assert "$.*.name" in paths and "$.prod_post.name" not in paths
    leaf = paths["$.*.subsections.*[*].rateCardItemId"]
    assert leaf.types == {"string": 2, "null": 1} and list(leaf.values) == ["r1", "r2"] and leaf.docs == {0}
    client = Shape()
    observe(client, {"id": "x", "company": "Acme", "email": "a@b"}, 0, 0, 16, 100)
    observe(client, {"id": "y", "company": "Beta", "phone": "1"}, 1, 0, 16, 100)
    generalise(client, 50, 100)
    assert {path_text(s) for s, _ in walk(client)} == {"$", "$.id", "$.company", "$.email", "$.phone"}
    assert id_hint([("key", "client"), ("key", "id")], "doc") == ("client", "object")
    assert id_hint([("items", "[*]"), ("key", "id")], "contacts") == ("contacts", "object")
    assert id_hint([("key", "contactIds"), ("items", "[*]")], "doc") == ("contact", "key list")
    assert id_hint([("key", "paid")], "doc") is None
    assert snake_words("rateCardItem") == ["rate", "card", "item"] and snake_words("clientID") == ["client", "id"]
    assert path_text([("key", "odd key"), ("key", "x")]) == '$."odd key".x'


# -- rls_leak --------------------------------------------------------------------------------------------------------
RLS_SQL = f"""
CREATE TABLE public.organizations (id uuid PRIMARY KEY, name text);
CREATE TABLE public.organization_members (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations, user_id uuid NOT NULL REFERENCES auth.users);
CREATE FUNCTION public.my_org() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
    $$ SELECT organization_id FROM public.organization_members WHERE user_id = auth.uid() LIMIT 1 $$;
CREATE TABLE public.notes (id int PRIMARY KEY, organization_id uuid REFERENCES public.organizations, body text);
CREATE TABLE public.docs (id int PRIMARY KEY, organization_id uuid NOT NULL REFERENCES public.organizations);
CREATE TABLE public.note_comments (id int PRIMARY KEY, note_id int NOT NULL REFERENCES public.notes, body text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.note_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY orgs_read ON public.organizations FOR SELECT TO authenticated USING (id = public.my_org());
CREATE POLICY members_read ON public.organization_members FOR SELECT TO authenticated
    USING (organization_id = public.my_org());
CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated
    USING (organization_id = public.my_org() OR organization_id IS NULL);
CREATE POLICY docs_read ON public.docs FOR SELECT TO authenticated USING (organization_id = public.my_org());
CREATE POLICY comments_read ON public.note_comments FOR SELECT TO authenticated USING (true);
GRANT SELECT ON ALL TABLES IN SCHEMA public TO authenticated;
INSERT INTO auth.users (id, email) VALUES ({uid(1, 'u')}, 'ann@a.test'), ({uid(2, 'u')}, 'bob@b.test'),
                                          ({uid(3, 'u')}, 'cy@nowhere.test');
INSERT INTO public.organizations VALUES ({uid(1, 'o')}, 'A'), ({uid(2, 'o')}, 'B');
INSERT INTO public.organization_members (organization_id, user_id) VALUES ({uid(1, 'o')}, {uid(1, 'u')}),
                                                                          ({uid(2, 'o')}, {uid(2, 'u')});
INSERT INTO public.notes VALUES (1, {uid(1, 'o')}, 'a'), (2, {uid(1, 'o')}, 'a'), (3, {uid(2, 'o')}, 'b'),
                                (4, {uid(2, 'o')}, 'b'), (5, {uid(2, 'o')}, 'b'), (6, NULL, 'legacy');
INSERT INTO public.docs VALUES (1, {uid(1, 'o')}), (2, {uid(2, 'o')});
INSERT INTO public.note_comments VALUES (1, 1, ''), (2, 3, ''), (3, 4, ''), (4, 6, ''), (5, 6, '');
"""


def test_rls_leak_counts_what_each_member_sees(make_db):
    url = make_db(stub_sql() + RLS_SQL)
    findings, skipped = run_data(url, ["rls_leak"])
    assert not skipped
    found = of(findings, "rls_leak")
    assert set(found) == {"public.notes", "public.note_comments"}  # docs' policy holds
    notes = found["public.notes"]
    assert notes.severity == "high" and notes.evidence["visible_rows"] == 1
    assert {u: (c["visible"], c["foreign"], c["null_tenant"]) for u, c in notes.evidence["users"].items()} == {
        "ann@a.test": (3, 0, 1), "bob@b.test": (4, 0, 1), "cy@nowhere.test": (1, 0, 1)}
    comments = found["public.note_comments"]  # no tenant column: judged through notes
    assert comments.severity == "critical" and "public.notes" in comments.evidence["judged_through"]
    assert {u: (c["visible"], c["foreign"], c["null_tenant"]) for u, c in comments.evidence["users"].items()} == {
        "ann@a.test": (5, 2, 2), "bob@b.test": (5, 1, 2), "cy@nowhere.test": (5, 3, 2)}
    assert comments.evidence["visible_rows"] == 5 and comments.evidence["role"] == "authenticated"


def test_rls_leak_samples_large_tables_and_counts_their_null_tenants_exactly(make_db):
    url = make_db(stub_sql() + RLS_SQL + f"""
        DROP POLICY docs_read ON public.docs;
        CREATE POLICY docs_read ON public.docs FOR SELECT TO authenticated USING (true);
        INSERT INTO public.docs SELECT g, CASE WHEN mod(g, 2) = 0 THEN {uid(1, 'o')} ELSE {uid(2, 'o')} END
        FROM generate_series(100, 40099) g;
        INSERT INTO public.notes SELECT g, CASE WHEN mod(g, 4000) = 0 THEN NULL WHEN mod(g, 2) = 0 THEN {uid(1, 'o')}
                                               ELSE {uid(2, 'o')} END, ''
        FROM generate_series(100, 40099) g;
        CREATE INDEX ON public.notes (organization_id);
        ANALYZE;
    """)
    exact, skipped = run_data(url, ["rls_leak"], AuditConfig().with_overrides({"probe": {"scan_rows": 0}}))
    assert not skipped
    docs = of(exact, "rls_leak")["public.docs"].evidence
    assert not docs["estimated"] and docs["users"]["ann@a.test"]["foreign"] == 20001  # B's rows, exactly
    assert of(exact, "rls_leak")["public.notes"].evidence["users"]["ann@a.test"]["null_tenant"] == 11

    sampled, skipped = run_data(url, ["rls_leak"], AuditConfig().with_overrides({"probe": {"scan_rows": 4000}}))
    assert not skipped
    found = of(sampled, "rls_leak")
    docs = found["public.docs"]
    assert docs.evidence["estimated"] and docs.evidence["sample_percent"] == pytest.approx(10, rel=0.01)
    assert 14_000 <= docs.evidence["users"]["ann@a.test"]["foreign"] <= 26_000   # scaled up from the sample
    assert "about" in docs.title and "probe.scan_rows" in docs.detail
    assert "TABLESAMPLE SYSTEM" in docs.evidence["query"]
    notes = found["public.notes"].evidence
    assert notes["estimated"]
    assert {u: c["null_tenant"] for u, c in notes["users"].items()} == dict.fromkeys(notes["users"], 11)  # exact


def test_rls_leak_is_silent_when_policies_hold(make_db):
    url = make_db(stub_sql() + RLS_SQL + """
        DROP POLICY notes_read ON public.notes;
        CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (organization_id = public.my_org());
        DROP POLICY comments_read ON public.note_comments;
        CREATE POLICY comments_read ON public.note_comments FOR SELECT TO authenticated
            USING (EXISTS (SELECT 1 FROM public.notes n WHERE n.id = note_id));
    """)
    findings, skipped = run_data(url, ["rls_leak"])
    assert not findings and not skipped


def test_rls_leak_reads_the_other_tables_after_one_whose_query_fails(make_db):
    """Every member reads the tables in one transaction, without a savepoint per table: a table whose policy raises
    (here a division by zero, first in table order) is skipped for that reason, and the tables read after it, in a
    new transaction with the same role and claims, are still judged exactly as before."""
    url = make_db(stub_sql() + RLS_SQL + """
        CREATE TABLE public.aaa_broken (id int PRIMARY KEY, organization_id uuid REFERENCES public.organizations);
        ALTER TABLE public.aaa_broken ENABLE ROW LEVEL SECURITY;
        CREATE POLICY broken_read ON public.aaa_broken FOR SELECT TO authenticated USING (1 / (id - id) = 1);
        INSERT INTO public.aaa_broken SELECT id, organization_id FROM public.notes;
        GRANT SELECT ON public.aaa_broken TO authenticated;
    """)
    findings, skipped = run_data(url, ["rls_leak"])
    assert [(s["object"], "division by zero" in s["reason"]) for s in skipped] == [("public.aaa_broken", True)]
    found = of(findings, "rls_leak")
    assert set(found) == {"public.notes", "public.note_comments"}
    assert {u: (c["visible"], c["foreign"], c["null_tenant"])
            for u, c in found["public.note_comments"].evidence["users"].items()} == {
        "ann@a.test": (5, 2, 2), "bob@b.test": (5, 1, 2), "cy@nowhere.test": (5, 3, 2)}


def test_anon_reads_rows_reads_the_other_relations_after_one_whose_query_fails(make_db):
    """The anonymous probe reads the relations in one transaction without a savepoint per relation: one whose
    policy raises for anon (first in order) is skipped for that reason and the relations after it are counted."""
    url = make_db(stub_sql() + RLS_SQL + """
        CREATE TABLE public.aaa_broken (id int PRIMARY KEY, organization_id uuid REFERENCES public.organizations);
        ALTER TABLE public.aaa_broken ENABLE ROW LEVEL SECURITY;
        CREATE POLICY broken_anon ON public.aaa_broken FOR SELECT TO anon USING (1 / (id - id) = 1);
        INSERT INTO public.aaa_broken SELECT id, organization_id FROM public.notes;
        CREATE POLICY notes_anon ON public.notes FOR SELECT TO anon USING (true);
        GRANT SELECT ON public.aaa_broken, public.notes TO anon;
    """)
    findings, skipped = run_data(url, ["anon_reads_rows"])
    assert [(s["object"], "division by zero" in s["reason"]) for s in skipped] == [("public.aaa_broken", True)]
    assert {f.object: f.evidence["visible_rows"] for f in findings} == {"public.notes": 6}


READER = "auditlib_test_reader"


def test_rls_leak_is_skipped_when_the_auditor_cannot_set_role(make_db):
    url = make_db(stub_sql() + RLS_SQL + f"""
        CREATE TABLE public.legacy (id int PRIMARY KEY, organization_id uuid REFERENCES public.organizations);
        INSERT INTO public.legacy VALUES (1, NULL);
        DO $$ BEGIN
            CREATE ROLE {READER} LOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        GRANT USAGE ON SCHEMA auth TO {READER};
        GRANT SELECT ON ALL TABLES IN SCHEMA public, auth TO {READER};
    """)
    result = run_audit(url.set(username=READER), AuditConfig().with_overrides({"audit": {"schemas": ["public"]}}))
    skipped = [s for s in result.skipped if s["check"] == "rls_leak"]
    assert len(skipped) == 1 and "cannot impersonate authenticated" in skipped[0]["reason"]
    assert "permission denied" in skipped[0]["reason"]
    assert not (result.findings["check"] == "rls_leak").any()
    assert (result.findings["check"] == "tenant_null_rows").any()  # the other data checks still ran


# -- timeouts, writes, the demo ------------------------------------------------------------------------------------
def test_a_statement_timeout_skips_that_object_and_the_audit_goes_on(make_db):
    url = make_db("""
        CREATE TABLE organizations (id int PRIMARY KEY);
        CREATE TABLE notes (id int PRIMARY KEY, organization_id int REFERENCES organizations);
        INSERT INTO organizations VALUES (1);
        INSERT INTO notes VALUES (1, 1), (2, NULL);
        CREATE TABLE projects (id int PRIMARY KEY);
        CREATE TABLE events (id bigint PRIMARY KEY, project_id int);
        INSERT INTO projects SELECT g FROM generate_series(1, 1000) g;
        INSERT INTO events SELECT g, mod(g, 1200) FROM generate_series(1, 2000000) g;
        ANALYZE;
    """)
    # one table with organization_id among three is too little to detect tenancy: name the tenant column
    config = AuditConfig().with_overrides({"data": {"statement_timeout_ms": 50},
                                           "tenancy": {"tenant_column": "organization_id"}})
    findings, skipped = run_data(url, ["orphan_rows", "tenant_null_rows"], config)
    assert {"check": "orphan_rows", "object": "public.events.project_id"} in [
        {k: s[k] for k in ("check", "object")} for s in skipped]
    reason = next(s["reason"] for s in skipped if s["check"] == "orphan_rows")
    assert "statement timeout" in reason
    assert "public.notes.organization_id" in of(findings, "tenant_null_rows")


def test_data_checks_write_nothing(make_db):
    url = make_db(stub_sql() + RLS_SQL + ORPHANS_SQL + JSON_SQL + MISMATCH_SQL.replace(
        "CREATE TABLE organizations (id uuid PRIMARY KEY);", "").replace(
        f"INSERT INTO organizations VALUES ({uid(1, 'o')}), ({uid(2, 'o')});", ""))
    tables = _rows(url, "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('public', 'auth') "
                        "ORDER BY 1, 2")
    checksum = " UNION ALL ".join(f"SELECT '{s}.{t}', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                                  f'FROM "{s}"."{t}" AS x' for s, t in tables)
    before = _rows(url, checksum)
    engine = sa.create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})
    try:
        findings, skipped = run_data(url, list(MY_CHECKS), engine=engine)
    finally:
        engine.dispose()
    assert not skipped
    assert {f.check for f in findings} >= {"orphan_rows", "json_reference", "json_orphans", "rls_leak",
                                          "tenant_mismatch_rows", "tenant_null_rows"}
    assert _rows(url, checksum) == before


@pytest.fixture(scope="module")
def demo_audit(demo_url):
    """The demo audited end to end (run_audit), impersonating every member of every organisation."""
    config = AuditConfig().with_overrides({"probe": {"members_per_organization": 10}})
    return run_audit(demo_url, config)


def demo_findings(result, check: str) -> dict[str, dict]:
    frame = result.findings[result.findings["check"] == check]
    return {r["object"]: r for r in frame.to_dict("records")}


def test_demo_run_has_no_skipped_data_check(demo_audit):
    assert not [s for s in demo_audit.skipped if s["check"] in MY_CHECKS]
    assert demo_audit.extras["data_queries"] > 0


def test_demo_orphan_rows_match_the_planted_counts(demo_audit):
    found = demo_findings(demo_audit, "orphan_rows")
    assert {o: f["evidence"]["orphan_count"] for o, f in found.items()} == planted_counts()["orphan_rows"]
    assert all(0 < len(f["evidence"]["sample_keys"]) <= 5 for f in found.values())


def test_demo_tenant_null_rows_match_the_planted_counts(demo_audit):
    found = demo_findings(demo_audit, "tenant_null_rows")
    assert {o.rsplit(".", 1)[0]: f["evidence"]["null_count"] for o, f in found.items()} == \
        planted_counts()["tenant_null_rows"]


def test_demo_has_no_tenant_mismatch(demo_audit):
    assert not demo_findings(demo_audit, "tenant_mismatch_rows")


def _planted_path(obj: str) -> str:
    """``public.quotes.sections:$.*.subsections.*[*].rateCardItemId`` → ``public.quotes.sections:rateCardItemId``."""
    column, path = obj.split(":", 1)
    return f"{column}:{path.rsplit('.', 1)[-1]}"


def test_demo_json_references_match_the_answer_key(demo_audit):
    from auditlib.demo.planted import planted

    found = demo_findings(demo_audit, "json_reference")
    expected = {f["object"]: f["references"] for f in planted("json_reference")}
    assert {o.split(":")[0]: f["evidence"]["references"].rsplit(".", 1)[0] for o, f in found.items()} == expected
    assert len(found) == len(expected)
    sections = found["public.quotes.sections:$.*.subsections.*[*].rateCardItemId"]["evidence"]
    assert sections["by_name"] == sections["by_keys"] == "public.rate_cards"


def test_demo_json_orphans_match_the_planted_counts(demo_audit):
    counts = planted_counts()
    found = {_planted_path(o): f["evidence"] for o, f in demo_findings(demo_audit, "json_orphans").items()}
    assert {p: e["dangling_count"] for p, e in found.items()} == {p: n for p, n in counts["json_orphans"].items() if n}
    assert {p: e["total"] for p, e in found.items()} == {p: counts["json_refs"][p] for p in found}
    assert {p: e["rows"] for p, e in found.items()} == {p: counts["json_orphan_rows"][p] for p in found}
    assert {p: e["dangling_values"] for p, e in found.items()} == {p: counts["json_orphan_values"][p] for p in found}


def test_demo_json_structure_shows_sections_subsections_items(demo_url):
    engine = sa.create_engine(demo_url)
    try:
        catalog = load_catalog(engine)
        frame = json_structure(catalog, DataContext(engine=engine, config=AuditConfig()),
                               columns=["public.quotes.sections"])
    finally:
        engine.dispose()
    paths = dict(zip(frame["path"], frame.to_dict("records"), strict=True))
    for path in ("$", "$.*", "$.*.name", "$.*.subsections", "$.*.subsections.*", "$.*.subsections.*[*]",
                 "$.*.subsections.*[*].rateCardItemId"):
        assert path in paths, path
    item = paths["$.*.subsections.*[*].rateCardItemId"]
    assert item["id_like"] and item["types"].startswith("string") and "null" in item["types"]
    assert item["sampled"] == scalar(demo_url, "SELECT count(sections) FROM public.quotes")
    assert 0 < item["documents"] <= item["sampled"] and paths["$.*"]["documents"] == item["sampled"]


def test_demo_rls_leak_matches_the_planted_counts(demo_audit, demo_url):
    counts = planted_counts()
    leaking = {t for t, per in counts["rls_leak"].items() if any(v["foreign"] or v["null_tenant"]
                                                                 for v in per.values())}
    found = demo_findings(demo_audit, "rls_leak")
    for table, per_user in counts["rls_leak"].items():
        users = found[table]["evidence"]["users"] if table in found else {}
        for email, expected in per_user.items():
            got = users.get(email, {"foreign": 0, "null_tenant": 0})
            assert (got["foreign"], got["null_tenant"]) == (expected["foreign"], expected["null_tenant"]), \
                (table, email)
    # every table, leaking or not, as the probe saw it (the findings only carry the leaking ones)
    engine = sa.create_engine(demo_url)
    try:
        config = AuditConfig().with_overrides({"probe": {"members_per_organization": 10}})
        probe = probe_rows(load_catalog(engine), config, DataContext(engine=engine, config=config))
    finally:
        engine.dispose()
    seen = {".".join(key): per_user for key, per_user in probe.counts.items()}
    for table, per_user in counts["rls_leak"].items():
        assert {u: (c["foreign"], c["null_tenant"]) for u, c in seen[table].items()} == \
            {u: (c["foreign"], c["null_tenant"]) for u, c in per_user.items()}, table
    for table, per_user in counts["untenanted_visible"].items():
        assert {u: c["visible"] for u, c in seen[table].items()} == per_user, table
    untenanted = {t for t in counts["untenanted_visible"] if t in found}
    assert set(found) == leaking | untenanted
    assert untenanted == {"public.invoices", "public.expenses", "public.crew_bookings"}  # google_tokens: own only
    assert all(f["severity"] == "critical" for t, f in found.items() if f["evidence"]["foreign_rows"])


def test_demo_rls_leak_with_default_members(demo_url):
    """Defaults: one member per organisation (three) plus the member of none."""
    findings, skipped = run_data(demo_url, ["rls_leak"])
    assert not skipped
    users = next(iter(of(findings, "rls_leak").values())).evidence["users"]
    assert len(users) == 4 and sum(1 for u in users.values() if not u["organizations"]) == 1


def test_evidence_is_json_ready(demo_audit):
    frame = demo_audit.findings[demo_audit.findings["check"].isin(MY_CHECKS)]
    json.dumps(frame["evidence"].tolist())


# -- the anonymous probe's function calls ----------------------------------------------------------------------------
UNPROVEN_FUNCTIONS = """
CREATE TABLE public.organizations (id uuid PRIMARY KEY);
CREATE TABLE public.organization_members (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations, user_id uuid NOT NULL REFERENCES auth.users);
CREATE TABLE public.projects (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES public.organizations,
                              status text);
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.archive_all(org uuid) RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = '' AS
    $$ WITH done AS (UPDATE public.projects SET status = 'archived' WHERE organization_id = org RETURNING 1)
       SELECT count(*) FROM done $$;
CREATE FUNCTION public.project_count_dynamic(org uuid) RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = '' AS $$
DECLARE n bigint;
BEGIN
    EXECUTE 'SELECT count(*) FROM public.projects WHERE organization_id = $1' INTO n USING org;
    RETURN n;
END $$;
CREATE FUNCTION public.project_count_logged(org uuid) RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = '' AS $$ SELECT count(*) FROM public.projects WHERE organization_id = org
                                  AND pg_catalog.pg_notify('audit', org::text) IS NOT NULL $$;
INSERT INTO auth.users (id, email) VALUES (md5('u1')::uuid, 'ann@a.test');
INSERT INTO public.organizations VALUES (md5('o1')::uuid);
INSERT INTO public.organization_members (organization_id, user_id) VALUES (md5('o1')::uuid, md5('u1')::uuid);
INSERT INTO public.projects VALUES (md5('p1')::uuid, md5('o1')::uuid, 'active');
"""


def test_anon_function_reads_calls_nothing_it_cannot_show_read_only(make_db):
    from auditlib.checks.probe import read_only_proof
    from tests.conftest import stub_sql

    url = make_db(stub_sql("supabase") + UNPROVEN_FUNCTIONS)
    catalog = load_catalog(url)
    proofs = {f["name"]: read_only_proof(f) for f in catalog.functions.to_dict("records") if f["schema"] == "public"}
    assert not proofs["archive_all"].proven and "writes" in proofs["archive_all"].reason
    assert not proofs["project_count_dynamic"].proven and "dynamic SQL" in proofs["project_count_dynamic"].reason
    # the body holds queries only; pg_notify, VOLATILE, is what the server lookup refuses
    assert proofs["project_count_logged"].proven and ("pg_catalog", "pg_notify") in proofs["project_count_logged"].calls
    findings, skipped = run_data(url, ["anon_function_reads"])
    assert not findings and not skipped  # not called, and not a failure: security_definer_exposed reports them
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT status FROM public.projects")).scalar() == "active"
            # a table the calls would have written to is untouched, and nobody was notified: nothing ran
    finally:
        engine.dispose()


def test_anon_function_reads_calls_a_function_once_its_callees_are_shown_stable(make_db):
    from tests.conftest import stub_sql

    url = make_db(stub_sql("supabase") + UNPROVEN_FUNCTIONS.replace("pg_catalog.pg_notify('audit', org::text)",
                                                                     "pg_catalog.lower(org::text)"))
    findings, skipped = run_data(url, ["anon_function_reads"])
    assert not skipped
    assert [f.object for f in findings] == ["public.project_count_logged(org uuid)"]


def test_a_data_check_connection_cannot_write_even_on_a_read_write_engine(make_db):
    """DataContext.connection makes its transaction read-only itself (set_config of transaction_read_only, in the
    same round trip as the timeouts), whatever the engine's defaults."""
    url = make_db("CREATE TABLE public.t (id int);")
    engine = sa.create_engine(url)
    try:
        data = DataContext(engine=engine, config=AuditConfig().with_overrides({"data": {"statement_timeout_ms": 4321}}))
        with data.connection() as conn:
            assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "4321ms"
            with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
                conn.exec_driver_sql("INSERT INTO public.t VALUES (1)")
    finally:
        engine.dispose()
