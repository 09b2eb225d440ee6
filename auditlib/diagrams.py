"""ER, cascade and finding diagrams as graphviz Digraphs, built from a Catalog (and findings), rendered to SVG.

Views: ``er_overview`` (every table, or a domain-level summary past ``max_nodes``), ``er_domains`` (one diagram per
domain, split when a domain alone is too big), ``er_ego`` (a table and its neighbours), ``cascade_diagram`` (what
deleting one row reaches) and ``finding_diagram`` (the objects of one finding). Every diagram is a ``Diagram`` — a
``graphviz.Digraph`` that knows its node count and a simpler diagram to fall back on — and displays in a notebook as
inline SVG (HTML, so table names stay searchable text). ``to_svg`` renders with a timeout and never hangs: past it,
the fallback diagram, then a force-directed layout, then a one-line placeholder are tried in turn.

Names reach Graphviz only through ``_html`` (HTML-like labels, fully escaped) or ``_text`` (quoted strings with
backslashes doubled), and node ids are sanitised, so a table called ``<script>`` is drawn as text. Output is
deterministic: everything is sorted before it is drawn.
"""

from __future__ import annotations

import hashlib
import html
import logging
import math
import re
import subprocess
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import graphviz
import pandas as pd

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig
from auditlib.findings import SEVERITIES, evidence_dict
from auditlib.model import Analysis, Reference
from auditlib.model.cascade import cascade_walk
from auditlib.model.tenancy import table_category
from auditlib.palette import (
    BORDER_COLOR,
    CLUSTER_BORDER_COLOR,
    CLUSTER_FILL,
    EDGE_COLOR,
    EXTERNAL_BORDER_COLOR,
    EXTERNAL_COLOR,
    EXTERNAL_TEXT_COLOR,
    FOCUS_BORDER_COLOR,
    FOCUS_COLOR,
    HEADER_COLOR,
    HEADER_TEXT_COLOR,
    KEY_MARK_COLOR,
    MARK_COLOR,
    MISSING_COLOR,
    NOTE_TEXT_COLOR,
    PROTECTED_BORDER_COLOR,
    PROTECTED_COLOR,
    RULE_COLORS,
    SEVERE_HEADER_TEXT_COLOR,
    SEVERITY_COLORS,
    SEVERITY_FILLS,
    TABLE_FILL,
    TYPE_TEXT_COLOR,
)

log = logging.getLogger(__name__)

Table = tuple[str, str]

DEFAULT_TIMEOUT = 30.0      # seconds for one layout attempt
MAX_KEY_ROWS = 12           # key columns listed in a table node before "+N more"
HUB_MIN_REFERENCES = 10    # a table referenced from this many drawn tables (and a third of them) is a hub
BAND_TABLES = 4            # the overview puts about sqrt(tables / BAND_TABLES) bands of clusters side by side
MIN_PREFIX_GROUP = 3        # "Other" tables sharing a name prefix at least this often form their own domain
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


def _count(number: int, noun: str) -> str:
    return f"+{number} {noun}{'s' if number != 1 else ''}"


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


def svg_inline(svg: str) -> str:
    """An SVG document as markup to embed in HTML: the XML prolog and doctype removed."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def to_html(diagram: graphviz.Digraph, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The diagram as an HTML fragment holding inline SVG (text stays selectable and searchable), scrollable."""
    return (f'<div class="auditlib-diagram" style="overflow:auto;max-width:100%">'
            f"{svg_inline(to_svg(diagram, timeout))}</div>")


def _placeholder_svg(name: str, reason: str) -> str:
    lines = [f"The diagram {name} could not be laid out in time.", reason[:300],
             "Its tables are listed in the report's tables."]
    text = "".join(f'<text x="10" y="{24 + 20 * i}" font-family="{FONT}" font-size="13">{_html(line)}</text>'
                   for i, line in enumerate(lines))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="{30 + 20 * len(lines)}" '
            f'class="auditlib-placeholder">{text}</svg>\n')


# -- the catalog as a graph -----------------------------------------------------------------------------------------
def _records(frame: pd.DataFrame | Iterable | None) -> list[dict]:
    """Rows as dicts, from a DataFrame or (for findings) a list of ``Finding`` objects."""
    if frame is None:
        return []
    if not isinstance(frame, pd.DataFrame):
        return [f.to_dict() if hasattr(f, "to_dict") else dict(f) for f in frame]
    return frame.to_dict("records") if len(frame) else []




def _missing_references(analysis: Analysis) -> list[Reference]:
    """References without a foreign key, from the run's model (none when the inference fails)."""
    try:
        return list(analysis.inferred)
    except Exception as error:  # a heuristics failure must not cost the diagram
        log.warning("inferred references unavailable for diagrams: %s", error)
        return []


def _category_function(config: AuditConfig) -> Callable[[str], str]:
    return lambda name: table_category(name, config)


def _prefix(table: str) -> str:
    return table.split("_", 1)[0] or table


