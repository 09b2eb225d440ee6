"""The collector: turns the method chains, strings and declarations the JavaScript and Python readers find into
references of a ``CodeScan``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from auditlib.codescan.names import _column_name, _column_path, _identifier, is_camel, snake_case
from auditlib.codescan.postgrest import parse_logic_filter, parse_select, split_top_level
from auditlib.codescan.records import CodeScan, ColumnRef, DynamicRef, FieldMapping, JsonKeyRef, TableRef
from auditlib.codescan.sql import _upper_case_sql, sql_keyword, sql_tables, sql_tables_by_pattern
from auditlib.codescan.values import _MAX_DEPTH, DYNAMIC, Arr, Entry, Link, Obj, Text

# PostgREST filter methods whose first argument is a column (supabase-js camelCase, supabase-py snake_case; a
# trailing underscore — in_, is_, not_ — is dropped before the lookup).
FILTER_METHODS = frozenset({
    "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "is", "in", "contains", "containedBy", "contained_by",
    "overlaps", "textSearch", "text_search", "fts", "plfts", "phfts", "wfts", "rangeGt", "rangeGte", "rangeLt",
    "rangeLte", "rangeAdjacent", "range_gt", "range_gte", "range_lt", "range_lte", "range_adjacent", "likeAllOf",
    "likeAnyOf", "ilikeAllOf", "ilikeAnyOf", "like_all_of", "like_any_of", "ilike_all_of", "ilike_any_of", "not",
    "filter", "order", "isDistinct", "is_distinct"})
WRITE_METHODS = frozenset({"insert", "update", "upsert"})
REFERENCED_TABLE_OPTIONS = ("referencedTable", "foreignTable", "referenced_table", "foreign_table",
                            "reference_table")
ON_CONFLICT_OPTIONS = ("onConflict", "on_conflict")
MESSAGE_RECEIVERS = frozenset({"console", "logger", "log", "logging", "toast", "notify", "warnings"})
MESSAGE_FUNCTIONS = frozenset({"alert", "confirm", "print", "t", "i18n", "_", "gettext"})
NOT_CLIENT_RECEIVERS = frozenset({"storage", "console"})  # supabase.storage.from('bucket') is a bucket
# method names that start what the scan reads: a chain without one of them (and not refining a query kept in a
# variable) is skipped before its arguments are looked at
_CHAIN_NAMES = frozenset({"from", "table", "from_", "rpc", "on", "on_postgres_changes"})
_COMMENT_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_MENTIONS_PER_WORD = 5  # comment mentions kept per word (evidence only)


def _objects(value: Any) -> Iterator[Obj]:
    """The objects of a written value: the object itself, or the objects of an array of rows."""
    if isinstance(value, Obj):
        yield value
    elif isinstance(value, Arr):
        for item in value.items:
            if isinstance(item, Obj):
                yield item


def _camel_keys(value: Any, depth: int = 0) -> Iterator[Entry]:
    """camelCase keys anywhere inside a value (objects in objects and arrays)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, Obj):
        for entry in value.entries:
            if entry.key is not None and is_camel(entry.key):
                yield entry
            yield from _camel_keys(entry.value, depth + 1)
    elif isinstance(value, Arr):
        for item in value.items:
            yield from _camel_keys(item, depth + 1)


