"""Auditing a folder of SQL migration files: a static pass (pglast) and an apply pass (a scratch database).

Static pass: every ``*.sql`` file, in the order migration tools apply them (lexical by path; in folders holding an
``up.sql`` only that file), is split into statements with their line numbers — psql meta-commands are reported and
blanked, a statement that does not parse is reported and the rest still audited — and turned into an inventory of
what each file creates, alters and drops.

Apply pass: the statements run in order, each as if on its own (autocommit, as psql runs a file without
ON_ERROR_STOP), in a scratch database on the embedded server after a platform stub. Failures are recorded with their
SQLSTATE and whether an earlier failure caused them. The resulting database gets the full schema audit, and each
finding is traced back to the file and line that created its object.

Both passes are linear in the size of the files: files of many megabytes (data seeds, schema dumps) are normal, and
long passes report their progress on stderr.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.parser import ParseError, parse_sql_json, scan
from pglast.parser import split as scanner_split
from pglast.stream import RawStream

from auditlib.findings import Finding

PLATFORM_REFERENCES = {("public", "users"): ("auth", "users")}  # a bare `users` where the platform has auth.users
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION", "END", "ABORT")
_MISSING_OBJECT = re.compile(r'(?:relation|table|function|type|schema|view|sequence) "?([^"\s(]+)"?(?:\(.*?\))? '
                             r'does not exist')
_META_COMMAND = re.compile(r"^[^\S\n]*\\[^\n]*", re.M)  # a line whose first non-blank character is a backslash
_STATEMENT_TYPE = re.compile(r'\{"version":\d+,"stmts":\[\{"stmt":\{"(\w+)"')
# Statement types whose node the static pass inspects (statement_effects, origins); the nodes of all others (data
# statements above all, most of a big file) are never built.
_INSPECTED_TYPES = frozenset({"CreateStmt", "AlterTableStmt", "DropStmt", "CreatePolicyStmt", "CreateFunctionStmt",
                              "CreateTrigStmt", "ViewStmt", "CreateTableAsStmt", "IndexStmt"})


class MigrationsError(ValueError):
    """The migrations folder cannot be audited; one sentence for the user."""


@dataclass
class Statement:
    """One SQL statement of a migration file."""

    file: str
    line: int
    text: str
    index: int
    node_type: str | None = None  # the pglast node type ("CreateStmt"), None when it did not parse
    parse_error: str | None = None
    error_line: int | None = None
    meta_command: bool = False
    _node: Any = field(default=None, repr=False, compare=False)
    _effects: dict[str, list] | None = field(default=None, repr=False, compare=False)  # statement_effects, once

    @property
    def node(self) -> Any:
        """The pglast statement node, None when it did not parse; built on first use and kept."""
        if self._node is None and self.node_type is not None:
            self._node = pglast.parse_sql(self.text)[0].stmt
        return self._node

    @property
    def kind(self) -> str:
        if self.meta_command:
            return "psql meta-command"
        return self.node_type or "unparsed"


@dataclass
class InvalidUtf8:
    """Where a file stops being UTF-8: the first invalid byte, by line, column (characters) and file offset."""

    line: int
    column: int
    offset: int
    byte: int


@dataclass
class MigrationFolder:
    """The parsed folder: files in apply order and their statements."""

    root: Path
    files: list[str]
    statements: list[Statement]
    decoding: dict[str, str] = field(default_factory=dict)  # file -> encoding used when not UTF-8
    invalid_utf8: dict[str, InvalidUtf8] = field(default_factory=dict)  # file -> its first invalid byte

    def parsed(self) -> Iterator[Statement]:
        return (s for s in self.statements if s.node_type is not None)


class Progress:
    """Progress lines on stderr for a long pass: silent at first, then one line every few seconds at most.

    On a terminal the first line comes after 5 s and then every 2 s; in a log (CI) after 30 s and then every 30 s,
    so a short run prints nothing and a long one a handful of lines.
    """

    def __init__(self, stream: TextIO | None = None, clock=time.monotonic):
        self.stream, self.clock = stream or sys.stderr, clock
        interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.first_after, self.every = (5.0, 2.0) if interactive else (30.0, 30.0)
        self.started = clock()
        self.last: float | None = None

    def update(self, what: str, done: int, total: int, unit: str = "statements") -> None:
        """Print ``auditlib: <what>: <done> of <total> <unit>`` when it is time to."""
        now = self.clock()
        if now - self.started < self.first_after or (self.last is not None and now - self.last < self.every):
            return
        self.last = now
        print(f"auditlib: {what}: {done:,} of {total:,} {unit}", file=self.stream, flush=True)


class LineIndex:
    """Line numbers of offsets in one text: its newline offsets, found once, then a binary search per lookup."""

    def __init__(self, text: str):
        self.newlines = array("q", (match.start() for match in re.finditer("\n", text)))

    def line_of(self, offset: int) -> int:
        """The 1-based line holding the character at ``offset`` (CRLF files count the same)."""
        return bisect_left(self.newlines, offset) + 1


# -- discovery and splitting --------------------------------------------------------------------------------------
def discover(folder: str | Path) -> tuple[Path, list[Path]]:
    """The SQL files of a folder in apply order (lexical by relative path; only up.sql where a folder has one)."""
    root = Path(folder)
    if not root.exists():
        raise MigrationsError(f"The migrations folder {root} does not exist; pass the folder that holds your .sql "
                              "files (e.g. supabase/migrations).")
    if not root.is_dir():
        raise MigrationsError(f"{root} is a file, not a folder; pass the folder that holds your .sql files.")
    files = []
    for path in root.rglob("*"):
        if not path.is_file() or path.suffix.lower() != ".sql":
            continue
        siblings_up = (path.parent / "up.sql").exists()
        if siblings_up and path.name != "up.sql":
            continue  # down.sql and friends of an up/down pair are not applied going forward
        files.append(path)
    return root, sorted(files, key=lambda p: p.relative_to(root).as_posix())


_BOM = b"\xef\xbb\xbf"


def read_sql_file(path: Path) -> tuple[str, InvalidUtf8 | None]:
    """A file's text; a file that is not UTF-8 is read as Latin-1, with where its first invalid byte is.

    Binary files raise UnicodeDecodeError.
    """
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise UnicodeDecodeError("binary", data[:1], 0, 1, "the file holds NUL bytes: not a text file")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        offset = error.start + (len(_BOM) if data.startswith(_BOM) else 0)
        line_start = data.rfind(b"\n", 0, offset) + 1
        column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
        return data.decode("latin-1"), InvalidUtf8(line=data.count(b"\n", 0, offset) + 1, column=column,
                                                   offset=offset, byte=data[offset])


def blank_meta_commands(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace psql meta-command lines (``\\i``, ``\\set`` …) by spaces, keeping offsets; return them with lines."""
    matches = list(_META_COMMAND.finditer(text))
    if not matches:
        return text, []
    lines = LineIndex(text)
    found, pieces, previous = [], [], 0
    for match in matches:
        found.append((lines.line_of(match.start()), match.group().strip()))
        pieces += [text[previous:match.start()], " " * (match.end() - match.start())]
        previous = match.end()
    pieces.append(text[previous:])
    return "".join(pieces), found


