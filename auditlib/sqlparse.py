"""SQL parsing helpers on top of pglast: policy expressions, PL/pgSQL bodies, and walks over their trees.

Checks never grep SQL text: they parse it with PostgreSQL's own grammar (pglast embeds the server's parser) and
reason about nodes. These helpers keep the pglast details in one place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pglast
from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType
from pglast.stream import RawStream

__all__ = ["A_Expr_Kind", "BoolExprType", "NullTestType", "ast", "column_ref", "deparse", "expression_nodes",
           "function_statement", "iter_nodes", "iter_plpgsql_queries", "operator_name", "parse_expression",
           "parse_plpgsql_function", "parse_statement", "plpgsql_record_fields", "plpgsql_variables"]


def parse_expression(text: str, *, shared: bool = True) -> ast.Node | None:
    """A boolean/scalar SQL expression as a pglast node, or None when it does not parse.

    The tree is shared: every check reads the same policy expressions, and building pglast's Python nodes costs
    far more than the parse itself, so one tree per text serves them all. A caller that changes a tree in place
    asks for its own copy (``shared=False``, or ``copy.deepcopy`` of the shared one).
    """
    return _shared_expression(text) if shared else _parse_expression(text)


@functools.lru_cache(maxsize=16384)
def _shared_expression(text: str) -> ast.Node | None:
    return _parse_expression(text)


def expression_nodes(text: str | None) -> tuple[tuple[ast.Node, tuple], ...]:
    """``iter_nodes`` of an expression's shared tree (see ``parse_expression``), walked once per text and kept: the
    policy checks each walk every policy expression, and walking pglast's nodes costs far more than reading a kept
    walk. Empty when ``text`` is empty or does not parse."""
    return _shared_walk(text) if text else ()


@functools.lru_cache(maxsize=16384)
def _shared_walk(text: str) -> tuple[tuple[ast.Node, tuple], ...]:
    return tuple(iter_nodes(_shared_expression(text)))


def _parse_expression(text: str) -> ast.Node | None:
    try:
        statements = pglast.parse_sql(f"SELECT 1 WHERE {text}")
    except pglast.parser.ParseError:
        return None
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        return None  # the text closed the WHERE clause and went on: not a plain expression
    return statements[0].stmt.whereClause


def parse_statement(text: str) -> ast.Node | None:
    """One SQL statement as a pglast node, or None when it does not parse."""
    try:
        statements = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return None
    return statements[0].stmt if len(statements) == 1 else None


def deparse(node: ast.Node) -> str:
    """SQL text for a node (an expression or a statement), on one line."""
    return RawStream()(node)


def iter_nodes(node: Any, ancestors: tuple = ()) -> Iterator[tuple[ast.Node, tuple]]:
    """Every pglast node under ``node`` (itself included), depth first, with the tuple of its ancestors."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from iter_nodes(item, ancestors)
        return
    if not isinstance(node, ast.Node):
        return
    yield node, ancestors
    inner = (*ancestors, node)
    for name in node:
        value = getattr(node, name, None)
        if isinstance(value, (ast.Node, list, tuple)):
            yield from iter_nodes(value, inner)