class Graph:
    """The catalog seen as a graph of tables, built once per diagram call: keys, references, domains, findings.

    The references are the run's model (``analysis``, built here when none is given): declared foreign keys and
    the inferred references no constraint enforces.
    """

    def __init__(self, catalog: Catalog, config: AuditConfig | None = None, findings: pd.DataFrame | None = None,
                 schemas: list[str] | str | None = None, analysis: Analysis | None = None):
        self.catalog = catalog
        self.config = config or (analysis.config if analysis is not None else AuditConfig())
        analysis = analysis if analysis is not None else Analysis(catalog, self.config)
        self.tenant_column = self.config.tenant_column
        tables = catalog.user_tables()
        self.relations: dict[Table, dict] = {(r["schema"], r["name"]): r for r in _records(tables)}
        if schemas is None:
            schemas = self.config.audited_schemas(sorted({s for s, _ in self.relations}))
        elif schemas == "all":
            schemas = sorted({s for s, _ in self.relations})
        wanted = set(schemas)
        self.scope: list[Table] = sorted(t for t in self.relations if t[0] in wanted)
        self.columns: dict[Table, list[dict]] = defaultdict(list)
        for record in _records(catalog.columns):
            key = (record["schema"], record["table"])
            if key in self.relations:
                self.columns[key].append(record)
        for cols in self.columns.values():
            cols.sort(key=lambda c: c["position"])
        self.primary_keys = {key: list(catalog.primary_key(*key)) for key in self.relations}

        references = list(analysis.declared)
        declared = {(r.schema, r.table, r.columns) for r in references}
        references += [r for r in _missing_references(analysis) if (r.schema, r.table, r.columns) not in declared]
        self.references = sorted(references, key=lambda r: (r.schema, r.table, r.columns, r.ref_schema,
                                                            r.ref_table, not r.declared, r.constraint or ""))
        self.outgoing: dict[Table, list[Reference]] = defaultdict(list)
        self.incoming: dict[Table, list[Reference]] = defaultdict(list)
        for ref in self.references:
            self.outgoing[ref.source].append(ref)
            self.incoming[ref.target].append(ref)

        self.worst: dict[Table, str] = {}
        self.finding_counts: dict[Table, int] = defaultdict(int)
        for record in _records(findings):
            if not (isinstance(record.get("schema"), str) and isinstance(record.get("table"), str)
                    and record.get("severity") in SEVERITIES):
                continue
            key = (record["schema"], record["table"])
            self.finding_counts[key] += 1
            if key not in self.worst or SEVERITIES.index(record["severity"]) < SEVERITIES.index(self.worst[key]):
                self.worst[key] = record["severity"]

        self.main_schema = max(sorted({s for s, _ in self.scope}) or ["public"],
                               key=lambda s: sum(1 for t in self.scope if t[0] == s))
        self._domains = self._assign_domains()

    # -- domains --------------------------------------------------------------------------------------------------
    def _assign_domains(self) -> dict[Table, str]:
        category = _category_function(self.config)
        multi_schema = len({s for s, _ in self.scope}) > 1
        raw: dict[Table, str] = {}
        for key in self.relations:
            try:
                raw[key] = category(key[1])
            except Exception:  # a broken categories setting falls back to name prefixes
                raw[key] = _prefix(key[1])
        # "Other" is not a domain: tables there that share a name prefix often enough get one of their own.
        prefix_counts: dict[str, int] = defaultdict(int)
        for key, name in raw.items():
            if name == "Other":
                prefix_counts[_prefix(key[1])] += 1
        domains = {}
        for key, name in raw.items():
            if name == "Other" and prefix_counts[_prefix(key[1])] >= MIN_PREFIX_GROUP:
                name = _prefix(key[1])
            domains[key] = f"{key[0]}: {name}" if multi_schema or key[0] != self.main_schema else name
        return domains

    def domain(self, key: Table) -> str:
        return self._domains.get(key) or f"{key[0]}: {_prefix(key[1])}"

    # -- labels ---------------------------------------------------------------------------------------------------
    def display_name(self, key: Table) -> str:
        return key[1] if key[0] == self.main_schema else f"{key[0]}.{key[1]}"

    def key_columns(self, key: Table) -> list[tuple[str, dict]]:
        """(marker, column) for the columns worth drawing: primary key, foreign keys, references, tenant column."""
        pk = set(self.primary_keys.get(key, []))
        fk = {c for r in self.outgoing.get(key, []) if r.declared for c in r.columns}
        inferred = {c for r in self.outgoing.get(key, []) if not r.declared for c in r.columns}
        rows = []
        for column in self.columns.get(key, []):
            name = column["name"]
            marks = [m for m, hit in (("PK", name in pk), ("FK", name in fk), ("FK?", name in inferred and
                                                                                  name not in fk),
                                      ("T", name == self.tenant_column)) if hit]
            if marks:
                rows.append((" ".join(marks), column))
        return rows

    def table_label(self, key: Table, *, external: bool = False, fill: str | None = None,
                    highlight: Iterable[str] = (), note: str | None = None, hubs: Iterable[Table] = (),
                    border: str | None = None) -> tuple[str, dict[str, str]]:
        """The HTML-like label of a table node and the ports of its columns (column name → port). A key column
        referencing one of ``hubs`` names the table it references (its edge is not drawn)."""
        highlight = set(highlight)
        hubs = set(hubs)
        hub_target = {c: r.target for r in self.outgoing.get(key, []) if r.target in hubs and r.target != key
                      for c in r.columns}
        worst = self.worst.get(key)
        header, header_text = HEADER_COLOR, HEADER_TEXT_COLOR
        if external:
            header, header_text = EXTERNAL_COLOR, EXTERNAL_TEXT_COLOR
        elif worst in ("critical", "high"):
            header, header_text = SEVERITY_COLORS[worst], SEVERE_HEADER_TEXT_COLOR
        title = f"<B>{_html(self.display_name(key))}</B>"
        if note:
            title += f'<BR/><FONT POINT-SIZE="8">{_html(note)}</FONT>'
        width = "2" if border else "1"
        border = border or (BORDER_COLOR if not external else EXTERNAL_BORDER_COLOR)
        style = ' STYLE="dashed"' if external else ""
        body = (f'<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{border}" '
                f'BGCOLOR="{fill or TABLE_FILL}"{style}>'
                f'<TR><TD COLSPAN="3" BGCOLOR="{header}"><FONT COLOR="{header_text}">{title}</FONT></TD></TR>')
        ports: dict[str, str] = {}
        if not external:
            rows = self.key_columns(key)
            shown = rows[:MAX_KEY_ROWS]
            for index, (marks, column) in enumerate(shown):
                port = f"p{index}"
                ports[column["name"]] = port
                colour = MISSING_COLOR if "FK?" in marks else KEY_MARK_COLOR
                background = f' BGCOLOR="{MARK_COLOR}"' if column["name"] in highlight else ""
                data_type = str(column.get("data_type") or "")
                if column["name"] in hub_target:
                    data_type = "→ " + self.display_name(hub_target[column["name"]])
                data_type = data_type if len(data_type) <= 24 else data_type[:23] + "…"
                body += (f'<TR><TD ALIGN="LEFT"{background}><FONT COLOR="{colour}" POINT-SIZE="8">{_html(marks)}'
                         f'</FONT></TD><TD ALIGN="LEFT" PORT="{port}"{background}>{_html(column["name"])}</TD>'
                         f'<TD ALIGN="LEFT"{background}><FONT COLOR="{TYPE_TEXT_COLOR}" POINT-SIZE="8">{_html(data_type)}'
                         f"</FONT></TD></TR>")
            hidden_keys = len(rows) - len(shown)
            others = len(self.columns.get(key, [])) - len(rows)
            extra = ", ".join(p for p in (_count(hidden_keys, "more key") if hidden_keys else "",
                                          _count(others, "other column") if others else "") if p)
            if extra:
                body += (f'<TR><TD COLSPAN="3" ALIGN="LEFT"><FONT COLOR="{NOTE_TEXT_COLOR}" POINT-SIZE="8">{_html(extra)}'
                         f"</FONT></TD></TR>")
        body += "</TABLE>"
        return f"<{body}>", ports

    def tooltip(self, key: Table) -> graphviz.quoting.NoHtml:
        relation = self.relations.get(key, {})
        parts = [f"{key[0]}.{key[1]}", f"domain {self.domain(key)}"]
        if self.finding_counts.get(key):
            count = self.finding_counts[key]
            parts.append(f"{count} finding{'s' if count != 1 else ''} (worst: {self.worst[key]})")
        if relation.get("comment"):
            parts.append(str(relation["comment"]))
        return _text(" · ".join(parts))

    # -- drawing --------------------------------------------------------------------------------------------------
    def add_table(self, graph: graphviz.Digraph, key: Table, ports: dict[Table, dict[str, str]], *,
                  external: bool = False, **label_options) -> None:
        label, table_ports = self.table_label(key, external=external, **label_options)
        ports[key] = table_ports
        graph.node(node_id(*key), label=label, tooltip=self.tooltip(key))

    def add_reference(self, graph: graphviz.Digraph, ref: Reference, ports: dict[Table, dict[str, str]],
                      label: str | None = None, constraint: bool = True) -> None:
        tail = node_id(*ref.source)
        port = ports.get(ref.source, {}).get(ref.columns[0]) if ref.columns else None
        if port:
            tail = f"{tail}:{port}"
        if not ref.declared:
            attrs = {"style": "dashed", "color": MISSING_COLOR, "fontcolor": MISSING_COLOR, "penwidth": "1.4"}
            text = label or "no FK"
        else:
            colour = RULE_COLORS.get(ref.on_delete or "", EDGE_COLOR)
            attrs = {"color": colour, "fontcolor": colour}
            if ref.on_delete == "CASCADE":
                attrs["penwidth"] = "1.4"
            text = label or (ref.on_delete or "")
        if not constraint:
            attrs["constraint"] = "false"
        graph.edge(tail, node_id(*ref.target), xlabel=_text(text), tooltip=_text(ref.label()), **attrs)


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