_SQL_SPACE = " \t\n\r\f\v"  # what PostgreSQL's scanner takes for white space


def _pieces(text: str) -> list[tuple[int, int]] | None:
    """(start, end) of consecutive pieces of ``text`` that each end at a top-level semicolon, from libpg_query's
    scanner splitter (in C). Its statements may hold several of ours (it trusts parentheses) but never part of one,
    so each piece can be scanned on its own and the tokens of a whole big file never sit in memory at once. None
    when the scanner fails (an unterminated quote or comment)."""
    try:
        slices = scanner_split(text, with_parser=False, only_slices=True)
    except ParseError:
        return None
    pieces, start = [], 0
    for piece in slices:
        semicolon = text.find(";", piece.stop)
        if semicolon < 0 or text[piece.stop:semicolon].strip(_SQL_SPACE):
            continue  # the last statement has no semicolon: it stays in the final piece
        pieces.append((start, semicolon + 1))
        start = semicolon + 1
    if start < len(text):
        pieces.append((start, len(text)))
    return pieces


def _code_start(text: str, start: int, end: int) -> int:
    """The offset of the first character in text[start:end] that is neither white space nor in a comment
    (comments nest, as in PostgreSQL); ``end`` when there is none."""
    position = start
    while position < end:
        if text[position] in _SQL_SPACE:
            position += 1
        elif text.startswith("--", position):
            line_end = min((found for found in (text.find("\n", position, end), text.find("\r", position, end))
                            if found >= 0), default=end)
            position = line_end
        elif text.startswith("/*", position):
            depth, position = 1, position + 2
            while depth and position < end:
                if text.startswith("/*", position):
                    depth, position = depth + 1, position + 2
                elif text.startswith("*/", position):
                    depth, position = depth - 1, position + 2
                else:
                    position += 1
        else:
            return position
    return end


