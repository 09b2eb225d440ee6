"""Functions: trigger functions whose PL/pgSQL reads or writes columns that do not exist.

PostgreSQL checks a PL/pgSQL body only when a statement in it runs, so a trigger written against an older table
(``kit_items.quantity_available``) is accepted at CREATE time and fails on the first row that reaches the
statement. Here every body is parsed with the PL/pgSQL grammar (pglast), every embedded SQL statement with the SQL
grammar, and each column they name is resolved against the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.sqlparse import (
    ast,
    column_ref,
    function_statement,
    iter_nodes,
    iter_plpgsql_queries,
    parse_expression,
    parse_plpgsql_function,
    parse_statement,
    plpgsql_record_fields,
    plpgsql_variables,
)

Table = tuple[str, str]
# Variables that tell a trigger function which table fired it: a function that reads them may branch per table.
TABLE_VARIABLES = {"tg_table_name", "tg_relname", "tg_relid", "tg_table_schema", "tg_argv"}


def _search_path(config: list[str]) -> list[str]:
    """The schemas of a function's ``SET search_path`` (``public`` when it sets none)."""
    for setting in config:
        name, _, value = setting.partition("=")
        if name.strip().lower() == "search_path":
            schemas = [s.strip().strip('"') for s in value.split(",")]
            return [s for s in schemas if s and s not in ("$user", "pg_temp")] or ["public"]
    return ["public"]


@dataclass
class _Scope:
    """The relations one SELECT/UPDATE/INSERT/DELETE can see: alias -> table (None for a source of unknown shape)."""

    aliases: dict[str, Table | None] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        return all(t is not None for t in self.aliases.values())

    def known(self) -> list[Table]:
        return [t for t in self.aliases.values() if t is not None]


