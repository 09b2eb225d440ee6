"""Quoting for generated SQL: identifiers and literals are always quoted by psycopg, never pasted in."""

from __future__ import annotations

from psycopg import sql


def ident(*names: str) -> str:
    """A (possibly qualified) identifier, quoted: ``ident("public", "Line Items")`` → ``"public"."Line Items"``."""
    return sql.Identifier(*names).as_string()


def literal(value) -> str:
    """A SQL literal for a Python value (str, int, float, bool, None)."""
    return sql.Literal(value).as_string()


def ident_list(names: list[str]) -> str:
    """A comma-separated list of quoted identifiers, for column lists."""
    return ", ".join(ident(n) for n in names)