def _chunks(text: str, progress: Progress | None = None, name: str = "") -> list[tuple[int, int]]:
    """(start, end) of every chunk of ``text`` ending at a top-level semicolon; a chunk starts at its first token
    that is not a comment (a statement's line is that of its first keyword, not of the comments above it)."""
    pieces = _pieces(text)
    chunks: list[tuple[int, int]] = []
    for piece_start, piece_end in pieces if pieces is not None else [(0, len(text))]:
        if progress:
            progress.update(f"splitting {name}", piece_start // 1000, len(text) // 1000, "kB")
        if pieces is not None and text.count(";", piece_start, piece_end - 1) == 0:
            # no semicolon but the one that ends the piece: one chunk, and no need for the (costly) token scan
            code_start = _code_start(text, piece_start, piece_end)
            if code_start < piece_end:
                chunks.append((code_start, piece_end))
            continue
        try:
            tokens = scan(text[piece_start:piece_end])
        except Exception:  # an unterminated quote: the rest of the file is one statement
            if text[piece_start:].strip():
                chunks.append((piece_start, len(text)))
            break
        code_start = None
        for token in tokens:
            if token.name in ("SQL_COMMENT", "C_COMMENT"):
                continue
            if code_start is None:
                code_start = piece_start + token.start
            if token.name == "ASCII_59":
                chunks.append((code_start, piece_start + token.end + 1))
                code_start = None
        if code_start is not None:
            chunks.append((code_start, piece_end))
    return chunks


def _parse(text: str) -> tuple[str | None, ParseError | None]:
    """The node type of the (first) statement in ``text``, or the parse error. The JSON parser skips building
    Python nodes, the expensive part of parsing; the node is built later only when something inspects it."""
    try:
        match = _STATEMENT_TYPE.match(parse_sql_json(text))
    except ParseError as error:
        return None, error
    return (match.group(1) if match else None), None


def split_parsed(text: str, progress: Progress | None = None,
                 name: str = "") -> Iterator[tuple[int, str, str | None, ParseError | None]]:
    """(start offset, statement text, node type, parse error) for each statement, split at top-level semicolons.

    The scanner knows quotes, dollar quotes and comments. Parentheses are not trusted (a broken statement must not
    swallow the next one); a chunk that only parses together with the next ones (BEGIN ATOMIC bodies) is merged.
    Each statement is parsed once.
    """
    chunks = _chunks(text, progress, name)
    index = 0
    while index < len(chunks):
        if progress:
            progress.update(f"parsing {name}", index, len(chunks))
        start, end = chunks[index]
        chunk = text[start:end]
        node_type, error = _parse(chunk)
        if error is not None:
            for extra in range(1, 6):
                if index + extra >= len(chunks):
                    break
                candidate = text[start:chunks[index + extra][1]]
                candidate_type, candidate_error = _parse(candidate)
                if candidate_error is None and "ATOMIC" in candidate.upper():
                    chunk, node_type, error, index = candidate, candidate_type, None, index + extra
                    break
        index += 1
        if chunk.strip(" \t\r\n;"):  # a chunk starts at code, so this only drops empty statements (";")
            yield start, chunk.strip(), node_type, error


def split_statements(text: str) -> list[tuple[int, str]]:
    """(start offset, statement text) for each statement, split at top-level semicolons (see split_parsed)."""
    return [(offset, chunk) for offset, chunk, _, _ in split_parsed(text)]


def load_folder(folder: str | Path, progress: Progress | None = None) -> MigrationFolder:
    """Discover, read, split and parse every migration file."""
    root, paths = discover(folder)
    progress = progress or Progress()
    statements: list[Statement] = []
    decoding: dict[str, str] = {}
    invalid_utf8: dict[str, InvalidUtf8] = {}
    files = []
    for path in paths:
        name = path.relative_to(root).as_posix()
        files.append(name)
        try:
            text, invalid = read_sql_file(path)
        except UnicodeDecodeError:
            statements.append(Statement(name, 1, "", len(statements), parse_error="the file is not text (binary "
                                                                                  "content)"))
            continue
        if invalid:
            decoding[name], invalid_utf8[name] = "latin-1", invalid
        cleaned, meta = blank_meta_commands(text)
        del text
        for line, command in meta:
            statements.append(Statement(name, line, command, len(statements), meta_command=True))
        lines = LineIndex(cleaned)
        for offset, chunk, node_type, error in split_parsed(cleaned, progress, name):
            line = lines.line_of(offset)
            statement = Statement(name, line, chunk, len(statements), node_type=node_type)
            if error is not None:
                message, position = (error.args + (None,))[:2]
                statement.parse_error = str(message)
                statement.error_line = lines.line_of(offset + position) if isinstance(position, int) else line
            statements.append(statement)
    position = {name: number for number, name in enumerate(files)}
    statements.sort(key=lambda s: (position[s.file], s.line, s.index))
    for index, statement in enumerate(statements):
        statement.index = index
    return MigrationFolder(root=root, files=files, statements=statements, decoding=decoding,
                           invalid_utf8=invalid_utf8)


# -- what statements do ---------------------------------------------------------------------------------------------
def _name(range_var) -> tuple[str, str]:
    return (range_var.schemaname or "public", range_var.relname)


def _type_text(type_name) -> str:
    if type_name is None:
        return ""
    if type_name.typmods or type_name.setof or type_name.pct_type:
        return RawStream()(type_name)
    # Most columns have one of a few plain types; printing a node costs far more than looking its text up.
    return _plain_type_text(tuple(name.sval for name in type_name.names),
                            tuple(bound.ival for bound in type_name.arrayBounds or ()), type_name.typemod)


@lru_cache(maxsize=4096)
def _plain_type_text(names: tuple[str, ...], array_bounds: tuple[int, ...], typemod: int) -> str:
    return RawStream()(ast.TypeName(names=tuple(ast.String(sval=name) for name in names), typemod=typemod,
                                    arrayBounds=tuple(ast.Integer(ival=b) for b in array_bounds) or None))


def _references(column: str | None, constraint) -> tuple[str | None, tuple[str, str], list[str]]:
    attrs = [a.sval for a in (constraint.fk_attrs or ())]
    return (column if column else ",".join(attrs)), _name(constraint.pktable), [a.sval for a in
                                                                                 (constraint.pk_attrs or ())]


def table_definition(node: ast.CreateStmt) -> dict[str, Any]:
    """Columns (name → type) and foreign keys (column → target table) of a CREATE TABLE."""
    columns: dict[str, str] = {}
    foreign_keys: dict[str, str] = {}
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            columns[element.colname] = _type_text(element.typeName)
            for constraint in element.constraints or ():
                if constraint.contype == ConstrType.CONSTR_FOREIGN:
                    _, target, _ = _references(element.colname, constraint)
                    foreign_keys[element.colname] = ".".join(target)
        elif isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_FOREIGN:
            column, target, _ = _references(None, element)
            foreign_keys[column] = ".".join(target)
    return {"columns": columns, "foreign_keys": foreign_keys}


def statement_effects(statement: Statement) -> dict[str, list]:
    """What one statement creates, alters, drops and references: lists of (kind, schema.name) and FK targets."""
    if statement._effects is None:
        statement._effects = _effects(statement.node if statement.node_type in _INSPECTED_TYPES else None)
    return statement._effects


def _effects(node: Any) -> dict[str, list]:
    effects: dict[str, list] = {"created": [], "altered": [], "dropped": [], "references": []}
    if isinstance(node, ast.CreateStmt):
        table = _name(node.relation)
        effects["created"].append(("table", table))
        for column, target in table_definition(node)["foreign_keys"].items():
            effects["references"].append((column, tuple(target.split(".", 1))))
    elif isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
        table = _name(node.relation)
        effects["altered"].append(("table", table))
        for command in node.cmds or ():
            definition = command.def_
            if command.subtype == AlterTableType.AT_AddColumn and isinstance(definition, ast.ColumnDef):
                for constraint in definition.constraints or ():
                    if constraint.contype == ConstrType.CONSTR_FOREIGN:
                        column, target, _ = _references(definition.colname, constraint)
                        effects["references"].append((column, target))
            elif command.subtype == AlterTableType.AT_AddConstraint and isinstance(definition, ast.Constraint) \
                    and definition.contype == ConstrType.CONSTR_FOREIGN:
                column, target, _ = _references(None, definition)
                effects["references"].append((column, target))
    elif isinstance(node, ast.DropStmt) and node.removeType in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW):
        kind = "table" if node.removeType == ObjectType.OBJECT_TABLE else "view"
        for names in node.objects or ():
            parts = [n.sval for n in names]
            effects["dropped"].append((kind, (parts[-2] if len(parts) > 1 else "public", parts[-1])))
    elif isinstance(node, ast.CreatePolicyStmt):
        effects["created"].append(("policy", (*_name(node.table), node.policy_name)))
    elif isinstance(node, ast.CreateFunctionStmt):
        parts = [n.sval for n in node.funcname]
        effects["created"].append(("procedure" if node.is_procedure else "function",
                                   (parts[-2] if len(parts) > 1 else "public", parts[-1])))
    elif isinstance(node, ast.CreateTrigStmt):
        effects["created"].append(("trigger", (*_name(node.relation), node.trigname)))
    elif isinstance(node, ast.ViewStmt):
        effects["created"].append(("view", _name(node.view)))
    elif isinstance(node, ast.CreateTableAsStmt):
        effects["created"].append(("view" if node.objtype == ObjectType.OBJECT_MATVIEW else "table",
                                   _name(node.into.rel)))
    elif isinstance(node, ast.IndexStmt):
        effects["created"].append(("index", (*_name(node.relation), node.idxname or "")))
    return effects


