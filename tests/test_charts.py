"""Plotly charts: traces, category order, fixed colours, titles, hostile names and empty inputs."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest
import sqlalchemy as sa

from auditlib import charts
from auditlib.catalog import load_catalog
from auditlib.checks import checks_with_count
from auditlib.findings import Finding, findings_frame


def finding(check: str, severity: str, category: str, table: str | None = "invoices", schema: str = "public",
            evidence: dict | None = None, column: str | None = None) -> Finding:
    return Finding(schema=schema if table else None, table=table, column=column, title="t", detail="d",
                   evidence=evidence or {}, check=check, category=category, severity=severity)


@pytest.fixture
def findings() -> pd.DataFrame:
    return findings_frame([
        finding("fk_missing", "medium", "relationships", "invoices", column="project_id"),
        finding("fk_missing", "medium", "relationships", "expenses", column="project_id"),
        finding("tenant_column_missing", "high", "tenancy", "invoices"),
        finding("rls_null_bypass", "critical", "security", "quotes"),
        finding("pk_missing", "low", "structure", "notes"),
        finding("rls_disabled", "info", "security", None),
        finding("orphan_rows", "high", "data", "invoices", evidence={"orphan_count": 12}, column="project_id"),
        finding("tenant_null_rows", "high", "data", "quotes", evidence={"count": 40}, column="organization_id"),
        finding("json_orphans", "medium", "data", "quotes", evidence={"dangling_count": 3}, column="line_items"),
        finding("rls_leak", "critical", "data", "kit_items", evidence={"visible_rows": 250}),
    ])


def assert_titled(figure: go.Figure) -> None:
    assert figure.layout.title.text
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
    assert "$" not in figure.layout.title.text


def assert_empty(figure: go.Figure, message: str) -> None:
    assert isinstance(figure, go.Figure) and not figure.data
    assert figure.layout.title.text
    assert [a.text for a in figure.layout.annotations] == [message]


def test_findings_by_severity_and_category(findings):
    figure = charts.findings_by_severity_category(findings)
    assert_titled(figure)
    assert [t.name for t in figure.data] == ["critical", "high", "medium", "low", "info"]
    assert [t.marker.color for t in figure.data] == [charts.SEVERITY_COLORS[t.name] for t in figure.data]
    assert list(figure.data[0].x) == ["structure", "relationships", "tenancy", "security", "data"]  # CATEGORIES
    by = {t.name: dict(zip(t.x, t.y, strict=True)) for t in figure.data}
    assert by["medium"]["relationships"] == 2 and by["critical"]["security"] == 1 and by["critical"]["data"] == 1
    assert figure.layout.barmode == "stack"
    # Fewer severities present: the present ones, still in order, still their colours.
    only = charts.findings_by_severity_category(findings[findings["severity"].isin(["low", "high"])])
    assert [(t.name, t.marker.color) for t in only.data] == [("high", charts.SEVERITY_COLORS["high"]),
                                                             ("low", charts.SEVERITY_COLORS["low"])]


def test_findings_charts_accept_finding_objects():
    figure = charts.findings_by_severity_category([finding("pk_missing", "low", "structure", "notes")])
    assert [t.name for t in figure.data] == ["low"]


def test_tenant_coverage_by_category():
    scope = pd.DataFrame([
        {"category": "Financial", "has_tenant_column": False, "scope": "inherits"},
        {"category": "Financial", "has_tenant_column": False, "scope": "tenant"},
        {"category": "Financial", "has_tenant_column": True, "scope": "tenant"},
        {"category": "Core", "has_tenant_column": True, "scope": "tenant"},
        {"category": "Multi-tenancy", "has_tenant_column": False, "scope": "root"},
        {"category": "Settings", "has_tenant_column": False, "scope": "global"},
        {"category": "Core", "has_tenant_column": False, "scope": "platform"},
    ])
    figure = charts.tenant_coverage_by_category(scope)
    assert_titled(figure)
    assert [t.name for t in figure.data] == ["with tenant column", "tenant root", "missing tenant column",
                                             "global (no tenant data)"]
    missing = next(t for t in figure.data if t.name == "missing tenant column")
    assert dict(zip(missing.y, missing.x, strict=True))["Financial"] == 2
    assert missing.marker.color == charts.COVERAGE_STATUSES["missing tenant column"]
    assert list(figure.data[0].y)[-1] == "Financial"  # most tables at the top (plotly draws bottom-up)
    with_column = next(t for t in figure.data if t.name == "with tenant column")
    assert dict(zip(with_column.y, with_column.x, strict=True))["Core"] == 1  # the platform table is left out
    # Only has_tenant_column (no scope): with vs missing.
    simple = charts.tenant_coverage_by_category(scope[["category", "has_tenant_column"]])
    assert [t.name for t in simple.data] == ["with tenant column", "missing tenant column"]


def test_on_delete_distribution_orders_rules_and_counts_missing_keys():
    rules = pd.DataFrame({"on_delete": ["NO ACTION", "cascade", "CASCADE", "SET NULL", "NO FK", None, "RESTRICT"]})
    figure = charts.on_delete_distribution(rules)
    assert_titled(figure)
    bar = figure.data[0]
    assert list(bar.x) == ["CASCADE", "SET NULL", "RESTRICT", "NO ACTION", "NO FK"]
    assert list(bar.y) == [2, 1, 1, 2, 1]
    assert list(bar.marker.color) == [charts.RULE_COLORS[r] for r in bar.x]


def test_top_tables_by_findings(findings):
    figure = charts.top_tables_by_findings(findings, n=3)
    assert_titled(figure)
    assert figure.layout.title.text == "Top 3 tables by findings"
    # Most findings at the top (plotly draws the last category on top); a tie goes to the worst severity.
    assert list(figure.data[0].y) == ["public.kit_items", "public.invoices", "public.quotes"]
    counts = {t.name: dict(zip(t.y, t.x, strict=True)) for t in figure.data}
    assert counts["critical"]["public.quotes"] == 1 and counts["high"]["public.invoices"] == 2
    assert [t.name for t in figure.data] == ["critical", "high", "medium", "low"][:len(figure.data)]


def test_orphan_and_leak_counts_read_evidence_defensively(findings):
    csv_like = findings.copy()
    csv_like["evidence"] = csv_like["evidence"].map(json.dumps)  # evidence as JSON text, as from a CSV
    for frame in (findings, csv_like):
        figure = charts.orphan_and_leak_counts(frame)
        assert_titled(figure)
        assert [t.name for t in figure.data] == ["orphan_rows", "tenant_null_rows", "json_orphans", "rls_leak"]
        values = {y: x for t in figure.data for y, x in zip(t.y, t.x, strict=True)}
        assert values == {"orphan_rows: public.invoices.project_id": 12,
                          "tenant_null_rows: public.quotes.organization_id": 40,
                          "json_orphans: public.quotes.line_items": 3, "rls_leak: public.kit_items": 250}
        assert list(figure.layout.yaxis.categoryarray)[-1] == "rls_leak: public.kit_items"  # largest on top
    assert charts.affected_rows({"count": "17"}) == 17
    assert charts.affected_rows({"flag": True, "count": True}) is None
    structural = findings[~findings["check"].isin(checks_with_count())]
    assert_empty(charts.orphan_and_leak_counts(structural), "No data-level findings.")


def test_empty_inputs_give_a_figure_with_a_message():
    empty = findings_frame([])
    assert_empty(charts.findings_by_severity_category(empty), "No findings.")
    assert_empty(charts.findings_by_severity_category(None), "No findings.")
    assert_empty(charts.top_tables_by_findings(empty), "No findings on tables.")
    assert_empty(charts.top_tables_by_findings(findings_frame([finding("rls_disabled", "info", "security", None)])),
                 "No findings on tables.")
    assert_empty(charts.orphan_and_leak_counts(None), "No data-level findings.")
    assert_empty(charts.tenant_coverage_by_category(pd.DataFrame()), "No tables to classify.")
    assert_empty(charts.on_delete_distribution(pd.DataFrame({"on_delete": []})), "No foreign keys.")
    assert_empty(charts.table_sizes(None), "No tables.")


def test_names_are_shown_as_text_not_markup():
    hostile = findings_frame([finding("pk_missing", "low", "structure", "<b onmouseover=x>t</b>"),
                              finding("pk_missing", "low", "structure", "$x^2$")])
    figure = charts.top_tables_by_findings(hostile)
    labels = set(figure.data[0].y)
    assert "public.&lt;b onmouseover=x&gt;t&lt;/b&gt;" in labels
    assert "public.$x^2$" in labels  # only a leading $ switches LaTeX on
    assert charts._label("$x$") == "\u200b$x$"
    html = figure.to_html(include_plotlyjs=False, full_html=False)
    assert "mathjax" not in html.lower()


def test_table_sizes_from_a_real_catalog(make_db):
    url = make_db('''
        CREATE TABLE big (id int PRIMARY KEY, payload text);
        CREATE TABLE small (id int PRIMARY KEY);
        CREATE TABLE "<i>odd</i>" (id int);
        INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;
        INSERT INTO small VALUES (1);
    ''')
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    figure = charts.table_sizes(load_catalog(url), n=2)
    assert_titled(figure)
    bar = figure.data[0]
    assert list(bar.y) == ["public.small", "public.big"]  # largest at the top
    assert bar.x[1] > 1 and bar.x[1] > bar.x[0]
    assert bar.customdata[1][0] == "20,000"
    everything = charts.table_sizes(load_catalog(url))
    assert "public.&lt;i&gt;odd&lt;/i&gt;" in list(everything.data[0].y)


# -- static SVG (what the report shows) -----------------------------------------------------------------------------
def svg_bars(svg: str) -> dict[str, str]:
    """The bars of a chart drawn by figure_svg: tooltip → fill colour."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    space = "{http://www.w3.org/2000/svg}"
    return {rect.find(f"{space}title").text: rect.get("fill") for rect in root.iter(f"{space}rect")
            if rect.find(f"{space}title") is not None}


def test_every_chart_draws_as_static_svg_from_its_own_data(findings):
    stacked = charts.figure_svg(charts.findings_by_severity_category(findings))
    bars = svg_bars(stacked)  # parses as XML: a standalone SVG document
    assert bars["relationships: 2 medium"] == charts.SEVERITY_COLORS["medium"]
    assert bars["security: 1 critical"] == charts.SEVERITY_COLORS["critical"]
    assert len(bars) == sum(1 for t in charts.findings_by_severity_category(findings).data for y in t.y if y)
    assert "Findings by category and severity" in stacked and ">critical<" in stacked  # title and legend
    single = charts.figure_svg(charts.on_delete_distribution(pd.DataFrame({"on_delete": ["CASCADE", "NO FK"]})))
    assert svg_bars(single) == {"CASCADE: 1": charts.RULE_COLORS["CASCADE"], "NO FK: 1": charts.RULE_COLORS["NO FK"]}
    horizontal = svg_bars(charts.figure_svg(charts.orphan_and_leak_counts(findings)))
    assert horizontal["rls_leak: public.kit_items: 250 rls_leak"] == charts.DATA_CHECK_COLORS["rls_leak"]
    trends = pd.DataFrame({"run_id": [1, 2], "new": [4, 1], "fixed": [0, 3], "median_days_to_fix": [None, 2.0],
                           "generated_at": ["a", "b"]})
    relative = svg_bars(charts.figure_svg(charts.new_and_fixed_per_run(trends)))
    assert relative == {"run 2: 1 new": "#e65100", "run 2: 3 fixed": "#2e7d32"}  # fixed drawn below zero


def test_static_svg_of_an_empty_figure_shows_its_message():
    svg = charts.figure_svg(charts.findings_by_severity_category(None))
    assert "No findings." in svg and svg_bars(svg) == {}


def test_static_svg_shows_hostile_names_as_text():
    hostile = findings_frame([finding("pk_missing", "low", "structure", "<script>alert(1)</script>"),
                              finding("pk_missing", "low", "structure", "a&b")])
    svg = charts.figure_svg(charts.top_tables_by_findings(hostile))
    assert "<script" not in svg
    assert "public.&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "public.a&amp;b" in svg
    assert "&amp;lt;" not in svg  # escaped once for SVG, not twice


def test_orphan_and_leak_counts_keep_the_largest_when_limited(findings):
    figure = charts.orphan_and_leak_counts(findings, limit=2)
    values = {y: x for t in figure.data for y, x in zip(t.y, t.x, strict=True)}
    assert values == {"rls_leak: public.kit_items": 250, "tenant_null_rows: public.quotes.organization_id": 40}
    assert figure.layout.title.text.endswith("the 2 largest of 4")


def test_figures_share_one_template_lookup_and_keep_its_look(findings, monkeypatch):
    import plotly.io as pio

    reference = go.Figure().update_layout(template=charts.TEMPLATE)  # plotly's own way: copied and validated
    templates = type(pio.templates)
    lookup = templates.__getitem__
    looked_up: list[str] = []

    def counting(self, name):
        looked_up.append(name)
        return lookup(self, name)

    charts._template.cache_clear()
    monkeypatch.setattr(templates, "__getitem__", counting)
    figures = [charts.findings_by_severity_category(findings), charts.top_tables_by_findings(findings),
               charts.findings_by_severity_category(None)]
    # Looked up (and validated) once, not deep-copied for every figure: that copy was most of a chart's cost.
    assert looked_up.count(charts.TEMPLATE) == 1
    for figure in figures:
        assert figure.layout.template.to_plotly_json() == reference.layout.template.to_plotly_json()


def test_the_kernel_warm_up_loads_the_charts_template():
    from auditlib.report.pipeline import warm_up_kernel

    charts._template.cache_clear()
    warm_up_kernel()  # runs while the audit does: the report's first chart doesn't wait for the template
    assert charts._template.cache_info().currsize == 1
