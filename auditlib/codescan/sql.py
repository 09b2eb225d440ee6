"""SQL strings: the tables a query string reads or writes, parsed with PostgreSQL's grammar (pglast), and a
conservative pattern for the strings that do not parse."""

from __future__ import annotations

import re
from collections.abc import Callable

import pglast
from pglast import ast as sqlast

from auditlib.codescan.values import DYNAMIC
from auditlib.sqlparse import iter_nodes

_SQL_START = re.compile(r"\s*\(?\s*(select|with|insert|update|delete|merge|create)\b", re.IGNORECASE)
_SQL_NAME = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
_SQL_TABLE = re.compile(rf"\b(FROM|JOIN|INTO|UPDATE)\s+(?:ONLY\s+)?({_SQL_NAME}(?:\s*\.\s*{_SQL_NAME})?)"
                        r'(?![\w$"])(?!\s*[.(])')
_SQL_NOT_TABLES = frozenset({"select", "set", "lateral", "only", "values", "default", "where", "returning"})


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