def categorize(tables: list[str], config=None) -> str:
    """A domain for a file: the category most of the tables it touches belong to (``tenancy.categories``)."""
    from auditlib.checks.tenancy import table_category

    votes: dict[str, int] = {}
    for table in tables:
        category = table_category(table.rsplit(".", 1)[-1], config)
        if category != "Other":
            votes[category] = votes.get(category, 0) + 1
    if not votes:
        return "Other"
    return sorted(votes.items(), key=lambda item: (-item[1], item[0]))[0][0]


def file_inventory(folder: MigrationFolder) -> pd.DataFrame:
    """One row per file: statements, tables created/altered/dropped, policies, functions, triggers, views,
    indexes, parse errors and a category guessed from its tables."""
    rows = []
    by_file: dict[str, list[Statement]] = {name: [] for name in folder.files}
    for statement in folder.statements:
        by_file[statement.file].append(statement)
    for name in folder.files:
        statements = by_file[name]
        bucket: dict[str, list[str]] = {k: [] for k in ("tables_created", "tables_altered", "tables_dropped",
                                                         "policies", "functions", "triggers", "views", "indexes")}
        for statement in statements:
            if statement.node_type not in _INSPECTED_TYPES:
                continue
            effects = statement_effects(statement)
            for kind, target in effects["created"]:
                label = ".".join(target[1:]) if target[0] == "public" else ".".join(target)
                key = {"table": "tables_created", "policy": "policies", "function": "functions",
                       "procedure": "functions", "trigger": "triggers", "view": "views", "index": "indexes"}[kind]
                bucket[key].append(label)
            for _, target in effects["altered"]:
                bucket["tables_altered"].append(_short(target))
            for _, target in effects["dropped"]:
                bucket["tables_dropped"].append(_short(target))
        tables = sorted(set(bucket["tables_created"] + bucket["tables_altered"]))
        rows.append({"file": name, "category": categorize(tables), "statements": len(statements),
                     **{k: sorted(set(v)) for k, v in bucket.items()},
                     "parse_errors": sum(1 for s in statements if s.parse_error),
                     "meta_commands": sum(1 for s in statements if s.meta_command),
                     "encoding": folder.decoding.get(name, "utf-8")})
    return pd.DataFrame(rows, columns=["file", "category", "statements", "tables_created", "tables_altered",
                                       "tables_dropped", "policies", "functions", "triggers", "views", "indexes",
                                       "parse_errors", "meta_commands", "encoding"])


