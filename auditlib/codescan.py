"""Scanning application source for the tables, functions and columns it uses, to compare them with the database.

``scan_code(folder)`` walks a source folder (skipping dependencies, build output, vendored and minified files),
parses every JavaScript/TypeScript file with tree-sitter (``.vue``/``.svelte``: their ``<script>`` blocks) and every
Python file with the standard ``ast``, and records what the code names:

- Supabase/PostgREST client chains: ``.from('t')`` / ``.table('t')``, ``.schema('s').from('t')``, ``.rpc('fn')``,
  the columns of ``.select('a, alias:b, rel(c)')``, of the filter and order methods, and the keys of the objects
  given to ``.insert/.update/.upsert`` (followed through local variables, helper functions such as ``toRow(…)``
  and relative imports); realtime subscriptions ``{ schema, table }``;
- table names in SQL strings: a string that starts with SELECT/WITH/INSERT/UPDATE/DELETE/MERGE is read as SQL
  when it is passed to a query call (``pool.query``, ``cursor.execute``, a ``sql`` tagged template …), assigned to
  a variable named like ``*_SQL`` / ``query``, or written with upper-case keywords throughout — so log text such
  as "Select a format from the menu" is left alone. It is parsed with PostgreSQL's grammar (pglast); a
  conservative regex reads the ones that do not parse (placeholders, dialects);
- ORM-ish declarations where the name is a plain string (``__tablename__``, ``Table('t', metadata)``, Django's
  ``db_table``, ``pgTable('t', …)``, ``@Entity('t')``, ``tableName: 't'``);
- where the code maps camelCase fields to snake_case columns (``FIELD_MAP = {rateCardItemId: 'rate_card_item_id'}``,
  ``rate_card_item_id: item.rateCardItemId``).

A real parser matters here: comments are never read as code (a commented-out ``.from('crew_members')`` is not a
reference), template literals with substitutions are told apart from plain ones, and strings are whole strings.
Names that are only known at run time (``.from(table)``, ``.from(`${provider}_tokens`)``) are not references; the
dynamic ones are kept as patterns for the evidence of unused tables. Nothing here reads the database: the checks in
``auditlib/checks/code.py`` compare a ``CodeScan`` with a ``Catalog``.
"""

from __future__ import annotations

import ast as pyast
import difflib
import io
import os
import posixpath
import re
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pglast
from pglast import ast as sqlast

from auditlib.config import AuditConfig
from auditlib.sqlparse import iter_nodes

