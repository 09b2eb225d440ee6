"""Rendering diagrams: the ``Diagram`` object, escaping names for DOT, and laying DOT out as SVG with a timeout.

``render`` never hangs: past the timeout it tries the diagram's fallback, then a force-directed layout, then returns
a one-line placeholder. Names reach Graphviz only through ``_html`` (HTML-like labels, fully escaped) or ``_text``
(quoted strings with backslashes doubled), and node ids are sanitised, so a table called ``<script>`` is drawn as
text.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import os
import re
import string
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import graphviz

from auditlib.palette import EDGE_COLOR

log = logging.getLogger(__name__)

Table = tuple[str, str]  # (schema, table)

DEFAULT_TIMEOUT = 30.0      # seconds for one layout attempt
FONT = "Helvetica"          # metric-compatible with Arimo (bundled by graphviz-pure) and every browser's sans

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLAIN_ID = re.compile(r"[A-Za-z0-9_]+")


# -- escaping -------------------------------------------------------------------------------------------------------
def _html(value: Any) -> str:
    """Text for an HTML-like label: every markup character escaped, control characters replaced."""
    return html.escape(_CONTROL.sub("\ufffd", str(value)), quote=True)


def _text(value: Any, limit: int = 400) -> graphviz.quoting.NoHtml:
    """Text for a quoted attribute (tooltip): one line, backslashes doubled so no escape sequence survives, and
    marked so the graphviz package never mistakes ``<...>`` for an HTML label."""
    text = " ".join(_CONTROL.sub("\ufffd", str(value)).split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return graphviz.nohtml(text.replace("\\", "\\\\"))


def node_id(schema: str, table: str) -> str:
    """A DOT node id for a table: ``schema.table`` when both are plain identifiers, else a sanitised name plus a
    hash (unique, stable, and safe inside SVG titles and comments)."""
    if _PLAIN_ID.fullmatch(schema) and _PLAIN_ID.fullmatch(table):
        return f"{schema}.{table}"
    digest = hashlib.sha1(f"{schema}\x00{table}".encode()).hexdigest()[:10]
    return re.sub(r"[^A-Za-z0-9_]+", "_", f"{schema}.{table}")[:40] + "_" + digest


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:40] or "x"
    return slug if _PLAIN_ID.fullmatch(text) else f"{slug}_{hashlib.sha1(text.encode()).hexdigest()[:6]}"


# -- the diagram object and rendering -------------------------------------------------------------------------------
class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` plus its node count, its kind and a simpler diagram to draw when it can't be laid out
    in time. In a notebook it displays as inline SVG inside HTML (rendered with ``to_svg``'s timeout)."""

    def __init__(self, *args, kind: str = "diagram", **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.node_count = 0
        self.tables: list[Table] = []
        self.fallback: Diagram | None = None

    def copy(self) -> Diagram:
        duplicate = super().copy()
        duplicate.kind, duplicate.node_count = self.kind, self.node_count
        duplicate.tables, duplicate.fallback = list(self.tables), self.fallback
        return duplicate

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        return {"text/html": to_html(self), "text/plain": f"<{self.kind} diagram {self.name}: "
                                                         f"{self.node_count} nodes>"}


@dataclass
class Rendered:
    """The outcome of ``render``: the SVG, which diagram and engine produced it, how long it took, and why the
    requested diagram was not the one drawn (None when it was)."""

    svg: str
    diagram: str
    engine: str
    seconds: float
    fallback_reason: str | None = None


def _run_layout(source: str, engine: str, timeout: float, extra: Iterable[str] = ()) -> str:
    from auditlib.graphviz_setup import engine_command

    completed = subprocess.run([*engine_command(engine), *extra, "-Tsvg"], input=source.encode("utf-8"),
                               capture_output=True, timeout=timeout, check=False)
    svg = completed.stdout.decode("utf-8", errors="replace")
    if completed.returncode != 0 or "</svg>" not in svg:
        message = completed.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise RuntimeError(f"{engine} failed: {message[0] if message else f'exit code {completed.returncode}'}")
    return svg


def render(diagram: graphviz.Digraph, timeout: float = DEFAULT_TIMEOUT) -> Rendered:
    """Lay ``diagram`` out as SVG within ``timeout`` seconds per attempt; on a timeout or a layout failure try its
    fallback diagrams, then a force-directed layout (sfdp, straight edges), then return a placeholder SVG."""
    candidates: list[graphviz.Digraph] = []
    current: graphviz.Digraph | None = diagram
    while current is not None and len(candidates) < 4:
        candidates.append(current)
        current = getattr(current, "fallback", None)
    attempts = [(c, c.engine or "dot", ()) for c in candidates]
    attempts.append((candidates[-1], "sfdp", ("-Gsplines=false", "-Goverlap=prism")))
    reasons: list[str] = []
    started = time.perf_counter()
    for candidate, engine, extra in attempts:
        try:
            svg = _run_layout(candidate.source, engine, timeout, extra)
        except subprocess.TimeoutExpired:
            reasons.append(f"{candidate.name} with {engine}: no layout within {timeout:g} s")
            continue
        except RuntimeError as error:
            reasons.append(f"{candidate.name}: {error}")
            continue
        reason = "; ".join(reasons) or None
        if reason:
            log.warning("diagram %s drawn as %s (%s): %s", diagram.name, candidate.name, engine, reason)
        return Rendered(svg, candidate.name, engine, time.perf_counter() - started, reason)
    reason = "; ".join(reasons)
    log.warning("diagram %s could not be drawn: %s", diagram.name, reason)
    return Rendered(_placeholder_svg(diagram.name, reason), "placeholder", "none", time.perf_counter() - started,
                    reason)


def to_svg(diagram: graphviz.Digraph, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The diagram as an SVG document (see ``render`` for the timeout and fallbacks)."""
    return render(diagram, timeout).svg


def to_svgs(diagrams: list[graphviz.Digraph], timeout: float = DEFAULT_TIMEOUT) -> Iterator[str]:
    """The SVG of each diagram, in order, laid out by up to one ``dot`` per CPU at a time (the layouts are other
    processes: Python waits for them, and the caller can use each SVG while the next ones are laid out)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(len(diagrams), os.cpu_count() or 1)),
                            thread_name_prefix="auditlib-layout") as pool:
        yield from pool.map(lambda diagram: to_svg(diagram, timeout), diagrams)