def _short(target: tuple[str, str]) -> str:
    return target[1] if target[0] == "public" else ".".join(target)


# -- static checks --------------------------------------------------------------------------------------------------
def sql_parse_error_findings(folder: MigrationFolder) -> list[Finding]:
    """Statements that do not parse, and psql meta-commands the apply pass cannot run."""
    findings = []
    for statement in folder.statements:
        if statement.parse_error:
            first = statement.text.strip().splitlines()[0][:120] if statement.text.strip() else ""
            findings.append(Finding(
                schema=None, table=None, column=None, object=f"{statement.file}:{statement.line}",
                title="Statement does not parse",
                detail=f"{statement.file} line {statement.error_line or statement.line}: {statement.parse_error}; "
                       "this statement is skipped and the rest of the folder is still audited.",
                evidence={"message": statement.parse_error, "statement_start": first,
                          "error_line": statement.error_line},
                file=statement.file, line=statement.error_line or statement.line))
        elif statement.meta_command:
            findings.append(Finding(
                schema=None, table=None, column=None, object=f"{statement.file}:{statement.line}",
                title="psql meta-command", severity="low",
                detail=f"{statement.file} line {statement.line}: {statement.text!r} is a psql meta-command, not "
                       "SQL; migration tools other than psql fail on it, and auditlib does not run it.",
                evidence={"command": statement.text}, file=statement.file, line=statement.line))
    return findings


def not_utf8_findings(folder: MigrationFolder) -> list[Finding]:
    """Files that are not valid UTF-8 (the audit read them as Latin-1), with where their first invalid byte is."""
    findings = []
    for name, where in folder.invalid_utf8.items():
        findings.append(Finding(
            schema=None, table=None, column=None, object=name,
            title="Migration file is not valid UTF-8",
            detail=f"{name} line {where.line}, column {where.column}: byte 0x{where.byte:02x} (offset {where.offset} "
                   "in the file) is not valid UTF-8; auditlib read the file as Latin-1, but psql and migration tools "
                   "read UTF-8 and reject the statement that holds it.",
            evidence={"line": where.line, "column": where.column, "byte_offset": where.offset,
                      "byte": f"0x{where.byte:02x}", "read_as": folder.decoding.get(name, "latin-1")},
            file=name, line=where.line))
    return findings


