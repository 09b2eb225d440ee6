"""Helpers for data checks' bounded queries: rendering ``sql/data`` files, keys and samples, and finding wording.

Data checks (integrity, JSON, probe, candidates) share these; they read rows only through ``DataContext``.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig
from auditlib.data import SAMPLE_SIZE, compose
from auditlib.model.references import type_family

# Built-in key types whose text form casts back exactly, so sampled values can be compared in the column's own
# type (and its index used); any other type is compared as text.
CASTABLE_TYPES = {"uuid", "int2", "int4", "int8", "text", "varchar", "bpchar", "numeric"}


def render(name: str, **parts: Any) -> str:
    """A query from ``auditlib/sql/data/<name>.sql`` with its ``{placeholders}`` filled.

    A psycopg ``Composable`` goes in as it is (fragments built from ``sql.Identifier``), a str is an identifier, a
    tuple a qualified name and a list a column list. Values are never pasted: they are bound as ``:parameters``.
    """
    return compose(f"{name}.sql", **parts)


def audited_schemas(catalog: Catalog, config: AuditConfig, audited: set[str] | None) -> set[str]:
    """The schemas whose rows a data check reads: those the runner audits (all but the platform ones by default)."""
    if audited is not None:
        return set(audited)
    return set(config.audited_schemas(list(catalog.schemas["name"])))


def column_ref(alias: str, column: str) -> sql.Composable:
    """``alias."column"``."""
    return sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(column))


def key_text(catalog: Catalog, schema: str, table: str, alias: str) -> tuple[sql.Composable, str]:
    """A row's key as text (its primary key, else its ctid) and a description of what that key is."""
    pk = catalog.primary_key(schema, table)
    if len(pk) == 1:
        return sql.SQL("CAST({} AS text)").format(column_ref(alias, pk[0])), pk[0]
    if pk:
        row = sql.SQL(", ").join(column_ref(alias, c) for c in pk)
        return sql.SQL("CAST(ROW({}) AS text)").format(row), f"({', '.join(pk)})"
    return sql.SQL("CAST({} AS text)").format(column_ref(alias, "ctid")), "ctid (the table has no primary key)"


def comparable(left: sql.Composable, left_column: dict, right: sql.Composable, right_column: dict) -> sql.Composable:
    """``left = right``, both cast to text when their types belong to different families (uuid vs text)."""
    if type_family(left_column["base_type"]) == type_family(right_column["base_type"]) \
            and left_column["is_array"] == right_column["is_array"]:
        return sql.SQL("{} = {}").format(left, right)
    return sql.SQL("CAST({} AS text) = CAST({} AS text)").format(left, right)


def comparable_sql(left: str, left_column: dict, right: str, right_column: dict) -> str:
    """``comparable`` for remediation text built from already quoted operands."""
    if type_family(left_column["base_type"]) == type_family(right_column["base_type"]) \
            and left_column["is_array"] == right_column["is_array"]:
        return f"{left} = {right}"
    return f"{left}::text = {right}::text"


def in_values(alias: str, column: dict, parameter: str = "values") -> sql.Composable:
    """``alias.column`` is one of the text values bound as ``:values`` (or ``:<parameter>``), compared in the
    column's type if it can be."""
    target = column_ref(alias, column["name"])
    bound = sql.SQL(f":{parameter}")
    if column["base_type"] in CASTABLE_TYPES and not column["is_array"]:
        return sql.SQL("{} = ANY (CAST(CAST({} AS text[]) AS {}[]))").format(
            target, bound, sql.Identifier("pg_catalog", column["base_type"]))
    return sql.SQL("CAST({} AS text) = ANY (CAST({} AS text[]))").format(target, bound)


def distinct_samples(values: list | None, limit: int = SAMPLE_SIZE) -> list:
    """Sample values from a percentile array: NULLs and repeats dropped, order kept, at most ``limit``."""
    seen: list = []
    for value in values or []:
        if value is not None and value not in seen:
            seen.append(value)
    return seen[:limit]


def sample_percent(catalog: Catalog, schema: str, table: str, budget: int) -> float:
    """The share of a table's pages to read for a bounded scan: 100 up to ``budget`` rows (planner estimate), else
    the percentage holding about ``budget`` rows; 100 when the budget is 0 (always every row)."""
    estimate = catalog.row_estimate(schema, table)
    if not budget or not estimate or estimate <= budget:
        return 100.0
    return max(0.0001, round(100.0 * budget / estimate, 4))


def table_sample(percent: float) -> sql.Composable:
    """Nothing for a whole table, else a repeatable page sample bound to ``:percent`` (see sample_parameters)."""
    if percent >= 100.0:
        return sql.SQL("")
    return sql.SQL("TABLESAMPLE SYSTEM (CAST(:percent AS real)) REPEATABLE (0)")


def sample_parameters(percent: float) -> dict[str, float]:
    """The parameter ``table_sample`` binds: none for a whole table."""
    return {"percent": percent} if percent < 100.0 else {}


def estimated_rows(catalog: Catalog, *tables: tuple[str, str]) -> int:
    """The rows of ``tables`` in all, as the planner estimates them (a table never analysed counts none): what
    ``auditlib.data.batched`` weighs a query by."""
    return sum(max(catalog.row_estimate(*table) or 0, 0) for table in tables)


def scaled(count: int, percent: float) -> int:
    """A count read from ``percent`` of a table's pages, scaled to the whole table."""
    return round(count * 100.0 / percent)


def plural(n: int, word: str) -> str:
    """``1 row``, ``7 rows``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def verb(n: int, singular: str, plural_form: str) -> str:
    """The verb agreeing with a count: ``verb(1, "has", "have")``."""
    return singular if n == 1 else plural_form


def without_header(query: str) -> str:
    """A rendered query without the comment lines that open its file (for evidence)."""
    lines = query.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines)