def svg_inline(svg: str) -> str:
    """An SVG document as markup to embed in HTML: the XML prolog and doctype removed."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


# -- SVG as an image ------------------------------------------------------------------------------------------------
# Characters a data: URI can carry as they are inside a double-quoted attribute; everything else is
# percent-encoded (", #, %, &, newlines, non-ASCII). Keeping < and > readable keeps the SVG greppable in the file.
_URI_SAFE = " <>/=:;,.'()-_!*~[]{}@$+?|^`"


_URI_ESCAPED = re.compile(f"[^{re.escape(string.ascii_letters + string.digits + '_.-~' + _URI_SAFE)}]+")


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:image/svg+xml`` URI (UTF-8, percent-encoded where a URI needs it)."""
    # urllib's quote() looks at every byte in Python (over a second for a large schema's diagrams); only the runs
    # of characters that need it go through it here (the same few again and again: #, ", newlines), which gives
    # the same text.
    return "data:image/svg+xml;charset=utf-8," + _URI_ESCAPED.sub(lambda run: _percent_encoded(run.group()),
                                                                   _svg_body(svg))


@functools.lru_cache(maxsize=4096)
def _percent_encoded(text: str) -> str:
    return quote(text, safe=_URI_SAFE)


_GRAPHVIZ_FONT = re.compile(r""" font-family=(["'])Helvetica,sans-Serif\1""")
_LONG_DECIMAL = re.compile(r"(\d\.\d)\d+")
_WHOLE_DECIMAL = re.compile(r"(\d)\.0(?![\d.])")
_SVG_STYLE = "<style>text{font-family:Helvetica,Arial,sans-serif;white-space:pre}</style>"


_ROUNDED = {"<path": re.compile(r"( d=')([^']*)'"), "<text": re.compile(r"( [xy]=')([^']*)'")}


def _whole_numbers(match: re.Match) -> str:
    numbers = re.sub(r"-?\d+\.\d+", lambda n: str(round(float(n.group(0)))), match.group(2))
    return f"{match.group(1)}{numbers}'"


