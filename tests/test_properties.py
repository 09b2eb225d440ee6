"""Property-based: random schemas (nullable and NOT NULL columns, composite and self-referencing FKs, cycles,
policies) built on the embedded server; the audit completes and its invariants hold."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditlib.audit import audit_catalog
from auditlib.catalog import load_catalog
from auditlib.quoting import ident

NAMES = ["organizations", "projects", "invoices", "users", "crew", "crew_members", "Line Items", "select", "tasks",
         "task_cards", "contacts"]
COLUMN_NAMES = ["organization_id", "project_id", "user_id", "crew_id", "parent_id", "amount", "name", "status",
                "created_at", "updated_at", "contact_id", "Odd Name", "quote_id"]
TYPES = ["uuid", "text", "int", "bigint", "timestamptz", "jsonb", "numeric"]
POLICIES = ["true", "organization_id IS NULL", "organization_id IS NULL OR name IS NOT NULL",
            "coalesce(organization_id, organization_id) IS NOT NULL", "name::text = current_user"]
RULES = ["CASCADE", "SET NULL", "NO ACTION", "RESTRICT"]
_counter = itertools.count()


@st.composite
def schemas(draw):
    tables = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    spec = []
    for table in tables:
        columns = draw(st.lists(st.tuples(st.sampled_from(COLUMN_NAMES), st.sampled_from(TYPES), st.booleans()),
                                max_size=6, unique_by=lambda c: c[0]))
        spec.append({"name": table, "columns": columns, "pk": draw(st.sampled_from(["uuid", "bigint", "composite",
                                                                                     "none"])),
                     "rls": draw(st.booleans()), "policy": draw(st.sampled_from([None, *POLICIES]))})
    fks = draw(st.lists(st.tuples(st.integers(0, len(tables) - 1), st.integers(0, len(tables) - 1),
                                  st.sampled_from(RULES), st.booleans()), max_size=8))
    return spec, fks


def build_sql(spec, fks) -> str:
    statements = []
    for table in spec:
        columns = ['"id" uuid NOT NULL' if table["pk"] != "bigint" else '"id" bigint NOT NULL',
                   '"tenant_key" int NOT NULL DEFAULT 0']
        for name, kind, nullable in table["columns"]:
            if name not in ("id", "tenant_key"):
                columns.append(f"{ident(name)} {kind}{'' if nullable else ' NOT NULL'}")
        if table["pk"] in ("uuid", "bigint"):
            columns.append('PRIMARY KEY ("id")')
        elif table["pk"] == "composite":
            columns.append('PRIMARY KEY ("id", "tenant_key")')
        statements.append(f"CREATE TABLE {ident('public', table['name'])} ({', '.join(columns)});")
        if table["pk"] == "none":
            statements.append(f"CREATE UNIQUE INDEX ON {ident('public', table['name'])} (\"id\");")
        if table["rls"]:
            statements.append(f"ALTER TABLE {ident('public', table['name'])} ENABLE ROW LEVEL SECURITY;")
        if table["policy"] and any(c[0] == "organization_id" for c in table["columns"]) and \
                any(c[0] == "name" for c in table["columns"]):
            statements.append(f"CREATE POLICY p ON {ident('public', table['name'])} USING ({table['policy']});")
    for number, (child, parent, rule, composite) in enumerate(fks):
        child_table, parent_table = spec[child], spec[parent]
        if child_table["pk"] == "bigint" or parent_table["pk"] == "bigint":
            continue
        column = f"ref_{number}"
        nullable = rule != "SET NULL" or number % 2 == 0  # sometimes SET NULL on NOT NULL, which the audit flags
        statements.append(f"ALTER TABLE {ident('public', child_table['name'])} ADD COLUMN {ident(column)} uuid"
                          f"{'' if nullable else ' NOT NULL'};")
        if composite and parent_table["pk"] == "composite":
            statements.append(f"ALTER TABLE {ident('public', child_table['name'])} ADD FOREIGN KEY "
                              f"({ident(column)}, \"tenant_key\") REFERENCES {ident('public', parent_table['name'])} "
                              f"(\"id\", \"tenant_key\") ON DELETE {rule};")
        else:
            target = '("id")' if parent_table["pk"] != "composite" else None
            if target is None:
                statements.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {ident(parent_table['name'] + '_id_uq')} ON "
                                  f"{ident('public', parent_table['name'])} (\"id\");")
            statements.append(f"ALTER TABLE {ident('public', child_table['name'])} ADD FOREIGN KEY ({ident(column)}) "
                              f"REFERENCES {ident('public', parent_table['name'])} (\"id\") ON DELETE {rule};")
    return "\n".join(statements)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(schemas())
def test_audit_invariants_on_random_schemas(embedded_server, schema):
    spec, fks = schema
    name = f"prop_{next(_counter)}"
    url = embedded_server.create_database(name, replace=True)
    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(build_sql(spec, fks))
        catalog = load_catalog(engine)
        engine.dispose()
        result = audit_catalog(catalog)
    finally:
        embedded_server.drop_database(name)
    assert result.skipped == [], result.skipped  # no check crashed
    findings = result.findings
    assert findings["key"].is_unique
    fk_columns = {(r["schema"], r["table"], c) for r in catalog.foreign_keys.to_dict("records") for c in r["columns"]}
    for record in findings[findings["check"] == "fk_missing"].to_dict("records"):
        assert (record["schema"], record["table"], record["column"]) not in fk_columns, record["key"]
    relations = {(r["schema"], r["name"]) for r in catalog.relations.to_dict("records")}
    for record in findings.to_dict("records"):
        if record["table"] is not None and record["check"] != "trigger_missing_column":
            assert (record["schema"], record["table"]) in relations, record["key"]
