"""Rendering helpers of the report: escaped HTML tables, copyable SQL, inline SVG and offline plotly figures.

Everything a report section holds goes through these: names from the database are escaped, plotly.js is embedded
once per kernel session, diagrams are inline SVG (searchable text), nothing is fetched from the network.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

_PLOTLY_STATE = {"included": False}  # shared by every figure of a kernel session: plotly.js goes in once


# -- rendering helpers -------------------------------------------------------------------------------------------
def esc(value: Any) -> str:
    """HTML-escape any value (names from the database are hostile until proven otherwise)."""
    return html.escape("" if value is None else str(value), quote=True)


def plotly_html(figure) -> str:
    """A plotly figure as an HTML fragment; plotly.js is embedded with the first figure only, MathJax never."""
    include = not _PLOTLY_STATE["included"]
    fragment = figure.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                              config={"displaylogo": False, "responsive": True})
    if include:
        _PLOTLY_STATE["included"] = True
        fragment = f"<script>{offline_plotlyjs()}</script>" + fragment
    return f'<div class="al-chart">{fragment}</div>'


def offline_plotlyjs() -> str:
    """plotly.js with its attribution links' absolute URLs escaped so the page holds no http(s) src/href."""
    from plotly.offline import get_plotlyjs

    return re.sub(r'(src|href)="http', r'\1="\\u0068ttp', get_plotlyjs())


def svg_html(svg: str) -> str:
    """Inline SVG without its XML prolog/DOCTYPE, so table names stay searchable and selectable text."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return f'<div class="al-diagram">{svg.strip()}</div>'


def table_html(frame: pd.DataFrame, max_rows: int = 500, classes: str = "al-table") -> str:
    """A DataFrame as an escaped HTML table (lists joined, dicts shown as key: value)."""
    if frame is None or not len(frame):
        return ""
    shown = frame.head(max_rows).copy()
    for column in shown.columns:
        shown[column] = shown[column].map(_cell_text)
    note = f"<p class='al-note'>Showing {max_rows} of {len(frame)} rows.</p>" if len(frame) > max_rows else ""
    return shown.to_html(index=False, escape=True, classes=classes, border=0, na_rep="") + note


def _cell_text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def sql_html(sql: str) -> str:
    """A copyable SQL block."""
    return f'<pre class="al-sql"><code>{esc(sql)}</code></pre>'