class Collector:
    """Turns method chains, strings and declarations into references; shared by the JavaScript and Python readers."""

    def __init__(self, scan: CodeScan, sql_calls: set[str]):
        self.scan = scan
        self.sql_calls = sql_calls
        self._seen: set[tuple] = set()

    def _add(self, bucket: list, item: Any) -> None:
        key = (id(bucket), item)
        if key not in self._seen:
            self._seen.add(key)
            bucket.append(item)

    def table(self, file: str, line: int, name: str, schema: str | None, via: str, kind: str = "table",
              path: tuple[str, ...] = ()) -> None:
        self._add(self.scan.tables, TableRef(file, line, schema or self.scan.default_schema, name, via, kind, path))

    def column(self, ref: ColumnRef) -> None:
        self._add(self.scan.columns, ref)

    def mapping(self, file: str, line: int, camel: str, snake: str) -> None:
        if is_camel(camel) and snake_case(camel) == snake:
            self._add(self.scan.mappings, FieldMapping(file, line, camel, snake))

    def comment(self, file: str, line: int, text: str) -> None:
        for word in set(_COMMENT_WORD.findall(text)):
            sites = self.scan.comment_mentions.setdefault(word, [])
            if len(sites) < _MENTIONS_PER_WORD:
                sites.append((file, line))

    def pair(self, file: str, line: int, key: str, value_text: str | None, value_member: str | None) -> None:
        """An object key and its value, for field mappings (FIELD_MAP entries, ``snake: obj.camel`` and back)."""
        if value_text is not None and is_camel(key):
            self.mapping(file, line, key, value_text)
        elif value_member is not None:
            if is_camel(value_member):
                self.mapping(file, line, value_member, key)
            elif is_camel(key):
                self.mapping(file, line, key, value_member)

    # -- Supabase / PostgREST chains ---------------------------------------------------------------------------
    def chain(self, links: list[Link], root: str | None) -> None:
        """Read one method chain (``supabase.schema('s').from('t').select('a').eq('b', 1)``)."""
        schema: str | None = None
        table: tuple[str, str] | None = None
        aliases: dict[str, tuple[str, ...]] = {}
        receiver = root
        for link in links:
            name = link.name.rstrip("_") or link.name
            if link.args is None:
                receiver = link.name
                continue
            if name == "schema":
                text = link.text(0)
                schema = text.value if text is not None and _identifier(text.value) else schema
            elif name in ("from", "table"):
                table = self._from(link, schema, receiver)
                aliases = {}
            elif name == "rpc":
                table = None
                text = link.text(0)
                if text is not None and not text.dynamic and _identifier(text.value):
                    self.table(text.file, text.line, text.value, schema, "rpc", kind="function")
            elif name in ("on", "on_postgres_changes"):
                self._realtime(link, name)
            elif table is not None:
                self._table_method(link, name, table, aliases)
            receiver = None

    def _from(self, link: Link, schema: str | None, receiver: str | None) -> tuple[str, str] | None:
        if receiver is not None and (receiver[:1].isupper() or receiver in NOT_CLIENT_RECEIVERS):
            return None  # Array.from, Buffer.from, supabase.storage.from('bucket'), console.table
        if link.args is None or len(link.args) != 1:
            return None
        text = link.text(0)
        if text is None:
            return None  # a variable: known at run time only
        if text.dynamic:
            pattern = re.sub(r"\*+", "*", text.value.replace(DYNAMIC, "*"))
            if pattern.strip("*"):
                self._add(self.scan.dynamic, DynamicRef(text.file, text.line, pattern))
            return None
        qualifier, _, name = text.value.strip().rpartition(".")
        if not _identifier(name) or (qualifier and not _identifier(qualifier)):
            return None
        schema = qualifier or schema or self.scan.default_schema
        self.table(text.file, text.line, name, schema, "from")
        return schema, name

    def _realtime(self, link: Link, name: str) -> None:
        """``.on('postgres_changes', { schema, table, filter })`` (supabase-js) / ``on_postgres_changes(table=…)``."""
        if name == "on":
            event = link.text(0)
            options = link.arg(1)
            if event is None or event.value != "postgres_changes" or not isinstance(options, Obj):
                return
            values = {e.key: e.value for e in options.entries if isinstance(e.value, Text)}
        else:
            values = {k: link.convert(v) for k, v in link.keywords.items()}
        table, schema = values.get("table"), values.get("schema")
        if not isinstance(table, Text) or table.dynamic or not _identifier(table.value) or table.value == "*":
            return
        schema_name = schema.value if isinstance(schema, Text) and not schema.dynamic else None
        self.table(table.file, table.line, table.value, schema_name, "realtime")
        condition = values.get("filter")
        if isinstance(condition, Text) and (column := _column_name(condition.value.split("=", 1)[0])):
            self.column(ColumnRef(condition.file, condition.line, schema_name or self.scan.default_schema, table.value,
                                  column, "realtime", call_file=link.file, call_line=link.line))

    def _table_method(self, link: Link, name: str, table: tuple[str, str], aliases: dict) -> None:
        schema, table_name = table

        def column(file: str, line: int, path: tuple[str, ...], col: str, via: str) -> None:
            if path and path[0] in aliases:
                path = (*aliases[path[0]], *path[1:])
            self.column(ColumnRef(file, line, schema, table_name, col, via, path, link.file, link.line))

        if name == "select":
            for index in range(len(link.args or ())):
                text = link.text(index)
                if text is None:
                    continue
                for kind, path, item, offset, alias in parse_select(text.value):
                    line = text.line_at(offset)
                    if kind == "relation":
                        self.table(text.file, line, table_name, schema, "embed", path=path)
                        if alias:
                            aliases[alias] = path
                    else:
                        column(text.file, line, path, item, "select")
        elif name in FILTER_METHODS:
            text = link.text(0)
            scope = link.option(REFERENCED_TABLE_OPTIONS)
            prefix = tuple(scope.value.split(".")) if scope is not None and not scope.dynamic else ()
            if text is not None and (found := _column_path(text.value)):
                column(text.file, text.line, prefix + found[0], found[1], "order" if name == "order" else "filter")
        elif name == "or":
            text = link.text(0)
            scope = link.option(REFERENCED_TABLE_OPTIONS)
            prefix = tuple(scope.value.split(".")) if scope is not None and not scope.dynamic else ()
            if text is not None:
                for expression, offset in parse_logic_filter(text.value):
                    if found := _column_path(expression):
                        column(text.file, text.line_at(offset), prefix + found[0], found[1], "filter")
        elif name == "match":
            for obj in _objects(link.arg(0)):
                for entry in obj.entries:
                    if entry.key is not None:
                        column(entry.file, entry.line, (), entry.key, "match")
        elif name in WRITE_METHODS:
            self._write(link, name, schema, table_name)

    def _write(self, link: Link, method: str, schema: str, table: str) -> None:
        """Keys of the objects given to insert/update/upsert are columns; camelCase keys inside their values are
        JSON keys (for field mappings the code bypasses)."""
        for obj in _objects(link.arg(0)):
            for entry in obj.entries:
                if entry.key is None:
                    continue
                self.column(ColumnRef(entry.file, entry.line, schema, table, entry.key, method, (), link.file,
                                      link.line))
                for inner in _camel_keys(entry.value):
                    self._add(self.scan.json_keys, JsonKeyRef(inner.file, inner.line, schema, table, entry.key,
                                                              inner.key, link.file, link.line))
        conflict = link.option(ON_CONFLICT_OPTIONS) if method == "upsert" else None
        if conflict is not None and not conflict.dynamic:
            for offset, part in split_top_level(conflict.value):
                if name := _identifier(part):
                    self.column(ColumnRef(link.file, conflict.line_at(offset), schema, table, name, "on_conflict",
                                          (), link.file, link.line))

    # -- SQL and declarations ----------------------------------------------------------------------------------
    def sql(self, text: Text, in_query_call: bool) -> None:
        """A string that may be SQL: read when it starts with a DML keyword and is either passed to a query call or
        written with an upper-case keyword (log text in sentence case is not SQL)."""
        keyword = sql_keyword(text.value)
        if keyword is None or not (in_query_call or _upper_case_sql(text.value)):
            return
        parsed = sql_tables(text.value)
        found, created = parsed if parsed is not None else sql_tables_by_pattern(text.value, in_query_call)
        self.scan.created.update(created)
        for schema, name, offset in found:
            if schema in ("pg_catalog", "information_schema") or (schema is None and name.startswith("pg_")):
                continue  # the system catalogs
            self.table(text.file, text.line_at(offset), name, schema, "sql")

    def declared_table(self, file: str, line: int, name: Any, schema: Any = None) -> None:
        """An ORM-ish declaration whose table name is a plain string."""
        if isinstance(name, Text) and not name.dynamic and _identifier(name.value):
            schema_name = schema.value if isinstance(schema, Text) and not schema.dynamic else None
            self.table(file, name.line, name.value, schema_name, "orm")