def _legend(model: Graph, hubs: Iterable[Table] = (), missing: bool = True) -> str:
    parts = ["PK primary key", "FK foreign key", f"T tenant column ({model.tenant_column})"]
    if missing:
        parts.insert(2, "FK? reference without a foreign key")
    edges = ["red: ON DELETE CASCADE", "blue: SET NULL", "grey: NO ACTION / RESTRICT"]
    if missing:
        edges.append("dashed orange: missing foreign key")
    text = " · ".join(parts) + " — edges: " + ", ".join(edges)
    hubs = [model.display_name(h) for h in hubs]
    if hubs:
        text += f"; edges into {', '.join(hubs)} not drawn (most tables reference them; see the → in their rows)"
    return text


def _titled(graph: Diagram, title: str, legend: str) -> None:
    graph.attr("graph", label=f'<<B>{_html(title)}</B><BR/><FONT POINT-SIZE="9">{_html(legend)}</FONT>>')


def _hubs(model: Graph, tables: list[Table]) -> list[Table]:
    """Tables so many of ``tables`` refer to (the tenant root, users) that their edges would hide all others: at
    least ``HUB_MIN_REFERENCES`` referencing tables and a third of those drawn."""
    inside = set(tables)
    referrers: dict[Table, set[Table]] = defaultdict(set)
    for key in tables:
        for ref in model.outgoing.get(key, []):
            if ref.target != key:
                referrers[ref.target].add(key)
    return sorted(t for t, sources in referrers.items()
                  if len(sources) >= max(HUB_MIN_REFERENCES, len(inside) / 3))