def table_defined_multiple_findings(folder: MigrationFolder,
                                    applied: list[AppliedStatement] | None = None) -> list[Finding]:
    """The same table created by CREATE TABLE in more than one file, with the definition that ends up in force.

    With the apply pass's results, what each CREATE did is what really happened (a first CREATE that failed leaves
    the table to a later one); without them it is simulated from the statements.
    """
    outcome_of = {a.statement.index: a for a in applied or []}
    definitions: dict[tuple[str, str], list[dict]] = {}
    exists: dict[tuple[str, str], int | None] = {}  # table -> index in definitions list of the one in force
    for statement in folder.parsed():
        if statement.node_type not in ("CreateStmt", "DropStmt"):
            continue
        node = statement.node
        if isinstance(node, ast.CreateStmt):
            table = _name(node.relation)
            entry = {"file": statement.file, "line": statement.line, "if_not_exists": bool(node.if_not_exists),
                     **table_definition(node)}
            definitions.setdefault(table, []).append(entry)
            applied_result = outcome_of.get(statement.index)
            if applied_result is not None and not applied_result.ok:
                entry["outcome"] = f"fails: {applied_result.message}"
            elif exists.get(table) is None:
                exists[table] = len(definitions[table]) - 1
                entry["outcome"] = "creates the table"
            else:
                entry["outcome"] = ("skipped: the table already exists (IF NOT EXISTS)" if node.if_not_exists
                                    else "fails: the table already exists")
        elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
            for names in node.objects or ():
                parts = [n.sval for n in names]
                exists[(parts[-2] if len(parts) > 1 else "public", parts[-1])] = None
    findings = []
    for table, entries in sorted(definitions.items()):
        files = sorted({e["file"] for e in entries})
        if len(files) < 2:
            continue
        in_force = entries[exists[table]] if exists.get(table) is not None else None
        all_columns = sorted({c for e in entries for c in e["columns"]})
        diff = [{"column": column, **{f"{e['file']}:{e['line']}": (e["columns"].get(column, "—")
                                                                   + (f" → {e['foreign_keys'][column]}"
                                                                      if column in e["foreign_keys"] else ""))
                                      for e in entries}} for column in all_columns
                if len({(e["columns"].get(column), e["foreign_keys"].get(column)) for e in entries}) > 1]
        first = entries[0]
        findings.append(Finding(
            schema=table[0], table=table[1], column=None,
            title=f"Table defined {len(entries)} times in {len(files)} files",
            detail=f"{'.'.join(table)} is created in {', '.join(files)}; "
                   + (f"the definition in force is {in_force['file']} line {in_force['line']}" if in_force else
                      "no definition survives (dropped last)")
                   + f", and {len(diff)} columns differ between the definitions.",
            evidence={"definitions": [{k: v for k, v in e.items()} for e in entries],
                      "in_force": {"file": in_force["file"], "line": in_force["line"]} if in_force else None,
                      "column_diff": diff},
            file=first["file"], line=first["line"]))
    return findings


def ref_target_missing_findings(folder: MigrationFolder, platform_tables: set[tuple[str, str]]) -> list[Finding]:
    """REFERENCES to tables no file creates, that only a later file creates, or `users` instead of auth.users."""
    created_at: dict[tuple[str, str], tuple[int, str, int]] = {}
    for statement in folder.parsed():
        for kind, target in statement_effects(statement)["created"]:
            if kind in ("table", "view"):
                created_at.setdefault(target[:2], (statement.index, statement.file, statement.line))
    findings = []
    for statement in folder.parsed():
        effects = statement_effects(statement)
        source = (effects["created"] or effects["altered"] or [(None, ("public", "?"))])[0][1][:2]
        for column, target in effects["references"]:
            target = tuple(target)
            if target in platform_tables:
                continue
            creation = created_at.get(target)
            platform = PLATFORM_REFERENCES.get(target)
            if creation is None:
                reason = "no file creates it"
                if platform and platform in platform_tables:
                    reason = f"no file creates it; the platform provides {'.'.join(platform)}"
            elif creation[0] > statement.index:
                reason = f"it is only created later, in {creation[1]} line {creation[2]} (forward reference)"
            else:
                continue
            findings.append(Finding(
                schema=source[0], table=source[1], column=column, severity="critical" if creation is None and not
                platform else None,
                object=f"{source[0]}.{source[1]}.{column}->{'.'.join(target)}",
                title=f"REFERENCES {'.'.join(target)}: {reason.split(';')[0]}",
                detail=f"{statement.file} line {statement.line}: {'.'.join(source)}.{column} references "
                       f"{'.'.join(target)}, but {reason}; the statement fails when the files run in order.",
                evidence={"target": ".".join(target), "reason": reason, "platform_table":
                          ".".join(platform) if platform else None,
                          "created_in": {"file": creation[1], "line": creation[2]} if creation else None},
                remediation_sql=None, file=statement.file, line=statement.line))
    return findings


# -- apply pass --------------------------------------------------------------------------------------------------------
def needs_supabase_stub(folder: MigrationFolder) -> bool:
    """True when the files use Supabase's platform (auth schema, its roles)."""
    return any(re.search(r"\bauth\.|\bauthenticated\b|\bservice_role\b|\banon\b", s.text)
               for s in folder.statements)


def stub_sql(stubs: str, folder: MigrationFolder) -> str:
    """The platform stub to load first: 'supabase', 'none', 'auto' (supabase when the files need it) or a file."""
    if stubs == "auto":
        stubs = "supabase" if needs_supabase_stub(folder) else "none"
    if stubs == "none":
        return ""
    if stubs == "supabase":
        return (resources.files("auditlib") / "stubs" / "supabase.sql").read_text(encoding="utf-8")
    path = Path(stubs)
    if not path.exists():
        raise MigrationsError(f"The stub file {path} does not exist; use --stubs supabase, none or an existing .sql "
                              "file.")
    return path.read_text(encoding="utf-8")


