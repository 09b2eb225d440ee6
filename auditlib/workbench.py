"""The analyst workbench: an interactive findings browser for JupyterLab, and the pieces the table explorer shares.

``findings_browser(result)`` is filters (severity, check, table, status) over a sortable table of findings
(itables' DataTables widget); selecting a row shows that finding's evidence, fix SQL and neighbourhood diagram.
It reads findings only through the finding contract (``auditlib.findings``: the contract's columns, plus ``status``
when the audit history gave the findings one), so it works on a live audit, a recorded run or a findings file; the
catalog, when there is one, is only used to draw the diagram.

The widgets come from ipywidgets and itables; nothing here is hand-written JavaScript. Outside a live kernel (an
executed notebook opened later, the HTML report) the browser shows as a static table of the same findings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from auditlib.findings import SEVERITIES, evidence_dict, frame_records, severity_rank
from auditlib.palette import SEVERITY_COLORS
from auditlib.report.html import esc, sql_html, svg_html, table_html
from auditlib.report.look import styled

FILTERS = ("severity", "check", "table", "status")
ALL = ""  # the filter value that keeps every finding
# The browser's columns, in order: what a person scans a list of findings by.
BROWSER_COLUMNS = ["severity", "check", "table", "object", "title", "status"]
NO_TABLE = "(no table)"


# -- the finding contract, as the browser reads it -------------------------------------------------------------------
def browser_frame(findings: pd.DataFrame, fixed: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per finding with the browser's columns (``table`` is ``schema.table``; ``status`` is ``open`` when the
    findings carry none), worst first; ``fixed`` findings of the previous run are added with status ``fixed``.
    The contract's other fields (evidence, fix SQL, key …) are kept for the detail view."""
    frames = [findings] + ([fixed.assign(status="fixed")] if fixed is not None and len(fixed) else [])
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
        else findings.copy()
    frame = frame.copy()
    if "status" not in frame.columns:
        frame["status"] = "open"
    frame["status"] = frame["status"].fillna("open")
    frame["table"] = [f"{s}.{t}" if isinstance(s, str) and isinstance(t, str) else NO_TABLE
                      for s, t in zip(frame["schema"], frame["table"], strict=True)] if len(frame) else []
    if len(frame):
        frame = (frame.assign(_rank=frame["severity"].map(severity_rank))
                 .sort_values(["_rank", "check", "object"], kind="stable").drop(columns="_rank"))
    return frame.reset_index(drop=True)


def filter_findings(frame: pd.DataFrame, **chosen: str) -> pd.DataFrame:
    """The rows of a ``browser_frame`` that match every chosen filter (``severity="critical"``, ``table=…``);
    an empty value keeps everything."""
    unknown = set(chosen) - set(FILTERS)
    if unknown:
        raise ValueError(f"There is no filter {', '.join(sorted(unknown))}; filter by {', '.join(FILTERS)}.")
    kept = pd.Series(True, index=frame.index)
    for name, value in chosen.items():
        if value:
            kept &= frame[name] == value
    return frame[kept].reset_index(drop=True)


def filter_options(frame: pd.DataFrame, name: str) -> list[tuple[str, str]]:
    """(label, value) choices of one filter: everything first, then each value with its count (severities in their
    order, the others alphabetically)."""
    counts = frame[name].value_counts() if len(frame) else pd.Series(dtype=int)
    values = [s for s in SEVERITIES if s in counts] if name == "severity" else sorted(counts.index)
    return [(f"every {name} ({len(frame)})", ALL)] + [(f"{value} ({counts[value]})", value) for value in values]


# -- rendering one finding -------------------------------------------------------------------------------------------
def severity_badge(severity: str, count: int | None = None) -> str:
    """The report's severity badge (``critical`` or ``critical: 6``), with inline styles so it keeps its look in
    JupyterLab."""
    colour = SEVERITY_COLORS.get(severity, "#57606a")
    label = severity if count is None else f"{severity}: {count}"
    return styled(f'<span class="al-badge" style="background:{colour}">{esc(label)}</span>')