def _draw_tables(model: Graph, graph: Diagram, tables: list[Table], externals: list[Table], *,
                 cluster: bool, references: list[Reference] | None = None,
                 label_options: dict[Table, dict] | None = None, hide_hubs: bool = False,
                 bands: int | None = None) -> list[Table]:
    """Draw ``tables`` (clustered by domain when ``cluster``), greyed ``externals`` and the references among them.
    With ``hide_hubs`` the edges into hub tables are left out (their FK rows name the table instead). Clusters are
    laid out in ``bands`` side by side (default: about square) instead of one long column. Returns the hubs."""
    if bands is None:
        bands = max(1, round(math.sqrt(len(tables) / BAND_TABLES)))
    ports: dict[Table, dict[str, str]] = {}
    label_options = label_options or {}
    hubs = _hubs(model, tables) if hide_hubs else []
    if hubs:
        externals = [key for key in externals if key not in hubs]  # they would stand alone, without edges
        label_options = {key: {**label_options.get(key, {}), "hubs": hubs} for key in [*tables, *externals]}
    band_of: dict[Table, int] = {}
    if cluster:
        by_domain: dict[str, list[Table]] = defaultdict(list)
        for key in tables:
            by_domain[model.domain(key)].append(key)
        domain_band = _bands({d: len(keys) for d, keys in by_domain.items()}, bands or 1)
        band_of = {key: domain_band[model.domain(key)] for key in tables}
        for index, domain in enumerate(sorted(by_domain)):
            with graph.subgraph(name=f"cluster_{index}") as sub:
                sub.attr(label=f"<<B>{_html(domain)}</B>>", style="rounded,filled", fillcolor=CLUSTER_FILL,
                         color=CLUSTER_BORDER_COLOR, fontname=FONT, fontsize="12", id=f"{graph.name}_cluster_{index}")
                for key in sorted(by_domain[domain]):
                    model.add_table(sub, key, ports, **label_options.get(key, {}))
    else:
        for key in tables:
            model.add_table(graph, key, ports, **label_options.get(key, {}))
    for key in externals:
        model.add_table(graph, key, ports, external=True, **label_options.get(key, {}))
        if band_of:
            band_of[key] = max(band_of.values())
    _separate_bands(graph, band_of)
    drawn = set(tables) | set(externals)
    if references is None:
        references = [r for key in tables for r in model.outgoing.get(key, []) if r.target in drawn]
    hidden = set(hubs)
    for ref in references:
        if ref.source in drawn and ref.target in drawn and ref.target not in hidden:
            crossing = band_of.get(ref.source) != band_of.get(ref.target)
            model.add_reference(graph, ref, ports, constraint=not crossing)
    graph.node_count = len(drawn)
    graph.tables = sorted(drawn)
    return hubs


def _bands(sizes: dict[str, int], count: int) -> dict[str, int]:
    """Domains → band numbers, balancing the number of tables per band (largest domains placed first)."""
    load = [0] * max(1, count)
    assigned = {}
    for domain in sorted(sizes, key=lambda d: (-sizes[d], d)):
        band = min(range(len(load)), key=lambda b: (load[b], b))
        assigned[domain] = band
        load[band] += sizes[domain]
    return assigned


def _separate_bands(graph: graphviz.Digraph, band_of: dict[Table, int]) -> None:
    """Invisible ranks between bands: every table of band b comes before a separator that comes before every
    table of band b+1, so dot lays the bands out side by side (edges between bands don't constrain ranks)."""
    count = max(band_of.values(), default=0) + 1
    if count < 2:
        return
    graph.attr("graph", newrank="true")  # rank clusters globally, else dot ignores the separators
    members: dict[int, list[Table]] = defaultdict(list)
    for key, band in sorted(band_of.items()):
        members[band].append(key)
    for band in range(count - 1):
        separator = f"band_{band}"
        graph.node(separator, label="", shape="point", style="invis", width="0", height="0")
        for key in members[band]:
            graph.edge(node_id(*key), separator, style="invis", weight="0")
        for key in members[band + 1]:
            graph.edge(separator, node_id(*key), style="invis", weight="0")


def _externals(model: Graph, tables: Iterable[Table]) -> list[Table]:
    inside = set(tables)
    return sorted({r.target for key in inside for r in model.outgoing.get(key, []) if r.target not in inside
                   and r.target in model.relations})