DYNAMIC = "\x00"  # stands for a part of a string computed at run time (a template substitution, an f-string field)
JS_GRAMMARS = {".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
               ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
COMPONENT_EXTENSIONS = (".vue", ".svelte")   # single-file components: only their <script> blocks are code

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
_SQL_START = re.compile(r"\s*\(?\s*(select|with|insert|update|delete|merge|create)\b", re.IGNORECASE)
_SQL_NAME = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
_SQL_TABLE = re.compile(rf"\b(FROM|JOIN|INTO|UPDATE)\s+(?:ONLY\s+)?({_SQL_NAME}(?:\s*\.\s*{_SQL_NAME})?)"
                        r'(?![\w$"])(?!\s*[.(])')
_SQL_NOT_TABLES = frozenset({"select", "set", "lateral", "only", "values", "default", "where", "returning"})
_IDENTIFIER = re.compile(r"[A-Za-z_][\w$]*")
_CAMEL = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+")
_COMMENT_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_MAX_DEPTH = 6          # how far a value is followed through variables and helper functions
_MENTIONS_PER_WORD = 5  # comment mentions kept per word (evidence only)


# -- what a scan records --------------------------------------------------------------------------------------------
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


# -- names ----------------------------------------------------------------------------------------------------------
def is_camel(name: str) -> bool:
    """True for lowerCamelCase names (rateCardItemId), False for snake_case and single words."""
    return bool(_CAMEL.fullmatch(name))


def snake_case(name: str) -> str:
    """rateCardItemId → rate_card_item_id, userID → user_id."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _identifier(text: str) -> str | None:
    """A plain or double-quoted SQL/PostgREST name, unquoted; None for anything else."""
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        return text[1:-1] or None
    return text if _IDENTIFIER.fullmatch(text) else None


def _column_name(text: str) -> str | None:
    """The column of a PostgREST column expression: ``col::text`` → col, ``data->a->>b`` → data."""
    text = re.split(r"->>?", text.split("::", 1)[0], maxsplit=1)[0]
    return _identifier(text)


def _column_path(text: str) -> tuple[tuple[str, ...], str] | None:
    """``rel.col`` (a filter on an embedded relation) → (("rel",), "col"); json paths and casts dropped."""
    if DYNAMIC in text:
        return None
    head = re.split(r"->>?", text.split("::", 1)[0], maxsplit=1)[0].strip()
    parts = [_identifier(p) for p in head.split(".")] if head else [None]
    if any(p is None for p in parts):
        return None
    return tuple(parts[:-1]), parts[-1]


# -- PostgREST strings ----------------------------------------------------------------------------------------------
def split_top_level(text: str) -> Iterator[tuple[int, str]]:
    """(offset, part) for the comma-separated parts of ``text`` outside parentheses and double quotes."""
    depth, quoted, start = 0, False, 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            yield start, text[start:index]
            start = index + 1
    yield start, text[start:]


_ALIAS = re.compile(r'("[^"]+"|[\w$]+)\s*:(?!:)\s*')


def parse_select(text: str, path: tuple[str, ...] = (), base: int = 0
                 ) -> Iterator[tuple[str, tuple[str, ...], str, int, str | None]]:
    """The items of a PostgREST select string: ("column", path, name, offset, alias) for columns and ("relation",
    path, name, offset, alias) for embedded relations (path then ends with the relation's name).

    Handles ``*``, aliases (``total:total_charge``), casts, json paths, nested relations with hints and join types
    (``client:clients!inner(id)``), spreads (``...rel(a)``) and aggregates (``amount.sum()``, ``count()``).
    """
    for offset, raw in split_top_level(text):
        item = raw.strip()
        at = base + offset + len(raw) - len(raw.lstrip())
        if not item or item == "*" or item.startswith(DYNAMIC):
            continue
        if item.startswith("..."):
            item, at = item[3:].lstrip(), at + 3
        alias = None
        if match := _ALIAS.match(item):
            alias, item, at = match.group(1).strip('"'), item[match.end():], at + match.end()
        paren = item.find("(")
        if paren > 0 and item.endswith(")"):
            head, inner = item[:paren].strip(), item[paren + 1:-1]
            if "." in head:  # an aggregate on a column: amount.sum()
                if (name := _column_name(head.split(".", 1)[0])) is not None:
                    yield "column", path, name, at, alias
                continue
            if head == "count" and not inner.strip():
                continue
            name = _identifier(head.split("!", 1)[0])
            if name is None:
                continue
            yield "relation", (*path, name), name, at, alias
            yield from parse_select(inner, (*path, name), at + paren + 1)
            continue
        name = _column_name(item)
        if name is None or (path and name == "count"):  # rel(count): the number of related rows
            continue
        yield "column", path, name, at, alias


_LOGIC = re.compile(r"(?:not\.)?(?:and|or)\((.*)\)", re.DOTALL)


def parse_logic_filter(text: str, base: int = 0) -> Iterator[tuple[str, int]]:
    """The column expressions of a PostgREST logic filter (``.or('a.eq.1,and(b.gt.2,c.is.null)')``)."""
    for offset, raw in split_top_level(text):
        item = raw.strip()
        at = base + offset + len(raw) - len(raw.lstrip())
        if match := _LOGIC.fullmatch(item):
            yield from parse_logic_filter(match.group(1), at + match.start(1))
        elif "." in item:
            yield item.split(".", 1)[0], at


# -- SQL strings ----------------------------------------------------------------------------------------------------
def sql_keyword(text: str) -> str | None:
    """The statement keyword a string starts with (as written), when it starts like a DML query."""
    match = _SQL_START.match(text)
    return match.group(1) if match else None


_DYNAMIC_NAME = "__auditlib_dynamic__"
_PLACEHOLDER = re.compile(r"\x00|\{[\w.]*\}|%\(\w+\)s|%s|(?<![:\w]):[A-Za-z_]\w*|\?")


def _placeholders(text: str) -> tuple[str, Callable[[int], int]]:
    """The text with driver placeholders (%s, %(name)s, :name, ?) as $1 and run-time parts (template substitutions,
    str.format fields) as a marker name, so PostgreSQL's grammar reads it; and a map back to original offsets."""
    pieces, marks, shift, last = [], [], 0, 0
    for match in _PLACEHOLDER.finditer(text):
        found = match.group(0)
        token = f" {_DYNAMIC_NAME} " if found == DYNAMIC or found.startswith("{") else "$1"
        pieces += [text[last:match.start()], token]
        shift += len(token) - len(found)
        marks.append((match.start() + shift + len(found), shift))  # where the token ends in the new text
        last = match.end()
    pieces.append(text[last:])

    def original(offset: int) -> int:
        applied = 0
        for end, total in marks:
            if end > offset:
                break
            applied = total
        return max(offset - applied, 0)
    return "".join(pieces), original


def _upper_case_sql(text: str) -> bool:
    """SQL written with upper-case keywords throughout — "SELECT a template from the list" is not."""
    if not sql_keyword(text).isupper():
        return False
    blank = re.sub(r"'(?:[^']|'')*'", "''", text)
    return not re.search(r"\b(?:from|join|into|where|set|values|group|order|select|update|table)\b", blank)


SqlNames = tuple[list[tuple[str | None, str, int]], set[str]]


def sql_tables(text: str) -> SqlNames | None:
    """(schema, table, offset) for every table the statements of a SQL text read or write, and the names of the
    temporary tables it creates (CREATE TEMP TABLE [AS]); None when it does not parse. CTE names and names built
    at run time are left out; other DDL is ignored (what a migration defines is not a use)."""
    processed, original = _placeholders(text)
    try:
        statements = pglast.parse_sql(processed)
    except pglast.parser.ParseError:
        return None
    found, created = [], set()
    dml = (sqlast.SelectStmt, sqlast.InsertStmt, sqlast.UpdateStmt, sqlast.DeleteStmt, sqlast.MergeStmt)
    for raw in statements:
        statement = raw.stmt
        target = statement.relation if isinstance(statement, sqlast.CreateStmt) else \
            statement.into.rel if isinstance(statement, sqlast.CreateTableAsStmt) else \
            statement.view if isinstance(statement, sqlast.ViewStmt) else None
        temporary = target is not None and target.relpersistence == "t"
        if not temporary and not isinstance(statement, dml):
            continue  # DDL: what a migration defines is not a use
        if temporary and _DYNAMIC_NAME not in target.relname:
            created.add(target.relname)
        nodes = list(iter_nodes(statement))
        ctes = {n.ctename for n, _ in nodes if isinstance(n, sqlast.CommonTableExpr)}
        for node, _ in nodes:
            if not isinstance(node, sqlast.RangeVar) or node is target or _DYNAMIC_NAME in node.relname or \
                    _DYNAMIC_NAME in (node.schemaname or "") or (not node.schemaname and node.relname in ctes):
                continue
            found.append((node.schemaname, node.relname, original(max(node.location or 0, 0))))
    return found, created


_SQL_TEMPORARY = re.compile(rf"\bCREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP|TEMPORARY)\s+TABLE\s+"
                            rf"(?:IF\s+NOT\s+EXISTS\s+)?({_SQL_NAME})", re.IGNORECASE)


def sql_tables_by_pattern(text: str, any_case: bool) -> SqlNames:
    """Tables after FROM/JOIN/INTO/UPDATE in SQL that does not parse, and the temporary tables it creates: literals
    blanked, FROM inside a function's parentheses (EXTRACT(YEAR FROM x)) and IS DISTINCT FROM skipped, names built
    at run time left out. Upper-case keywords only unless ``any_case`` (the string is passed to a query call)."""
    processed, original = _placeholders(text)
    blank = re.sub(r"'(?:[^']|'')*'", lambda m: " " * len(m.group(0)), processed)
    pattern = re.compile(_SQL_TABLE.pattern, re.IGNORECASE) if any_case else _SQL_TABLE
    created = {_unquote(m.group(1)) for m in _SQL_TEMPORARY.finditer(blank) if _DYNAMIC_NAME not in m.group(1)}
    found = []
    for match in pattern.finditer(blank):
        before = blank[:match.start()]
        if re.search(r"\bDISTINCT\s*$", before, re.IGNORECASE) or _inside_call(before) or \
                _DYNAMIC_NAME in match.group(2):
            continue
        schema, _, name = (part.strip() for part in match.group(2).rpartition("."))
        if name.lower() in _SQL_NOT_TABLES:
            continue
        found.append((_unquote(schema) or None, _unquote(name), original(match.start(2))))
    return found, created


def _unquote(name: str) -> str:
    """A SQL name as PostgreSQL folds it: quoted names as written, the others in lower case."""
    return name[1:-1] if name.startswith('"') and name.endswith('"') else name.lower()


def _inside_call(before: str) -> bool:
    """True when the innermost open parenthesis of ``before`` is a function call, not a subquery."""
    depth = 0
    for index in range(len(before) - 1, -1, -1):
        char = before[index]
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                return not re.match(r"\s*(select|with)\b", before[index + 1:], re.IGNORECASE)
            depth -= 1
    return False


# -- values: what an expression is, as far as a static reading can tell ----------------------------------------------
@dataclass
class Text:
    """A string value; run-time parts are DYNAMIC. ``spans`` map offsets to lines: (offset, line, newlines in the
    piece are real source lines)."""

    value: str
    file: str
    spans: list[tuple[int, int, bool]]

    @property
    def line(self) -> int:
        return self.spans[0][1]

    @property
    def dynamic(self) -> bool:
        return DYNAMIC in self.value

    def line_at(self, offset: int) -> int:
        start, line, multiline = self.spans[0]
        for span in self.spans:
            if span[0] <= offset:
                start, line, multiline = span
        return line + (self.value.count("\n", start, offset) if multiline else 0)

    def __add__(self, other: Text) -> Text:
        shift = len(self.value)
        return Text(self.value + other.value, self.file, [*self.spans, *((o + shift, ln, m) for o, ln, m in
                                                                          other.spans)])


@dataclass
class Entry:
    """One key of an object literal (``key`` None when computed at run time)."""

    key: str | None
    file: str
    line: int
    value: Any


@dataclass
class Obj:
    entries: list[Entry]
    file: str
    line: int


@dataclass
class Arr:
    items: list[Any]
    file: str
    line: int


@dataclass
class Opaque:
    """A value the scan cannot read; ``member`` is the property name of ``x.prop`` (for field mappings)."""

    file: str
    line: int
    member: str | None = None


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


@dataclass
class Link:
    """One step of a method chain: ``.name(args)``, or a property access ``.name`` (``args`` None)."""

    name: str
    file: str
    line: int
    args: list[Any] | None
    convert: Callable[[Any], Any]
    is_object: Callable[[Any], bool] = lambda node: False      # is this argument node an object literal?
    keywords: dict[str, Any] = field(default_factory=dict)   # Python keyword arguments (nodes)
    _values: dict[int, Any] = field(default_factory=dict)

    def arg(self, index: int) -> Any:
        """The value of positional argument ``index`` (None when absent)."""
        if self.args is None or index >= len(self.args):
            return None
        if index not in self._values:
            self._values[index] = self.convert(self.args[index])
        return self._values[index]

    def text(self, index: int) -> Text | None:
        value = self.arg(index)
        return value if isinstance(value, Text) else None

    def option(self, names: tuple[str, ...]) -> Text | None:
        """A string option: a keyword argument (Python) or a key of the last object argument (JavaScript)."""
        for name in names:
            if name in self.keywords:
                value = self.convert(self.keywords[name])
                return value if isinstance(value, Text) else None
        if self.args and self.is_object(self.args[-1]):
            last = self.arg(len(self.args) - 1)
            if isinstance(last, Obj):
                for entry in last.entries:
                    if entry.key in names and isinstance(entry.value, Text):
                        return entry.value
        return None


# -- interpreting what the front ends found --------------------------------------------------------------------------
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


# -- JavaScript / TypeScript (tree-sitter) ---------------------------------------------------------------------------
_JS_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                           "function", "arrow_function", "generator_function", "method_definition"})
_JS_SCOPES = frozenset({"program", "statement_block", "class_body", "switch_case", "switch_default"})
_JS_WRAPPERS = frozenset({"parenthesized_expression", "await_expression", "as_expression", "satisfies_expression",
                          "non_null_expression", "type_assertion"})
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


