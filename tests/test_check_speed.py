"""What keeps the schema checks fast: catalog rows converted once per catalog, policy expressions walked once."""

from __future__ import annotations

import pandas as pd
import pytest

from auditlib.audit import audit_catalog
from auditlib.catalog import FRAMES, load_catalog
from auditlib.sqlparse import expression_nodes, iter_nodes, parse_expression

DERIVED = ("tables", "views", "foreign_keys", "user_tables")


def test_checks_walk_rows_the_catalog_converted_once(demo_url, monkeypatch):
    catalog = load_catalog(demo_url)
    conversions = []
    for method in ("to_dict", "itertuples", "iterrows"):
        original = getattr(pd.DataFrame, method)

        def counted(frame, *args, _original=original, _method=method, **kwargs):
            conversions.append(_method)
            return _original(frame, *args, **kwargs)

        monkeypatch.setattr(pd.DataFrame, method, counted)
    result = audit_catalog(catalog)
    assert len(result.findings) > 100 and not result.skipped
    # every check reads Catalog.records (or the lookups built on it); none converts a frame row by row itself
    assert conversions == []
    assert all(catalog.records(name) is catalog.records(name) for name in [*FRAMES, *DERIVED])


def test_records_are_the_rows_to_dict_gives(make_db):
    url = make_db("CREATE TABLE projects (id bigint PRIMARY KEY, name text NOT NULL, tags text[]);"
                  "CREATE TABLE tasks (id bigint PRIMARY KEY, project_id bigint REFERENCES projects (id));"
                  "CREATE TABLE events (id int, happened date NOT NULL) PARTITION BY RANGE (happened);"
                  "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
                  "CREATE VIEW project_names AS SELECT name FROM projects;")
    catalog = load_catalog(url)
    for name in [*FRAMES, *DERIVED]:
        frame = catalog.user_tables() if name == "user_tables" else getattr(catalog, name)
        expected, records = frame.to_dict("records"), catalog.records(name)
        assert records == expected, name
        assert [[type(v) for v in r.values()] for r in records] == [[type(v) for v in r.values()] for r in expected]
    # a view has no row estimate: None, as to_dict gives it, not pandas' NA
    view = next(r for r in catalog.records("views") if r["name"] == "project_names")
    assert view["row_estimate"] is None
    assert [r["name"] for r in catalog.records("user_tables")] == ["events", "projects", "tasks"]
    with pytest.raises(KeyError):
        catalog.records("partitions")


def test_an_expression_is_walked_once_and_in_iter_nodes_order():
    text = "(organization_id = (SELECT auth.uid())) OR (owner_id = auth.uid() AND deleted_at IS NULL)"
    walk = expression_nodes(text)
    assert expression_nodes(text) is walk
    expected = list(iter_nodes(parse_expression(text)))
    assert [(id(node), [id(a) for a in above]) for node, above in walk] == \
        [(id(node), [id(a) for a in above]) for node, above in expected]
    assert expression_nodes(None) == () and expression_nodes("") == () and expression_nodes("a = ") == ()