# -- views ----------------------------------------------------------------------------------------------------------
def er_overview(catalog: Catalog, findings: pd.DataFrame | None = None, config: AuditConfig | None = None,
                max_nodes: int = 150, schemas: list[str] | None = None, hide_hubs: bool = True,
                analysis: Analysis | None = None) -> Diagram:
    """Every audited table clustered by domain (with greyed tables they reference elsewhere), or — past
    ``max_nodes`` nodes — the domain-level summary (one node per domain, edges weighted by foreign-key counts).
    ``hide_hubs`` leaves out the edges into tables most others reference (the tenant root, users)."""
    model = Graph(catalog, config, findings, schemas, analysis=analysis)
    summary = _domain_summary(model, max_nodes)
    externals = _externals(model, model.scope)
    if len(model.scope) + len(externals) > max_nodes:
        return summary
    graph = _new_diagram("er_overview", "tables")
    hubs = _draw_tables(model, graph, model.scope, externals, cluster=True, hide_hubs=hide_hubs)
    _titled(graph, f"Entity-relationship overview: {len(model.scope)} tables", _legend(model, hubs))
    graph.fallback = summary
    return graph


def er_summary(catalog: Catalog, findings: pd.DataFrame | None = None, config: AuditConfig | None = None,
               max_nodes: int = 150, schemas: list[str] | None = None, analysis: Analysis | None = None) -> Diagram:
    """The domain-level summary: one node per domain with its table count, edges weighted by foreign keys."""
    return _domain_summary(Graph(catalog, config, findings, schemas, analysis=analysis), max_nodes)


def _domain_summary(model: Graph, max_nodes: int) -> Diagram:
    scope = set(model.scope)
    outside_schemas = sorted({r.ref_schema for r in model.references if r.source in scope
                              and r.target not in scope and r.target in model.relations})
    members: dict[str, list[Table]] = defaultdict(list)
    for key in model.scope:
        members[model.domain(key)].append(key)
    names = sorted(members, key=lambda d: (-len(members[d]), d))
    limit = max(1, max_nodes - len(outside_schemas))
    merged: dict[str, str] = {d: d for d in names}
    if len(names) > limit:  # too many small domains: the smallest share one node
        other = f"Other ({len(names) - limit + 1} small domains)"
        for name in names[limit - 1:]:
            merged[name] = other
    groups: dict[str, list[Table]] = defaultdict(list)
    for name, keys in members.items():
        groups[merged[name]].extend(keys)
    group_of = {key: merged[model.domain(key)] for key in model.scope}

    graph = _new_diagram("er_summary", "summary")
    _titled(graph, f"Domains: {len(model.scope)} tables in {len(groups)} domains",
            "one box per domain (table count, findings); edge labels count foreign keys between domains; dashed "
            "orange: references without a foreign key; greyed: tables in other schemas")
    graph.attr("node", shape="box", style="rounded,filled", fillcolor=HEADER_COLOR, color=BORDER_COLOR)
    graph.attr("graph", ranksep="1.0", nodesep="0.4")
    ids = {name: f"domain_{i}" for i, name in enumerate(sorted(groups))}
    for name in sorted(groups):
        keys = groups[name]
        severities = [model.worst[k] for k in keys if k in model.worst]
        worst = min(severities, key=SEVERITIES.index) if severities else None
        findings = sum(model.finding_counts.get(k, 0) for k in keys)
        lines = f"<B>{_html(name)}</B><BR/>{len(keys)} tables"
        if findings:
            lines += f"<BR/>{findings} finding{'s' if findings != 1 else ''} (worst: {_html(worst)})"
        fill = SEVERITY_FILLS.get(worst or "", HEADER_COLOR)
        sample = ", ".join(k[1] for k in sorted(keys)[:8]) + (" …" if len(keys) > 8 else "")
        graph.node(ids[name], label=f"<{lines}>", fillcolor=fill, tooltip=_text(f"{name}: {sample}"))
    outside = {schema: f"schema_{i}" for i, schema in enumerate(outside_schemas)}
    for schema, node in outside.items():
        graph.node(node, label=f"<<B>{_html(schema)}</B><BR/>(other schema)>", fillcolor=EXTERNAL_COLOR,
                   style="rounded,filled,dashed")
    # Edges between domains, and to the other schemas, weighted by the number of references.
    counts: dict[tuple[str, str, bool], int] = defaultdict(int)
    for ref in model.references:
        if ref.source not in scope:
            continue
        source = ids[group_of[ref.source]]
        if ref.target in scope:
            target = ids[group_of[ref.target]]
        elif ref.target in model.relations:
            target = outside[ref.ref_schema]
        else:
            continue
        if source != target:
            counts[(source, target, not ref.declared)] += 1
    names_of = {node: name for name, node in ids.items()} | {node: schema for schema, node in outside.items()}
    for (source, target, missing), count in sorted(counts.items()):
        attrs = {"penwidth": f"{1 + math.log2(count):.2f}"}
        if missing:
            attrs.update(style="dashed", color=MISSING_COLOR, fontcolor=MISSING_COLOR)
        what = "references without a foreign key" if missing else "foreign keys"
        graph.edge(source, target, xlabel=f"{count}{' no FK' if missing else ''}",
                   tooltip=_text(f"{names_of[source]} → {names_of[target]}: {count} {what}"), **attrs)
    graph.node_count = len(groups) + len(outside)
    graph.tables = sorted(model.scope)
    return graph