# The node kinds the scan reads, found by tree-sitter's query engine (in C) rather than a walk over every node.
_JS_QUERY = ("(call_expression) @call (pair) @pair (comment) @comment (string) @string (template_string) @string "
             "(binary_expression) @binary (variable_declarator) @declarator")
# an initializer that starts a query: the variable may be refined later (q = q.eq(...))
_QUERY_BUILDER = re.compile(rb"\.\s*(?:from|table|schema|rpc)\s*[(<`]")


@cache
def _js_language(grammar: str):
    """The tree-sitter language, parser and query for javascript (JSX included), typescript or tsx."""
    try:
        import tree_sitter
        import tree_sitter_javascript
        import tree_sitter_typescript
    except ImportError as error:  # pragma: no cover - the packages are dependencies
        raise RuntimeError("The code scan needs the tree-sitter, tree-sitter-javascript and tree-sitter-typescript "
                           "packages; reinstall auditlib.") from error
    language = tree_sitter.Language({"javascript": tree_sitter_javascript.language,
                                     "typescript": tree_sitter_typescript.language_typescript,
                                     "tsx": tree_sitter_typescript.language_tsx}[grammar]())
    return tree_sitter.Parser(language), tree_sitter.Query(language, _JS_QUERY), tree_sitter.QueryCursor


def _is_js_object(node) -> bool:
    return node.type == "object"


def _is_py_object(node) -> bool:
    return isinstance(node, pyast.Dict) or isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name) and \
        node.func.id == "dict"


def _js_unescape(escape: str) -> str:
    body = escape[1:]
    if body[:1] in _JS_ESCAPES and len(body) == 1:
        return _JS_ESCAPES[body]
    if body[:1] in ("x", "u"):
        digits = body[1:].strip("{}")
        try:
            return chr(int(digits, 16))
        except ValueError:
            return ""
    return "" if body.startswith(("\n", "\r")) else body  # line continuation, or \' \" \\ \`


