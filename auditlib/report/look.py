"""The report's look inside JupyterLab, trusted or not.

The HTML report styles its blocks with the template's stylesheet (``al-badge``, ``al-table``, …). In JupyterLab
there is no such stylesheet, and a notebook whose outputs were not produced in the current session (a report
notebook papermill executed, a notebook someone sent) is untrusted: its HTML goes through JupyterLab's sanitizer,
which drops ``<style>`` elements, ``<script>`` and ``<svg>`` (leaving the diagram's labels as loose text) but keeps
``style`` attributes whose properties it knows, and ``<img>`` with a ``data:`` source.

So the look that must survive both is carried by inline ``style`` attributes limited to properties the sanitizer
keeps (``styled``), and a diagram is one SVG image (``auditlib.report.html.svg_html``), stored once, which the
sanitizer keeps and the report page's script puts inline.
"""

from __future__ import annotations

import re

# Class → inline style, the template's values, written only with properties JupyterLab's sanitizer keeps
# (no gap, grid or flex: they are dropped).
CLASS_STYLES = {
    "al-badge": "display:inline-block;color:#fff;border-radius:4px;padding:2px 10px;margin:0 6px 4px 0;"
                "font-weight:600",
    "al-note": "color:#666;font-size:.85rem",
    "al-narrative": "font-size:1.05rem;color:#333",
    "al-sql": "background:#f6f8fa;border:1px solid #d0d7de;padding:.8rem;overflow-x:auto;font-size:.8rem;"
              "white-space:pre-wrap",
    "al-diagram": "overflow-x:auto;border:1px solid #e5e7eb;margin:.5rem 0 1rem;padding:.5rem",
    "al-table": "border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem",
}
TAG_STYLES = {"dt": "font-weight:600;color:#555", "dd": "margin:0 0 .3rem 0"}
# Table cells: JupyterLab right-aligns them, draws no borders and lays tables out fixed (a long name would run into
# the next column unless it may wrap); the report's stylesheet covers its own tables, so only the workbench's own
# (small) tables get this inline.
CELL_STYLE = "border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word"
HEADER_CELL_STYLE = CELL_STYLE + ";background:#f3f5f7"

_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+=\"[^\"]*\")*)\s*(/?)>")
_UNTOUCHED = re.compile(r"(<script\b.*?</script>|<svg\b.*?</svg>)", re.S | re.I)
_ATTRIBUTE = re.compile(r'\s+([a-zA-Z-]+)="([^"]*)"')


def styled(html: str, *, cells: bool = False) -> str:
    """``html`` with the report's look as inline styles on its ``al-*`` blocks (and on table cells with ``cells``);
    a style already on an element wins over the added one."""

    styled_tags = {*TAG_STYLES, *(("td", "th") if cells else ())}

    def restyle(match: re.Match) -> str:
        tag, attributes, closing = match.group(1).lower(), match.group(2), match.group(3)
        if tag not in styled_tags and not any(name in attributes for name in CLASS_STYLES):
            return match.group(0)  # most tags: nothing to add
        found = dict(_ATTRIBUTE.findall(attributes))
        added = [CLASS_STYLES[name] for name in found.get("class", "").split() if name in CLASS_STYLES]
        if tag in TAG_STYLES:
            added.append(TAG_STYLES[tag])
        if cells and tag in ("td", "th"):
            added.append(HEADER_CELL_STYLE if tag == "th" else CELL_STYLE)
        added = [style for style in added if style not in found.get("style", "")]
        if not added:
            return match.group(0)
        style = ";".join(added + ([found["style"]] if found.get("style") else []))
        attributes = _ATTRIBUTE.sub(lambda a: "" if a.group(1) == "style" else a.group(0), attributes)
        return f'<{match.group(1)}{attributes} style="{style}"{" /" if closing else ""}>'

    # Scripts (the inlined plotting library) and inline SVG are left alone: only the HTML around them is styled.
    parts = _UNTOUCHED.split(html)
    return "".join(part if index % 2 else _TAG.sub(restyle, part) for index, part in enumerate(parts))

