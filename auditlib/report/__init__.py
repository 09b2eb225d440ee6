"""What the notebooks call: report sections built from findings, and the papermill + nbconvert pipeline.

``sections`` holds the ``Report`` of one audit (one method per section, each a ``Section``), ``explorer`` the
``TableExplorer`` of one table, ``html`` the rendering helpers every section uses, ``pipeline`` the way from
notebook parameters to an HTML file, and ``many`` the reports of many sources with their index page. Every name is
importable from ``auditlib.report`` itself, as the notebooks and the CLI do.
"""

from auditlib.report.explorer import TableExplorer, open_table_explorer
from auditlib.report.html import esc, offline_plotlyjs, plotly_html, sql_html, svg_html, table_html
from auditlib.report.many import read_sources, render_many
from auditlib.report.pipeline import (
    CHECKOUT_NOTEBOOK_DIR,
    PACKAGED_NOTEBOOK_DIR,
    ReportError,
    ReportTimings,
    add_table_of_contents,
    audit_for_report,
    ensure_kernel,
    export_html,
    import_notebook_tools,
    kernel_options,
    load_audit,
    notebook_path,
    open_migration_report,
    open_report,
    point_latest,
    record_history,
    render_report,
    save_audit,
    source_label,
    template_dir,
)
from auditlib.report.sections import LIKELIHOOD_HINTS, SEVERITY_COLOURS, Report, Section

__all__ = [
    "CHECKOUT_NOTEBOOK_DIR", "LIKELIHOOD_HINTS", "PACKAGED_NOTEBOOK_DIR", "SEVERITY_COLOURS", "Report", "ReportError",
    "ReportTimings", "Section", "TableExplorer", "add_table_of_contents", "audit_for_report", "ensure_kernel", "esc",
    "export_html", "import_notebook_tools", "kernel_options", "load_audit", "notebook_path", "offline_plotlyjs",
    "open_migration_report", "open_report", "open_table_explorer", "plotly_html", "point_latest", "read_sources",
    "record_history", "render_many", "render_report", "save_audit", "source_label", "sql_html", "svg_html",
    "table_html", "template_dir",
]
