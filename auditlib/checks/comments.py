"""Documentation in the schema: tables and the columns that need explaining, without COMMENT.

A column needs a comment when it holds JSON (its shape is written down nowhere else), or when its name does not
explain it: every column except those named like ``comments.obvious_columns`` (glob patterns: ``id``, ``name``,
``email``, ``created_at``, ``*_at``, ``*_by``, ``is_*`` …), those of ``comments.obvious_types`` (booleans), and
references that name their target, ``<...>_<x>_id`` pointing at table x or a table whose name ends with x
(``project_id`` → projects, ``converted_to_quote_id`` → quotes, ``thread_id`` → email_threads), declared or
inferred. ``comment_coverage`` gives the report the coverage per table category.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import translate

import pandas as pd

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.relationships import inferred_references, name_forms
from auditlib.checks.tenancy import table_category
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.quoting import ident, literal

JSON_TYPES = ("json", "jsonb")
COVERAGE_COLUMNS = ["category", "tables", "tables_commented", "table_coverage_pct", "json_columns",
                    "json_commented", "unclear_columns", "unclear_commented", "column_coverage_pct"]


@dataclass
class TableComments:
    """What one table documents and what it still needs to."""

    schema: str
    table: str
    commented: bool
    json_columns: list[str] = field(default_factory=list)       # every JSON column
    unclear_columns: list[str] = field(default_factory=list)    # every other column that needs a comment
    commented_columns: set[str] = field(default_factory=set)

    @property
    def missing_json(self) -> list[str]:
        return [c for c in self.json_columns if c not in self.commented_columns]

    @property
    def missing_unclear(self) -> list[str]:
        return [c for c in self.unclear_columns if c not in self.commented_columns]


def glob_matcher(patterns: list[str]) -> Callable[[str], bool]:
    """A test of a name (case-insensitive) against glob patterns, compiled once: fast over many thousand columns."""
    if not patterns:
        return lambda name: False
    regex = re.compile("|".join(f"(?:{translate(p.lower())})" for p in patterns))
    return lambda name: regex.match(name.lower()) is not None


def is_json(column: dict) -> bool:
    """True for json/jsonb columns (and arrays of them)."""
    return column["base_type"] in JSON_TYPES


def names_its_target(column: str, ref_table: str) -> bool:
    """True when ``<...>_<x>_id`` names the table it points at: x is the table's name or its last word(s)
    (``project_id`` → projects, ``converted_to_quote_id`` → quotes, ``thread_id`` → email_threads)."""
    lowered, target = column.lower(), ref_table.lower()
    if not lowered.endswith("_id"):
        return False
    words = lowered[:-3].split("_")
    for start in range(len(words)):
        for form in name_forms("_".join(words[start:])):
            if target == form or target.endswith("_" + form):
                return True
    return False


def self_explanatory_references(catalog: Catalog, config: AuditConfig) -> set[tuple[str, str, str]]:
    """(schema, table, column) of references (declared or inferred) whose name names the table they point at."""
    references = [(fk["schema"], fk["table"], fk["columns"][0], fk["ref_table"])
                  for fk in catalog.foreign_keys.to_dict("records") if len(fk["columns"]) == 1]
    inferred = inferred_references(catalog, config)
    references += list(zip(inferred["schema"], inferred["table"], inferred["column"], inferred["ref_table"],
                           strict=True))
    return {(schema, table, column) for schema, table, column, ref_table in references
            if names_its_target(column, ref_table)}


def table_comments(catalog: Catalog, config: AuditConfig, schemas: list[str] | set[str] | None = None
                   ) -> list[TableComments]:
    """Every table (not partitions) with its JSON columns, the other columns that need a comment, and which have one."""
    obvious = glob_matcher(config.get("comments", "obvious_columns"))
    obvious_types = set(config.get("comments", "obvious_types"))
    references = self_explanatory_references(catalog, config)
    tables = catalog.user_tables(list(schemas) if schemas is not None else None)
    result = []
    for record in tables.to_dict("records"):
        schema, table = record["schema"], record["name"]
        entry = TableComments(schema, table, commented=bool(record["comment"] and record["comment"].strip()))
        for column in catalog.table_columns(schema, table):
            name = column["name"]
            if column["comment"] and column["comment"].strip():
                entry.commented_columns.add(name)
            if is_json(column):
                entry.json_columns.append(name)
            elif not (obvious(name) or column["base_type"] in obvious_types or (schema, table, name) in references):
                entry.unclear_columns.append(name)
        result.append(entry)
    return result


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


@check(name="comment_missing", category="structure", severity="info")
def comment_missing(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table, or a JSON column or a column whose name does not explain it, has no COMMENT.

    Why it matters: the schema is the one place every tool, newcomer and AI assistant reads; without comments
    the meaning of a status, a unit, or the shape of a JSON document lives only in someone's head or in
    application code, and gets reinvented (differently) by the next person who touches it.

    How to fix: write COMMENT ON TABLE and COMMENT ON COLUMN for the listed objects (the remediation gives
    templates to fill in; a JSON column's comment should give its shape). A table without a comment is
    reported with every column that needs one; a commented table only for its uncommented JSON columns.
    Columns whose names explain themselves are set in ``comments.obvious_columns``.
    """
    for entry in table_comments(catalog, config):
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


def comment_coverage(catalog: Catalog, config: AuditConfig | None = None,
                     schemas: list[str] | None = None) -> pd.DataFrame:
    """Comment coverage per table category: tables, JSON columns and unclear columns commented (the report's table).

    ``schemas`` defaults to the audited ones (every user schema but the platform ones). One row per category
    (``auditlib.checks.tenancy.table_category``) plus a final ``All`` row; the percentages are of the columns that
    need a comment (JSON and unclear ones together).
    """
    config = config or AuditConfig()
    if schemas is None:
        schemas = config.audited_schemas(list(catalog.schemas["name"]))
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for entry in table_comments(catalog, config, schemas):
        row = counts[table_category(entry.table, config)]
        json_done = len(entry.json_columns) - len(entry.missing_json)
        unclear_done = len(entry.unclear_columns) - len(entry.missing_unclear)
        for index, value in enumerate((1, int(entry.commented), len(entry.json_columns), json_done,
                                       len(entry.unclear_columns), unclear_done)):
            row[index] += value
    order = list(config.get("tenancy", "categories")) + ["Other"]
    rows = [(category, counts[category]) for category in order if category in counts]
    if rows:
        rows.append(("All", [sum(values[i] for _, values in rows) for i in range(6)]))
    records = []
    for category, (tables, commented, json_total, json_done, unclear_total, unclear_done) in rows:
        needing = json_total + unclear_total
        records.append({"category": category, "tables": tables, "tables_commented": commented,
                        "table_coverage_pct": round(100 * commented / tables, 1) if tables else None,
                        "json_columns": json_total, "json_commented": json_done,
                        "unclear_columns": unclear_total, "unclear_commented": unclear_done,
                        "column_coverage_pct": round(100 * (json_done + unclear_done) / needing, 1)
                        if needing else None})
    return pd.DataFrame(records, columns=COVERAGE_COLUMNS)
