"""Every colour the charts and the diagrams draw with: one meaning, one colour, wherever it is shown.

A severity is the same red in a bar chart and in the header of a table node; an ON DELETE rule is the same colour
on a bar and on an edge (red deletes rows, blue updates them, grey blocks the delete); a reference that no foreign
key enforces is orange everywhere.
"""

from __future__ import annotations

# -- meanings shared by charts and diagrams -------------------------------------------------------------------------
SEVERITY_COLORS = {"critical": "#b71c1c", "high": "#e65100", "medium": "#f9a825", "low": "#1e88e5",
                   "info": "#90a4ae"}
WARNING_COLOR = "#e65100"  # the border of a warning box (skipped checks): the colour of "high"
SEVERITY_FILLS = {"critical": "#ffcdd2", "high": "#ffe0b2"}  # the same severities, light, for filled areas

MISSING_COLOR = "#ef6c00"  # a reference without a foreign key
# SET NULL and SET DEFAULT share blue: both update the children instead of deleting them.
RULE_COLORS = {"CASCADE": "#c62828", "SET NULL": "#1565c0", "SET DEFAULT": "#1565c0", "RESTRICT": "#424242",
               "NO ACTION": "#8d8d8d", "NO FK": MISSING_COLOR}
EDGE_COLOR = RULE_COLORS["NO ACTION"]  # an edge with no rule of its own is drawn as the default rule

COVERAGE_STATUSES = {  # tenant column coverage: status → colour, in display order
    "with tenant column": "#2e7d32",
    "tenant root": "#1565c0",
    "missing tenant column": "#c62828",
    "global (no tenant data)": "#9e9e9e",
}
DATA_CHECK_COLORS = {"orphan_rows": "#8e24aa", "tenant_null_rows": "#c62828", "json_orphans": "#6d4c41",
                     "rls_leak": "#d81b60"}

# -- diagram nodes --------------------------------------------------------------------------------------------------
HEADER_COLOR = "#dce8f5"          # a table's header (and a domain's box)
HEADER_TEXT_COLOR = "#1a1a1a"
SEVERE_HEADER_TEXT_COLOR = "white"  # on a header coloured by a critical or high finding
TABLE_FILL = "white"
BORDER_COLOR = "#9e9e9e"
KEY_MARK_COLOR = "#455a64"         # PK / FK / T beside a column
TYPE_TEXT_COLOR = "#757575"        # a column's data type
NOTE_TEXT_COLOR = "#9e9e9e"        # "+N more keys, +N other columns"
EXTERNAL_COLOR = "#eeeeee"         # a table (or domain) outside the diagram's own, greyed
EXTERNAL_TEXT_COLOR = "#616161"
EXTERNAL_BORDER_COLOR = "#bdbdbd"
CLUSTER_FILL = "#f7f9fc"           # the box around a domain's tables
CLUSTER_BORDER_COLOR = "#c5d3e6"
PROTECTED_COLOR = SEVERITY_FILLS["critical"]  # a protected table (cascade.protected_tables)
PROTECTED_BORDER_COLOR = SEVERITY_COLORS["critical"]
FOCUS_COLOR = "#fffbe0"            # the table a diagram is about
FOCUS_BORDER_COLOR = "#f9a825"
MARK_COLOR = "#ffe082"             # the column a finding is about