def er_domains(catalog: Catalog, findings: pd.DataFrame | None = None, config: AuditConfig | None = None,
               max_nodes: int = 150, schemas: list[str] | None = None,
               analysis: Analysis | None = None) -> dict[str, Diagram]:
    """One ER diagram per domain: its tables plus, greyed, the tables they reference outside it. A domain too big
    for ``max_nodes`` is split into parts ("CRM (1/3)") that keep tables sharing a name prefix together; when the
    referenced tables alone would overflow a part, they are drawn as one node per domain instead."""
    model = Graph(catalog, config, findings, schemas, analysis=analysis)
    members: dict[str, list[Table]] = defaultdict(list)
    for key in model.scope:
        members[model.domain(key)].append(key)
    diagrams: dict[str, Diagram] = {}
    for domain in sorted(members):
        tables = sorted(members[domain])
        if len(tables) + len(_externals(model, tables)) <= max_nodes:
            parts = [tables]
        else:
            parts = _split(tables, max(1, (max_nodes * 2) // 3))
        for index, part in enumerate(parts):
            title = domain if len(parts) == 1 else f"{domain} ({index + 1}/{len(parts)})"
            diagrams[title] = _domain_diagram(model, title, part, max_nodes)
    return diagrams


def _split(tables: list[Table], cap: int) -> list[list[Table]]:
    """Balanced parts of at most ``cap`` tables, keeping tables that share their first two name words together."""
    groups: dict[str, list[Table]] = defaultdict(list)
    for key in tables:
        groups[f"{key[0]}\x00{'_'.join(key[1].split('_')[:2])}"].append(key)
    count = math.ceil(len(tables) / cap)
    target = math.ceil(len(tables) / count)
    parts: list[list[Table]] = []
    current: list[Table] = []
    for name in sorted(groups):
        group = sorted(groups[name])
        while len(group) > cap:  # a single prefix bigger than a part: cut it
            if current:
                parts.append(current)
                current = []
            parts.append(group[:cap])
            group = group[cap:]
        if current and len(current) + len(group) > target:
            parts.append(current)
            current = []
        current.extend(group)
    if current:
        parts.append(current)
    return parts


def _domain_diagram(model: Graph, title: str, tables: list[Table], max_nodes: int) -> Diagram:
    graph = _new_diagram(f"er_domain_{title}", "tables")
    externals = _externals(model, tables)
    if len(tables) + len(externals) <= max_nodes:
        hubs = _draw_tables(model, graph, tables, externals, cluster=False, hide_hubs=True)
        _titled(graph, f"{title}: {len(tables)} tables", _legend(model, hubs) + "; greyed: tables in other domains")
        return graph
    # Too many referenced tables: draw one node per referenced domain instead.
    hubs = _draw_tables(model, graph, tables, [], cluster=False, hide_hubs=True)
    _titled(graph, f"{title}: {len(tables)} tables", _legend(model, hubs) + "; greyed: referenced domains")
    inside = set(tables)
    by_domain: dict[str, set[Table]] = defaultdict(set)
    edges: dict[tuple[Table, str], int] = defaultdict(int)
    for key in tables:
        for ref in model.outgoing.get(key, []):
            if ref.target not in inside and ref.target in model.relations:
                by_domain[model.domain(ref.target)].add(ref.target)
                edges[(key, model.domain(ref.target))] += 1
    room = max(1, max_nodes - len(tables))
    ranked = sorted(by_domain, key=lambda d: (-len(by_domain[d]), d))
    kept = ranked[:room - 1] if len(ranked) > room else ranked
    other = "other domains"
    ids = {d: f"ext_{i}" for i, d in enumerate(sorted(kept))}
    for domain in sorted(kept):
        graph.node(ids[domain], label=f"<<B>{_html(domain)}</B><BR/>{len(by_domain[domain])} tables referenced>",
                   shape="box", style="rounded,filled,dashed", fillcolor=EXTERNAL_COLOR, color=EXTERNAL_BORDER_COLOR)
    if len(kept) < len(ranked):
        ids[other] = "ext_other"
        graph.node("ext_other", label=f"<{len(ranked) - len(kept)} more domains>", shape="box",
                   style="rounded,filled,dashed", fillcolor=EXTERNAL_COLOR)
    for (key, domain), count in sorted(edges.items()):
        graph.edge(node_id(*key), ids.get(domain, ids.get(other, "ext_other")), xlabel=str(count) if count > 1
                   else "", color=EXTERNAL_BORDER_COLOR)
    graph.node_count = len(tables) + len(ids)
    return graph


def er_ego(catalog: Catalog, schema: str, table: str, hops: int = 1, findings: pd.DataFrame | None = None,
           config: AuditConfig | None = None, max_nodes: int = 150, analysis: Analysis | None = None) -> Diagram:
    """A table and the tables within ``hops`` references of it, both directions (nearest kept past
    ``max_nodes``)."""
    model = Graph(catalog, config, findings, schemas="all", analysis=analysis)
    centre = (schema, table)
    if centre not in model.relations:
        raise KeyError(f"{schema}.{table} is not a table of this catalog")
    distance = _neighbourhood(model, [centre], hops, max_nodes)
    tables = sorted(distance, key=lambda k: (distance[k], k))
    graph = _new_diagram(f"er_ego_{schema}.{table}", "ego")
    dropped = _neighbourhood_size(model, [centre], hops) - len(tables)
    subtitle = _legend(model) + (f"; {dropped} more tables within {hops} hops not shown" if dropped else "")
    _titled(graph, f"{schema}.{table} and its neighbours within {hops} hop{'s' if hops != 1 else ''}", subtitle)
    options = {centre: {"fill": FOCUS_COLOR, "border": FOCUS_BORDER_COLOR}}
    _draw_tables(model, graph, sorted(tables), [], cluster=False, label_options=options)
    return graph


def neighbourhood_diagram(model: Graph, starts: list[Table], hops: int, max_nodes: int, *, name: str, kind: str,
                          title: str, subtitle: str, label_options: dict[Table, dict] | None = None) -> Diagram:
    """The tables within ``hops`` references (either direction) of ``starts``, nearest kept past ``max_nodes``, drawn
    without clusters under ``title`` and ``subtitle``; ``label_options`` style tables (fill, border, note,
    highlight)."""
    distance = _neighbourhood(model, starts, hops, max_nodes)
    graph = _new_diagram(name, kind)
    _titled(graph, title, subtitle)
    _draw_tables(model, graph, sorted(distance), [], cluster=False, label_options=label_options)
    return graph


def _neighbourhood(model: Graph, starts: list[Table], hops: int, limit: int) -> dict[Table, int]:
    """Tables within ``hops`` references (either direction) of ``starts``, breadth first, at most ``limit``."""
    distance = {start: 0 for start in starts}
    queue = deque(sorted(starts))
    while queue and len(distance) < limit:
        key = queue.popleft()
        if distance[key] >= hops:
            continue
        neighbours = sorted({r.target for r in model.outgoing.get(key, [])} |
                            {r.source for r in model.incoming.get(key, [])})
        for other in neighbours:
            if other not in distance and other in model.relations:
                if len(distance) >= limit:
                    break
                distance[other] = distance[key] + 1
                queue.append(other)
    return distance


def _neighbourhood_size(model: Graph, starts: list[Table], hops: int) -> int:
    return len(_neighbourhood(model, starts, hops, limit=10 ** 9))


def cascade_tree(catalog: Catalog, schema: str, table: str, max_depth: int = 6,
                 analysis: Analysis | None = None) -> list[tuple[int, Reference]]:
    """What deleting one row of ``schema.table`` reaches: (depth, foreign key) for every foreign key met on the way.

    Only ON DELETE CASCADE keys are followed further; SET NULL/SET DEFAULT (rows updated), RESTRICT and NO ACTION
    (the delete is blocked while children exist) end there. Each table is expanded once, at its shallowest depth.
    """
    graph = (analysis if analysis is not None else Analysis(catalog)).cascade
    children = {parent: sorted(fks, key=lambda f: (f["schema"], f["table"], f["name"]))
                for parent, fks in graph.children.items()}
    return [(depth, Reference.from_foreign_key(fk)) for depth, fk in cascade_walk(children, schema, table, max_depth)]


def cascade_diagram(catalog: Catalog, schema: str, table: str, config: AuditConfig | None = None,
                    findings: pd.DataFrame | None = None, max_depth: int | None = None,
                    max_nodes: int = 150, analysis: Analysis | None = None) -> Diagram:
    """The cascade tree of deleting one row of ``schema.table``: red edges delete, blue edges set NULL, grey edges
    block the delete; protected tables (``cascade.protected_tables``) are filled red."""
    config = config or AuditConfig()
    model = Graph(catalog, config, findings, schemas="all", analysis=analysis)
    root = (schema, table)
    if root not in model.relations:
        raise KeyError(f"{schema}.{table} is not a table of this catalog")
    depth_limit = max_depth if max_depth is not None else int(config.get("cascade", "max_depth"))
    steps = cascade_tree(catalog, schema, table, depth_limit, analysis=analysis)
    order: dict[Table, int] = {root: 0}
    for depth, ref in steps:
        order.setdefault(ref.source, depth)
    kept = sorted(order, key=lambda k: (order[k], k))[:max_nodes]
    dropped = len(order) - len(kept)
    kept_set = set(kept)
    deleted = {ref.source for _, ref in steps if ref.on_delete == "CASCADE"}
    protected_hit = sorted(k for k in deleted if config.is_protected_table(*k))

    graph = _new_diagram(f"cascade_{schema}.{table}", "cascade")
    graph.attr("graph", rankdir="LR")
    summary = (f"{len(deleted)} tables lose rows, {len(protected_hit)} of them protected"
               + (f"; {dropped} more tables not shown" if dropped else ""))
    _titled(graph, f"Deleting a row of {schema}.{table}", summary + " — red: CASCADE (rows deleted), blue: SET "
            "NULL/DEFAULT (rows updated), grey dotted: RESTRICT/NO ACTION (blocks the delete); red fill: "
            "protected table")
    options: dict[Table, dict] = {root: {"fill": FOCUS_COLOR, "border": FOCUS_BORDER_COLOR, "note": "deleted row"}}
    for key in kept:
        if key != root and config.is_protected_table(*key):
            options[key] = {"fill": PROTECTED_COLOR, "border": PROTECTED_BORDER_COLOR,
                            "note": "protected: rows deleted" if key in deleted else "protected"}
    ports: dict[Table, dict[str, str]] = {}
    for key in kept:
        model.add_table(graph, key, ports, **options.get(key, {}))
    for _, ref in steps:
        if ref.source not in kept_set or ref.target not in kept_set:
            continue
        label = f"{', '.join(ref.columns)}: {ref.on_delete}"
        extra = {}
        if ref.on_delete in ("RESTRICT", "NO ACTION"):
            extra = {"style": "dotted"}
            label += " (blocks)"
        elif ref.on_delete in ("SET NULL", "SET DEFAULT"):
            extra = {"style": "dashed"}
        colour = RULE_COLORS.get(ref.on_delete or "", EDGE_COLOR)
        # Drawn parent → child: the direction the delete travels.
        graph.edge(node_id(*ref.target), node_id(*ref.source), xlabel=_text(label), color=colour, fontcolor=colour,
                   tooltip=_text(ref.label()), penwidth="1.6" if ref.on_delete == "CASCADE" else "1", **extra)
    graph.node_count = len(kept)
    graph.tables = sorted(kept)
    return graph


# -- finding diagrams -----------------------------------------------------------------------------------------------
def _resolve_table(model: Graph, text: str) -> tuple[Table, str | None] | None:
    """``schema.table`` or ``schema.table.column`` (names may contain dots) → the table and column, if known."""
    parts = text.split(".")
    for cut in range(1, len(parts)):
        for end in (len(parts), len(parts) - 1):
            if end <= cut:
                continue
            key = (".".join(parts[:cut]), ".".join(parts[cut:end]))
            if key in model.relations:
                column = ".".join(parts[end:]) or None
                return key, column
    return None


def _mentioned_tables(model: Graph, evidence: Any) -> list[tuple[Table, str | None]]:
    """Every table (and column) named by a string in the evidence, at any depth."""
    found: list[tuple[Table, str | None]] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            for token in re.split(r"[\s,()→>~]+", value):
                token = token.strip("'\"[]")
                if "." in token:
                    hit = _resolve_table(model, token)
                    if hit and hit not in found:
                        found.append(hit)
        elif isinstance(value, dict):
            for key in sorted(value):
                walk(value[key])
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(evidence)
    return found


def finding_diagram(catalog: Catalog, finding: pd.Series | dict, config: AuditConfig | None = None,
                    findings: pd.DataFrame | None = None, max_nodes: int = 40,
                    analysis: Analysis | None = None) -> Diagram:
    """The objects of one finding and their direct neighbours: the finding's table highlighted (its column
    marked), the tables its evidence names, and for a missing foreign key the missing edge dashed."""
    record = dict(finding)
    config = config or AuditConfig()
    model = Graph(catalog, config, findings, schemas="all", analysis=analysis)
    evidence = evidence_dict(record.get("evidence"))
    check = str(record.get("check") or "finding")
    focus: list[Table] = []
    columns: dict[Table, set[str]] = defaultdict(set)
    own = (record.get("schema"), record.get("table"))
    if all(isinstance(part, str) for part in own) and own in model.relations:
        focus.append(own)
        for column in str(record.get("column") or "").split(","):
            if column:
                columns[own].add(column)
    for text in (record.get("object") or "").split("~"):
        hit = _resolve_table(model, text)
        if hit and hit[0] not in focus:
            focus.append(hit[0])
    for key, column in _mentioned_tables(model, evidence):
        if key not in focus:
            focus.append(key)
        if column:
            columns[key].add(column)
    if check == "cascade_reach" and len(focus) >= 2:
        source = _resolve_table(model, str(evidence.get("source", ""))) or (focus[0], None)
        graph = cascade_diagram(catalog, *source[0], config=config, findings=findings, analysis=analysis)
        graph.attr("graph", label=f"<<B>{_html(record.get('title') or check)}</B>>")
        return graph

    graph = _new_diagram(f"finding_{record.get('key') or check}", "finding")
    _titled(graph, str(record.get("title") or check), f"{check} · {record.get('severity') or ''} — "
            + _legend(model))
    if not focus:
        graph.node("nothing", label="<This finding names no table of the catalog.>", shape="box")
        graph.node_count = 1
        return graph
    distance = _neighbourhood(model, focus, 1, max_nodes)
    tables = sorted(distance, key=lambda k: (distance[k], k))
    options = {key: {"fill": FOCUS_COLOR, "border": FOCUS_BORDER_COLOR, "highlight": columns.get(key, ())} for key in focus}
    references = [r for key in tables for r in model.outgoing.get(key, []) if r.target in distance]
    # A reference the finding is about but the catalog model doesn't hold (e.g. a finding from an older run).
    if check in ("fk_missing", "fk_type_mismatch") and own in focus:
        target = _resolve_table(model, str(evidence.get("references", "")))
        column = str(record.get("column") or "")
        if target and column and not any(r.source == own and column in r.columns and r.target == target[0]
                                         for r in references):
            if target[0] not in distance:
                distance[target[0]] = 1
                tables.append(target[0])
            references.append(Reference(own[0], own[1], (column,), target[0][0], target[0][1],
                                        (target[1] or "",), kind="inferred" if check == "fk_missing" else "declared",
                                        rule="the finding"))
    _draw_tables(model, graph, sorted(tables), [], cluster=False, references=references, label_options=options)
    return graph
