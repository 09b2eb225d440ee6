"""Quoting for generated SQL: identifiers and literals are always quoted by psycopg, never pasted in; names made up
for new constraints and indexes fit PostgreSQL's identifier limit."""

from __future__ import annotations

import hashlib

from psycopg import sql

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL silently truncates longer names


def ident(*names: str) -> str:
    """A (possibly qualified) identifier, quoted: ``ident("public", "Line Items")`` → ``"public"."Line Items"``."""
    return sql.Identifier(*names).as_string()


def literal(value) -> str:
    """A SQL literal for a Python value (str, int, float, bool, None)."""
    return sql.Literal(value).as_string()


def ident_list(names: list[str]) -> str:
    """A comma-separated list of quoted identifiers, for column lists."""
    return ", ".join(ident(n) for n in names)


def object_name(*parts: str, suffix: str = "") -> str:
    """A constraint/index name ``part_part_suffix``, shortened with a hash to fit PostgreSQL's 63-byte limit (the
    suffix is kept, so the name still says what it is). Unquoted: pass it to ``ident``."""
    name = "_".join(parts) + (f"_{suffix}" if suffix else "")
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    keep = MAX_IDENTIFIER_BYTES - len(digest) - 1 - (len(suffix) + 1 if suffix else 0)
    head = "_".join(parts).encode()[:keep].decode(errors="ignore")
    return f"{head}_{digest}" + (f"_{suffix}" if suffix else "")