class JsModule:
    """One parsed JavaScript/TypeScript file: chains, strings, declarations and the values they refer to."""

    def __init__(self, scanner: Scanner, file: str, source: bytes, grammar: str):
        self.scanner = scanner
        self.file = file
        self.grammar = grammar
        self.tree = _js_language(grammar)[0].parse(source)
        self.root = self.tree.root_node
        self._builders: set[str] = set()
        self._imports: dict[str, tuple[str, str]] | None = None
        self._declarations: dict[int, dict[str, list[tuple[int, Any, bool]]]] = {}
        self._parameter_names: dict[int, set[str]] = {}

    @staticmethod
    def text_of(node) -> str:
        return node.text.decode("utf-8", "replace")

    @staticmethod
    def line_of(node) -> int:
        return node.start_point[0] + 1

    # -- the walk ----------------------------------------------------------------------------------------------
    def analyse(self, collector: Collector) -> None:
        """Read comments, outermost call chains, object pairs and strings that may be SQL."""
        _, query, cursor = _js_language(self.grammar)
        found = cursor(query).captures(self.root)
        for node in found.get("comment", ()):
            collector.comment(self.file, self.line_of(node), self.text_of(node))
        for node in found.get("declarator", ()):
            value, name = node.child_by_field_name("value"), node.child_by_field_name("name")
            if value is not None and name is not None and value.type in ("call_expression", "await_expression") \
                    and _QUERY_BUILDER.search(value.text):
                self._builders.add(self.text_of(name))
        query_args = set()
        for node in found.get("call", ()):
            if self._outermost(node):
                self._chain(node, collector)
            self._declaration_call(node, collector)
            if (argument := self._first_argument(node)) is not None and argument.type == "identifier" and \
                    self._callee_name(node) in collector.sql_calls:
                query_args.add(self.text_of(argument))
        for node in found.get("pair", ()):
            self._pair(node, collector)
        candidates = [n for n in found.get("string", ()) if not self._inside_concatenation(n)]
        candidates += [n for n in found.get("binary", ()) if self._operator(n) == "+" and
                       not self._inside_concatenation(n) and self._concatenates_strings(n)]
        for node in candidates:
            self._sql_candidate(node, collector, query_args)

    def _operator(self, node) -> str:
        operator = node.child_by_field_name("operator")
        return operator.type if operator is not None else ""

    def _concatenates_strings(self, node) -> bool:
        """``'a' + b + 'c'``: a + whose operands (through nested +) include a string or template literal."""
        stack = [node]
        while stack:
            current = stack.pop()
            while current.type == "parenthesized_expression" and current.named_children:
                current = current.named_children[0]
            if current.type in ("string", "template_string"):
                return True
            if current.type == "binary_expression" and self._operator(current) == "+":
                stack.extend(c for c in (current.child_by_field_name("left"), current.child_by_field_name("right"))
                             if c is not None)
        return False

    def _inside_concatenation(self, node) -> bool:
        parent = node.parent
        while parent is not None and parent.type == "parenthesized_expression":
            parent = parent.parent
        return parent is not None and parent.type == "binary_expression" and self._operator(parent) == "+"

    def _outermost(self, call) -> bool:
        """A call is read as a chain from its outermost call: ``a.b().c()`` once, not also as ``a.b()``."""
        parent = call.parent
        while parent is not None and parent.type in _JS_WRAPPERS - {"await_expression"}:
            call, parent = parent, parent.parent
        if parent is None or parent.type != "member_expression" or parent.child_by_field_name("object") != call:
            return True
        grand = parent.parent
        return grand is None or grand.type != "call_expression" or grand.child_by_field_name("function") != parent

    def _first_argument(self, call):
        arguments = call.child_by_field_name("arguments")
        if arguments is None:
            return None
        named = [c for c in arguments.named_children if c.type != "comment"]
        return named[0] if named and arguments.type == "arguments" else None

    def _callee_name(self, call) -> str:
        function = call.child_by_field_name("function")
        if function is None:
            return ""
        if function.type == "member_expression":
            prop = function.child_by_field_name("property")
            return self.text_of(prop) if prop is not None else ""
        return self.text_of(function) if function.type == "identifier" else ""

    def _callee_receiver(self, call) -> str:
        """The leftmost identifier of a call's callee: ``console`` for ``console.log``."""
        node = call.child_by_field_name("function")
        while node is not None and node.type == "member_expression":
            node = node.child_by_field_name("object")
        return self.text_of(node) if node is not None and node.type == "identifier" else ""

    def _links(self, node, depth: int = 0) -> tuple[list[Link], str | None]:
        """Flatten ``a.b('x').c`` into links, outermost last; the root's identifier name (None for other roots).

        A query kept in a variable and refined later (``let q = supabase.from('t'); q = q.eq('c', 1)``, ``const crm
        = supabase.schema('crm')``) gets the links of the variable's initializer in front. Chains that name no
        table or function (most calls in a program) come back empty, before any Link is built.
        """
        steps = []   # (property node, argument nodes or None for a property access)
        while True:
            if node.type in _JS_WRAPPERS:
                inner = node.named_children
                if not inner:
                    break
                node = inner[0]
            elif node.type == "call_expression":
                function = node.child_by_field_name("function")
                # tree-sitter-typescript reads `await a.b<T>(x)` as `(await a.b)<T>(x)`: look through the await
                while function is not None and function.type in _JS_WRAPPERS and function.named_children:
                    function = function.named_children[0]
                if function is None or function.type != "member_expression":
                    break
                steps.append((function.child_by_field_name("property"), node.child_by_field_name("arguments")))
                node = function.child_by_field_name("object")
            elif node.type == "member_expression":
                steps.append((node.child_by_field_name("property"), None))
                node = node.child_by_field_name("object")
            else:
                break
        steps.reverse()
        names = [self.text_of(prop) for prop, _ in steps]
        earlier: list[Link] = []
        root = None
        if node is not None and node.type == "identifier":
            root = self.text_of(node)
            declared = self._lookup(root, node) if depth < 2 and root in self._builders else None
            if declared and declared[2] is not None and declared[2].type == "call_expression" and \
                    declared[1] is self:
                earlier, root = self._links(declared[2], depth + 1)
        elif node is not None and node.type == "this":
            root = "this"
        if depth == 0 and not earlier and not _CHAIN_NAMES.intersection(names):
            return [], root
        links = [*earlier, *(self._link(prop, name, arguments) for (prop, arguments), name in
                             zip(steps, names, strict=True))]
        return links, root

    def _link(self, prop, name: str, arguments) -> Link:
        """A Link for ``.name(arguments)``; ``arguments`` None for a property access (``supabase.storage``)."""
        if arguments is None:
            return Link(name, self.file, self.line_of(prop), None, self.value, _is_js_object)
        args = [arguments] if arguments.type == "template_string" else \
            [c for c in arguments.named_children if c.type != "comment"]
        return Link(name, self.file, self.line_of(prop), args, self.value, _is_js_object)

    def _chain(self, call, collector: Collector) -> None:
        links, root = self._links(call)
        if any(link.args is not None for link in links):
            collector.chain(links, root)

    def _declaration_call(self, call, collector: Collector) -> None:
        """pgTable('t', {...}) (Drizzle) and @Entity('t') / @Entity({ name, schema }) (TypeORM)."""
        function = call.child_by_field_name("function")
        if function is None or function.type != "identifier" or self.text_of(function) not in ("pgTable", "Entity"):
            return
        argument = self._first_argument(call)
        if argument is None:
            return
        value = self.value(argument)
        if isinstance(value, Obj):
            keys = {e.key: e.value for e in value.entries}
            collector.declared_table(self.file, self.line_of(argument), keys.get("name"), keys.get("schema"))
        else:
            collector.declared_table(self.file, self.line_of(argument), value)

    def _pair(self, node, collector: Collector) -> None:
        key_node, value_node = node.child_by_field_name("key"), node.child_by_field_name("value")
        if key_node is None or value_node is None:
            return
        key = self._key(key_node)
        if key is None:
            return
        if key == "tableName" and value_node.type == "string":  # Sequelize options { tableName, schema }
            siblings = {self._key(p.child_by_field_name("key")): p.child_by_field_name("value")
                        for p in node.parent.named_children if p.type == "pair"}
            schema = siblings.get("schema")
            collector.declared_table(self.file, self.line_of(value_node), self.value(value_node),
                                     self.value(schema) if schema is not None else None)
        text, member = None, None
        while value_node.type == "binary_expression" and self._operator(value_node) in ("??", "||"):
            value_node = value_node.child_by_field_name("left")
        if value_node.type == "string":
            value = self.value(value_node)
            text = value.value if isinstance(value, Text) else None
        elif value_node.type == "member_expression":
            prop = value_node.child_by_field_name("property")
            member = self.text_of(prop) if prop is not None else None
        collector.pair(self.file, self.line_of(key_node), key, text, member)

    def _sql_candidate(self, node, collector: Collector, query_args: set[str]) -> None:
        first = node
        while first.type in ("binary_expression", "parenthesized_expression") and first.named_children:
            first = first.child_by_field_name("left") if first.type == "binary_expression" else first.named_children[0]
        if first.type not in ("string", "template_string") or sql_keyword(self._text(first).value) is None:
            return  # cheap test first: SQL starts with its keyword, in the first literal
        value = self.value(node)
        if not isinstance(value, Text) or sql_keyword(value.value) is None:
            return
        context = node
        while context.parent is not None and context.parent.type in ("parenthesized_expression", "binary_expression"):
            context = context.parent
        parent = context.parent
        in_query_call = False
        if parent is not None and parent.type == "arguments":
            call = parent.parent
            if call is not None and call.type == "call_expression":
                if self._callee_receiver(call) in MESSAGE_RECEIVERS or self._callee_name(call) in MESSAGE_FUNCTIONS:
                    return
                in_query_call = self._first_argument(call) == context and \
                    self._callee_name(call) in collector.sql_calls
            elif call is not None and call.type == "new_expression":
                return  # new Error('…'): a message
        elif parent is not None and parent.type == "call_expression":  # a tagged template: sql`select …`
            callee = self._callee_name(parent)
            in_query_call = callee.lower().endswith("sql") or callee in collector.sql_calls
        elif parent is not None and parent.type == "variable_declarator":
            name = self.text_of(parent.child_by_field_name("name"))
            in_query_call = bool(re.search(r"sql|query", name, re.IGNORECASE)) or name in query_args
        elif parent is not None and parent.type == "throw_statement":
            return
        collector.sql(value, in_query_call)

    # -- values ------------------------------------------------------------------------------------------------
    def _key(self, node) -> str | None:
        if node is None:
            return None
        if node.type in ("property_identifier", "identifier", "number", "private_property_identifier"):
            return self.text_of(node)
        if node.type == "string":
            value = self.value(node)
            return value.value if isinstance(value, Text) and not value.dynamic else None
        return None  # computed: [expr]

    def _text(self, node) -> Text:
        parts, spans, length = [], [], 0
        for child in node.children:
            if child.type == "string_fragment":
                piece, multiline = self.text_of(child), True
            elif child.type == "escape_sequence":
                piece, multiline = _js_unescape(self.text_of(child)), False
            elif child.type == "template_substitution":
                piece, multiline = DYNAMIC, False
            else:
                continue
            spans.append((length, self.line_of(child), multiline))
            parts.append(piece)
            length += len(piece)
        return Text("".join(parts), self.file, spans or [(0, self.line_of(node), False)])

    def value(self, node, depth: int = 0) -> Any:
        """What an expression is: Text, Obj, Arr, or Opaque; variables and helper calls are followed."""
        if node is None:
            return None
        kind = node.type
        if depth > _MAX_DEPTH:
            return Opaque(self.file, self.line_of(node))
        if kind in ("string", "template_string"):
            return self._text(node)
        if kind in _JS_WRAPPERS:
            inner = [c for c in node.named_children if c.type != "comment"]
            return self.value(inner[0], depth) if inner else Opaque(self.file, self.line_of(node))
        if kind == "binary_expression":
            operator = self._operator(node)
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator == "+":
                a, b = self.value(left, depth + 1), self.value(right, depth + 1)
                if isinstance(a, Text) or isinstance(b, Text):
                    return self._as_text(a, left) + self._as_text(b, right)
            elif operator in ("??", "||"):
                return self.value(left, depth + 1)
        elif kind == "object":
            return self._object(node, depth)
        elif kind == "array":
            return Arr([self.value(c, depth + 1) for c in node.named_children if c.type != "comment"], self.file,
                       self.line_of(node))
        elif kind in ("identifier", "shorthand_property_identifier"):
            declared = self._lookup(self.text_of(node), node)
            if declared is not None and declared[0] == "value":
                module, init = declared[1], declared[2]
                return module.value(init, depth + 1) if init is not None else None
        elif kind == "call_expression":
            return self._call_value(node, depth)
        elif kind == "member_expression":
            prop = node.child_by_field_name("property")
            return Opaque(self.file, self.line_of(node), self.text_of(prop) if prop is not None else None)
        return Opaque(self.file, self.line_of(node))

    def _as_text(self, value: Any, node) -> Text:
        if isinstance(value, Text):
            return value
        return Text(DYNAMIC, self.file, [(0, self.line_of(node), False)])

    def _object(self, node, depth: int) -> Obj:
        entries = []
        for child in node.named_children:
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                entries.append(Entry(self._key(key_node), self.file, self.line_of(key_node),
                                     self.value(child.child_by_field_name("value"), depth + 1)))
            elif child.type == "shorthand_property_identifier":
                entries.append(Entry(self.text_of(child), self.file, self.line_of(child), self.value(child,
                                                                                                     depth + 1)))
            elif child.type == "spread_element":
                inner = [c for c in child.named_children if c.type != "comment"]
                spread = self.value(inner[0], depth + 1) if inner else None
                if isinstance(spread, Obj):
                    entries.extend(spread.entries)
        return Obj(entries, self.file, self.line_of(node))

    def _call_value(self, call, depth: int) -> Any:
        function = call.child_by_field_name("function")
        arguments = call.child_by_field_name("arguments")
        args = [c for c in arguments.named_children if c.type != "comment"] if arguments is not None and \
            arguments.type == "arguments" else []
        if function is not None and function.type == "identifier":
            target = self._function(function)
            if target is not None:
                return target[0].returns(target[1], depth + 1)
        elif function is not None and function.type == "member_expression" and args:
            prop = self.text_of(function.child_by_field_name("property"))
            if prop == "map":  # rows.map((row) => ({...})): an array of what the callback returns
                callback = args[0]
                target = (self, callback) if callback.type in _JS_FUNCTIONS else \
                    self._function(callback) if callback.type == "identifier" else None
                if target is not None:
                    return Arr([target[0].returns(target[1], depth + 1)], self.file, self.line_of(call))
        return Opaque(self.file, self.line_of(call))

    def returns(self, function, depth: int) -> Any:
        """What a function returns (the union of the objects of its return statements)."""
        key = (self.file, function.start_byte)
        if key in self.scanner.active or depth > _MAX_DEPTH:
            return Opaque(self.file, self.line_of(function))
        self.scanner.active.add(key)
        try:
            body = function.child_by_field_name("body")
            if body is None:
                return Opaque(self.file, self.line_of(function))
            if body.type != "statement_block":
                return self.value(body, depth)
            values = []
            stack = list(body.named_children)
            while stack:
                node = stack.pop()
                if node.type in _JS_FUNCTIONS:
                    continue
                if node.type == "return_statement":
                    inner = [c for c in node.named_children if c.type != "comment"]
                    if inner:
                        values.append(self.value(inner[0], depth))
                    continue
                stack.extend(node.named_children)
            if len(values) == 1:
                return values[0]
            objects = [v for v in values if isinstance(v, Obj)]
            if objects:
                return Obj([e for o in objects for e in o.entries], objects[0].file, objects[0].line)
            return Opaque(self.file, self.line_of(function))
        finally:
            self.scanner.active.discard(key)

    # -- scopes ------------------------------------------------------------------------------------------------
    def _function(self, identifier) -> tuple[JsModule, Any] | None:
        declared = self._lookup(self.text_of(identifier), identifier)
        if declared is None:
            return None
        module, node = declared[1], declared[2]
        if node is not None and node.type in _JS_FUNCTIONS:
            return module, node
        return None

    def _lookup(self, name: str, at) -> tuple[str, JsModule, Any] | None:
        """The declaration ``name`` refers to at node ``at``: ("value", module, initializer) — functions included —
        or None (a parameter, a global, or not found)."""
        scope = at.parent
        while scope is not None:
            if scope.type in _JS_FUNCTIONS and name in self._parameters(scope):
                return None
            if scope.type in _JS_SCOPES:
                found = self._declared_in(scope, name, at.start_byte)
                if found is not None:
                    return "value", self, found
            scope = scope.parent
        source = self.imports().get(name)
        if source is not None:
            module = self.scanner.js_module(self.file, source[0])
            if module is not None:
                found = module._declared_in(module.root, source[1], float("inf"))
                if found is not None:
                    return "value", module, found
        return None

    def _declared_in(self, block, name: str, before: float):
        """The initializer of the last ``name`` declared in ``block`` before offset ``before`` (a function
        declaration wherever it is: it is hoisted)."""
        index = self._declarations.get(block.id)
        if index is None:
            index = self._declarations[block.id] = self._index_block(block)
        best = None
        for start, node, hoisted in index.get(name, ()):
            if hoisted:
                return node
            if start < before:
                best = node
        return best

    def _index_block(self, block) -> dict[str, list[tuple[int, Any, bool]]]:
        index: dict[str, list[tuple[int, Any, bool]]] = {}
        for statement in block.named_children:
            declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" \
                else statement
            if declaration is None:
                continue
            if declaration.type in ("function_declaration", "generator_function_declaration"):
                declared = declaration.child_by_field_name("name")
                if declared is not None:
                    index.setdefault(self.text_of(declared), []).append((declaration.start_byte, declaration, True))
            elif declaration.type in ("lexical_declaration", "variable_declaration"):
                for declarator in declaration.named_children:
                    declared = declarator.child_by_field_name("name") if declarator.type == "variable_declarator" \
                        else None
                    if declared is not None and declared.type == "identifier":
                        index.setdefault(self.text_of(declared), []).append(
                            (declarator.start_byte, declarator.child_by_field_name("value"), False))
        return index

    def _parameters(self, function) -> set[str]:
        names = self._parameter_names.get(function.id)
        if names is not None:
            return names
        params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
        names, stack = set(), [params] if params is not None else []
        while stack:
            node = stack.pop()
            if node.type in ("identifier", "shorthand_property_identifier_pattern"):
                names.add(self.text_of(node))
            elif node.type not in ("type_annotation",):
                stack.extend(node.named_children)
        self._parameter_names[function.id] = names
        return names

    def imports(self) -> dict[str, tuple[str, str]]:
        """local name -> (module specifier, exported name) for ES imports of the file."""
        if self._imports is None:
            self._imports = {}
            for statement in self.root.named_children:
                if statement.type != "import_statement":
                    continue
                source = statement.child_by_field_name("source")
                if source is None:
                    continue
                specifier = self._text(source).value
                for clause in statement.named_children:
                    if clause.type != "import_clause":
                        continue
                    for part in clause.named_children:
                        if part.type == "named_imports":
                            for spec in part.named_children:
                                if spec.type != "import_specifier":
                                    continue
                                imported = spec.child_by_field_name("name")
                                local = spec.child_by_field_name("alias") or imported
                                self._imports[self.text_of(local)] = (specifier, self.text_of(imported))
        return self._imports