@dataclass
class _Statement:
    """Walks one embedded SQL statement and reports columns missing from the tables it names."""

    columns: dict[Table, set[str]]
    search_path: list[str]
    variables: set[str]
    missing: list[tuple[Table, str, str]] = field(default_factory=list)   # (table, column, how)
    record_uses: list[tuple[str, str]] = field(default_factory=list)      # (record, field) e.g. ("new", "x")
    ctes: list[set[str]] = field(default_factory=list)

    def resolve(self, node: ast.RangeVar) -> Table | None:
        name = node.relname
        if node.schemaname:
            key = (node.schemaname, name)
            return key if key in self.columns else None
        if any(name in names for names in self.ctes):
            return None
        for schema in self.search_path:
            if (schema, name) in self.columns:
                return (schema, name)
        return None

    def require(self, table: Table | None, column: str, how: str) -> None:
        if table is not None and column not in self.columns[table]:
            self.missing.append((table, column, how))

    # -- statements --------------------------------------------------------------------------------------------
    def statement(self, node: ast.Node, scopes: list[_Scope]) -> None:
        pushed = self._with(getattr(node, "withClause", None), scopes)
        if isinstance(node, ast.SelectStmt):
            self._select(node, scopes)
        elif isinstance(node, ast.UpdateStmt):
            self._update(node, scopes)
        elif isinstance(node, ast.InsertStmt):
            self._insert(node, scopes)
        elif isinstance(node, ast.DeleteStmt):
            self._delete(node, scopes)
        else:
            self.expression(node, scopes)
        if pushed:
            self.ctes.pop()

    def _with(self, clause, scopes: list[_Scope]) -> bool:
        if clause is None:
            return False
        self.ctes.append({cte.ctename for cte in clause.ctes})
        for cte in clause.ctes:
            self.statement(cte.ctequery, scopes)
        return True

    def _select(self, node: ast.SelectStmt, scopes: list[_Scope]) -> None:
        if node.larg is not None or node.rarg is not None:
            for part in (node.larg, node.rarg):
                if part is not None:
                    self.statement(part, scopes)
            return
        if node.valuesLists:
            self.expression(node.valuesLists, scopes)
            return
        scope = _Scope()
        quals = self._from(node.fromClause or (), scope, scopes)
        scope.outputs = {t.name for t in node.targetList or () if isinstance(t, ast.ResTarget) and t.name}
        inner = [*scopes, scope]
        for part in (node.targetList, quals, node.whereClause, node.groupClause, node.havingClause,
                     node.sortClause, node.distinctClause, node.windowClause, node.limitCount, node.limitOffset):
            if part:
                self.expression(part, inner)

    def _from(self, items, scope: _Scope, scopes: list[_Scope]) -> list:
        """Fill ``scope`` from a FROM list; returns the JOIN conditions to check once the scope is complete."""
        quals = []
        for item in items:
            if isinstance(item, ast.RangeVar):
                alias = item.alias.aliasname if item.alias else item.relname
                scope.aliases[alias] = self.resolve(item)
            elif isinstance(item, ast.JoinExpr):
                quals.extend(self._from([item.larg, item.rarg], scope, scopes))
                if item.quals is not None:
                    quals.append(item.quals)
                if item.alias is not None:
                    scope.aliases[item.alias.aliasname] = None
            elif isinstance(item, ast.RangeSubselect):
                self.statement(item.subquery, [*scopes, scope] if item.lateral else scopes)
                scope.aliases[item.alias.aliasname if item.alias else f"?{len(scope.aliases)}"] = None
            else:  # functions, table samples, XMLTABLE...: columns unknown
                self.expression(item, [*scopes, scope])
                alias = getattr(item, "alias", None)
                scope.aliases[alias.aliasname if alias else f"?{len(scope.aliases)}"] = None
        return quals

    def _target(self, relation: ast.RangeVar, scope: _Scope) -> Table | None:
        table = self.resolve(relation)
        scope.aliases[relation.alias.aliasname if relation.alias else relation.relname] = table
        return table

    def _update(self, node: ast.UpdateStmt, scopes: list[_Scope]) -> None:
        scope = _Scope()
        table = self._target(node.relation, scope)
        quals = self._from(node.fromClause or (), scope, scopes)
        inner = [*scopes, scope]
        for target in node.targetList or ():
            self.require(table, target.name, "SET")
            self.expression(target.val, inner)
        for part in (quals, node.whereClause, self._returning(node)):
            if part:
                self.expression(part, inner)

    def _insert(self, node: ast.InsertStmt, scopes: list[_Scope]) -> None:
        scope = _Scope()
        table = self._target(node.relation, scope)
        for target in node.cols or ():
            self.require(table, target.name, "INSERT column")
        if node.selectStmt is not None:
            self.statement(node.selectStmt, scopes)
        inner = [*scopes, scope]
        conflict = node.onConflictClause
        if conflict is not None:
            for elem in (conflict.infer.indexElems or ()) if conflict.infer else ():
                if isinstance(elem, ast.IndexElem) and elem.name:
                    self.require(table, elem.name, "ON CONFLICT column")
            scope.aliases["excluded"] = table
            for target in conflict.targetList or ():
                self.require(table, target.name, "ON CONFLICT SET")
                self.expression(target.val, inner)
            if conflict.whereClause is not None:
                self.expression(conflict.whereClause, inner)
        returning = self._returning(node)
        if returning:
            self.expression(returning, inner)

    def _delete(self, node: ast.DeleteStmt, scopes: list[_Scope]) -> None:
        scope = _Scope()
        self._target(node.relation, scope)
        quals = self._from(node.usingClause or (), scope, scopes)
        inner = [*scopes, scope]
        for part in (quals, node.whereClause, self._returning(node)):
            if part:
                self.expression(part, inner)

    @staticmethod
    def _returning(node):
        clause = getattr(node, "returningClause", None)
        if clause is not None:
            return clause.exprs
        return getattr(node, "returningList", None)

    # -- expressions -------------------------------------------------------------------------------------------
    def expression(self, node, scopes: list[_Scope]) -> None:
        """Check the column references of an expression; nested statements get their own scopes."""
        if isinstance(node, (list, tuple)):
            for item in node:
                self.expression(item, scopes)
            return
        if not isinstance(node, ast.Node):
            return
        if isinstance(node, (ast.SelectStmt, ast.UpdateStmt, ast.InsertStmt, ast.DeleteStmt)):
            self.statement(node, scopes)
            return
        if isinstance(node, ast.ColumnRef):
            self._column(node, scopes)
            return
        for name in node:
            value = getattr(node, name, None)
            if isinstance(value, (ast.Node, list, tuple)):
                self.expression(value, scopes)

    def _column(self, node: ast.ColumnRef, scopes: list[_Scope]) -> None:
        ref = column_ref(node)
        if ref is None:
            return
        qualifier, column = ref
        if qualifier:
            name = qualifier[-1]
            if name.lower() in self.variables:
                self.record_uses.append((name.lower(), column))
                return
            for scope in reversed(scopes):
                if name in scope.aliases:
                    self.require(scope.aliases[name], column, "reference")
                    return
            return
        if column.lower() in self.variables or not scopes:
            return
        for scope in reversed(scopes):
            if column in scope.outputs or any(column in self.columns[t] for t in scope.known()):
                return
            if not scope.complete:
                return
        tables = scopes[-1].known()
        if len(tables) == 1:
            self.require(tables[0], column, "reference")


def _trigger_functions(catalog: Catalog) -> Iterator[dict]:
    return (f for f in catalog.records("functions") if f["language"] == "plpgsql" and f["returns"] == "trigger")