def evidence_frame(evidence: Any) -> pd.DataFrame:
    """A finding's evidence as two columns (what, value); nested values as compact JSON."""
    rows = []
    for name, value in evidence_dict(evidence).items():
        text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
        rows.append({"evidence": name, "value": text if len(text) <= 600 else text[:599] + "…"})
    return pd.DataFrame(rows, columns=["evidence", "value"])


def finding_html(record: dict[str, Any], catalog=None, *, config=None, analysis=None,
                 diagram: bool = True) -> str:
    """One finding in full: severity, title, where, detail, evidence, fix SQL, and (with a catalog) the diagram of
    the tables it names and their neighbours."""
    where = f"{record.get('file')}:{record.get('line')}" if record.get("file") else record.get("object")
    parts = [f"<h3>{severity_badge(str(record.get('severity')))} {esc(record.get('title'))}</h3>",
             f"<p><b>{esc(record.get('check'))}</b> on <code>{esc(where)}</code>"
             + (f" · status {esc(record.get('status'))}" if record.get("status") else "") + "</p>",
             f"<p>{esc(record.get('detail'))}</p>"]
    evidence = evidence_frame(record.get("evidence"))
    if len(evidence):
        parts.append("<h4>Evidence</h4>" + table_html(evidence))
    parts.append("<h4>Fix</h4>" + (sql_html(record["remediation_sql"]) if record.get("remediation_sql")
                                   else '<p class="al-note">No fix SQL: this finding needs a decision or a code '
                                        "change.</p>"))
    if diagram and catalog is not None:
        from auditlib import diagrams

        graph = diagrams.finding_diagram(catalog, record, config=config, analysis=analysis)
        parts.append("<h4>Neighbourhood</h4>" + svg_html(diagrams.to_svg(graph), caption=str(record.get("title"))))
    return styled('<div class="al-finding">' + "".join(parts) + "</div>", cells=True)


def findings_table_html(frame: pd.DataFrame, columns: list[str] | None = None) -> str:
    """Findings as an HTML table with severity badges (static: the browser's view without a live kernel)."""
    if not len(frame):
        return styled('<p class="al-note">No findings.</p>')
    shown = frame[columns or [c for c in BROWSER_COLUMNS if c in frame.columns]]
    html = table_html(shown)
    for severity in SEVERITIES:  # the cells pandas wrote hold the escaped severity word alone
        html = html.replace(f"<td>{severity}</td>", f"<td>{severity_badge(severity)}</td>")
    return styled(html, cells=True)