def _transaction_control(statement: Statement) -> bool:
    return statement.node_type == "TransactionStmt"


@dataclass
class AppliedStatement:
    statement: Statement
    ok: bool
    sqlstate: str | None = None
    message: str | None = None
    caused_by: int | None = None  # index of the earlier failed statement this failure follows from


# Statement types applied in batches. A batch is one multi-statement query, which the server runs as one implicit
# transaction, and none of these types behaves differently there than alone (unlike LOCK, SET LOCAL, VACUUM, CREATE
# INDEX CONCURRENTLY, temporary tables, cursors or COPY, which always run alone). Deferred constraints are made
# immediate in a batch, so they are checked after each statement as they are alone. A batch that fails has changed
# nothing, so its statements run again one at a time and each failure keeps its own statement, SQLSTATE and message.
_BATCHED_TYPES = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "CommentStmt", "GrantStmt", "CreateStmt",
                            "IndexStmt", "AlterTableStmt", "CreatePolicyStmt", "CreateFunctionStmt",
                            "CreateTrigStmt", "ViewStmt"})
_BATCH_STATEMENTS, _BATCH_CHARACTERS = 512, 1_000_000


def _batchable(statement: Statement) -> bool:
    if statement.node_type not in _BATCHED_TYPES:
        return False
    if statement.node_type == "CreateStmt":
        return statement.node.relation.relpersistence != "t"
    if statement.node_type == "IndexStmt":
        return not statement.node.concurrent
    return True


def _batch_sql(batch: list[Statement]) -> str:
    # A newline before each separator: a statement may end in a -- comment.
    return "SET CONSTRAINTS ALL IMMEDIATE;\n" + "\n;\n".join(s.text for s in batch)


def apply_folder(folder: MigrationFolder, url, stub: str, progress: Progress | None = None) -> list[AppliedStatement]:
    """Run every parsed statement in order on the scratch database, continuing past errors, as if each ran on its
    own (consecutive simple statements go in batches; a failed batch is rerun one statement at a time)."""
    import psycopg

    from auditlib.connect import to_url

    target = to_url(url)
    # The URL's query carries the socket, the port and the settings the embedded server pins against the user's PG*
    # variables (an empty value is one of them: it keeps libpq from reading the variable).
    conninfo = {"host": target.host, "port": target.port, **target.query, "dbname": target.database,
                "user": target.username}
    progress = progress or Progress()
    # unparsed statements and meta-commands are reported by the static pass; BEGIN/COMMIT are moot here
    runnable = [s for s in folder.statements if s.node_type is not None and not _transaction_control(s)]
    totals: dict[str, int] = {}
    for statement in runnable:
        totals[statement.file] = totals.get(statement.file, 0) + 1
    results: list[AppliedStatement] = []
    failed_objects: dict[str, int] = {}
    failed_columns: dict[tuple[str, str], dict[str, int]] = {}

    def run_alone(conn, statement: Statement) -> bool:
        try:
            conn.execute(statement.text, prepare=False)
        except psycopg.Error as error:
            sqlstate = error.sqlstate or ""
            message = (error.diag.message_primary or str(error)).strip()
            caused_by = None
            missing = _MISSING_OBJECT.search(message)
            if missing:
                name = missing.group(1).split(".")[-1].strip('"')
                caused_by = failed_objects.get(name)
            if caused_by is None:  # e.g. an FK on a column whose type change failed just before
                for table in _tables_touched(statement):
                    for column, index in failed_columns.get(table, {}).items():
                        if re.search(rf'\b{re.escape(column)}\b', message + " " + statement.text):
                            caused_by = index
                            break
            results.append(AppliedStatement(statement, ok=False, sqlstate=sqlstate, message=message,
                                            caused_by=caused_by))
            for kind, created in statement_effects(statement)["created"]:
                failed_objects.setdefault(created[-1] if kind not in ("policy", "trigger", "index")
                                          else created[1], statement.index)
            for table, column in _columns_altered(statement):
                failed_columns.setdefault(table, {}).setdefault(column, statement.index)
            return False
        results.append(AppliedStatement(statement, ok=True))
        return True

    batch: list[Statement] = []
    batch_limit, batch_characters, successes_alone = 16, 0, 0

    def flush(conn) -> None:
        # Batches grow while they succeed and shrink when they fail, so a folder full of failures soon runs its
        # statements one at a time instead of running each twice.
        nonlocal batch_limit, batch_characters, successes_alone
        if len(batch) > 1:
            try:
                conn.execute(_batch_sql(batch), prepare=False)
            except psycopg.Error:
                batch_limit = max(batch_limit // 4, 1)
            else:
                results.extend(AppliedStatement(s, ok=True) for s in batch)
                batch_limit = min(batch_limit * 2, _BATCH_STATEMENTS)
                batch.clear()
                batch_characters = 0
                return
        for statement in batch:
            if run_alone(conn, statement) and batch_limit == 1:
                successes_alone += 1
                if successes_alone >= 32:
                    batch_limit, successes_alone = 2, 0
        batch.clear()
        batch_characters = 0

    done: dict[str, int] = {}
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v is not None}, autocommit=True,
                         application_name="auditlib-migrations") as conn:
        if stub:
            conn.execute(stub)
        for statement in runnable:
            done[statement.file] = done.get(statement.file, 0) + 1
            progress.update(f"applying {statement.file}", done[statement.file], totals[statement.file])
            if _batchable(statement):
                batch.append(statement)
                batch_characters += len(statement.text)
                if len(batch) >= batch_limit or batch_characters >= _BATCH_CHARACTERS:
                    flush(conn)
            else:
                flush(conn)
                run_alone(conn, statement)
        flush(conn)
    return results