# -- Python (ast) ----------------------------------------------------------------------------------------------------
_PY_FUNCTIONS = (pyast.FunctionDef, pyast.AsyncFunctionDef, pyast.Lambda)


class PyModule:
    """One parsed Python file: supabase-py chains, SQL strings, ORM declarations and field mappings."""

    def __init__(self, scanner: Scanner, file: str, tree: pyast.Module, source: str):
        self.scanner = scanner
        self.file = file
        self.tree = tree
        self.source = source
        self.parents: dict[int, pyast.AST] = {}
        for node in pyast.walk(tree):
            for child in pyast.iter_child_nodes(node):
                self.parents[id(child)] = node
        self._assignments: dict[int, dict[str, list[tuple[tuple[int, int], pyast.AST]]]] = {}

    def parent(self, node: pyast.AST) -> pyast.AST | None:
        return self.parents.get(id(node))

    def analyse(self, collector: Collector) -> None:
        candidates, query_args = [], set()
        for node in pyast.walk(self.tree):
            if isinstance(node, pyast.Call):
                if self._outermost(node):
                    self._chain(node, collector)
                self._declaration_call(node, collector)
                if node.args and isinstance(node.args[0], pyast.Name) and self._callee_name(node) in \
                        collector.sql_calls:
                    query_args.add(node.args[0].id)
            elif isinstance(node, pyast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    self._pair(key, value, collector)
            elif isinstance(node, pyast.ClassDef):
                self._class(node, collector)
            if self._string_candidate(node):
                candidates.append(node)
        for node in candidates:
            self._sql_candidate(node, collector, query_args)
        self._comments(collector)

    def _comments(self, collector: Collector) -> None:
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.source).readline):
                if token.type == tokenize.COMMENT:
                    collector.comment(self.file, token.start[0], token.string)
        except (tokenize.TokenError, SyntaxError):
            pass

    def _string_candidate(self, node: pyast.AST) -> bool:
        parent = self.parent(node)
        if isinstance(node, pyast.Constant) and isinstance(node.value, str):
            if isinstance(parent, (pyast.Expr, pyast.JoinedStr, pyast.FormattedValue)):
                return False  # a docstring, or a piece of an f-string
        elif not isinstance(node, pyast.JoinedStr) and not (isinstance(node, pyast.BinOp) and
                                                              isinstance(node.op, pyast.Add)):
            return False
        return not (isinstance(parent, pyast.BinOp) and isinstance(parent.op, pyast.Add))

    def _outermost(self, call: pyast.Call) -> bool:
        parent = self.parent(call)
        if not isinstance(parent, pyast.Attribute) or parent.value is not call:
            return True
        grand = self.parent(parent)
        return not (isinstance(grand, pyast.Call) and grand.func is parent)

    @staticmethod
    def _callee_name(call: pyast.Call) -> str:
        if isinstance(call.func, pyast.Attribute):
            return call.func.attr
        return call.func.id if isinstance(call.func, pyast.Name) else ""

    @staticmethod
    def _callee_receiver(call: pyast.Call) -> str:
        node = call.func
        while isinstance(node, pyast.Attribute):
            node = node.value
        return node.id if isinstance(node, pyast.Name) else ""

    def _links(self, node: pyast.AST, depth: int = 0) -> tuple[list[Link], str | None]:
        """Flatten ``a.b('x').c`` into links, outermost last, and the root's name; a query kept in a variable and
        refined (``query = supabase.table('t'); query = query.eq('c', 1)``) gets the earlier links in front."""
        links: list[Link] = []
        while True:
            if isinstance(node, pyast.Await):
                node = node.value
            elif isinstance(node, pyast.Call) and isinstance(node.func, pyast.Attribute):
                links.append(Link(node.func.attr, self.file, node.func.end_lineno or node.lineno, list(node.args),
                                  self.value, _is_py_object, {k.arg: k.value for k in node.keywords if k.arg}))
                node = node.func.value
            elif isinstance(node, pyast.Attribute):
                links.append(Link(node.attr, self.file, node.end_lineno or node.lineno, None, self.value))
                node = node.value
            else:
                break
        links.reverse()
        if not isinstance(node, pyast.Name):
            return links, None
        declared = self._lookup(node.id, node) if depth < 4 and links else None
        if declared is not None and declared[0] == "value" and declared[1] is self and \
                isinstance(declared[2], (pyast.Call, pyast.Await)):
            earlier, root = self._links(declared[2], depth + 1)
            if any(link.args is not None for link in earlier):
                return [*earlier, *links], root
        return links, node.id

    def _chain(self, call: pyast.Call, collector: Collector) -> None:
        links, root = self._links(call)
        if any(link.args is not None for link in links):
            collector.chain(links, root)

    def _declaration_call(self, call: pyast.Call, collector: Collector) -> None:
        """SQLAlchemy ``Table('t', metadata, …, schema='s')``."""
        if self._callee_name(call) != "Table" or len(call.args) < 2:
            return
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        collector.declared_table(self.file, call.lineno, self.value(call.args[0]),
                                 self.value(keywords["schema"]) if "schema" in keywords else None)

    def _class(self, node: pyast.ClassDef, collector: Collector) -> None:
        """``__tablename__`` (+ ``__table_args__ = {'schema': …}``) and Django's ``class Meta: db_table``."""
        assigned = self._class_assignments(node)
        schema = None
        args = assigned.get("__table_args__")
        if args is not None:
            value = self.value(args)
            candidates = [value] if isinstance(value, Obj) else [i for i in value.items if isinstance(i, Obj)] \
                if isinstance(value, Arr) else []
            for obj in candidates:
                schema = next((e.value for e in obj.entries if e.key == "schema"), schema)
        for name in ("__tablename__", "db_table"):
            if name in assigned and (name != "db_table" or node.name == "Meta"):
                collector.declared_table(self.file, assigned[name].lineno, self.value(assigned[name]), schema)

    @staticmethod
    def _class_assignments(node: pyast.ClassDef) -> dict[str, pyast.AST]:
        found = {}
        for statement in node.body:
            if isinstance(statement, pyast.Assign) and len(statement.targets) == 1 and \
                    isinstance(statement.targets[0], pyast.Name):
                found[statement.targets[0].id] = statement.value
            elif isinstance(statement, pyast.AnnAssign) and isinstance(statement.target, pyast.Name) and \
                    statement.value is not None:
                found[statement.target.id] = statement.value
        return found

    def _pair(self, key: pyast.AST | None, value: pyast.AST, collector: Collector) -> None:
        if not (isinstance(key, pyast.Constant) and isinstance(key.value, str)):
            return
        while isinstance(value, pyast.BoolOp) and isinstance(value.op, pyast.Or):
            value = value.values[0]
        text = value.value if isinstance(value, pyast.Constant) and isinstance(value.value, str) else None
        member = value.attr if isinstance(value, pyast.Attribute) else None
        if isinstance(value, pyast.Subscript) and isinstance(value.slice, pyast.Constant) and \
                isinstance(value.slice.value, str):
            member = value.slice.value  # row["rate_card_item_id"]
        collector.pair(self.file, key.lineno, key.value, text, member)

    def _sql_candidate(self, node: pyast.AST, collector: Collector, query_args: set[str]) -> None:
        value = self.value(node)
        if not isinstance(value, Text) or sql_keyword(value.value) is None:
            return
        context, parent = node, self.parent(node)
        while isinstance(parent, pyast.BinOp):  # "…%s" % args, "…".format(): the string is the query
            context, parent = parent, self.parent(parent)
        in_query_call = False
        if isinstance(parent, pyast.Attribute) and parent.attr == "format":
            context, parent = self.parent(parent), self.parent(self.parent(parent))
        if isinstance(parent, pyast.Call):
            if self._callee_receiver(parent) in MESSAGE_RECEIVERS or self._callee_name(parent) in MESSAGE_FUNCTIONS:
                return
            if isinstance(self.parent(parent), pyast.Raise):
                return
            in_query_call = bool(parent.args) and parent.args[0] is context and \
                self._callee_name(parent) in collector.sql_calls
        elif isinstance(parent, (pyast.Assign, pyast.AnnAssign)):
            targets = parent.targets if isinstance(parent, pyast.Assign) else [parent.target]
            names = [t.id for t in targets if isinstance(t, pyast.Name)]
            in_query_call = any(re.search(r"sql|query", n, re.IGNORECASE) or n in query_args for n in names)
        collector.sql(value, in_query_call)

    # -- values ------------------------------------------------------------------------------------------------
    def value(self, node: pyast.AST | None, depth: int = 0) -> Any:
        if node is None:
            return None
        line = getattr(node, "lineno", 1)
        if depth > _MAX_DEPTH:
            return Opaque(self.file, line)
        if isinstance(node, pyast.Constant) and isinstance(node.value, str):
            end = getattr(node, "end_lineno", line) or line
            return Text(node.value, self.file, [(0, line, end > line)])
        if isinstance(node, pyast.JoinedStr):
            parts = [p.value if isinstance(p, pyast.Constant) and isinstance(p.value, str) else DYNAMIC
                     for p in node.values]
            return Text("".join(parts), self.file, [(0, line, (node.end_lineno or line) > line)])
        if isinstance(node, pyast.BinOp) and isinstance(node.op, pyast.Add):
            a, b = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
            if isinstance(a, Text) or isinstance(b, Text):
                as_text = [v if isinstance(v, Text) else Text(DYNAMIC, self.file, [(0, line, False)]) for v in (a, b)]
                return as_text[0] + as_text[1]
        if isinstance(node, pyast.BinOp) and isinstance(node.op, pyast.Mod):
            return self.value(node.left, depth + 1)
        if isinstance(node, pyast.Await):
            return self.value(node.value, depth)
        if isinstance(node, pyast.BoolOp) and isinstance(node.op, pyast.Or):
            return self.value(node.values[0], depth + 1)
        if isinstance(node, pyast.Dict):
            entries = []
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:  # **other
                    spread = self.value(value, depth + 1)
                    if isinstance(spread, Obj):
                        entries.extend(spread.entries)
                    continue
                name = key.value if isinstance(key, pyast.Constant) and isinstance(key.value, str) else None
                entries.append(Entry(name, self.file, key.lineno, self.value(value, depth + 1)))
            return Obj(entries, self.file, line)
        if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name) and node.func.id == "dict":
            return Obj([Entry(k.arg, self.file, k.value.lineno, self.value(k.value, depth + 1))
                        for k in node.keywords if k.arg], self.file, line)
        if isinstance(node, (pyast.List, pyast.Tuple)):
            return Arr([self.value(e, depth + 1) for e in node.elts], self.file, line)
        if isinstance(node, (pyast.ListComp, pyast.GeneratorExp)):
            return Arr([self.value(node.elt, depth + 1)], self.file, line)
        if isinstance(node, pyast.Name):
            declared = self._lookup(node.id, node)
            if declared is not None and declared[0] == "value":
                return declared[1].value(declared[2], depth + 1)
        if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name):
            declared = self._lookup(node.func.id, node)
            if declared is not None and declared[0] == "function":
                return declared[1].returns(declared[2], depth + 1)
        if isinstance(node, pyast.Attribute):
            return Opaque(self.file, line, node.attr)
        return Opaque(self.file, line)

    def returns(self, function: pyast.AST, depth: int) -> Any:
        key = (self.file, id(function))
        if key in self.scanner.active or depth > _MAX_DEPTH:
            return Opaque(self.file, function.lineno)
        self.scanner.active.add(key)
        try:
            if isinstance(function, pyast.Lambda):
                return self.value(function.body, depth)
            values = [self.value(n.value, depth) for n in self._own_nodes(function) if isinstance(n, pyast.Return)
                      and n.value is not None]
            if len(values) == 1:
                return values[0]
            objects = [v for v in values if isinstance(v, Obj)]
            if objects:
                return Obj([e for o in objects for e in o.entries], objects[0].file, objects[0].line)
            return Opaque(self.file, function.lineno)
        finally:
            self.scanner.active.discard(key)

    @staticmethod
    def _own_nodes(scope: pyast.AST) -> Iterator[pyast.AST]:
        """The nodes of a function or module body, not those of nested functions and classes."""
        stack = list(pyast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, (*_PY_FUNCTIONS, pyast.ClassDef)):
                stack.extend(pyast.iter_child_nodes(node))

    def _lookup(self, name: str, at: pyast.AST) -> tuple[str, PyModule, pyast.AST] | None:
        """("value", module, expression) for a variable, ("function", module, def) for a function, or None."""
        scope = self.parent(at)
        position = (getattr(at, "lineno", 0), getattr(at, "col_offset", 0))
        while scope is not None:
            if isinstance(scope, (*_PY_FUNCTIONS, pyast.Module)):
                if isinstance(scope, _PY_FUNCTIONS):
                    arguments = scope.args
                    if name in {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}:
                        return None
                found = self._assigned(scope, name, position)
                if found is not None:
                    return found
            scope = self.parent(scope)
        return self._imported(name)

    def _assigned(self, scope: pyast.AST, name: str, before: tuple[int, int]):
        table = self._assignments.get(id(scope))
        if table is None:
            table = {}
            for node in self._own_nodes(scope):
                # an assignment is in force after it ends: in `q = q.eq(…)` the q on the right is the earlier one
                end = (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)
                if isinstance(node, pyast.Assign):
                    for target in node.targets:
                        if isinstance(target, pyast.Name):
                            table.setdefault(target.id, []).append((end, node.value))
                elif isinstance(node, pyast.AnnAssign) and isinstance(node.target, pyast.Name) and node.value:
                    table.setdefault(node.target.id, []).append((end, node.value))
            for node in getattr(scope, "body", []) if isinstance(scope, (pyast.Module, pyast.FunctionDef,
                                                                          pyast.AsyncFunctionDef)) else []:
                if isinstance(node, (pyast.FunctionDef, pyast.AsyncFunctionDef)):
                    table.setdefault(node.name, []).append(((0, 0), node))  # callable anywhere in its scope
            self._assignments[id(scope)] = table
        candidates = [(p, v) for p, v in table.get(name, []) if p < before]
        if not candidates:
            return None
        value = max(candidates, key=lambda c: c[0])[1]
        if isinstance(value, (pyast.FunctionDef, pyast.AsyncFunctionDef, pyast.Lambda)):
            return "function", self, value
        return "value", self, value

    def _imported(self, name: str):
        """A function imported from another scanned file (``from .mappers import to_row``)."""
        for node in self.tree.body:
            if not isinstance(node, pyast.ImportFrom):
                continue
            for alias in node.names:
                if (alias.asname or alias.name) != name:
                    continue
                module = self.scanner.py_module(self.file, node.module or "", node.level)
                if module is not None:
                    found = module._assigned(module.tree, alias.name, (10 ** 9, 0))
                    if found is not None:
                        return found
        return None