@check(name="trigger_missing_column", category="functions", severity="high")
def trigger_missing_column(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A trigger function reads or writes a column that does not exist on the table it touches.

    Why it matters: PL/pgSQL is only checked when a statement runs, so the function was accepted but fails the
    first time a row reaches that statement — and since it runs inside the triggering INSERT/UPDATE, that write
    fails too (here: every booking that reaches the statement).

    How to fix: add the missing column to the table (with a backfill) if the function is right, or change the
    function to the column that exists; then exercise the trigger in a test.
    """
    columns: dict[Table, set[str]] = {}
    for schema, table, name in zip(catalog.columns["schema"], catalog.columns["table"], catalog.columns["name"],
                                   strict=True):
        columns.setdefault((schema, table), set()).add(name)
    triggers: dict[tuple[str, str], list[dict]] = {}
    for trigger in catalog.records("triggers"):
        triggers.setdefault((trigger["function_schema"], trigger["function_name"]), []).append(trigger)

    found: dict[tuple[str, str, str], dict] = {}
    for function in _trigger_functions(catalog):
        statement = function_statement(function["schema"], function["name"], function["arguments"] or "",
                                       function["returns"], function["language"], function["source"] or "")
        tree = parse_plpgsql_function(statement)
        if tree is None:
            continue
        signature = f"{function['schema']}.{function['name']}({function['arguments'] or ''})"
        fired_by = triggers.get((function["schema"], function["name"]), [])
        for (table, column), uses in _missing_columns(tree, function, fired_by, columns).items():
            entry = found.setdefault((*table, column), {"functions": {}, "triggers": set()})
            entry["functions"].setdefault(signature, []).extend(uses)
            entry["triggers"].update(f"{t['schema']}.{t['table']}.{t['name']}" for t in fired_by)

    for (schema, table, column), entry in sorted(found.items()):
        functions = sorted(entry["functions"])
        first = entry["functions"][functions[0]][0]
        yield Finding(
            schema=schema, table=table, column=column,
            title=f"Trigger function {functions[0]} uses {schema}.{table}.{column}, which does not exist",
            detail=(f"{', '.join(functions)} {'uses' if len(functions) == 1 else 'use'} the column {column} of "
                    f"{schema}.{table} ({first['how']}, line {first['line']} of the body), but {schema}.{table} "
                    "has no such column: the statement fails when it runs, and the write that fired the trigger "
                    "fails with it."),
            evidence={"functions": entry["functions"], "triggers": sorted(entry["triggers"]),
                      "existing_columns": sorted(columns.get((schema, table), set()))})


def _missing_columns(tree: dict, function: dict, fired_by: list[dict], columns: dict[Table, set[str]]
                     ) -> dict[tuple[Table, str], list[dict]]:
    """(table, column) -> where the function body uses it, for every column missing from the table it names."""
    variables = plpgsql_variables(tree)
    walker = _Statement(columns=columns, search_path=_search_path(function["config"]), variables=variables)
    result: dict[tuple[Table, str], list[dict]] = {}
    record_lines: dict[tuple[str, str], dict] = {}
    for kind, text, line, whole in iter_plpgsql_queries(tree):
        node = parse_statement(text) if kind == "statement" else parse_expression(text)
        if node is None:
            continue
        walker.missing, walker.record_uses = [], []
        if kind == "statement":
            walker.statement(node, [])
        else:
            walker.expression(node, [])
        for table, column, how in walker.missing:
            uses = result.setdefault((table, column), [])
            statement = " ".join(whole.split())
            same = next((u for u in uses if u["line"] == line and u["statement"] == statement), None)
            if same is None:
                uses.append({"line": line, "how": how, "statement": statement})
            elif how not in same["how"].split(", "):
                same["how"] += f", {how}"
        for record, name in walker.record_uses:
            record_lines.setdefault((record, name), {"line": line, "statement": " ".join(whole.split())})

    tables = sorted({(t["schema"], t["table"]) for t in fired_by if (t["schema"], t["table"]) in columns})
    branches = bool(variables & TABLE_VARIABLES) and _reads_table_variables(tree)
    for record, name in sorted(set(plpgsql_record_fields(tree))):
        if record not in ("new", "old"):
            continue
        lacking = [t for t in tables if name not in columns[t]]
        if not lacking or (branches and len(lacking) < len(tables)):
            continue  # a function that branches on TG_TABLE_NAME may use a column only some tables have
        where = record_lines.get((record, name), {"line": None, "statement": None})
        for table in lacking:
            result.setdefault((table, name), []).append(
                {"line": where["line"], "how": f"{record.upper()}.{name}", "statement": where["statement"]})
    return result


def _reads_table_variables(tree: dict) -> bool:
    """True when an expression of the body mentions TG_TABLE_NAME, TG_RELID and the like."""
    for kind, text, _, _ in iter_plpgsql_queries(tree):
        node = parse_statement(text) if kind == "statement" else parse_expression(text)
        if node is None:
            continue
        for child, _ in iter_nodes(node):
            ref = column_ref(child)
            if ref and not ref[0] and ref[1].lower() in TABLE_VARIABLES:
                return True
    return False
