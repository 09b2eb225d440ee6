"""Plotly charts of an audit: pure functions of DataFrames (findings, scopes, rules, the catalog) → Figure.

Every figure has a plain-text title and axis labels, orders its categories deterministically, gives each severity
(and each ON DELETE rule) the same colour everywhere, and never raises on empty input: it returns a figure with a
one-line annotation instead. Names from the database are shown as text: markup characters are escaped for plotly's
HTML-like text and a leading ``$`` can't switch on LaTeX (so no figure asks for MathJax).

``figure_svg`` draws any of these figures as a standalone SVG without a browser: that is what the report shows, so
it needs no JavaScript and no plotting library; notebooks can still show the plotly figures themselves.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from auditlib.findings import CATEGORIES, SEVERITIES, evidence_dict
from auditlib.palette import COVERAGE_STATUSES, DATA_CHECK_COLORS, RULE_COLORS, SEVERITY_COLORS

RULE_ORDER = ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION", "NO FK")
# Evidence keys that may hold the number of affected rows, tried in this order after the check's own count_key (for
# evidence read back from older exports).
COUNT_KEYS = ("orphan_count", "count", "visible_rows", "leaked_rows", "null_count", "dangling_count",
              "orphans", "rows")
FONT = "Helvetica, Arial, sans-serif"
TEMPLATE = "plotly_white"


# -- helpers --------------------------------------------------------------------------------------------------------
def _label(value: Any) -> str:
    """A database name as plotly text: markup escaped (plotly renders <b>, <a>, entities) and no LaTeX."""
    text = html.escape(str(value), quote=False)
    return "\u200b" + text if text.startswith("$") else text


@functools.cache
def _template() -> go.layout.Template:
    import plotly.io as pio

    return pio.templates[TEMPLATE]


def use_template(figure: go.Figure) -> None:
    """Put ``figure`` on the ``TEMPLATE`` look.

    Naming the template in ``update_layout`` deep-copies and re-validates all of it, about 25 ms a figure (most of a
    chart's cost); this assigns the registered, already validated template the way plotly applies its own default
    template: stored as its JSON, not validated again.
    """
    layout = figure.layout
    layout._validate = False
    try:
        layout.template = _template()
    finally:
        layout._validate = figure._validate


def _layout(figure: go.Figure, title: str, x_title: str | None, y_title: str | None, **extra) -> go.Figure:
    use_template(figure)
    figure.update_layout(title={"text": _label(title), "x": 0.01}, font={"family": FONT},
                         margin={"l": 10, "r": 10, "t": 60, "b": 10}, legend={"traceorder": "normal"}, **extra)
    figure.update_xaxes(title_text=_label(x_title) if x_title else None, automargin=True)
    figure.update_yaxes(title_text=_label(y_title) if y_title else None, automargin=True)
    return figure


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure holding only a title and a centred one-line message (for sections with nothing to plot)."""
    figure = go.Figure()
    figure.add_annotation(text=_label(message), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                          font={"size": 14, "color": "#616161"})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    use_template(figure)
    figure.update_layout(title={"text": _label(title), "x": 0.01}, font={"family": FONT},
                         height=220, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return figure


def _frame(findings: pd.DataFrame | Iterable | None) -> pd.DataFrame:
    """Findings as a DataFrame (a list of ``Finding`` objects is accepted too)."""
    if findings is None:
        return pd.DataFrame()
    if isinstance(findings, pd.DataFrame):
        return findings
    from auditlib.findings import findings_frame

    return findings_frame(list(findings))




def _has(frame: pd.DataFrame, *columns: str) -> bool:
    return len(frame) > 0 and all(c in frame.columns for c in columns)


def _ordered(values: Iterable[str], known: Iterable[str]) -> list[str]:
    """The distinct ``values``: those in ``known`` in its order, then the others alphabetically."""
    present = {str(v) for v in values}
    known = list(known)
    return [k for k in known if k in present] + sorted(present - set(known))


# -- charts ---------------------------------------------------------------------------------------------------------
def findings_by_severity_category(findings: pd.DataFrame | None) -> go.Figure:
    """Stacked bars: findings per category, one colour per severity (critical first)."""
    title = "Findings by category and severity"
    frame = _frame(findings)
    if not _has(frame, "severity", "category"):
        return empty_figure(title, "No findings.")
    counts = frame.groupby(["category", "severity"]).size()
    categories = _ordered(frame["category"], CATEGORIES)
    figure = go.Figure()
    for severity in _ordered(frame["severity"], SEVERITIES):
        values = [int(counts.get((c, severity), 0)) for c in categories]
        figure.add_bar(name=severity, x=[_label(c) for c in categories], y=values,
                       marker_color=SEVERITY_COLORS.get(severity, "#757575"),
                       hovertemplate="%{x}: %{y} " + severity + "<extra></extra>")
    return _layout(figure, title, "Category", "Findings", barmode="stack", legend_title_text="Severity")


def tenant_coverage_by_category(scope_df: pd.DataFrame | None) -> go.Figure:
    """Horizontal stacked bars per table category: tables with the tenant column, missing it, global, root.

    ``scope_df`` has ``category`` and ``has_tenant_column`` and/or ``scope`` (root | tenant | inherits | global |
    platform), as returned by ``Analysis.tenant_scope``; platform tables are left out.
    """
    title = "Tenant column coverage by table category"
    frame = scope_df if scope_df is not None else pd.DataFrame()
    if not _has(frame, "category") or not ({"has_tenant_column", "scope"} & set(frame.columns)):
        return empty_figure(title, "No tables to classify.")
    if "scope" in frame.columns:  # platform tables (auth, storage …) are not the audited application's
        frame = frame[frame["scope"] != "platform"]
        if not len(frame):
            return empty_figure(title, "No tables to classify.")
    statuses = [_coverage_status(r) for r in frame.to_dict("records")]
    data = pd.DataFrame({"category": frame["category"].astype(str).tolist(), "status": statuses})
    counts = data.groupby(["category", "status"]).size()
    totals = data.groupby("category").size()
    # Most tables at the top: plotly draws the first category at the bottom, so reverse.
    categories = sorted(totals.index, key=lambda c: (-int(totals[c]), c))[::-1]
    figure = go.Figure()
    for status in _ordered(data["status"], COVERAGE_STATUSES):
        figure.add_bar(name=status, orientation="h", y=[_label(c) for c in categories],
                       x=[int(counts.get((c, status), 0)) for c in categories],
                       marker_color=COVERAGE_STATUSES.get(status, "#757575"),
                       hovertemplate="%{y}: %{x} " + status + "<extra></extra>")
    return _layout(figure, title, "Tables", "Category", barmode="stack", legend_title_text="Tenant column",
                   height=max(300, 60 + 28 * len(categories)))


def _coverage_status(record: dict) -> str:
    scope = record.get("scope")
    has_column = record.get("has_tenant_column")
    if scope == "root":
        return "tenant root"
    if has_column is True or (has_column is not None and not pd.isna(has_column) and bool(has_column)):
        return "with tenant column"
    if scope == "global":
        return "global (no tenant data)"
    return "missing tenant column"


def on_delete_distribution(rules_df: pd.DataFrame | None) -> go.Figure:
    """Bars: how many foreign keys use each ON DELETE rule (plus references with no foreign key, "NO FK")."""
    title = "ON DELETE rules of foreign keys"
    frame = rules_df if rules_df is not None else pd.DataFrame()
    if not _has(frame, "on_delete"):
        return empty_figure(title, "No foreign keys.")
    rules = frame["on_delete"].fillna("NO ACTION").astype(str).str.upper().str.strip()
    counts = rules.value_counts()
    order = _ordered(rules, RULE_ORDER)
    figure = go.Figure(go.Bar(x=[_label(r) for r in order], y=[int(counts[r]) for r in order],
                              marker_color=[RULE_COLORS.get(r, "#757575") for r in order],
                              text=[int(counts[r]) for r in order], textposition="outside",
                              hovertemplate="%{x}: %{y}<extra></extra>", name="foreign keys"))
    return _layout(figure, title, "ON DELETE rule", "Foreign keys", showlegend=False)


def top_tables_by_findings(findings: pd.DataFrame | None, n: int = 15) -> go.Figure:
    """Horizontal stacked bars: the ``n`` tables with the most findings, by severity."""
    title = f"Top {n} tables by findings"
    frame = _frame(findings)
    if not _has(frame, "schema", "table", "severity"):
        return empty_figure(title, "No findings on tables.")
    frame = frame[frame["table"].notna() & frame["schema"].notna()]
    if not len(frame):
        return empty_figure(title, "No findings on tables.")
    names = (frame["schema"].astype(str) + "." + frame["table"].astype(str)).rename("name")
    data = pd.DataFrame({"name": names, "severity": frame["severity"].astype(str)})
    totals = data.groupby("name").size()
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    worst = data.assign(r=data["severity"].map(lambda s: rank.get(s, len(rank)))).groupby("name")["r"].min()
    top = sorted(totals.index, key=lambda t: (-int(totals[t]), int(worst[t]), t))[:n][::-1]
    counts = data.groupby(["name", "severity"]).size()
    figure = go.Figure()
    for severity in _ordered(data["severity"], SEVERITIES):
        figure.add_bar(name=severity, orientation="h", y=[_label(t) for t in top],
                       x=[int(counts.get((t, severity), 0)) for t in top],
                       marker_color=SEVERITY_COLORS.get(severity, "#757575"),
                       hovertemplate="%{y}: %{x} " + severity + "<extra></extra>")
    return _layout(figure, title, "Findings", "Table", barmode="stack", legend_title_text="Severity",
                   height=max(300, 60 + 26 * len(top)))


def affected_rows(evidence: Any, count_key: str | None = None) -> int | None:
    """The number of rows a data-level finding is about, read from its evidence: its check's ``count_key`` first,
    then the first of ``COUNT_KEYS``."""
    data = evidence_dict(evidence)
    for key in ((count_key,) if count_key else ()) + COUNT_KEYS:
        value = data.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) and not pd.isna(value):
            return int(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
    return None


def orphan_and_leak_counts(findings: pd.DataFrame | None, limit: int | None = None) -> go.Figure:
    """Horizontal bars: rows affected by each finding of a check that counts rows (a ``count_key``: orphans, NULL
    tenants, dangling JSON ids, rows leaked across tenants), coloured by check; with ``limit``, the largest ones
    (the title says how many of all)."""
    from auditlib.checks import checks_with_count

    title = "Orphaned, tenant-less and leaking rows"
    frame = _frame(findings)
    if not _has(frame, "check", "object"):
        return empty_figure(title, "No data-level findings.")
    counted = checks_with_count()
    frame = frame[frame["check"].isin(list(counted))]
    rows = []
    for record in frame.to_dict("records"):
        count = affected_rows(record.get("evidence"), counted[record["check"]])
        if count is not None:
            rows.append((str(record["check"]), str(record["object"]), count))
    if not rows:
        return empty_figure(title, "No data-level findings.")
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    if limit is not None and len(rows) > limit:
        title = f"{title}: the {limit} largest of {len(rows)}"
        rows = rows[:limit]
    figure = go.Figure()
    order = [f"{c}: {o}" for c, o, _ in rows][::-1]
    for check in _ordered([r[0] for r in rows], list(counted)):
        mine = [r for r in rows if r[0] == check]
        figure.add_bar(name=check, orientation="h", y=[_label(f"{c}: {o}") for c, o, _ in mine],
                       x=[n for _, _, n in mine], marker_color=DATA_CHECK_COLORS.get(check, "#757575"),
                       hovertemplate="%{y}: %{x} rows<extra></extra>")
    figure.update_yaxes(categoryorder="array", categoryarray=[_label(o) for o in order])
    return _layout(figure, title, "Rows", "Finding", barmode="stack", legend_title_text="Check",
                   height=max(300, 60 + 26 * len(rows)))


def table_sizes(catalog, n: int = 20, schemas: list[str] | None = None) -> go.Figure:
    """Horizontal bars: the ``n`` largest tables by total size (MB), with their estimated row counts."""
    title = f"Largest {n} tables"
    tables = catalog.user_tables(schemas) if catalog is not None else pd.DataFrame()
    if not _has(tables, "size_bytes", "row_estimate"):
        return empty_figure(title, "No tables.")
    data = pd.DataFrame({
        "name": tables["schema"].astype(str) + "." + tables["name"].astype(str),
        "size": pd.to_numeric(tables["size_bytes"], errors="coerce").fillna(0).astype("int64"),
        "rows": pd.to_numeric(tables["row_estimate"], errors="coerce").astype("Float64"),
    })
    data = data.sort_values(["size", "name"], ascending=[False, True], kind="stable").head(n).iloc[::-1]
    rows_text = ["unknown" if pd.isna(r) else f"{int(r):,}" for r in data["rows"]]
    figure = go.Figure(go.Bar(
        orientation="h", y=[_label(t) for t in data["name"]], x=(data["size"] / 1_048_576).round(3).tolist(),
        customdata=[[r] for r in rows_text], marker_color="#546e7a", name="size",
        text=[f"{r} rows" for r in rows_text], textposition="auto",
        hovertemplate="%{y}: %{x} MB, %{customdata[0]} rows (estimate)<extra></extra>"))
    return _layout(figure, title, "Total size (MB, with indexes and TOAST)", "Table", showlegend=False,
                   height=max(300, 60 + 26 * len(data)))


def findings_over_runs(trends: pd.DataFrame | None) -> go.Figure:
    """Stacked bars: findings by severity at each recorded run of a source (``History.trends``)."""
    title = "Findings by severity per run"
    if trends is None or not len(trends):
        return empty_figure(title, "No recorded runs.")
    figure = go.Figure()
    runs = [f"run {r}" for r in trends["run_id"]]
    for severity in SEVERITIES:
        figure.add_bar(name=severity, x=runs, y=trends[severity], marker_color=SEVERITY_COLORS[severity],
                       customdata=trends["generated_at"].astype(str),
                       hovertemplate="%{x} (%{customdata}): %{y} " + severity + "<extra></extra>")
    return _layout(figure, title, "Run", "Findings", barmode="stack", legend_title_text="Severity")


def new_and_fixed_per_run(trends: pd.DataFrame | None) -> go.Figure:
    """Bars: findings that appeared (up) and were fixed (down) at each recorded run, with the median days to fix."""
    title = "New and fixed findings per run"
    if trends is None or len(trends) < 2:
        return empty_figure(title, "One recorded run: nothing to compare yet.")
    trends = trends.iloc[1:]  # in the first run everything is new: that is the starting point, not news
    runs = [f"run {r}" for r in trends["run_id"]]
    figure = go.Figure()
    figure.add_bar(name="new", x=runs, y=trends["new"], marker_color="#e65100",
                   hovertemplate="%{x}: %{y} new<extra></extra>")
    figure.add_bar(name="fixed", x=runs, y=-trends["fixed"], marker_color="#2e7d32",
                   customdata=trends["median_days_to_fix"].fillna(0).round(1),
                   hovertemplate="%{x}: %{y} fixed, median %{customdata} days after first seen<extra></extra>")
    return _layout(figure, title, "Run", "Findings (fixed below zero)", barmode="relative")


# -- static SVG -----------------------------------------------------------------------------------------------------
# The report draws every chart as a static SVG (no JavaScript: it shows with scripts off, in an untrusted notebook,
# and in print, and the page carries no plotting library). The figures above stay plotly figures for notebooks;
# ``figure_svg`` draws the bar charts they are from their own traces and layout, so the two never disagree.
SVG_WIDTH = 900
_CHAR_WIDTH = 6.6       # average width of a 12 px sans-serif character, for sizing margins without a browser
_MAX_LABEL_CHARS = 48   # longer category labels are cut with "…" (the full name is in the bar's tooltip)


def _svg_text(value: Any) -> str:
    """Plotly text (markup already escaped by ``_label``) as SVG text: unescaped once, then escaped for XML."""
    text = html.unescape(str(value)).replace("\u200b", "")
    return html.escape(text, quote=True)


def _cut(text: str, limit: int = _MAX_LABEL_CHARS) -> str:
    plain = html.unescape(str(text)).replace("\u200b", "")
    return plain if len(plain) <= limit else plain[:limit - 1] + "…"


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(1, ticks)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _seq(values: Any) -> list:
    """A trace's x, y or text as a list (plotly keeps tuples, numpy arrays or None)."""
    return [] if values is None or isinstance(values, str) else list(values)


def _colour(marker_color: Any, index: int) -> str:
    if marker_color is not None and not isinstance(marker_color, str):
        colours = list(marker_color)
        return str(colours[index]) if index < len(colours) else "#757575"
    return str(marker_color) if marker_color else "#757575"


def figure_svg(figure: go.Figure, width: int = SVG_WIDTH) -> str:
    """A plotly bar chart (vertical or horizontal; stacked, relative or grouped) drawn as a standalone SVG
    document: title, axes with ticks, bars with a tooltip each, value labels, legend. A figure without bars (an
    ``empty_figure``) is drawn as its title and message."""
    layout = figure.layout
    title = _svg_text(layout.title.text or "") if layout.title else ""
    bars = [trace for trace in figure.data if trace.type == "bar"]
    horizontal = bool(bars) and all(trace.orientation == "h" for trace in bars)
    height = int(layout.height or (220 if not bars else 420))
    parts: list[str] = []
    if not bars:
        message = " ".join(_svg_text(a.text) for a in (layout.annotations or ()))
        parts.append(f'<text x="{width / 2:.0f}" y="{height / 2 + 10:.0f}" text-anchor="middle" '
                     f'fill="#616161" font-size="14">{message}</text>')
        return _svg_document(width, height, title, parts)

    # Categories in the order the traces give them (or the axis' explicit order), values per category and trace.
    category_axis = layout.yaxis if horizontal else layout.xaxis
    categories: list[str] = []
    for trace in bars:
        for category in _seq(trace.y if horizontal else trace.x):
            if category not in categories:
                categories.append(category)
    if category_axis.categoryorder == "array" and category_axis.categoryarray:
        explicit = [c for c in category_axis.categoryarray if c in categories]
        categories = explicit + [c for c in categories if c not in explicit]
    mode = layout.barmode or "group"
    stacked = mode in ("stack", "relative")
    values: list[dict[str, float]] = []
    for trace in bars:
        keys, numbers = _seq(trace.y if horizontal else trace.x), _seq(trace.x if horizontal else trace.y)
        values.append({k: float(v) for k, v in zip(keys, numbers, strict=False) if v is not None and not pd.isna(v)})
    if stacked:
        high = max([sum(max(v.get(c, 0), 0) for v in values) for c in categories] + [0])
        low = min([sum(min(v.get(c, 0), 0) for v in values) for c in categories] + [0])
    else:
        high = max([x for v in values for x in v.values()] + [0])
        low = min([x for v in values for x in v.values()] + [0])
    step = _nice_step((high - low) or 1)
    if all(float(x).is_integer() for v in values for x in v.values()):
        step = max(1, math.ceil(step))  # counts: whole-number ticks
    top = math.ceil(high / step) * step if high > 0 else 0
    bottom = math.floor(low / step) * step if low < 0 else 0
    if top == bottom:
        top = step

    legend = [(trace.name, _colour(trace.marker.color, 0)) for trace in bars
              if trace.name and (layout.showlegend is not False) and len(bars) > 1]
    longest = max((len(_cut(c)) for c in categories), default=1)
    margin_top = 56 if title else 20
    axis_title_x = layout.xaxis.title.text if layout.xaxis.title else None
    axis_title_y = layout.yaxis.title.text if layout.yaxis.title else None
    legend_width = 0
    if legend:
        legend_width = int(min(240, 34 + _CHAR_WIDTH * max(len(_cut(str(n), 30)) for n, _ in legend)))
    if horizontal:
        left = int(min(width * 0.45, 24 + _CHAR_WIDTH * longest)) + (18 if axis_title_y else 0)
        bottom_margin = 44 + (18 if axis_title_x else 0)
    else:
        rotate = longest * _CHAR_WIDTH > (width - 120 - legend_width) / max(1, len(categories)) - 6
        left = 64 + (18 if axis_title_y else 0)
        bottom_margin = (int(16 + _CHAR_WIDTH * longest * 0.72) if rotate else 30) + (22 if axis_title_x else 0)
    plot_left, plot_right = left, width - 16 - legend_width
    plot_top, plot_bottom = margin_top, height - bottom_margin
    if plot_bottom - plot_top < 40 * (1 if not horizontal else 0) + 20:
        plot_bottom = plot_top + 60
        height = plot_bottom + bottom_margin

    def scale(value: float) -> float:
        if horizontal:
            return plot_left + (value - bottom) / (top - bottom) * (plot_right - plot_left)
        return plot_bottom - (value - bottom) / (top - bottom) * (plot_bottom - plot_top)

    # Grid lines and value ticks.
    tick = bottom
    while tick <= top + step / 2:
        position = scale(tick)
        colour = "#9e9e9e" if tick == 0 else "#e5e7eb"
        if horizontal:
            parts.append(f'<line x1="{position:.1f}" y1="{plot_top}" x2="{position:.1f}" y2="{plot_bottom}" '
                         f'stroke="{colour}"/><text x="{position:.1f}" y="{plot_bottom + 16}" text-anchor="middle" '
                         f'fill="#555">{_number(tick)}</text>')
        else:
            parts.append(f'<line x1="{plot_left}" y1="{position:.1f}" x2="{plot_right}" y2="{position:.1f}" '
                         f'stroke="{colour}"/><text x="{plot_left - 6}" y="{position + 4:.1f}" text-anchor="end" '
                         f'fill="#555">{_number(tick)}</text>')
        tick += step

    # Bars: one band per category (plotly draws the first horizontal category at the bottom).
    band = ((plot_bottom - plot_top) if horizontal else (plot_right - plot_left)) / max(1, len(categories))
    thickness = band * 0.7
    groups = 1 if stacked else len(bars)
    for index, category in enumerate(categories):
        start = (plot_bottom - (index + 1) * band if horizontal else plot_left + index * band) + (band - thickness) / 2
        positive = negative = 0.0
        label = _cut(category)
        if horizontal:
            parts.append(f'<text x="{plot_left - 6}" y="{start + thickness / 2 + 4:.1f}" text-anchor="end" '
                         f'fill="#333">{html.escape(label)}</text>')
        else:
            x = start + thickness / 2
            y = plot_bottom + 16
            if rotate:
                parts.append(f'<text transform="translate({x:.1f},{y - 6}) rotate(-40)" text-anchor="end" '
                             f'fill="#333">{html.escape(label)}</text>')
            else:
                parts.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle" fill="#333">'
                             f'{html.escape(label)}</text>')
        for number, (trace, data) in enumerate(zip(bars, values, strict=True)):
            value = data.get(category)
            if not value:
                continue
            if stacked:
                base = positive if value > 0 else negative
                if value > 0:
                    positive += value
                else:
                    negative += value
                offset, size = start, thickness
            else:
                base = 0.0
                size = thickness / groups
                offset = start + number * size
            a, b = scale(base), scale(base + value)
            low_edge, extent = min(a, b), abs(b - a)
            keys = _seq(trace.y if horizontal else trace.x)
            colour = _colour(trace.marker.color, keys.index(category) if category in keys else 0)
            tooltip = f"{_cut(category, 200)}: {_number(abs(value) if mode == 'relative' else value)}"
            if trace.name and len(bars) > 1:
                tooltip += f" {html.unescape(str(trace.name))}"
            if horizontal:
                rect = (f'x="{low_edge:.1f}" y="{offset:.1f}" width="{max(extent, 0.5):.1f}" '
                        f'height="{size:.1f}"')
            else:
                rect = (f'x="{offset:.1f}" y="{low_edge:.1f}" width="{size:.1f}" '
                        f'height="{max(extent, 0.5):.1f}"')
            parts.append(f'<rect {rect} fill="{html.escape(colour)}"><title>{html.escape(tooltip)}</title></rect>')
            text = trace.text
            if _seq(text) and len(bars) == 1:
                shown = str(_seq(text)[keys.index(category)]) if category in keys else ""
                if horizontal:
                    inside = extent > len(shown) * _CHAR_WIDTH + 8
                    x = (low_edge + extent - 4) if inside else (low_edge + extent + 4)
                    parts.append(f'<text x="{x:.1f}" y="{offset + size / 2 + 4:.1f}" text-anchor='
                                 f'"{"end" if inside else "start"}" fill="{"#fff" if inside else "#333"}">'
                                 f'{_svg_text(shown)}</text>')
                else:
                    parts.append(f'<text x="{offset + size / 2:.1f}" y="{low_edge - 4:.1f}" text-anchor="middle" '
                                 f'fill="#333">{_svg_text(shown)}</text>')
    if axis_title_x:
        parts.append(f'<text x="{(plot_left + plot_right) / 2:.0f}" y="{height - 8}" text-anchor="middle" '
                     f'fill="#333">{_svg_text(axis_title_x)}</text>')
    if axis_title_y:
        middle = (plot_top + plot_bottom) / 2
        parts.append(f'<text transform="translate(14,{middle:.0f}) rotate(-90)" text-anchor="middle" '
                     f'fill="#333">{_svg_text(axis_title_y)}</text>')
    if legend:
        legend_title = layout.legend.title.text if layout.legend and layout.legend.title else None
        y = plot_top + 4
        x = width - legend_width + 8
        if legend_title:
            parts.append(f'<text x="{x}" y="{y + 8}" font-weight="bold" fill="#333">{_svg_text(legend_title)}</text>')
            y += 20
        for name, colour in legend:
            parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{html.escape(colour)}"/>'
                         f'<text x="{x + 18}" y="{y + 10}" fill="#333">{html.escape(_cut(str(name), 30))}</text>')
            y += 20
    return _svg_document(width, height, title, parts)


def _svg_document(width: int, height: int, title: str, parts: list[str]) -> str:
    heading = (f'<text x="10" y="28" font-size="17" fill="#222">{title}</text>' if title else "")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12" role="img">'
            f"<title>{title}</title>"
            f'<rect width="{width}" height="{height}" fill="#fff"/>{heading}{"".join(parts)}</svg>')
