"""Documentation in the schema: tables and the columns that need explaining, without COMMENT.

Which columns need a comment (JSON ones, and those whose names do not explain them) is the run's comments model,
``auditlib.model.comments`` (``Analysis.comments``); the report's coverage table reads the same model.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.model import Analysis
from auditlib.model.comments import TableComments
from auditlib.quoting import ident, literal


def comment_sql(entry: TableComments, columns: list[str]) -> str:
    """COMMENT ON TABLE / COLUMN templates for a table, with TODO texts to replace."""
    statements = []
    if not entry.commented:
        statements.append(f"COMMENT ON TABLE {ident(entry.schema, entry.table)} IS "
                          f"{literal(f'TODO: what one row of {entry.table} is')};")
    for column in columns:
        text = f"TODO: the JSON shape of {column}" if column in entry.json_columns else f"TODO: what {column} holds"
        statements.append(f"COMMENT ON COLUMN {ident(entry.schema, entry.table, column)} IS {literal(text)};")
    return "\n".join(statements)


@check(name="comment_missing", category="structure", severity="info", needs=("analysis",),
       report_section="comments.coverage")
def comment_missing(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A table, or a JSON column or a column whose name does not explain it, has no COMMENT.

    Why it matters: the schema is the one place every tool, newcomer and AI assistant reads; without comments
    the meaning of a status, a unit, or the shape of a JSON document lives only in someone's head or in
    application code, and gets reinvented (differently) by the next person who touches it.

    How to fix: write COMMENT ON TABLE and COMMENT ON COLUMN for the listed objects (the remediation gives
    templates to fill in; a JSON column's comment should give its shape). A table without a comment is
    reported with every column that needs one; a commented table only for its uncommented JSON columns.
    Columns whose names explain themselves are set in ``comments.obvious_columns``.
    """
    for entry in analysis.comments:
        if entry.commented:
            columns = entry.missing_json
            if not columns:
                continue
        else:
            columns = entry.missing_json + entry.missing_unclear
        name = qualified(entry.schema, entry.table)
        listed = ", ".join(columns)
        if entry.commented:
            title = f"{name} has JSON columns without a comment"
            detail = (f"{name} is documented, but its JSON columns {listed} have no COMMENT describing their "
                      "shape.")
        else:
            title = f"{name} has no comment"
            detail = (f"{name} has no COMMENT" + (f", nor do its columns {listed}, whose meaning the names alone "
                                                    "do not give." if columns else "."))
        yield Finding(
            schema=entry.schema, table=entry.table, column=",".join(columns) or None, object=name,
            title=title, detail=detail,
            evidence={"table_commented": entry.commented, "json_columns": entry.missing_json,
                      "unclear_columns": entry.missing_unclear if not entry.commented else [],
                      "commented_columns": sorted(entry.commented_columns),
                      "obvious_rule": "comments.obvious_columns, comments.obvious_types, references named "
                                      "after their target"},
            remediation_sql=comment_sql(entry, columns))