def _tables_touched(statement: Statement) -> list[tuple[str, str]]:
    effects = statement_effects(statement)
    return [target[:2] for _, target in effects["altered"] + effects["created"]]


def _columns_altered(statement: Statement) -> list[tuple[tuple[str, str], str]]:
    """(table, column) pairs an ALTER TABLE changes (type, default, nullability, rename)."""
    node = statement.node if statement.node_type == "AlterTableStmt" else None
    if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
        return []
    table = _name(node.relation)
    return [(table, command.name) for command in node.cmds or () if getattr(command, "name", None)]


def statement_failed_findings(results: list[AppliedStatement]) -> list[Finding]:
    """One finding per failed statement: file, line, SQLSTATE, message; knock-on failures point at their cause."""
    by_index = {r.statement.index: r for r in results}
    findings = []
    for result in results:
        if result.ok:
            continue
        statement = result.statement
        cause = by_index.get(result.caused_by) if result.caused_by is not None else None
        detail = f"{statement.file} line {statement.line} failed with {result.sqlstate}: {result.message}"
        if cause:
            detail += (f" — a knock-on failure: the object comes from {cause.statement.file} line "
                       f"{cause.statement.line}, which failed first.")
        else:
            detail += "."
        findings.append(Finding(
            schema=None, table=None, column=None, object=f"{statement.file}:{statement.line}",
            title=("Statement fails (knock-on)" if cause else "Statement fails when the files run in order"),
            severity="medium" if cause else None, detail=detail,
            evidence={"sqlstate": result.sqlstate, "message": result.message, "root_cause": cause is None,
                      "caused_by": {"file": cause.statement.file, "line": cause.statement.line} if cause else None,
                      "statement": statement.text[:400]},
            file=statement.file, line=statement.line))
    return findings


def origins(results: list[AppliedStatement]) -> dict[tuple, tuple[str, int]]:
    """Where each object that exists after the apply pass was created: (schema, table[, name]) → (file, line)."""
    found: dict[tuple, tuple[str, int]] = {}
    for result in results:
        if not result.ok:
            continue
        effects = statement_effects(result.statement)
        for kind, target in effects["created"]:
            if kind in ("function", "procedure"):  # CREATE OR REPLACE: the latest definition is in force
                found[target] = (result.statement.file, result.statement.line)
            else:  # CREATE ... IF NOT EXISTS on an existing object changes nothing
                found.setdefault(target, (result.statement.file, result.statement.line))
        for _, target in effects["dropped"]:
            found.pop(target, None)
        node = result.statement.node if result.statement.node_type == "AlterTableStmt" else None
        if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            table = _name(node.relation)
            for command in node.cmds or ():
                if command.subtype == AlterTableType.AT_AddColumn and isinstance(command.def_, ast.ColumnDef):
                    found[(*table, command.def_.colname)] = (result.statement.file, result.statement.line)
    return found


def attach_origins(findings: list[Finding], where: dict[tuple, tuple[str, int]]) -> None:
    """Give schema findings the file and line that created their object (column, then table)."""
    for finding in findings:
        if finding.file or not finding.table:
            continue
        keys = []
        if finding.column and "," not in finding.column:
            keys.append((finding.schema, finding.table, finding.column))
        keys.append((finding.schema, finding.table))
        for key in keys:
            if key in where:
                finding.file, finding.line = where[key]
                break


@dataclass
class MigrationRun:
    """A folder after both passes: what the migration checks read."""

    folder: MigrationFolder
    results: list[AppliedStatement]
    platform_tables: set[tuple[str, str]]
    database_url: Any = None


def scratch_database_name(folder: MigrationFolder) -> str:
    digest = hashlib.sha256(str(folder.root.resolve()).encode()).hexdigest()[:10]
    return f"auditlib_migrations_{digest}"
