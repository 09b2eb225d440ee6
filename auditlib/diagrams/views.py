"""The diagrams the report, the notebooks and the drift view draw: each picks its tables from a ``Graph`` and
draws them into a ``Diagram``.

``er_core`` (the tables most others reference plus given ones), ``er_overview`` (every table, or a domain-level
summary past ``max_nodes``), ``er_summary`` (that summary),
``er_domains`` (one diagram per domain, split when a domain alone is too big), ``er_ego`` (a table and its
neighbours), ``neighbourhood_diagram`` (the tables near a set of tables), ``cascade_diagram`` (what deleting one row
reaches) and ``finding_diagram`` (the objects of one finding).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import graphviz
import pandas as pd

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig
from auditlib.diagrams.graph import (
    MAX_KEY_ROWS,
    Graph,
    Table,
    _bands,
    _externals,
    _hubs,
    _mentioned_tables,
    _neighbourhood,
    _neighbourhood_size,
    _resolve_table,
    _split,
    cascade_tree,
    issue_shape,
    shared_graph,
)
from auditlib.diagrams.render import FONT, Diagram, _html, _new_diagram, _text, node_id
from auditlib.findings import SEVERITIES, evidence_dict
from auditlib.model import Analysis, Reference
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
    KEY_MARK_COLOR,
    MISSING_COLOR,
    PROTECTED_BORDER_COLOR,
    PROTECTED_COLOR,
    RULE_COLORS,
    SEVERITY_COLORS,
    SEVERITY_FILLS,
    TABLE_FILL,
    TYPE_TEXT_COLOR,
)

BAND_TABLES = 4            # the overview puts about sqrt(tables / BAND_TABLES) bands of clusters side by side


# -- drawing tables and references ----------------------------------------------------------------------------------
def _legend(model: Graph, hubs: Iterable[Table] = (), missing: bool = True, columns: bool = True) -> str:
    parts = ["PK primary key", "FK foreign key"]
    if model.tenant_column:  # empty when the database has no tenancy
        parts.append(f"T tenant column ({model.tenant_column})")
    if missing:
        parts.insert(2, "FK? reference without a foreign key")
    if not columns:  # tables drawn as their names alone
        parts = ["tables by name (their key columns are in the whole-schema overview)"]
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


def _titled_lines(graph: Diagram, title: str, legend: str) -> None:
    """The title, and the legend one part a line: on one line it would be the widest thing in a small diagram and
    shrink it on the page."""
    lines = "".join(f'<FONT POINT-SIZE="9">{_html(line.strip())}</FONT><BR ALIGN="LEFT"/>'
                    for line in legend.replace(" — ", "\n").replace("; ", "\n").split("\n") if line.strip())
    graph.attr("graph", label=f'<<B>{_html(title)}</B><BR ALIGN="LEFT"/>{lines}>')


def _draw_tables(model: Graph, graph: Diagram, tables: list[Table], externals: list[Table], *,
                 cluster: bool, references: list[Reference] | None = None,
                 label_options: dict[Table, dict] | None = None, hide_hubs: bool = False,
                 bands: int | None = None, bare_edges: bool = False) -> list[Table]:
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
            model.add_reference(graph, ref, ports, constraint=not crossing, bare=bare_edges)
    graph.node_count = len(drawn)
    graph.tables = sorted(drawn)
    return hubs


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


# -- views ----------------------------------------------------------------------------------------------------------
def er_overview(catalog: Catalog, findings: pd.DataFrame | None = None, config: AuditConfig | None = None,
                max_nodes: int = 150, schemas: list[str] | None = None, hide_hubs: bool = True,
                analysis: Analysis | None = None) -> Diagram:
    """Every audited table clustered by domain (with greyed tables they reference elsewhere), or — past
    ``max_nodes`` nodes — the domain-level summary (one node per domain, edges weighted by foreign-key counts).
    ``hide_hubs`` leaves out the edges into tables most others reference (the tenant root, users)."""
    model = shared_graph(catalog, config, findings, schemas, analysis=analysis)
    summary = _domain_summary(model, max_nodes)
    externals = _externals(model, model.scope)
    if len(model.scope) + len(externals) > max_nodes:
        return summary
    graph = _new_diagram("er_overview", "tables")
    hubs = _draw_tables(model, graph, model.scope, externals, cluster=True, hide_hubs=hide_hubs)
    _titled(graph, f"Entity-relationship overview: {len(model.scope)} tables", _legend(model, hubs))
    graph.fallback = summary
    return graph


CORE_TABLES = 16           # tables in the core-entities diagram: readable at the page width


def er_core(catalog: Catalog, extra_tables: Iterable[str | Table] = (), findings: pd.DataFrame | None = None,
            config: AuditConfig | None = None, max_tables: int = CORE_TABLES, schemas: list[str] | None = None,
            analysis: Analysis | None = None) -> Diagram:
    """The core entities: ``extra_tables`` (``"schema.table"`` or ``(schema, table)``, e.g. the tables of the
    report's top issues, highlighted) plus the audited tables most other tables reference, up to ``max_tables``,
    with every reference among them drawn. Unknown names in ``extra_tables`` are left out."""
    model = shared_graph(catalog, config, findings, schemas, analysis=analysis)
    scope = set(model.scope)
    referrers: dict[Table, set[Table]] = defaultdict(set)
    for ref in model.references:
        if ref.source != ref.target and ref.source in scope:
            referrers[ref.target].add(ref.source)
    extras: list[Table] = []
    for item in extra_tables:
        key = tuple(item) if not isinstance(item, str) else (_resolve_table(model, item) or (None, None))[0]
        if key in model.relations and key not in extras:
            extras.append(key)
    extras = extras[:max_tables - min(4, max_tables // 2)]  # leave room for the tables everything hangs off
    ranked = sorted((k for k in scope if referrers.get(k)), key=lambda k: (-len(referrers[k]), k))
    chosen = extras + [k for k in ranked if k not in extras][:max(0, max_tables - len(extras))]
    graph = _new_diagram("er_core", "core")
    options: dict[Table, dict] = {}
    for key in chosen:
        count = len(referrers.get(key, ()))
        note = f"referenced by {count} table{'s' if count != 1 else ''}" if count else None
        options[key] = {"note": note} if note else {}
        if key in extras:
            options[key].update(fill=FOCUS_COLOR, border=FOCUS_BORDER_COLOR)
    graph.attr("graph", ranksep="0.6", nodesep="0.35")  # left to right: the referenced tables end up on the right
    _draw_tables(model, graph, sorted(chosen), [], cluster=False, label_options=options, bands=1)
    legend = _legend(model) + ("; yellow: tables of the top issues" if extras else "")
    # The legend on several lines: on one it would be the widest thing in the diagram and shrink it on the page.
    lines = "".join(f'<FONT POINT-SIZE="9">{_html(line.strip())}</FONT><BR ALIGN="LEFT"/>'
                    for line in legend.replace(" — ", "\n").replace("; ", "\n").split("\n"))
    graph.attr("graph", label=f'<<B>{_html(f"Core entities: the {len(chosen)} tables the schema revolves around")}'
                              f'</B><BR ALIGN="LEFT"/>{lines}>')
    return graph


def er_summary(catalog: Catalog, findings: pd.DataFrame | None = None, config: AuditConfig | None = None,
               max_nodes: int = 150, schemas: list[str] | None = None, analysis: Analysis | None = None) -> Diagram:
    """The domain-level summary: one node per domain with its table count, edges weighted by foreign keys."""
    return _domain_summary(shared_graph(catalog, config, findings, schemas, analysis=analysis), max_nodes)


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
            "one box per domain (table count, findings); edge labels count the references between two domains "
            "(arrows: their direction); dashed orange: none has a foreign key; greyed: tables in other schemas")
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
    # One edge per pair of domains (or a domain and another schema), labelled with the number of references between
    # them either way: a large schema links most domains in both directions, and an edge per direction and kind
    # was thousands of labelled edges to lay out (seconds of Graphviz) that no reader could follow.
    counts: dict[tuple[str, str], dict[tuple[str, str, bool], int]] = defaultdict(lambda: defaultdict(int))
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
            counts[(min(source, target), max(source, target))][(source, target, ref.declared)] += 1
    names_of = {node: name for name, node in ids.items()} | {node: schema for schema, node in outside.items()}
    for pair, kinds in sorted(counts.items()):
        total = sum(kinds.values())
        without_key = sum(count for (_, _, declared), count in kinds.items() if not declared)
        # drawn from the side holding most of the references; arrows at both ends when they go both ways
        outgoing = {end: sum(c for (s, _, _), c in kinds.items() if s == end) for end in pair}
        source = max(pair, key=lambda end: (outgoing[end], end == pair[0]))
        target = pair[1] if source == pair[0] else pair[0]
        attrs = {"penwidth": f"{1 + math.log2(total):.2f}"}
        if outgoing[target]:
            attrs["dir"] = "both"
        if without_key == total:
            attrs.update(style="dashed", color=MISSING_COLOR, fontcolor=MISSING_COLOR)
        label = f"{total} reference{'s' if total != 1 else ''}"
        if 0 < without_key < total:
            label += f"\\n({without_key} without a foreign key)"
        details = []
        for (start, end, declared), count in sorted(kinds.items(), key=lambda item: (item[0][0] != source, item)):
            what = "foreign key" if declared else "reference without a foreign key"
            details.append(f"{names_of[start]} → {names_of[end]}: {count} {what}{'s' if count != 1 else ''}")
        graph.edge(source, target, xlabel=label, tooltip=_text("; ".join(details)), **attrs)
    graph.node_count = len(groups) + len(outside)
    graph.tables = sorted(model.scope)
    return graph


def er_domains(catalog: Catalog, findings: pd.DataFrame | None = None, config: AuditConfig | None = None,
               max_nodes: int = 150, schemas: list[str] | None = None,
               analysis: Analysis | None = None, names_only: bool = False) -> dict[str, Diagram]:
    """One ER diagram per domain: its tables plus, greyed, the tables they reference outside it. A domain too big
    for ``max_nodes`` is split into parts ("CRM (1/3)") that keep tables sharing a name prefix together; when the
    referenced tables alone would overflow a part, they are drawn as one node per domain instead. With
    ``names_only`` each table is its name alone (a map of the domain a fifth the size, for a report that has the
    columns in its overview)."""
    model = shared_graph(catalog, config, findings, schemas, analysis=analysis)
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
            diagrams[title] = _domain_diagram(model, title, part, max_nodes, names_only)
    return diagrams


def _domain_diagram(model: Graph, title: str, tables: list[Table], max_nodes: int,
                    names_only: bool = False) -> Diagram:
    graph = _new_diagram(f"er_domain_{title}", "tables")
    externals = _externals(model, tables)
    options = {key: {"names_only": True} for key in [*tables, *externals]} if names_only else None
    if len(tables) + len(externals) <= max_nodes:
        hubs = _draw_tables(model, graph, tables, externals, cluster=False, hide_hubs=True, label_options=options,
                            bare_edges=names_only)
        _titled_lines(graph, f"{title}: {len(tables)} tables", _legend(model, hubs, columns=not names_only)
                      + "; greyed: tables in other domains")
        return graph
    # Too many referenced tables: draw one node per referenced domain instead.
    hubs = _draw_tables(model, graph, tables, [], cluster=False, hide_hubs=True, label_options=options,
                        bare_edges=names_only)
    _titled_lines(graph, f"{title}: {len(tables)} tables", _legend(model, hubs, columns=not names_only)
                  + "; greyed: referenced domains")
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
    model = shared_graph(catalog, config, findings, schemas="all", analysis=analysis)
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


def cascade_diagram(catalog: Catalog, schema: str, table: str, config: AuditConfig | None = None,
                    findings: pd.DataFrame | None = None, max_depth: int | None = None,
                    max_nodes: int = 150, analysis: Analysis | None = None) -> Diagram:
    """The cascade tree of deleting one row of ``schema.table``: red edges delete, blue edges set NULL, grey edges
    block the delete; protected tables (``cascade.protected_tables``) are filled red."""
    config = config or AuditConfig()
    model = shared_graph(catalog, config, findings, schemas="all", analysis=analysis)
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
def finding_diagram(catalog: Catalog, finding: pd.Series | dict, config: AuditConfig | None = None,
                    findings: pd.DataFrame | None = None, max_nodes: int = 40,
                    analysis: Analysis | None = None) -> Diagram:
    """The objects of one finding and their direct neighbours: the finding's table highlighted (its column
    marked), the tables its evidence names, and for a missing foreign key the missing edge dashed."""
    record = dict(finding)
    config = config or AuditConfig()
    model = shared_graph(catalog, config, findings, schemas="all", analysis=analysis)
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


# -- issue diagrams -------------------------------------------------------------------------------------------------
ISSUE_MAX_NODES = 10        # an issue's diagram stays small enough to read at the width of its card
ISSUE_OTHER_CHILDREN = 3    # children drawn of a table the issue only refers to (its own tables: all that fit)
PROBLEM_COLOR = SEVERITY_COLORS["critical"]
PROBLEM_FILL = SEVERITY_FILLS["critical"]
CONTEXT_EDGE_COLOR = EXTERNAL_BORDER_COLOR


def issue_diagram(model: Graph, records: Iterable[dict], title: str = "",
                  max_nodes: int = ISSUE_MAX_NODES) -> Diagram | None:
    """The references one issue's findings are about (``graph.issue_shape``), drawn red between the issue's tables
    (outlined red) and their immediate neighbours (grey, names only), at most ``max_nodes`` tables; None when the
    issue has no relational shape (a policy, a function)."""
    records = list(records)
    shape = issue_shape(model, records)
    if shape.empty:
        return None
    drawn: list[Table] = []

    def take(key: Table) -> None:
        if key not in drawn and len(drawn) < max_nodes:
            drawn.append(key)

    for edge in shape.edges:  # whole references first: a table without its edge would say nothing
        if len(drawn) + (edge.source not in drawn) + (edge.target not in drawn) <= max_nodes:
            take(edge.source)
            take(edge.target)
    for key in shape.tables:
        take(key)
    edges = [e for e in shape.edges if e.source in drawn and e.target in drawn]
    involved = [k for k in drawn if k in model.relations]
    outlined = set(shape.tables)
    neighbours: list[Table] = []
    for direction in ("parents", "children"):
        for key in involved:
            found = (sorted({r.target for r in model.outgoing.get(key, [])}) if direction == "parents" else
                     sorted({r.source for r in model.incoming.get(key, [])}))
            found = [n for n in found if n in model.relations and n not in drawn and n not in neighbours]
            if direction == "children" and key not in outlined:
                # a referenced table (auth.users, the tenant root) may have dozens of children: a few say enough
                found = found[:ISSUE_OTHER_CHILDREN]
            neighbours += found
    for key in neighbours:
        take(key)
    every_neighbour = {r.target for k in involved for r in model.outgoing.get(k, [])} | \
        {r.source for k in involved for r in model.incoming.get(k, [])}
    hidden_tables = len({k for k in every_neighbour if k in model.relations} - set(drawn))
    hidden_edges = len(shape.edges) - len(edges)

    key = "_".join(sorted(str(r.get("key") or "") for r in records))[:60] or "issue"
    graph = _new_diagram(f"issue_{key}", "issue")
    graph.attr("graph", ranksep="0.5", nodesep="0.2")
    lines = ["red: the tables and references of this issue (the label says what is wrong; dashed: no foreign key)",
             "grey: their neighbours"]
    left_out = [f"{hidden_edges} more of its references" if hidden_edges else "",
                f"{hidden_tables} more neighbours" if hidden_tables else ""]
    if any(left_out):
        lines[-1] += " · not drawn: " + ", ".join(part for part in left_out if part)
    graph.attr("graph", label=f'<<B>{_html(title or "The tables of this issue")}</B><BR ALIGN="LEFT"/>'
                              + "".join(f'<FONT POINT-SIZE="9">{_html(line)}</FONT><BR ALIGN="LEFT"/>'
                                        for line in lines) + ">")
    ports: dict[Table, dict[str, str]] = {}
    for table in drawn:
        label, ports[table] = _issue_table_label(model, table, shape.columns.get(table, []),
                                                 outlined=table in outlined, missing=table in shape.missing)
        # only the issue's own tables carry a tooltip: the neighbours' names say all they add (and each costs bytes)
        tooltip = {"tooltip": model.tooltip(table)} if table in outlined and table in model.relations else {}
        graph.node(node_id(*table), label=label, **tooltip)
    problem_pairs = {(e.source, e.columns, e.target) for e in edges}
    drawn_set = set(drawn)
    involved_set = set(involved)
    for ref in model.references:  # the involved tables' other references, grey and unlabelled
        if ref.source in drawn_set and ref.target in drawn_set and ref.source != ref.target and \
                (ref.source in involved_set or ref.target in involved_set) and \
                (ref.source, ref.columns, ref.target) not in problem_pairs:
            graph.edge(node_id(*ref.source), node_id(*ref.target), color=CONTEXT_EDGE_COLOR, arrowsize="0.5",
                       **({"style": "dashed"} if not ref.declared else {}))
    for edge in edges:
        declared = any(r.declared and r.target == edge.target and r.columns == edge.columns
                       for r in model.outgoing.get(edge.source, []))
        port = ports.get(edge.source, {}).get(edge.columns[0]) if edge.columns else None
        tail = node_id(*edge.source) + (f":{port}" if port else "")
        name = f"{model.display_name(edge.source)}({', '.join(edge.columns)})"
        # a label, not an xlabel: the layout makes room for it, so it is never dropped or drawn over an edge
        graph.edge(tail, node_id(*edge.target), label=_text(edge.label), color=PROBLEM_COLOR,
                   fontcolor=PROBLEM_COLOR, penwidth="2", fontsize="9",
                   tooltip=_text(f"{name} → {model.display_name(edge.target)}: {edge.label}"),
                   **({} if declared else {"style": "dashed"}))
    graph.node_count = len(drawn)
    graph.tables = list(drawn)
    return graph


def _issue_table_label(model: Graph, key: Table, columns: list[str], *, outlined: bool,
                       missing: bool) -> tuple[str, dict[str, str]]:
    """A table of an issue diagram: its name, and for the issue's own tables the columns the issue names (with
    their key marks and types); a neighbour is its name alone, a table the schema lacks is dashed."""
    name = _html(model.display_name(key) if key in model.relations else f"{key[0]}.{key[1]}")
    if missing:
        return (f'<<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="{PROBLEM_COLOR}" '
                f'BGCOLOR="{TABLE_FILL}" STYLE="dashed"><TR><TD><B>{name}</B></TD></TR><TR><TD>'
                f'<FONT COLOR="{PROBLEM_COLOR}">not in the schema</FONT></TD></TR></TABLE>>', {})
    if not outlined:
        return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="{BORDER_COLOR}" '
                f'BGCOLOR="{EXTERNAL_COLOR}"><TR><TD><FONT COLOR="{EXTERNAL_TEXT_COLOR}">{name}</FONT></TD></TR>'
                "</TABLE>>", {})
    marks = dict((c["name"], m) for m, c in model.key_columns(key))
    types = {c["name"]: str(c.get("data_type") or "") for c in model.columns.get(key, [])}
    body = (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{PROBLEM_COLOR}" '
            f'BGCOLOR="{TABLE_FILL}"><TR><TD COLSPAN="3" BGCOLOR="{PROBLEM_FILL}"><B>{name}</B></TD></TR>')
    ports: dict[str, str] = {}
    for index, column in enumerate(columns[:MAX_KEY_ROWS]):
        ports[column] = f"p{index}"
        data_type = types.get(column, "")
        data_type = data_type if len(data_type) <= 24 else data_type[:23] + "…"
        mark = marks.get(column, "")
        body += ('<TR><TD ALIGN="LEFT">'
                 + (f'<FONT COLOR="{KEY_MARK_COLOR}" POINT-SIZE="9">{_html(mark)}</FONT>' if mark else "")
                 + f'</TD><TD ALIGN="LEFT" PORT="p{index}">{_html(column)}</TD><TD ALIGN="LEFT">'
                 + (f'<FONT COLOR="{TYPE_TEXT_COLOR}" POINT-SIZE="9">{_html(data_type)}</FONT>' if data_type else "")
                 + "</TD></TR>")
    return f"<{body}</TABLE>>", ports