# -- against a catalog ------------------------------------------------------------------------------------------------
class CodeResolver:
    """Catalog lookups for code references: which relation an embedded select reaches, which columns a table has,
    the closest existing names. Built once per audit (dict indexes, no per-reference DataFrame filtering)."""

    def __init__(self, catalog):
        self.catalog = catalog
        self.relations: dict[tuple[str, str], str] = {
            (r["schema"], r["name"]): r["kind"]
            for r in catalog.relations[["schema", "name", "kind"]].to_dict("records")}
        self.names: dict[str, list[str]] = {}
        for schema, name in self.relations:
            self.names.setdefault(schema, []).append(name)
        self.columns: dict[tuple[str, str], list[str]] = {}
        for record in catalog.columns[["schema", "table", "name"]].to_dict("records"):
            self.columns.setdefault((record["schema"], record["table"]), []).append(record["name"])
        self.column_sets = {key: set(names) for key, names in self.columns.items()}
        self.functions: dict[str, set[str]] = {}
        # computed fields and relationships: a function taking a table's row type (PostgREST exposes it by name)
        self.computed: dict[tuple[str, str], dict[str, str]] = {}
        for record in catalog.functions[["schema", "name", "arguments", "returns"]].to_dict("records"):
            self.functions.setdefault(record["schema"], set()).add(record["name"])
            arguments = (record["arguments"] or "").strip()
            if arguments and "," not in arguments:
                type_name = arguments.split()[-1].split(".")[-1].strip('"')
                self.computed.setdefault((record["schema"], type_name), {})[record["name"]] = record["returns"] or ""
        self.fk_columns: dict[tuple[str, str, str], tuple[str, str]] = {}
        self.fk_names: dict[tuple[str, str, str], tuple[str, str]] = {}
        for fk in catalog.foreign_keys[["schema", "table", "name", "columns", "ref_schema", "ref_table"]] \
                .to_dict("records"):
            if len(fk["columns"]) == 1:
                self.fk_columns[(fk["schema"], fk["table"], fk["columns"][0])] = (fk["ref_schema"], fk["ref_table"])
            self.fk_names[(fk["schema"], fk["table"], fk["name"])] = (fk["ref_schema"], fk["ref_table"])
            self.fk_names[(fk["ref_schema"], fk["ref_table"], fk["name"])] = (fk["schema"], fk["table"])

    def exists(self, schema: str, name: str) -> bool:
        return (schema, name) in self.relations

    def has_function(self, schema: str, name: str) -> bool:
        return name in self.functions.get(schema, ())

    def has_column(self, table: tuple[str, str], column: str) -> bool:
        """A column, or a computed field (a function of the table's row) PostgREST exposes under that name."""
        return column in self.column_sets.get(table, ()) or column in self.computed.get(table, {})

    def follow(self, table: tuple[str, str], name: str) -> tuple[str, str] | None:
        """The relation an embedded ``name(...)`` reaches from ``table``: a table or view of the same schema, the
        target of a foreign-key column or constraint of that name, or a computed relationship's result."""
        schema = table[0]
        if (schema, name) in self.relations:
            return schema, name
        target = self.fk_columns.get((*table, name)) or self.fk_names.get((*table, name))
        if target is not None:
            return target
        returns = self.computed.get(table, {}).get(name)
        if returns:
            result = returns.split()[-1].split(".")
            key = (result[0], result[1]) if len(result) == 2 else (schema, result[0])
            return key if key in self.relations else None
        return None

    def resolve(self, ref: TableRef | ColumnRef) -> tuple[str, str] | None:
        """The relation a reference reaches (through its embedded path), or None when some step does not exist."""
        current: tuple[str, str] | None = (ref.schema, ref.table)
        if current not in self.relations:
            return None
        for step in ref.path:
            current = self.follow(current, step)
            if current is None:
                return None
        return current

    def table_of(self, ref: TableRef) -> tuple[str, str] | None:
        """The table a reference names for the table-by-file matrix (unknown names as written)."""
        if ref.path:
            return self.resolve(ref)
        return ref.schema, ref.table

    def closest_relations(self, schema: str, name: str, extra: list[str] = ()) -> list[str]:
        return closest_names(name, [*self.names.get(schema, []), *extra])

    def closest_functions(self, schema: str, name: str) -> list[str]:
        return closest_names(name, sorted(self.functions.get(schema, ())))

    def closest_columns(self, table: tuple[str, str], name: str) -> list[str]:
        return closest_names(name, self.columns.get(table, []))