def uncast(node: ast.Node) -> ast.Node:
    """The expression inside any casts (``'x'::text``, ``auth.uid()::text``)."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node


def column_ref(node: ast.Node) -> tuple[tuple[str, ...], str] | None:
    """For a ColumnRef ``a.b.c``: (("a", "b"), "c"); None for ``*`` references and other nodes."""
    if not isinstance(node, ast.ColumnRef):
        return None
    parts = []
    for field in node.fields:
        if not isinstance(field, ast.String):
            return None  # t.* or *
        parts.append(field.sval)
    return tuple(parts[:-1]), parts[-1]


def operator_name(node: ast.A_Expr) -> str:
    """The (unqualified) operator of an A_Expr, e.g. "=" for ``a OPERATOR(pg_catalog.=) b``."""
    names = node.name or ()
    return names[-1].sval if names and isinstance(names[-1], ast.String) else ""


# -- PL/pgSQL ------------------------------------------------------------------------------------------------------
def _dollar_tag(source: str) -> str:
    """A dollar-quote tag that does not occur in ``source``."""
    tag, n = "$fn$", 0
    while tag in source:
        n += 1
        tag = f"$fn{n}$"
    return tag


def function_statement(schema: str, name: str, arguments: str, returns: str, language: str, source: str) -> str:
    """A CREATE FUNCTION statement rebuilt from a catalog row, for the PL/pgSQL parser.

    The name and types come from the server's own deparsing (pg_get_function_identity_arguments /
    pg_get_function_result), so they are already valid SQL; only the body needs quoting.
    """
    from auditlib.quoting import ident

    tag = _dollar_tag(source)
    return (f"CREATE FUNCTION {ident(schema, name)}({arguments}) RETURNS {returns} LANGUAGE {ident(language)} "
            f"AS {tag}{source}{tag}")


def parse_plpgsql_function(statement: str) -> dict | None:
    """The PL/pgSQL tree (JSON-like dicts) of a CREATE FUNCTION statement, or None when it does not parse."""
    try:
        parsed = pglast.parse_plpgsql(statement)
    except (pglast.parser.ParseError, ValueError):
        return None
    if not parsed or "PLpgSQL_function" not in parsed[0]:
        return None
    return parsed[0]["PLpgSQL_function"]


def parse_catalog_plpgsql(function: Mapping[str, Any]) -> dict | None:
    """The PL/pgSQL tree of a catalog ``functions`` row (schema, name, arguments, returns, source), or None when its
    body does not parse."""
    return parse_plpgsql_function(function_statement(
        function["schema"], function["name"], function["arguments"] or "", function["returns"] or "void", "plpgsql",
        function["source"] or ""))


def _walk_json(value: Any, lineno: int | None = None) -> Iterator[tuple[dict, int | None]]:
    if isinstance(value, dict):
        lineno = value.get("lineno", lineno)
        yield value, lineno
        for item in value.values():
            yield from _walk_json(item, lineno)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_json(item, lineno)


# parseMode of a PLpgSQL_expr: 0 is a whole SQL statement; the others are expressions or assignments.
_RAW_PARSE_DEFAULT = 0
_ASSIGN_MODES = (3, 4, 5)  # RAW_PARSE_PLPGSQL_ASSIGN1..3: "target := expression"
_ASSIGN = re.compile(r"^\s*(?P<target>.*?)\s*:?=\s*(?P<value>.*)$", re.S)


def iter_plpgsql_queries(function: dict) -> Iterator[tuple[str, str, int | None, str]]:
    """Every SQL text embedded in a PL/pgSQL function: (kind, text, line, the whole embedded text).

    kind is "statement" (a whole SQL statement), "expression", or "target" (the left side of an assignment).
    """
    for node, lineno in _walk_json(function.get("action")):
        expr = node.get("PLpgSQL_expr")
        if not isinstance(expr, dict) or "query" not in expr:
            continue
        mode = expr.get("parseMode", _RAW_PARSE_DEFAULT)
        query = expr["query"]
        if mode == _RAW_PARSE_DEFAULT:
            yield "statement", query, lineno, query
        elif mode in _ASSIGN_MODES and (match := _ASSIGN.match(query)):
            yield "target", match["target"], lineno, query
            yield "expression", match["value"], lineno, query
        else:
            yield "expression", query, lineno, query


def plpgsql_variables(function: dict) -> set[str]:
    """Lower-cased names of the function's variables, records and parameters (NEW, OLD, TG_OP, locals...)."""
    names = set()
    for datum in function.get("datums", []):
        for kind in ("PLpgSQL_var", "PLpgSQL_rec", "PLpgSQL_row"):
            if kind in datum and datum[kind].get("refname"):
                names.add(datum[kind]["refname"].lower())
    return names


def plpgsql_record_fields(function: dict) -> list[tuple[str, str]]:
    """(record name, field) for every ``rec.field`` the function uses, e.g. ("new", "quantity_available")."""
    datums = function.get("datums", [])
    result = []
    for datum in datums:
        field = datum.get("PLpgSQL_recfield")
        if not field:
            continue
        parent = datums[field.get("recparentno", 0)]
        record = parent.get("PLpgSQL_rec", {}).get("refname")
        if record:
            result.append((record.lower(), field["fieldname"]))
    return result


class NotConstant:
    """Marks an expression whose value is not known before the query runs."""


def constant_value(node: ast.Node) -> Any:
    """The Python value of a constant expression (``true``, ``1 = 1``, ``'t'::boolean``, ``NOT false``), or
    ``NotConstant`` when its value is only known when the query runs."""
    unknown = NotConstant
    if isinstance(node, ast.A_Const):
        if node.isnull:
            return None
        val = node.val
        for kind, attr in ((ast.Boolean, "boolval"), (ast.Integer, "ival"), (ast.Float, "fval"),
                           (ast.String, "sval")):
            if isinstance(val, kind):
                return getattr(val, attr)
        return unknown
    if isinstance(node, ast.TypeCast):
        inner = constant_value(node.arg)
        names = [n.sval for n in node.typeName.names if isinstance(n, ast.String)]
        if names and names[-1] in ("bool", "boolean") and isinstance(inner, str):
            lowered = inner.strip().lower()
            if lowered in ("t", "true", "y", "yes", "on", "1"):
                return True
            if lowered in ("f", "false", "n", "no", "off", "0"):
                return False
        return inner
    if isinstance(node, ast.BoolExpr):
        values = [constant_value(a) for a in node.args]
        if node.boolop == BoolExprType.NOT_EXPR:
            return (not values[0]) if isinstance(values[0], bool) else unknown
        if node.boolop == BoolExprType.OR_EXPR:
            return True if any(v is True for v in values) else (
                False if all(v is False for v in values) else unknown)
        return True if all(v is True for v in values) else (False if any(v is False for v in values) else unknown)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and node.lexpr is not None:
        left, right = constant_value(node.lexpr), constant_value(node.rexpr)
        if left is unknown or right is unknown or left is None or right is None:
            return unknown
        op = operator_name(node)
        if op == "=":
            return str(left) == str(right)
        if op in ("<>", "!="):
            return str(left) != str(right)
    return unknown
