"""Rendering helpers of the report: escaped HTML tables, copyable SQL, diagrams and charts as SVG images.

Everything a report section holds goes through these: names from the database are escaped, nothing is fetched from
the network and nothing needs JavaScript. Diagrams and charts are SVG images in ``data:`` URIs: they show with
scripts off, in print, and in an untrusted JupyterLab notebook (whose sanitizer strips inline ``<svg>`` to its bare
text but keeps ``<img>``); the report page's own small script puts the SVG inline when scripts run, so names in a
diagram are searchable and its tooltips show. Tables wrap long identifiers, scroll sideways inside their own box
when they are still too wide, and turn into one card per row on a phone (the CSS is in the report template).
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from auditlib.diagrams.render import svg_image

LONG_TABLE_ROWS = 12  # past this many rows a table may scroll in its own box on screen (when taller than it)


# -- rendering helpers -------------------------------------------------------------------------------------------
def esc(value: Any) -> str:
    """HTML-escape any value (names from the database are hostile until proven otherwise)."""
    return html.escape("" if value is None else str(value), quote=True)


def _svg_title(svg: str) -> str:
    match = re.search(r"<title>(.*?)</title>", svg, flags=re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def plotly_html(figure) -> str:
    """A plotly figure as a static SVG chart (``charts.figure_svg``): no JavaScript, no plotting library in the
    page; each bar carries its value as a tooltip once the page's script has put the SVG inline."""
    from auditlib.charts import figure_svg

    svg = figure_svg(figure)
    return f'<figure class="al-chart">{svg_image(svg, _svg_title(svg) or "chart")}</figure>'


def offline_plotlyjs() -> str:
    """plotly.js with its attribution links' absolute URLs escaped so the page holds no http(s) src/href (for a
    notebook that wants interactive figures; the report itself draws static charts)."""
    from plotly.offline import get_plotlyjs

    return re.sub(r'(src|href)="http', r'\1="\\u0068ttp', get_plotlyjs())


def svg_html(svg: str, *, caption: str = "", zoomable: bool = False) -> str:
    """A diagram: the SVG as an image fitted to the page width (and to one printed page), with an optional caption.
    ``zoomable`` diagrams (the whole-schema overview) get zoom and pan controls from the page's script and keep
    their own printed page."""
    title = caption or _svg_graph_title(svg) or "diagram"
    classes = "al-diagram al-zoomable" if zoomable else "al-diagram"
    figcaption = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure class="{classes}">{svg_image(svg, title)}{figcaption}</figure>'


def _svg_graph_title(svg: str) -> str:
    """The first line of text graphviz drew (the diagram's title), for the image's alt text."""
    match = re.search(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


def table_html(frame: pd.DataFrame, max_rows: int = 500, classes: str = "al-table") -> str:
    """A DataFrame as an escaped HTML table (lists joined, dicts shown as key: value) inside a box that scrolls
    sideways when the table is wider than the page; each cell carries its column name for the phone layout."""
    if frame is None or not len(frame):
        return ""
    shown = frame.head(max_rows)
    columns = [str(c) for c in shown.columns]
    head = "".join(f'<th scope="col">{_breakable(c)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td data-label="{esc(c)}">{_breakable(_cell_text(v))}</td>' for c, v in zip(columns, row,
                                                                                                         strict=True))
        + "</tr>" for row in shown.itertuples(index=False, name=None))
    note = f"<p class='al-note'>Showing {max_rows} of {len(frame)} rows.</p>" if len(frame) > max_rows else ""
    # A long table scrolls inside a box about a screen high (its header stays in view) instead of lengthening the
    # page by thousands of pixels; it prints in full.
    box = "al-table-wrap al-table-long" if len(shown) > LONG_TABLE_ROWS else "al-table-wrap"
    return (f'<div class="{box}" tabindex="0"><table class="{esc(classes)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>{note}")


_JOINS = re.compile(r"([._/])(?=[A-Za-z])")


def _breakable(text: str) -> str:
    """Escaped text with a line-break opportunity (``<wbr>``) after each dot, underscore and slash inside a word, so
    ``public.invoices.project_id`` wraps at its parts instead of in the middle of a name (and the column keeps a
    readable width: a table too wide for the page scrolls in its box instead)."""
    return _JOINS.sub(r"\1<wbr>", esc(text))


def _cell_text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if value is pd.NaT:
        return ""
    return str(value)


def sql_html(sql: str) -> str:
    """A copyable SQL block."""
    return f'<pre class="al-sql"><code>{esc(sql)}</code></pre>'
