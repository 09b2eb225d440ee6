"""Reading a migration folder: which files, in which order, their text, and their statements with line numbers.

Every ``*.sql`` file, in the order migration tools apply them (lexical by path; in folders holding an ``up.sql`` only
that file), is read as UTF-8 (a file that is not is read as Latin-1, and where its first invalid byte is kept), its
psql meta-commands blanked, and split into statements at top-level semicolons, each with its line and node type (or
its parse error). The work is linear in the size of the files: files of many megabytes are normal.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pglast
from pglast.parser import ParseError, parse_sql_json, scan
from pglast.parser import split as scanner_split

from auditlib.migrations.progress import Progress

# Markers by which migration runners let one file run outside a transaction: goose, dbmate, sqlx, golang-migrate's
# x-multi-statement users, Flyway's per-script config comment.
_NO_TRANSACTION = re.compile(r"^\s*--\s*(?:\+goose\s+NO\s+TRANSACTION|migrate:(?:up|down)\b[^\n]*transaction:false"
                             r"|no-transaction|flyway:executeInTransaction=false)", re.I | re.M)
_STATEMENT_TYPE = re.compile(r'\{"version":\d+,"stmts":\[\{"stmt":\{"(\w+)"')


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
    no_transaction: set[str] = field(default_factory=set)  # files marked to run outside a transaction
    invalid_utf8: dict[str, InvalidUtf8] = field(default_factory=dict)  # file -> its first invalid byte

    def parsed(self) -> Iterator[Statement]:
        return (s for s in self.statements if s.node_type is not None)


class LineIndex:
    """Line numbers of offsets in one text: its newline offsets, found once, then a binary search per lookup."""

    def __init__(self, text: str):
        self.newlines = array("q", (match.start() for match in re.finditer("\n", text)))

    def line_of(self, offset: int) -> int:
        """The 1-based line holding the character at ``offset`` (CRLF files count the same)."""
        return bisect_left(self.newlines, offset) + 1


class _LineCounter:
    """Line numbers of offsets asked for in increasing order: the newlines between one offset and the next are
    counted, so a whole file costs one pass and no index (an earlier offset is counted from the start)."""

    def __init__(self, text: str):
        self.text, self.offset, self.line = text, 0, 1

    def line_of(self, offset: int) -> int:
        """The 1-based line holding the character at ``offset``."""
        if offset < self.offset:
            return self.text.count("\n", 0, offset) + 1
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


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


def _meta_command_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line whose first non-blank character is a backslash. Only the backslashes of the text
    are visited, and at most one per line: a file without any costs one search."""
    position = text.find("\\")
    while position >= 0:
        line_start = text.rfind("\n", 0, position) + 1
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        if not text[line_start:position].strip():  # blank before the backslash (no newline: it starts the line)
            yield line_start, line_end
        # the first backslash of a line decides: a later one is not its first non-blank character
        position = text.find("\\", line_end)


