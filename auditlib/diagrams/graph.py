"""What a diagram shows: the catalog as a graph of tables (keys, references, domains, findings) and the selections
the views draw from it — neighbourhoods, hubs, domain parts, the cascade of a delete, the tables a finding names.

``Graph`` also turns one table or reference into its DOT node or edge; everything is sorted before it is drawn, so
the output is deterministic.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import graphviz
import pandas as pd

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig
from auditlib.diagrams.render import Table, _html, _text, node_id
from auditlib.findings import SEVERITIES, evidence_dict
from auditlib.model import Analysis, Reference
from auditlib.model.cascade import cascade_walk
from auditlib.model.tenancy import table_category
from auditlib.palette import (
    BORDER_COLOR,
    EDGE_COLOR,
    EXTERNAL_BORDER_COLOR,
    EXTERNAL_COLOR,
    EXTERNAL_TEXT_COLOR,
    HEADER_COLOR,
    HEADER_TEXT_COLOR,
    KEY_MARK_COLOR,
    MARK_COLOR,
    MISSING_COLOR,
    NOTE_TEXT_COLOR,
    RULE_COLORS,
    SEVERE_HEADER_TEXT_COLOR,
    SEVERITY_COLORS,
    TABLE_FILL,
    TYPE_TEXT_COLOR,
)

log = logging.getLogger(__name__)

MAX_KEY_ROWS = 12           # key columns listed in a table node before "+N more"
HUB_MIN_REFERENCES = 10    # a table referenced from this many drawn tables (and a third of them) is a hub
MIN_PREFIX_GROUP = 3        # "Other" tables sharing a name prefix at least this often form their own domain


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


def _count(number: int, noun: str) -> str:
    return f"+{number} {noun}{'s' if number != 1 else ''}"


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
        self.tenant_column = analysis.resolved_config.tenant_column  # configured, or detected from the schema
        tables = catalog.user_tables()
        self.relations: dict[Table, dict] = {(r["schema"], r["name"]): r for r in _records(tables)}
        if schemas is None:
            schemas = self.config.audited_schemas(sorted({s for s, _ in self.relations}))
        elif schemas == "all":
            schemas = sorted({s for s, _ in self.relations})
        wanted = set(schemas)
        self.scope: list[Table] = sorted(t for t in self.relations if t[0] in wanted)
        self.columns: dict[Table, list[dict]] = defaultdict(list)
        for key in self.relations:  # the catalog's index of columns by table, not a pass over every column
            if catalog.table_columns(*key):
                self.columns[key] = sorted(catalog.table_columns(*key), key=lambda c: c["position"])
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
                    border: str | None = None, names_only: bool = False) -> tuple[str, dict[str, str]]:
        """The HTML-like label of a table node and the ports of its columns (column name → port). A key column
        referencing one of ``hubs`` names the table it references (its edge is not drawn). With ``names_only`` the
        table is its header alone (a domain map, where the columns are in the overview)."""
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
        if not external and not names_only:
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
                      label: str | None = None, constraint: bool = True, bare: bool = False) -> None:
        """The edge of a reference, coloured by its ON DELETE rule (dashed orange without a foreign key) and
        labelled with it; a ``bare`` edge has its colour alone, no label and no tooltip (a map of names, where the
        legend says what the colours mean)."""
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
        if bare:
            graph.edge(tail, node_id(*ref.target), **attrs)
            return
        graph.edge(tail, node_id(*ref.target), xlabel=_text(text), tooltip=_text(ref.label()), **attrs)


# -- selections: hubs, bands, parts, neighbourhoods, cascades -------------------------------------------------------
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


def _bands(sizes: dict[str, int], count: int) -> dict[str, int]:
    """Domains → band numbers, balancing the number of tables per band (largest domains placed first)."""
    load = [0] * max(1, count)
    assigned = {}
    for domain in sorted(sizes, key=lambda d: (-sizes[d], d)):
        band = min(range(len(load)), key=lambda b: (load[b], b))
        assigned[domain] = band
        load[band] += sizes[domain]
    return assigned


def _externals(model: Graph, tables: Iterable[Table]) -> list[Table]:
    inside = set(tables)
    return sorted({r.target for key in inside for r in model.outgoing.get(key, []) if r.target not in inside
                   and r.target in model.relations})


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


# -- the tables a finding names -------------------------------------------------------------------------------------
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


# -- the shape of an issue: the references its findings are about ---------------------------------------------------
# What each relational check says is wrong with the reference it names (the label of its red edge); ``{n}`` is the
# count of rows already affected, from the finding's evidence.
PROBLEM_EDGE_LABELS = {
    "fk_missing": "no foreign key",
    "orphan_rows": "{n} orphan rows",
    "fk_type_mismatch": "types differ",
    "fk_legacy_trigger": "checked by a trigger, not a foreign key",
    "fk_unindexed": "no index",
    "fk_set_null_not_null": "SET NULL on a NOT NULL column",
    "reverse_ref_missing": "no way back",
    "fk_existence_oracle": "tells writers which rows exist",
    "tenant_fk_missing": "tenant column without a foreign key",
    "tenant_mismatch_rows": "{n} rows of another tenant",
    "json_reference": "ids inside JSON, no foreign key",
    "json_orphans": "{n} JSON ids point nowhere",
    "ref_target_missing": "table missing when this runs",
}
_COUNT_KEYS = ("orphan_count", "dangling_count", "mismatch_count", "count")
_PATH_STEP = re.compile(r"^\s*(\S+)\s*->\s*(\S+)")
_CASCADE_STEP = re.compile(r"^\s*(\S+)\s*\(([A-Z ]+)\)")


@dataclass(frozen=True)
class ProblemEdge:
    """A reference an issue is about, drawn red: ``source`` (its ``columns``) refers to ``target``; ``label`` says
    what is wrong with it. ``target`` may be a table the catalog lacks (a migration that refers to it too early)."""

    source: Table
    columns: tuple[str, ...]
    target: Table
    label: str


@dataclass
class IssueShape:
    """What an issue's diagram draws: the tables the issue is about, the references it names (red), and the
    referenced tables the catalog does not have."""

    tables: list[Table] = field(default_factory=list)
    edges: list[ProblemEdge] = field(default_factory=list)
    missing: list[Table] = field(default_factory=list)
    columns: dict[Table, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def empty(self) -> bool:
        return not self.edges

    def add_table(self, key: Table, column: str | None = None) -> None:
        if key not in self.tables:
            self.tables.append(key)
        if column and column not in self.columns[key]:
            self.columns[key].append(column)

    def add_edge(self, edge: ProblemEdge, model: Graph, outline: bool = True) -> None:
        """Add a reference, its source table outlined (with its columns) unless ``outline`` is false (a table a
        cascade only passes through); one the shape already holds gets the new label added to its own (one edge,
        both problems: "no foreign key, 7 orphan rows")."""
        for index, known in enumerate(self.edges):
            if (known.source, known.columns, known.target) == (edge.source, edge.columns, edge.target):
                if edge.label not in known.label.split(", "):
                    self.edges[index] = ProblemEdge(known.source, known.columns, known.target,
                                                    f"{known.label}, {edge.label}")
                return
        self.edges.append(edge)
        for column in edge.columns if outline else ():
            self.add_table(edge.source, column)
        for end in (edge.source, edge.target):
            if end not in model.relations and end not in self.missing:
                self.missing.append(end)


def _table_named(model: Graph, text: str) -> tuple[Table, str | None] | None:
    """A table named as ``schema.table``, ``schema.table.column`` or ``schema.table(column)``."""
    text = re.sub(r"\(.*\)$", "", str(text).strip())
    return _resolve_table(model, text) or _resolve_table(model, f"{text}.x")


def _unknown_table(text: str) -> Table | None:
    """A table the catalog lacks, from ``schema.table`` (its column, if any, cut off)."""
    parts = re.sub(r"\(.*\)$", "", str(text).strip()).split(".")
    return (parts[0], parts[1]) if len(parts) >= 2 and all(parts[:2]) else None


def _affected_rows(evidence: dict) -> int | None:
    for key in _COUNT_KEYS:
        value = evidence.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def issue_shape(model: Graph, records: Iterable[dict]) -> IssueShape:
    """The references an issue's findings name (see ``PROBLEM_EDGE_LABELS``), the tenancy path of a table without
    the tenant column, and the cascade paths of a delete that reaches a protected table. Findings with no
    relational shape (a policy, a function) add nothing: an issue made only of them has an empty shape."""
    shape = IssueShape()
    for record in records:
        check = str(record.get("check") or "")
        evidence = evidence_dict(record.get("evidence"))
        own = (record.get("schema"), record.get("table"))
        if check in PROBLEM_EDGE_LABELS:
            _add_reference_finding(model, shape, record, check, evidence, own)
        elif check == "tenant_column_missing" and own in model.relations:
            _add_tenancy_path(model, shape, evidence, own)
        elif check == "cascade_reach":
            _add_cascade_paths(model, shape, evidence)
    return shape


def _add_reference_finding(model: Graph, shape: IssueShape, record: dict, check: str, evidence: dict,
                           own: tuple) -> None:
    # a migration's table may be missing itself (its CREATE failed): its reference is still the issue
    if own not in model.relations and not (check == "ref_target_missing" and all(isinstance(p, str) and p
                                                                                  for p in own)):
        return
    named = evidence.get("target") if check == "ref_target_missing" else evidence.get("references")
    if not isinstance(named, str) or not named:
        return
    hit = _table_named(model, named)
    target = hit[0] if hit else _unknown_table(named)
    if target is None:
        return
    columns = evidence.get("columns") if isinstance(evidence.get("columns"), list) else \
        [c for c in str(record.get("column") or "").split(",") if c]
    count = _affected_rows(evidence)
    label = PROBLEM_EDGE_LABELS[check].format(n=count if count is not None else "some")
    if check == "ref_target_missing" and isinstance(evidence.get("reason"), str) and \
            evidence["reason"].startswith("no file"):
        label = "no file creates this table"
    shape.add_edge(ProblemEdge(own, tuple(str(c) for c in columns), target, label), model)


def _add_tenancy_path(model: Graph, shape: IssueShape, evidence: dict, own: Table) -> None:
    """A table without the tenant column: its red outline, and the references through which its rows reach a
    tenant (red: the only thing that ties them to one)."""
    shape.add_table(own)
    for step in evidence.get("path") or []:
        match = _PATH_STEP.match(str(step))
        source = _resolve_table(model, match.group(1)) if match else None
        target = _resolve_table(model, match.group(2)) if match else None
        if source and target:
            shape.add_edge(ProblemEdge(source[0], (source[1],) if source[1] else (), target[0],
                                       "its only link to a tenant"), model)


def _add_cascade_paths(model: Graph, shape: IssueShape, evidence: dict) -> None:
    """A delete that reaches a protected table: the source and the protected table outlined, each cascade step a
    red edge from the child to its parent."""
    source = _table_named(model, str(evidence.get("source") or ""))
    protected = _table_named(model, str(evidence.get("protected_table") or ""))
    if not source or not protected:
        return
    shape.add_table(source[0])
    shape.add_table(protected[0])
    for path in evidence.get("paths") or []:
        parent = source[0]
        for step in path if isinstance(path, list) else []:
            match = _CASCADE_STEP.match(str(step))
            child = _resolve_table(model, match.group(1)) if match else None
            if not child:
                break
            shape.add_edge(ProblemEdge(child[0], (child[1],) if child[1] else (), parent,
                                       match.group(2).strip()), model, outline=child[0] == protected[0])
            parent = child[0]


SHARED_GRAPHS = 4  # graphs kept by shared_graph: the report's ER diagrams and its per-finding ones (schemas="all")
_shared: list[tuple[tuple, Any, Graph]] = []  # (the objects, the schemas, their graph), the most recent last
_shared_lock = threading.Lock()


def shared_graph(catalog: Catalog, config: AuditConfig | None = None, findings: pd.DataFrame | None = None,
                 schemas: list[str] | str | None = None, analysis: Analysis | None = None) -> Graph:
    """``Graph(...)`` for these arguments, built once for consecutive diagrams of the same objects: the report draws
    the core entities, the overview and every domain of one audit, and at 1,000 tables each graph took a second.
    The same objects (by identity) give the same graph, so do not change a catalog or findings in place between
    diagrams."""
    objects = (catalog, config, findings, analysis)
    scope = tuple(schemas) if isinstance(schemas, list) else schemas
    with _shared_lock:  # one thread builds a graph, the others wait for it
        for index, entry in enumerate(_shared):
            if all(a is b for a, b in zip(entry[0], objects, strict=True)) and entry[1] == scope:
                _shared.append(_shared.pop(index))  # by position: entries hold DataFrames, which == can't compare
                return entry[2]
        graph = Graph(catalog, config, findings, schemas, analysis=analysis)
        _shared.append((objects, scope, graph))
        del _shared[:-SHARED_GRAPHS]
        return graph