def _compact_tag(tag: re.Match) -> str:
    """One tag with its numbers to one decimal (none when it is .0; whole points for an edge's curve and a text's
    position, where a third of a pixel does not show) and its attributes in single quotes (a double quote costs
    three characters in a data: URI, a single one none)."""
    text = _WHOLE_DECIMAL.sub(r"\1", _LONG_DECIMAL.sub(r"\1", tag.group(0)))
    text = re.sub(r'="([^"\']*)"', r"='\1'", text)
    rounded = _ROUNDED.get(text[:5])
    return rounded.sub(_whole_numbers, text) if rounded else text


_TAG = re.compile(r"(<[^>]+>)")
_QUOTED_VALUE = re.compile(r'="([^"\'\x00]*)"')
_LONG_DECIMAL_TAIL = re.compile(r"(?<=\d\.\d)\d+")
_DOTTED_TWICE = re.compile(r"\d\.\d+\.\d")
_ROUNDED_TAG = re.compile(r"<(?:path|text)[^\x00]*")


def _compact_tags(svg: str) -> str:
    """``_compact_tag`` applied to every tag, on all the tags at once: a Python call per tag (and per number) took
    seconds on a large schema's diagrams. The tags are joined with NUL (which no SVG holds) so no pattern reaches
    from one tag into the next; the one-pass rewrite gives the same text when every double quote delimits an
    attribute value and no number has two dots, else the tags are compacted one by one."""
    parts = _TAG.split(svg)  # text, tag, text, tag, …, text
    if len(parts) == 1:
        return svg
    tags = "\x00".join(parts[1::2])
    if "\x00" in svg or _DOTTED_TWICE.search(tags) or 2 * len(_QUOTED_VALUE.findall(tags)) != tags.count('"'):
        return _TAG.sub(_compact_tag, svg)
    tags = _WHOLE_DECIMAL.sub(r"\1", _LONG_DECIMAL_TAIL.sub("", tags)).replace('"', "'")
    # an edge's curve and a text's position to whole points: one call per such tag, not per number
    tags = _ROUNDED_TAG.sub(lambda tag: _ROUNDED[tag.group(0)[:5]].sub(_whole_numbers, tag.group(0)), tags)
    parts[1::2] = tags.split("\x00")
    return "".join(parts)


def _svg_body(svg: str) -> str:
    """The ``<svg>`` element alone and compact: XML prolog, doctype, comments and the whitespace between tags
    removed, coordinates to one decimal, and what graphviz repeats on every text and group said once or not at all
    (about a third of the size of a large diagram, which the report embeds whole): its font and ``xml:space`` as
    one style rule, ``text-anchor='start'`` (the default), the ids of node and edge groups (they repeat across the
    diagrams of one page) and the group around each tooltip link."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S).strip()
    svg = re.sub(r">\s+<", "><", svg).replace("&#45;", "-")  # graphviz escapes every hyphen; XML needs none
    graphviz_text = bool(_GRAPHVIZ_FONT.search(svg))
    if graphviz_text:
        svg = _GRAPHVIZ_FONT.sub("", svg)
        svg = re.sub(r"""(<text\b[^>]*?) xml:space=(["'])preserve\2""", r"\1", svg)
        svg = re.sub(r"""(<text\b[^>]*?) text-anchor=(["'])start\2""", r"\1", svg)
        svg = re.sub(r"""(<g) id=(["'])[^"']*\2(?= class=(["'])(?:node|edge|cluster)\3)""", r"\1", svg)
        wrappers = len(re.findall(r"""<g id=["']a_[^"']*["']>""", svg))
        if wrappers and wrappers == svg.count("</a></g>"):
            svg = re.sub(r"""<g id=["']a_[^"']*["']>""", "", svg).replace("</a></g>", "</a>")
    # only inside tags, so the text the diagram shows keeps its numbers
    svg = _compact_tags(svg)
    if graphviz_text:
        # a table's background and its border: one polygon (graphviz draws two with the same points)
        svg = re.sub(r"<polygon fill='([^']*)' stroke='none' points='([^']*)'/><polygon fill='none' "
                     r"stroke='([^']*)'((?: stroke-width='[^']*')?(?: stroke-dasharray='[^']*')?) points='\2'/>",
                     r"<polygon fill='\1' stroke='\3'\4 points='\2'/>", svg)
        svg, rules = _text_classes(svg)
        svg = re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + _SVG_STYLE[:-8] + rules + "</style>", svg, count=1)
    return svg


_TEXT_STYLES = ("text-anchor", "font-weight", "font-style", "font-size", "fill")


