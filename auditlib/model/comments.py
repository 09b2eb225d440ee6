"""Documentation in the schema: which tables and columns need a COMMENT, and which have one.

A column needs a comment when it holds JSON (its shape is written down nowhere else), or when its name does not
explain it: every column except those named like ``comments.obvious_columns`` (glob patterns: ``id``, ``name``,
``email``, ``created_at``, ``*_at``, ``*_by``, ``is_*`` …), those of ``comments.obvious_types`` (booleans), and
references that name their target, ``<...>_<x>_id`` pointing at table x or a table whose name ends with x
(``project_id`` → projects, ``converted_to_quote_id`` → quotes, ``thread_id`` → email_threads), declared or
inferred. ``coverage_frame`` gives the report the coverage per table category.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig, glob_matcher
from auditlib.model.references import Reference, name_forms
from auditlib.model.tenancy import table_category

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


def self_explanatory_references(references: list[Reference]) -> set[tuple[str, str, str]]:
    """(schema, table, column) of single-column references (declared or inferred) whose name names the table they
    point at."""
    return {(ref.schema, ref.table, ref.column) for ref in references
            if len(ref.columns) == 1 and names_its_target(ref.column, ref.ref_table)}


def table_comments(catalog: Catalog, config: AuditConfig, references: list[Reference],
                   schemas: list[str] | set[str] | None = None) -> list[TableComments]:
    """Every table (not partitions) with its JSON columns, the other columns that need a comment, and which have one.

    ``references`` are the declared and inferred ones (``Analysis.references``): a column that names its target
    explains itself.
    """
    obvious = glob_matcher(config.get("comments", "obvious_columns"))
    obvious_types = set(config.get("comments", "obvious_types"))
    references = self_explanatory_references(references)
    result = []
    for record in catalog.records("user_tables"):
        schema, table = record["schema"], record["name"]
        if schemas is not None and schema not in schemas:
            continue
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


def coverage_frame(entries: list[TableComments], config: AuditConfig) -> pd.DataFrame:
    """Comment coverage per table category: tables, JSON columns and unclear columns commented (the report's table).

    One row per category (``auditlib.model.tenancy.table_category``) plus a final ``All`` row; the percentages are
    of the columns that need a comment (JSON and unclear ones together).
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for entry in entries:
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