def closest_names(name: str, candidates: list[str], limit: int = 3) -> list[str]:
    """Existing names a wrong one probably meant, best first: near-identical names (typos, plurals), names it
    extends at a word boundary (crew_contacts → crew), names it ends with (→ contacts), names sharing its first
    word (quote_line_items → quote_versions), then difflib's close matches."""
    candidates = [c for c in dict.fromkeys(candidates) if c != name]
    lowered = name.lower()
    first_word = lowered.split("_", 1)[0]

    def tier(candidate: str) -> int:
        other = candidate.lower()
        if ratio(candidate) >= 0.85:  # a typo or a plural: crew_member → crew_members
            return -1
        if lowered.startswith(other + "_") or other.startswith(lowered + "_"):
            return 0
        if lowered.endswith("_" + other) or other.endswith("_" + lowered):
            return 1
        if "_" in lowered and other.split("_", 1)[0] == first_word:
            return 2
        return 3

    def ratio(candidate: str) -> float:
        return difflib.SequenceMatcher(None, lowered, candidate.lower()).ratio()

    related = sorted((c for c in candidates if tier(c) < 3), key=lambda c: (tier(c), -ratio(c), c))
    similar = [c for c in difflib.get_close_matches(lowered, candidates, n=limit, cutoff=0.6) if c not in related]
    return [*related, *similar][:limit]