def _text_classes(svg: str) -> tuple[str, str]:
    """Each ``<text>``'s look (size, colour, weight, anchor) as a class instead of attributes: a diagram repeats a
    handful of looks over hundreds of texts. The class names carry a hash of the diagram, so two diagrams inline in
    one page never restyle each other's texts. Returns the SVG and the CSS rules."""
    prefix = "t" + hashlib.sha1(svg.encode("utf-8")).hexdigest()[:6]
    looks: dict[tuple, str] = {}

    def restyle(tag: re.Match) -> str:
        attributes = dict(re.findall(r" ([a-z-]+)='([^']*)'", tag.group(1)))
        look = tuple((name, attributes[name]) for name in _TEXT_STYLES if name in attributes)
        if not look:
            return tag.group(0)
        name = looks.setdefault(look, f"{prefix}{len(looks)}")
        kept = re.sub(r" (?:" + "|".join(_TEXT_STYLES) + r")='[^']*'", "", tag.group(1))
        return f"<text{kept} class='{name}'>"

    svg = re.sub(r"<text((?: [a-z:-]+='[^']*')*)>", restyle, svg)
    rules = "".join(f".{name}{{" + ";".join(f"{prop}:{value}px" if prop == "font-size" else f"{prop}:{value}"
                                            for prop, value in look) + "}"
                    for look, name in looks.items())
    return svg, rules


def _svg_size(svg: str) -> tuple[int, int] | None:
    """The SVG's width and height in CSS pixels (graphviz writes points: 1pt = 4/3 px), when it says."""
    match = re.search(r'<svg[^>]*?\swidth="([\d.]+)(pt|px)?"[^>]*?\sheight="([\d.]+)(pt|px)?"', svg)
    if not match:
        return None
    factor = 4 / 3 if match.group(2) == "pt" else 1
    return round(float(match.group(1)) * factor), round(float(match.group(3)) * factor)


def svg_image(svg: str, alt: str, classes: str = "") -> str:
    """An ``<img>`` showing ``svg`` at its natural size (the CSS scales it down to the page width)."""
    size = _svg_size(svg)
    dimensions = f' width="{size[0]}" height="{size[1]}"' if size else ""
    # The URI holds no " or & (percent-encoded), so it goes in the attribute as it is; < and > are legal there.
    return (f'<img class="{html.escape(" ".join(["al-svg", *classes.split()]), quote=True)}" '
            f'alt="{html.escape(alt, quote=True)}"{dimensions} src="{svg_data_uri(svg)}">')


def to_html(diagram: graphviz.Digraph, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The diagram as an HTML fragment: an SVG image in a scrollable box. An ``<img>`` with a data: URI shows in an
    untrusted JupyterLab notebook too (its sanitizer strips inline ``<svg>`` to bare text); the report page's script
    puts it inline again (searchable names, tooltips)."""
    svg = to_svg(diagram, timeout)
    return (f'<div class="auditlib-diagram" style="overflow:auto;max-width:100%">'
            f"{svg_image(svg, getattr(diagram, 'name', 'diagram'))}</div>")


def _placeholder_svg(name: str, reason: str) -> str:
    lines = [f"The diagram {name} could not be laid out in time.", reason[:300],
             "Its tables are listed in the report's tables."]
    text = "".join(f'<text x="10" y="{24 + 20 * i}" font-family="{FONT}" font-size="13">{_html(line)}</text>'
                   for i, line in enumerate(lines))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="{30 + 20 * len(lines)}" '
            f'class="auditlib-placeholder">{text}</svg>\n')


def _new_diagram(name: str, kind: str) -> Diagram:
    from auditlib.graphviz_setup import GraphvizNotFound, ensure_dot

    try:  # puts a dot on PATH, so the graphviz package's own render()/pipe() work on the diagram too
        ensure_dot()
    except GraphvizNotFound:
        pass  # building the DOT source needs no dot; rendering raises the clear error
    graph = Diagram(name=_slug(name), kind=kind, engine="dot")
    graph.attr("graph", id=_slug(name), rankdir="LR", fontname=FONT, fontsize="11", nodesep="0.25",
               ranksep="0.8", splines="true", outputorder="edgesfirst", pad="0.2", labelloc="t", labeljust="l",
               forcelabels="false")
    graph.attr("node", shape="plain", fontname=FONT, fontsize="10")
    graph.attr("edge", fontname=FONT, fontsize="8", arrowsize="0.6", color=EDGE_COLOR)
    return graph