# -- the interactive browser -----------------------------------------------------------------------------------------
@dataclass
class FindingsBrowser:
    """Filters, a sortable table and the selected finding's detail, as ipywidgets; ``widget`` is what displays."""

    frame: pd.DataFrame
    catalog: Any = None
    config: Any = None
    analysis: Any = None
    chosen: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import ipywidgets as widgets
        from itables.widget import ITable

        self.filters = {name: widgets.Dropdown(options=filter_options(self.frame, name), value=ALL,
                                               description=name, layout=widgets.Layout(width="auto"))
                        for name in FILTERS}
        for name, dropdown in self.filters.items():
            dropdown.add_class(f"al-filter-{name}")
            dropdown.observe(self._on_filter, names="value")
        self.count = widgets.HTML()
        self.table = ITable(self.shown[BROWSER_COLUMNS], select={"style": "single"}, pageLength=15,
                            lengthMenu=[15, 50, 200], classes="display compact", scrollX=True, maxBytes=0)
        self.table.add_class("al-findings-table")
        self.table.observe(self._on_select, names="selected_rows")
        self.detail = widgets.HTML(value=styled('<p class="al-note">Select a finding to see its evidence, fix and '
                                                "diagram.</p>"))
        self.detail.add_class("al-finding-detail")
        filters = widgets.HBox(list(self.filters.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([filters, self.count, self.table, self.detail])
        self._refresh_count()

    @property
    def shown(self) -> pd.DataFrame:
        """The findings the filters keep."""
        return filter_findings(self.frame, **self.chosen)

    def select(self, **chosen: str) -> pd.DataFrame:
        """Set filters from code (``browser.select(severity="critical")``) as the dropdowns would; the kept rows."""
        for name, value in chosen.items():
            if name not in self.filters:
                raise ValueError(f"There is no filter {name}; filter by {', '.join(FILTERS)}.")
            self.filters[name].value = value
        return self.shown

    def show(self, position: int) -> str:
        """The detail of the ``position``-th finding the filters keep (what selecting its row shows)."""
        shown = self.shown
        if not 0 <= position < len(shown):
            raise IndexError(f"There are {len(shown)} findings shown; choose a row from 0 to {len(shown) - 1}.")
        record = frame_records(shown.iloc[[position]])[0]
        self.detail.value = finding_html(record, self.catalog, config=self.config, analysis=self.analysis)
        return self.detail.value

    def _on_filter(self, change: dict) -> None:
        self.chosen = {name: dropdown.value for name, dropdown in self.filters.items() if dropdown.value}
        self.table.update(self.shown[BROWSER_COLUMNS], selected_rows=[])
        self._refresh_count()

    def _on_select(self, change: dict) -> None:
        if change["new"]:
            self.show(change["new"][0])

    def _refresh_count(self) -> None:
        shown = self.shown
        counts = shown["severity"].value_counts() if len(shown) else {}
        badges = "".join(severity_badge(s, counts[s]) for s in SEVERITIES if s in counts)
        self.count.value = styled(f'<p class="al-findings-count" data-shown="{len(shown)}">{len(shown)} of '
                                  f"{len(self.frame)} findings shown {badges}</p>")

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        # Without a live kernel the widget cannot draw: the static table stands in (JupyterLab shows it for a saved,
        # untrusted notebook; the HTML report shows it).
        bundle["text/html"] = findings_table_html(self.frame)
        return bundle


def findings_browser(result, *, fixed: pd.DataFrame | None = None) -> FindingsBrowser:
    """The findings browser of an ``AuditResult`` (its catalog draws the diagrams) or of a findings DataFrame."""
    findings = getattr(result, "findings", result)
    if not isinstance(findings, pd.DataFrame):
        raise TypeError("findings_browser takes an audit result or a findings DataFrame (auditlib.findings).")
    if fixed is None and hasattr(result, "extras"):
        fixed = result.extras.get("fixed")
    return FindingsBrowser(browser_frame(findings, fixed), catalog=getattr(result, "catalog", None),
                           config=getattr(result, "config", None), analysis=getattr(result, "analysis", None))


def open_findings_browser(*, demo: bool = False, dsn_env: str = "", snapshot: str = "", code_dir: str = "",
                          config_path: str = "", schemas: list[str] | None = None, data: bool = True,
                          history_path: str = "") -> FindingsBrowser:
    """Audit with the CLI's defaults (data checks on; the demo with its app's code) and return the browser; each
    finding's status (new, open) and the findings fixed since come from the audit history, which is only read."""
    result = audit_for_workbench(demo=demo, dsn_env=dsn_env, snapshot=snapshot, code_dir=code_dir,
                                 config_path=config_path, schemas=schemas, data=data)
    statuses_from_history(result, history_path)
    return findings_browser(result)


def audit_for_workbench(*, demo: bool = False, dsn_env: str = "", snapshot: str = "", code_dir: str = "",
                        config_path: str = "", schemas: list[str] | None = None, data: bool = True):
    """The audit the CLI runs for the same source: data-level checks included, and for the demo its app's code."""
    from auditlib.audit import run_audit
    from auditlib.config import load_config
    from auditlib.sources import resolve_source

    demo = demo and not (dsn_env or snapshot)
    if demo and not code_dir:
        from auditlib.demo import app_folder

        code_dir = str(app_folder())  # as `auditlib report --demo`: the demo is a database and its app's code
    source = resolve_source(dsn_env=dsn_env, snapshot=snapshot, demo=demo)
    return run_audit(source, load_config(config_path or None), schemas=schemas or None, data=data,
                     code_dir=code_dir or None)


def statuses_from_history(result, history_path: str = "") -> None:
    """Give the findings their status against the last recorded run of the source, without recording this one;
    nothing changes when there is no history yet."""
    from auditlib.history import HistoryError, open_history

    try:
        with open_history(history_path or None, create=False) as history:
            history.assign_status(result)
    except (HistoryError, FileNotFoundError):
        pass
