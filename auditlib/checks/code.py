"""Code checks: what the application's source names (a ``CodeScan``) against what the database has (a ``Catalog``).

Each check reads the scan of ``auditlib audit --code DIR`` (see the ``auditlib.codescan`` package); none reads files
or the database. A name the code uses several times in one file is one finding, at its first line, with every line in
the evidence. The object is ``code:<file>:<name>``, without a line number, so a finding keeps its key
(``check:object``) when edits move the code. ``<name>`` is a table as written, ``name()`` a function,
``table(relation)`` a relation embedded in a select, ``table.column`` a column, ``table.column.key`` a JSON key; it is
schema-qualified when outside the scan's default schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

import pandas as pd

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig, matches_any
from auditlib.findings import Finding
from auditlib.sqlparse import (
    ast,
    iter_nodes,
    iter_plpgsql_queries,
    parse_catalog_plpgsql,
    parse_expression,
)

if TYPE_CHECKING:  # the code scanner is imported by the checks that run, only when there is code to check
    from auditlib.codescan import CodeScan, ColumnRef, JsonKeyRef, TableRef

_VIA = {"from": "queries", "rpc": "calls", "sql": "names in SQL", "realtime": "subscribes to", "orm": "declares",
        "embed": "embeds"}


def _where(file: str, line: int) -> str:
    return f"{file}:{line}"


def _object(code_scan: CodeScan, file: str, schema: str, name: str) -> str:
    """A code finding's object: ``code:<file>:<name>``, the name qualified when its schema is not the scan's default
    one. No line: the key stays the same when the code moves."""
    return f"code:{file}:{name if schema == code_scan.default_schema else f'{schema}.{name}'}"


def _grouped(items: list[tuple], key) -> Iterator[list[tuple]]:
    """(reference, …) tuples grouped by ``key``, each group in line order, groups in file and line order."""
    groups: dict = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    for group in sorted(groups.values(), key=lambda g: (g[0][0].file, min(i[0].line for i in g))):
        yield sorted(group, key=lambda i: i[0].line)


@check(name="code_table_unknown", category="code", severity="high", kind="code")
def code_table_unknown(catalog: Catalog, config: AuditConfig, code_scan: CodeScan) -> Iterator[Finding]:
    """The application's code uses a table, view or database function that the database does not have.

    Why it matters: every call that reaches it fails at run time (PostgREST answers "relation does not exist" or
    "Could not find the function"); code written against a table that was renamed, merged or never migrated
    breaks only in the environments where the name is missing.

    How to fix: point the code at the existing name (the evidence lists the closest ones), or add the missing
    migration; for an embedded relation in a select, use the related table's name or the foreign key column.
    """
    from auditlib.codescan import CodeResolver, TableRef

    resolver = CodeResolver(catalog)
    unknown: list[tuple[TableRef, str, str]] = []   # (ref, what, context)
    for ref in code_scan.tables:
        if ref.kind == "function":
            if not resolver.has_function(ref.schema, ref.table):
                unknown.append((ref, "function", ""))
        elif ref.path:
            parent = resolver.resolve(TableRef(ref.file, ref.line, ref.schema, ref.table, ref.via, ref.kind,
                                               ref.path[:-1]))
            if parent is not None and resolver.follow(parent, ref.path[-1]) is None:
                unknown.append((ref, "relation", f"{parent[0]}.{parent[1]}"))
        elif not resolver.exists(ref.schema, ref.table) and ref.table not in code_scan.created:
            unknown.append((ref, "table", ""))  # a table the code's own SQL creates (a temporary table) is known

    def table_object(item: tuple[TableRef, str, str]) -> str:
        ref, what, parent = item
        if what == "relation":
            parent_schema, parent_table = parent.split(".", 1)
            return _object(code_scan, ref.file, parent_schema, f"{parent_table}({ref.written})")
        return _object(code_scan, ref.file, ref.schema, f"{ref.written}()" if what == "function" else ref.written)

    for group in _grouped(unknown, key=table_object):
        ref, what, parent = group[0]
        name = ref.written
        if what == "function":
            closest = resolver.closest_functions(ref.schema, name)
        elif what == "relation":
            schema, table = parent.split(".", 1)
            fk_columns = [c for (s, t, c) in resolver.fk_columns if (s, t) == (schema, table)]
            closest = resolver.closest_relations(ref.schema, name, fk_columns)
        else:
            closest = resolver.closest_relations(ref.schema, name)
        lines = sorted({r.line for r, _, _ in group})
        elsewhere = sorted(s for s in set(resolver.names) | set(resolver.functions) if s != ref.schema and (
            resolver.has_function(s, name) if what == "function" else resolver.exists(s, name)))
        schema_known = ref.schema in resolver.names or ref.schema in resolver.functions
        kind_text = {"function": "function", "relation": "related table", "table": "table"}[what]
        shown = f"{name}()" if what == "function" else name
        context = f" in a select on {parent}" if what == "relation" else ""
        suggestion = f"; closest: {', '.join(closest)}" if closest else ""
        if elsewhere and what != "relation":
            suggestion += f" (schema {', '.join(elsewhere)} has one of that name)"
        where = {"function": f"schema {ref.schema} has no function {name}",
                 "relation": f"no table, view or foreign key of {parent} is called {name}",
                 "table": f"schema {ref.schema} has no table or view {name}"}[what]
        if not schema_known:
            where = f"the database has no schema {ref.schema}"
        yield Finding(
            schema=ref.schema, table=None, column=None,
            title=f"Code uses {kind_text} {shown}, which the database does not have",
            detail=f"{_where(ref.file, ref.line)} {_VIA.get(ref.via, 'uses')} {shown}{context}"
                   f"{f' ({len(lines)} places in this file)' if len(lines) > 1 else ''}, but {where}{suggestion}.",
            evidence={"name": name, "kind": what, "schema": ref.schema, "via": sorted({r.via for r, _, _ in group}),
                      "lines": lines, "closest": closest, "in_other_schemas": elsewhere,
                      **({"embedded_in": parent} if parent else {})},
            object=table_object(group[0]), file=ref.file, line=ref.line)


@check(name="code_column_unknown", category="code", severity="high", kind="code")
def code_column_unknown(catalog: Catalog, config: AuditConfig, code_scan: CodeScan) -> Iterator[Finding]:
    """The application's code selects, filters on or writes a column that its table does not have.

    Why it matters: PostgREST rejects the whole request ("Could not find the 'dayRate' column of 'crew_bookings'"),
    so the screen or the save fails; a camelCase field sent as a column means an object reached the database
    without its field mapping, and the value it carried is lost.

    How to fix: use the column's real name (the evidence lists the closest one; for a camelCase key, its
    snake_case form), map the object's fields before writing it (one central toDb/fromDb mapping), or add the
    column with a migration if the code is right.
    """
    from auditlib.codescan import CodeResolver, is_camel, snake_case

    resolver = CodeResolver(catalog)
    unknown: list[tuple[ColumnRef, tuple[str, str]]] = []
    for ref in code_scan.columns:
        target = resolver.resolve(ref)
        if target is not None and not resolver.has_column(target, ref.column):
            unknown.append((ref, target))

    def column_object(item: tuple[ColumnRef, tuple[str, str]]) -> str:
        ref, (schema, table) = item
        return _object(code_scan, ref.file, schema, f"{table}.{ref.column}")

    for group in _grouped(unknown, key=column_object):
        ref, (schema, table) = group[0]
        column = ref.column
        snake = snake_case(column) if is_camel(column) else None
        mapped = snake is not None and resolver.has_column((schema, table), snake)
        closest = [snake] if mapped else resolver.closest_columns((schema, table), column)
        lines = sorted({r.line for r, _ in group})
        vias = sorted({r.via for r, _ in group})
        calls = sorted({_where(r.call_file, r.call_line) for r, _ in group
                        if r.call_file and (r.call_file, r.call_line) != (r.file, r.line)})
        writes = any(v in ("insert", "update", "upsert") for v in vias)
        verb = "writes" if writes else "reads"
        hint = f"; probably {snake} (camelCase not mapped)" if mapped else \
            f"; closest: {', '.join(closest)}" if closest else ""
        through = f" (the {', '.join(vias)} at {', '.join(calls)})" if calls else ""
        evidence = {"column": column, "table": f"{schema}.{table}", "via": vias, "lines": lines, "calls": calls,
                    "closest": closest}
        if mapped:
            evidence["probably"] = f"{snake} (camelCase not mapped)"
        if ref.path:
            evidence["embedded_path"] = list(ref.path)
        yield Finding(
            schema=schema, table=table, column=column,
            title=f"Code {verb} column {column}, which {table} does not have",
            detail=f"{_where(ref.file, ref.line)} {verb} {column} on {schema}.{table}{through}, but the table has "
                   f"no such column{hint}.",
            evidence=evidence, object=column_object(group[0]), file=ref.file, line=ref.line)


@check(name="code_field_unmapped", category="code", severity="medium", kind="code")
def code_field_unmapped(catalog: Catalog, config: AuditConfig, code_scan: CodeScan) -> Iterator[Finding]:
    """The code writes a camelCase key into a JSON column although its own field mapping converts that key.

    Why it matters: the same field is stored under two names (rateCardItemId here, rate_card_item_id where the
    mapping ran), so readers that expect one miss the other — lookups, reports and foreign-key checks on the
    JSON silently skip those rows. PostgREST accepts any key inside a JSON value, so nothing fails loudly.

    How to fix: build the value with the central mapping (the evidence says where it is, e.g. lineItemToDb) instead
    of by hand, and migrate the documents already written with the camelCase key.
    """
    from auditlib.codescan import CodeResolver

    resolver = CodeResolver(catalog)
    mappings: dict[str, list] = {}
    for mapping in code_scan.mappings:
        mappings.setdefault(mapping.camel, []).append(mapping)
    found: list[tuple[JsonKeyRef, tuple[str, str]]] = []
    for ref in code_scan.json_keys:
        target = (ref.schema, ref.table)
        if ref.key in mappings and resolver.exists(*target) and resolver.has_column(target, ref.column):
            found.append((ref, target))

    def key_object(item: tuple[JsonKeyRef, tuple[str, str]]) -> str:
        ref, (schema, table) = item
        return _object(code_scan, ref.file, schema, f"{table}.{ref.column}.{ref.key}")

    for group in _grouped(found, key=key_object):
        ref, (schema, table) = group[0]
        lines = sorted({r.line for r, _ in group})
        sites = sorted(mappings[ref.key], key=lambda m: (m.file, m.line))
        snake = sites[0].snake
        mapped_at = [_where(m.file, m.line) for m in sites]
        calls = sorted({_where(r.call_file, r.call_line) for r, _ in group if r.call_file})
        notes = [*([f"{len(lines)} places in this file"] if len(lines) > 1 else []),
                 *([f"the write at {calls[0]}"] if calls else [])]
        noted = f" ({'; '.join(notes)})" if notes else ""
        yield Finding(
            schema=schema, table=table, column=ref.column,
            title=f"camelCase key {ref.key} written into {table}.{ref.column} without the field mapping",
            detail=f"{_where(ref.file, ref.line)} writes {ref.key} inside {schema}.{table}.{ref.column}"
                   f"{noted}, while the code maps {ref.key} to {snake} "
                   f"elsewhere ({', '.join(mapped_at[:3])}): the JSON holds both spellings.",
            evidence={"key": ref.key, "mapped_to": snake, "mapped_at": mapped_at, "column": ref.column,
                      "table": f"{schema}.{table}", "lines": lines, "calls": calls},
            object=key_object(group[0]), file=ref.file, line=ref.line)


@check(name="table_unused_in_code", category="code", severity="info", kind="code", report_section="code.unused")
def table_unused_in_code(catalog: Catalog, config: AuditConfig, code_scan: CodeScan) -> Iterator[Finding]:
    """A table no scanned code uses: not by name, nor through a view, database function or trigger the code reaches.

    Why it matters: an unused table is either dead (it costs storage, backups, policies and migrations, and
    confuses the next developer) or used by something outside the scanned folder that the audit cannot see — in
    both cases someone should know which.

    How to fix: confirm with the evidence (a mention in a comment, a run-time table name that may resolve to it);
    drop the table (after a backup) if it is dead, or scan the folder that uses it too; list deliberate
    exceptions in [code] unused_ignore_tables.
    """
    from auditlib.codescan import CodeResolver

    resolver = CodeResolver(catalog)
    direct = {t for t in (resolver.table_of(ref) for ref in code_scan.tables if ref.kind == "table") if t}
    if not direct:
        return  # nothing in the folder talks to the database: every table would be "unused"
    called = {(ref.schema, ref.table) for ref in code_scan.tables if ref.kind == "function"}
    reached = _reached(catalog, direct, called)
    ignore = config.get("code", "unused_ignore_tables")
    used_count = len({t for t in direct if resolver.exists(*t)})
    for record in catalog.records("user_tables"):
        schema, table = record["schema"], record["name"]
        if (schema, table) in reached or matches_any(schema, table, ignore):
            continue
        comments = [_where(f, ln) for f, ln in code_scan.comment_mentions.get(table, [])]
        dynamic = [{"pattern": d.pattern, "at": _where(d.file, d.line)} for d in code_scan.dynamic
                   if fnmatchcase(table, d.pattern)]
        notes = []
        if comments:
            notes.append(f"it is mentioned only in comments ({', '.join(comments)})")
        if dynamic:
            notes.append(f"a table name built at run time may resolve to it ({dynamic[0]['pattern']} at "
                         f"{dynamic[0]['at']})")
        yield Finding(
            schema=schema, table=table, column=None,
            title=f"Table {table} is not used by the scanned code",
            detail=f"None of the {len(code_scan.files)} scanned files uses {schema}.{table} (they use {used_count} "
                   f"tables directly){'; ' + '; '.join(notes) if notes else ''}.",
            evidence={"files_scanned": len(code_scan.files), "tables_used": used_count,
                      "mentioned_in_comments": comments, "dynamic_references": dynamic,
                      "row_estimate": None if pd.isna(record["row_estimate"]) else int(record["row_estimate"]),
                      "ignore_tables": list(ignore)})


# -- what the code reaches beyond the names it writes -----------------------------------------------------------
def _reached(catalog: Catalog, tables: set[tuple[str, str]], functions: set[tuple[str, str]]) -> set:
    """Tables used directly, plus those read by the views they use, by the functions the code calls (rpc) and by
    the trigger functions of every table reached — repeated until nothing new is reached."""
    view_tables = {(v["schema"], v["name"]): _statement_tables(v["definition"] or "", [v["schema"]])
                   for v in catalog.records("views")}
    function_tables: dict[tuple[str, str], set] = {}
    for record in catalog.records("functions"):
        function_tables.setdefault((record["schema"], record["name"]), set()).update(_function_tables(record))
    triggers: dict[tuple[str, str], set] = {}
    for record in catalog.records("triggers"):
        triggers.setdefault((record["schema"], record["table"]), set()).add(
            (record["function_schema"], record["function_name"]))
    reached: set = set()
    pending = list(tables) + [t for f in functions for t in function_tables.get(f, ())]
    while pending:
        current = pending.pop()
        if current in reached:
            continue
        reached.add(current)
        pending.extend(view_tables.get(current, ()))
        for function in triggers.get(current, ()):
            pending.extend(function_tables.get(function, ()))
    return reached


def _statement_tables(text: str, search_path: list[str]) -> set[tuple[str, str]]:
    """Tables a SQL text names (CTE names excepted); unqualified names in the first schema of ``search_path``."""
    import pglast

    try:
        statements = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        node = parse_expression(text)
        statements = [] if node is None else [node]
    found = set()
    for statement in statements:
        nodes = list(iter_nodes(getattr(statement, "stmt", statement)))
        ctes = {n.ctename for n, _ in nodes if isinstance(n, ast.CommonTableExpr)}
        for node, _ in nodes:
            if isinstance(node, ast.RangeVar) and (node.schemaname or node.relname not in ctes):
                found.add((node.schemaname or search_path[0], node.relname))
    return found


def _function_tables(record: dict) -> set[tuple[str, str]]:
    """Tables a SQL or PL/pgSQL function's body names."""
    search_path = ["public"]
    for setting in record["config"] or []:
        name, _, value = setting.partition("=")
        if name.strip().lower() == "search_path":
            schemas = [s.strip().strip('"') for s in value.split(",") if s.strip() not in ("", "$user", "pg_temp")]
            search_path = schemas or search_path
    source = record["source"] or ""
    if record["language"] == "sql":
        return _statement_tables(source, search_path)
    if record["language"] != "plpgsql":
        return set()
    tree = parse_catalog_plpgsql(record)
    found: set = set()
    for kind, text, _, _ in iter_plpgsql_queries(tree or {}):
        if kind != "target":
            found |= _statement_tables(text, search_path)
    return found
