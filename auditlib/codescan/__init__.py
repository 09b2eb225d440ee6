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

The modules, in the order a scan runs: ``scanner`` (files, parsing, imports between them) → ``javascript`` /
``python`` (one reader per language) → ``collector`` (chains, strings and declarations to references, with
``postgrest`` and ``sql`` reading the strings, ``names`` and ``values`` shared) → ``records`` (the ``CodeScan``);
``resolver`` looks the references up in a catalog.
"""

from auditlib.codescan.collector import (
    FILTER_METHODS,
    MESSAGE_FUNCTIONS,
    MESSAGE_RECEIVERS,
    NOT_CLIENT_RECEIVERS,
    ON_CONFLICT_OPTIONS,
    REFERENCED_TABLE_OPTIONS,
    WRITE_METHODS,
    Collector,
)
from auditlib.codescan.javascript import JsModule
from auditlib.codescan.names import is_camel, snake_case
from auditlib.codescan.postgrest import parse_logic_filter, parse_select, split_top_level
from auditlib.codescan.python import PyModule
from auditlib.codescan.records import CodeScan, ColumnRef, DynamicRef, FieldMapping, JsonKeyRef, TableRef
from auditlib.codescan.resolver import CodeResolver, closest_names, reference_matrix
from auditlib.codescan.scanner import (
    COMPONENT_EXTENSIONS,
    JS_GRAMMARS,
    CodeScanError,
    Scanner,
    component_script,
    scan_code,
)
from auditlib.codescan.sql import SqlNames, sql_keyword, sql_tables, sql_tables_by_pattern
from auditlib.codescan.values import DYNAMIC, Arr, Entry, Link, Obj, Opaque, Text

__all__ = [
    "COMPONENT_EXTENSIONS", "DYNAMIC", "FILTER_METHODS", "JS_GRAMMARS", "MESSAGE_FUNCTIONS", "MESSAGE_RECEIVERS",
    "NOT_CLIENT_RECEIVERS", "ON_CONFLICT_OPTIONS", "REFERENCED_TABLE_OPTIONS", "WRITE_METHODS", "Arr",
    "CodeResolver", "CodeScan", "CodeScanError", "Collector", "ColumnRef", "DynamicRef", "Entry", "FieldMapping",
    "JsModule", "JsonKeyRef", "Link", "Obj", "Opaque", "PyModule", "Scanner", "SqlNames", "TableRef", "Text",
    "closest_names", "component_script", "is_camel", "parse_logic_filter", "parse_select", "reference_matrix",
    "scan_code", "snake_case", "split_top_level", "sql_keyword", "sql_tables", "sql_tables_by_pattern",
]
