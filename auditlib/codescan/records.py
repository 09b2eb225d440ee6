"""What a scan records: the tables, columns, JSON keys, field mappings and run-time names the code uses,
where."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class TableRef:
    """The code names a table (or view), or calls a database function (``kind="function"``).

    ``via`` says how: from (a client's .from/.table), rpc, sql (a SQL string), realtime, orm, embed (a relation
    embedded in a select: ``table`` is the queried table and ``path`` the relations from it, the last one being
    the name written here).
    """

    file: str
    line: int
    schema: str
    table: str
    via: str
    kind: str = "table"
    path: tuple[str, ...] = ()

    @property
    def written(self) -> str:
        """The name as the code writes it."""
        return self.path[-1] if self.path else self.table


@dataclass(frozen=True)
class ColumnRef:
    """The code names a column of ``schema.table`` (of the relation reached through ``path`` when not empty).

    ``file``/``line`` are where the name is written (an object key may sit in a helper function, even in another
    file); ``call_file``/``call_line`` are where the query is made.
    """

    file: str
    line: int
    schema: str
    table: str
    column: str
    via: str                       # select, filter, order, match, insert, update, upsert, on_conflict, realtime
    path: tuple[str, ...] = ()
    call_file: str = ""
    call_line: int = 0


@dataclass(frozen=True)
class JsonKeyRef:
    """A camelCase key written inside the value of a column (a JSON document), e.g. line items in invoices."""

    file: str
    line: int
    schema: str
    table: str
    column: str
    key: str
    call_file: str = ""
    call_line: int = 0


@dataclass(frozen=True)
class FieldMapping:
    """The code converts between a camelCase field and a snake_case column name here."""

    file: str
    line: int
    camel: str
    snake: str


@dataclass(frozen=True)
class DynamicRef:
    """A table name computed at run time, as a glob pattern (``*_tokens`` for ``${provider}_tokens``)."""

    file: str
    line: int
    pattern: str


@dataclass
class CodeScan:
    """What one source folder names; paths are relative to ``root``, POSIX style."""

    root: str
    default_schema: str = "public"
    files: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)      # {"file", "reason"}
    notes: list[dict[str, str]] = field(default_factory=list)        # {"file", "note"}: read, but with a caveat
    tables: list[TableRef] = field(default_factory=list)
    columns: list[ColumnRef] = field(default_factory=list)
    json_keys: list[JsonKeyRef] = field(default_factory=list)
    mappings: list[FieldMapping] = field(default_factory=list)
    dynamic: list[DynamicRef] = field(default_factory=list)
    created: set[str] = field(default_factory=set)   # temporary tables the code's own SQL creates
    comment_mentions: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def references(self) -> pd.DataFrame:
        """Every table and function reference: file, line, schema, name, kind, via (embedded relations by the
        name written; ``auditlib.checks.code`` resolves them against a catalog)."""
        rows = [{"file": r.file, "line": r.line, "schema": r.schema, "name": r.written, "kind": r.kind,
                 "via": r.via} for r in self.tables]
        return pd.DataFrame(rows, columns=["file", "line", "schema", "name", "kind", "via"])

    def matrix(self, resolve: Callable[[TableRef], tuple[str, str] | None] | None = None) -> pd.DataFrame:
        """References per table (rows, ``schema.table``) and file (columns); ``resolve`` maps an embedded relation
        to the table it reaches (``CodeResolver.table_of``)."""
        rows = []
        for ref in self.tables:
            if ref.kind != "table":
                continue
            target = resolve(ref) if resolve is not None else (ref.schema, ref.written)
            if target is not None:
                rows.append({"table": f"{target[0]}.{target[1]}", "file": ref.file})
        if not rows:
            return pd.DataFrame()
        frame = pd.DataFrame(rows)
        return (frame.groupby(["table", "file"]).size().unstack("file", fill_value=0).sort_index()
                .sort_index(axis=1))

    def summary(self) -> dict[str, Any]:
        """Counts for the report header: files scanned and skipped, references found."""
        return {"root": self.root, "files": len(self.files), "skipped": len(self.skipped),
                "table_references": sum(1 for r in self.tables if r.kind == "table"),
                "function_calls": sum(1 for r in self.tables if r.kind == "function"),
                "column_references": len(self.columns), "dynamic_references": len(self.dynamic)}