def reference_matrix(scan: CodeScan, catalog) -> pd.DataFrame:
    """References per table (rows) and file (columns) for the report's code section; embedded relations resolved."""
    return scan.matrix(CodeResolver(catalog).table_of)


# -- the scan --------------------------------------------------------------------------------------------------------
class Scanner:
    """Parses a folder's source files (each once) and runs the readers over them."""

    def __init__(self, root: Path, config: AuditConfig):
        self.root = root
        self.config = config
        settings = config["code"]
        self.scan = CodeScan(root=str(root), default_schema=settings["default_schema"])
        self.collector = Collector(self.scan, set(settings["sql_calls"]))
        self.modules: dict[str, JsModule | PyModule] = {}
        self.active: set[tuple] = set()

    def run(self) -> CodeScan:
        files = self.discover()
        for path in files:
            self.load(path)
        for file in sorted(self.modules):
            self.modules[file].analyse(self.collector)
        self.scan.files = sorted(self.modules)
        return self.scan

    def discover(self) -> list[Path]:
        """Source files by extension, minus skipped folders, minified/generated files and files over the limit."""
        settings = self.config["code"]
        extensions = {e.lower() for e in settings["extensions"]}
        found = []
        for folder, subfolders, names in os.walk(self.root):
            subfolders[:] = sorted(d for d in subfolders if not any(fnmatchcase(d, p) for p in settings["skip_dirs"]))
            for name in sorted(names):
                path = Path(folder) / name
                if path.suffix.lower() not in extensions:
                    continue
                relative = path.relative_to(self.root).as_posix()
                if any(fnmatchcase(name, p) for p in settings["skip_files"]):
                    self.scan.skipped.append({"file": relative, "reason": "minified or generated"})
                elif path.is_symlink():
                    self.scan.skipped.append({"file": relative, "reason": "a symbolic link"})
                elif path.stat().st_size > settings["max_file_bytes"]:
                    self.scan.skipped.append({"file": relative, "reason": f"larger than "
                                              f"{settings['max_file_bytes']:,} bytes"})
                else:
                    found.append(path)
        return found

    def load(self, path: Path) -> None:
        relative = path.relative_to(self.root).as_posix()
        data = path.read_bytes()
        if b"\x00" in data[:8192]:
            self.scan.skipped.append({"file": relative, "reason": "binary (holds NUL bytes)"})
            return
        suffix = path.suffix.lower()
        if suffix == ".py":
            self._load_python(relative, data)
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            self.scan.notes.append({"file": relative, "note": "not UTF-8: read as Latin-1"})
        grammar = JS_GRAMMARS.get(suffix)
        if suffix in COMPONENT_EXTENSIONS:
            text, grammar = component_script(text)
        module = JsModule(self, relative, text.encode("utf-8"), grammar)
        if module.root.has_error:
            self.scan.notes.append({"file": relative, "note": "syntax errors: the rest of the file was read"})
        self.modules[relative] = module

    def _load_python(self, relative: str, data: bytes) -> None:
        try:
            tree = pyast.parse(data, filename=relative)
            source = data.decode(tokenize.detect_encoding(io.BytesIO(data).readline)[0], "replace")
        except (SyntaxError, ValueError) as error:
            try:  # a file that is not UTF-8 and declares no encoding: try Latin-1 before giving up
                source = data.decode("latin-1")
                tree = pyast.parse(source, filename=relative)
                self.scan.notes.append({"file": relative, "note": "not UTF-8: read as Latin-1"})
            except (SyntaxError, ValueError):
                line = getattr(error, "lineno", None)
                self.scan.skipped.append({"file": relative, "reason": "does not parse as Python 3" +
                                          (f" (line {line})" if line else "")})
                return
        self.modules[relative] = PyModule(self, relative, tree, source)

    # -- imports between scanned files ----------------------------------------------------------------------
    def js_module(self, importer: str, specifier: str) -> JsModule | None:
        """The scanned module a relative import points to (extension and /index resolved)."""
        if not specifier.startswith("."):
            return None
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
        suffixes = ["", *JS_GRAMMARS, *COMPONENT_EXTENSIONS, *(f"/index{e}" for e in JS_GRAMMARS)]
        for suffix in suffixes:
            module = self.modules.get(base + suffix)
            if isinstance(module, JsModule):
                return module
        return None

    def py_module(self, importer: str, module: str, level: int) -> PyModule | None:
        """The scanned module of ``from <level dots><module> import …`` (relative, or from the scan's root)."""
        parts = module.split(".") if module else []
        if level:
            base = posixpath.dirname(importer)
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            stem = posixpath.join(base, *parts) if parts else base
        else:
            stem = posixpath.join(*parts) if parts else ""
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            found = self.modules.get(posixpath.normpath(candidate))
            if isinstance(found, PyModule):
                return found
        return None


def component_script(text: str) -> tuple[str, str]:
    """A .vue/.svelte file with everything but its <script> blocks blanked (lines kept), and the grammar to use."""
    blanked = re.sub(r"[^\n]", " ", text)
    grammar = "javascript"
    pieces = list(blanked)
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script\s*>", text, re.DOTALL | re.IGNORECASE):
        pieces[match.start(2):match.end(2)] = text[match.start(2):match.end(2)]
        if re.search(r"""lang\s*=\s*["'](ts|typescript)["']""", match.group(1)):
            grammar = "typescript"
    return "".join(pieces), grammar


def scan_code(folder: str | Path, config: AuditConfig | None = None) -> CodeScan:
    """Scan a source folder for the tables, functions and columns its code names (see the module docstring)."""
    root = Path(folder)
    if not root.is_dir():
        raise CodeScanError(f"The code folder {root} does not exist or is not a folder; pass the folder that holds "
                            "your application's source (e.g. src).")
    return Scanner(root.resolve(), config or AuditConfig()).run()


class CodeScanError(ValueError):
    """The code folder cannot be scanned; one sentence for the user."""