def blank_meta_commands(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace psql meta-command lines (``\\i``, ``\\set`` …) by spaces, keeping offsets; return them with lines."""
    spans = list(_meta_command_spans(text))
    if not spans:
        return text, []
    found, pieces, previous, line = [], [], 0, 1
    for start, end in spans:
        line += text.count("\n", previous, start)
        found.append((line, text[start:end].strip()))
        pieces += [text[previous:start], " " * (end - start)]
        previous = end
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


Parsed = tuple[str | None, ParseError | None]  # a statement's node type, or its parse error


def _chunks(text: str, progress: Progress | None = None,
            name: str = "") -> Iterator[tuple[int, int, Parsed | None]]:
    """(start, end, parsed) of every chunk of ``text`` ending at a top-level semicolon; a chunk starts at its first
    token that is not a comment (a statement's line is that of its first keyword, not of the comments above it).

    ``parsed`` is the chunk's parse when it was already made: a piece of the scanner splitter that parses as one
    statement is one chunk (the parser saw every semicolon in it), so the costly token scan in Python is left for
    pieces holding more (unbalanced parentheses, BEGIN ATOMIC bodies). Chunks are produced as the text is read, so
    a big file's chunks are never all held at once."""
    pieces = _pieces(text)
    for piece_start, piece_end in pieces if pieces is not None else [(0, len(text))]:
        if progress:
            progress.update(f"reading {name}", piece_start // 1000, len(text) // 1000, "kB")
        if pieces is not None:
            code_start = _code_start(text, piece_start, piece_end)
            if code_start == piece_end:
                continue  # white space and comments only
            parsed, statements = _parse_counted(text[code_start:piece_end])
            if statements == 1 or text.count(";", piece_start, piece_end - 1) == 0:
                # one statement, or no semicolon but the one that ends the piece: one chunk, no token scan
                yield code_start, piece_end, parsed
                continue
        try:
            tokens = scan(text[piece_start:piece_end])
        except Exception:  # an unterminated quote: the rest of the file is one statement
            if text[piece_start:].strip():
                yield piece_start, len(text), None
            return
        code_start = None
        for token in tokens:
            if token.name in ("SQL_COMMENT", "C_COMMENT"):
                continue
            if code_start is None:
                code_start = piece_start + token.start
            if token.name == "ASCII_59":
                yield code_start, piece_start + token.end + 1, None
                code_start = None
        if code_start is not None:
            yield code_start, piece_end, None


def _parse_counted(text: str) -> tuple[Parsed, int]:
    """The node type of the first statement in ``text`` (or the parse error), and how many statements parsed (0 on
    an error). The JSON parser skips building Python nodes, the expensive part of parsing; the node is built later
    only when something inspects it. Only statements after the first carry a ``stmt_location`` (a statement that
    starts at 0 has none), and the key cannot appear unescaped inside a string of the JSON."""
    try:
        tree = parse_sql_json(text)
    except ParseError as error:
        return (None, error), 0
    match = _STATEMENT_TYPE.match(tree)
    if match is None:
        return (None, None), 0
    return (match.group(1), None), 1 + tree.count('"stmt_location":')


def _parse(text: str) -> Parsed:
    """The node type of the (first) statement in ``text``, or the parse error."""
    return _parse_counted(text)[0]


# A chunk that does not parse alone may parse with the next ones (BEGIN ATOMIC bodies): how many are tried.
_MERGE_AHEAD = 5


def split_parsed(text: str, progress: Progress | None = None,
                 name: str = "") -> Iterator[tuple[int, str, str | None, ParseError | None]]:
    """(start offset, statement text, node type, parse error) for each statement, split at top-level semicolons.

    The scanner knows quotes, dollar quotes and comments. Parentheses are not trusted (a broken statement must not
    swallow the next one); a chunk that only parses together with the next ones (BEGIN ATOMIC bodies) is merged.
    Each statement is parsed once (a chunk that fails to parse, again with each of the next few). The chunks are
    read as they come, a few ahead for the merge.
    """
    chunks = _chunks(text, progress, name)
    ahead: list[tuple[int, int, Parsed | None]] = []
    while True:
        while len(ahead) <= _MERGE_AHEAD:
            following = next(chunks, None)
            if following is None:
                break
            ahead.append(following)
        if not ahead:
            return
        start, end, parsed = ahead.pop(0)
        chunk = text[start:end]
        node_type, error = parsed if parsed is not None else _parse(chunk)
        if error is not None:
            for extra in range(len(ahead)):
                candidate = text[start:ahead[extra][1]]
                candidate_type, candidate_error = _parse(candidate)
                if candidate_error is None and "ATOMIC" in candidate.upper():
                    chunk, node_type, error = candidate, candidate_type, None
                    del ahead[:extra + 1]
                    break
        if chunk.strip(" \t\r\n;"):  # a chunk starts at code, so this only drops empty statements (";")
            yield start, chunk.strip(), node_type, error


def split_statements(text: str) -> list[tuple[int, str]]:
    """(start offset, statement text) for each statement, split at top-level semicolons (see split_parsed)."""
    return [(offset, chunk) for offset, chunk, _, _ in split_parsed(text)]


def load_folder(folder: str | Path, progress: Progress | None = None,
                on_statement: Callable[[Statement], None] | None = None) -> MigrationFolder:
    """Discover, read, split and parse every migration file.

    The statements come in apply order (files in order, each file's statements and meta-commands by line), each
    with its final ``index``; ``on_statement`` is given each one as soon as it is read (the apply pass can start
    on the first statements of a big file while the rest is read).
    """
    root, paths = discover(folder)
    progress = progress or Progress()
    statements: list[Statement] = []

    def add(statement: Statement) -> None:
        statements.append(statement)
        if on_statement is not None:
            on_statement(statement)

    decoding: dict[str, str] = {}
    invalid_utf8: dict[str, InvalidUtf8] = {}
    no_transaction: set[str] = set()
    files = []
    for path in paths:
        name = path.relative_to(root).as_posix()
        files.append(name)
        try:
            text, invalid = read_sql_file(path)
        except UnicodeDecodeError:
            add(Statement(name, 1, "", len(statements), parse_error="the file is not text (binary content)"))
            continue
        if invalid:
            decoding[name], invalid_utf8[name] = "latin-1", invalid
        if _NO_TRANSACTION.search(text, 0, 100_000):
            no_transaction.add(name)
        cleaned, meta = blank_meta_commands(text)
        del text
        meta_at = 0  # the meta-commands (in line order) go in among the statements, before those on their line
        lines = _LineCounter(cleaned)
        for offset, chunk, node_type, error in split_parsed(cleaned, progress, name):
            line = lines.line_of(offset)
            while meta_at < len(meta) and meta[meta_at][0] <= line:
                add(Statement(name, *meta[meta_at], len(statements), meta_command=True))
                meta_at += 1
            statement = Statement(name, line, chunk, len(statements), node_type=node_type)
            if error is not None:
                message, position = (error.args + (None,))[:2]
                statement.parse_error = str(message)
                statement.error_line = (line + cleaned.count("\n", offset, offset + position)
                                        if isinstance(position, int) else line)
            add(statement)
        for line, command in meta[meta_at:]:
            add(Statement(name, line, command, len(statements), meta_command=True))
    return MigrationFolder(root=root, files=files, statements=statements, decoding=decoding,
                           invalid_utf8=invalid_utf8, no_transaction=no_transaction)
