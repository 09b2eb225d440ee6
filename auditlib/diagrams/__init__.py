"""ER, cascade and finding diagrams as graphviz Digraphs, built from a Catalog (and findings), rendered to SVG.

Views: ``er_core`` (the tables most others reference plus given ones, at a readable size), ``er_overview`` (every table, or a domain-level summary past ``max_nodes``), ``er_domains`` (one diagram per
domain, split when a domain alone is too big), ``er_ego`` (a table and its neighbours), ``cascade_diagram`` (what
deleting one row reaches), ``finding_diagram`` (the objects of one finding) and ``issue_diagram`` (the references
one issue is about, red, among their neighbours). Every diagram is a ``Diagram`` — a
``graphviz.Digraph`` that knows its node count and a simpler diagram to fall back on — and displays in a notebook as
inline SVG (HTML, so table names stay searchable text). ``to_svg`` renders with a timeout and never hangs: past it,
the fallback diagram, then a force-directed layout, then a one-line placeholder are tried in turn.

The package reads in the order a diagram is made:

- ``graph``: what a diagram shows — the catalog as a graph of tables (``Graph``), neighbourhoods, domain parts, the
  cascade of a delete (``cascade_tree``), the tables a finding names;
- ``views``: the diagrams the report, the notebooks and the drift view call, each a selection from the graph drawn
  into a ``Diagram``;
- ``render``: the ``Diagram`` object, escaping for DOT, and the layout to SVG with its timeout and fallbacks.

Colours come from ``auditlib.palette``, shared with the charts.
"""

from auditlib.diagrams.graph import HUB_MIN_REFERENCES, MAX_KEY_ROWS, MIN_PREFIX_GROUP, Graph, cascade_tree
from auditlib.diagrams.render import (
    DEFAULT_TIMEOUT,
    FONT,
    Diagram,
    Rendered,
    Table,
    log,
    node_id,
    render,
    svg_inline,
    to_html,
    to_svg,
)
from auditlib.diagrams.views import (
    BAND_TABLES,
    CORE_TABLES,
    cascade_diagram,
    er_core,
    er_domains,
    er_ego,
    er_overview,
    er_summary,
    finding_diagram,
    issue_diagram,
    neighbourhood_diagram,
)
from auditlib.palette import (
    EXTERNAL_COLOR,
    FOCUS_COLOR,
    HEADER_COLOR,
    MARK_COLOR,
    MISSING_COLOR,
    PROTECTED_COLOR,
    RULE_COLORS,
    SEVERITY_COLORS,
)

__all__ = [
    "BAND_TABLES", "CORE_TABLES", "DEFAULT_TIMEOUT", "EXTERNAL_COLOR", "FOCUS_COLOR", "FONT", "HEADER_COLOR", "HUB_MIN_REFERENCES",
    "MARK_COLOR", "MAX_KEY_ROWS", "MIN_PREFIX_GROUP", "MISSING_COLOR", "PROTECTED_COLOR", "RULE_COLORS",
    "SEVERITY_COLORS", "Diagram", "Graph", "Rendered", "Table", "cascade_diagram", "cascade_tree", "er_core", "er_domains",
    "er_ego", "er_overview", "er_summary", "finding_diagram", "issue_diagram", "log", "neighbourhood_diagram", "node_id", "render",
    "svg_inline", "to_html", "to_svg",
]
