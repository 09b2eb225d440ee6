"""PostgREST strings: the items of a select (columns, embedded relations, aliases) and of a logic filter."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditlib.codescan.names import _column_name, _identifier
from auditlib.codescan.values import DYNAMIC


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

