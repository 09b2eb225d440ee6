"""Auditing a folder of SQL migration files: a static pass (pglast) and an apply pass (a scratch database).

Static pass: every ``*.sql`` file, in the order migration tools apply them (lexical by path; in folders holding an
``up.sql`` only that file), is split into statements with their line numbers — psql meta-commands are reported and
blanked, a statement that does not parse is reported and the rest still audited — and turned into an inventory of
what each file creates, alters and drops.

Apply pass: the statements run in order, each on its own (autocommit, as psql runs a file without ON_ERROR_STOP),
in a scratch database on the embedded server after a platform stub. Failures are recorded with their SQLSTATE and
whether an earlier failure caused them. The resulting database gets the full schema audit, and each finding is
traced back to the file and line that created its object.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.parser import ParseError, scan
from pglast.stream import RawStream

from auditlib.findings import Finding

PLATFORM_REFERENCES = {("public", "users"): ("auth", "users")}  # a bare `users` where the platform has auth.users
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION", "END", "ABORT")
_MISSING_OBJECT = re.compile(r'(?:relation|table|function|type|schema|view|sequence) "?([^"\s(]+)"?(?:\(.*?\))? '
                             r'does not exist')

class MigrationsError(ValueError):
    """The migrations folder cannot be audited; one sentence for the user."""


@dataclass
class Statement:
    """One SQL statement of a migration file."""

    file: str
    line: int
    text: str
    index: int
    node: Any = None              # the pglast statement node, None when it did not parse
    parse_error: str | None = None
    error_line: int | None = None
    meta_command: bool = False

    @property
    def kind(self) -> str:
        if self.meta_command:
            return "psql meta-command"
        return type(self.node).__name__ if self.node is not None else "unparsed"


@dataclass
class MigrationFolder:
    """The parsed folder: files in apply order and their statements."""

    root: Path
    files: list[str]
    statements: list[Statement]
    decoding: dict[str, str] = field(default_factory=dict)  # file -> encoding used when not UTF-8

    def parsed(self) -> Iterator[Statement]:
        return (s for s in self.statements if s.node is not None)


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


def read_sql_file(path: Path) -> tuple[str, str | None]:
    """A file's text; a file that is not UTF-8 is read as Latin-1 and that is reported. Binary files raise."""
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise UnicodeDecodeError("binary", data[:1], 0, 1, "the file holds NUL bytes: not a text file")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def blank_meta_commands(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace psql meta-command lines (``\\i``, ``\\set`` …) by spaces, keeping offsets; return them with lines."""
    found, lines = [], text.split("\n")
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("\\"):
            found.append((number, line.strip()))
            lines[number - 1] = " " * len(line)
    return "\n".join(lines), found


def split_statements(text: str) -> list[tuple[int, str]]:
    """(start offset, statement text) for each statement, split at top-level semicolons.

    The scanner knows quotes, dollar quotes and comments. Parentheses are not trusted (a broken statement must not
    swallow the next one); a chunk that only parses together with the next ones (BEGIN ATOMIC bodies) is merged.
    """
    try:
        tokens = scan(text)
    except Exception:  # an unterminated quote: the rest of the file is one statement
        return [(0, text)] if text.strip() else []
    chunks, code_start = [], None
    for token in tokens:
        if token.name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        if code_start is None:
            code_start = token.start  # a statement's line is that of its first keyword, not of comments above it
        if token.name == "ASCII_59":
            chunks.append((code_start, text[code_start:token.end + 1]))
            code_start = None
    if code_start is not None:
        chunks.append((code_start, text[code_start:]))
    merged: list[tuple[int, str]] = []
    index = 0
    while index < len(chunks):
        offset, chunk = chunks[index]
        if not _parses(chunk):
            for extra in range(1, 6):
                if index + extra >= len(chunks):
                    break
                candidate = "".join(c for _, c in chunks[index:index + extra + 1])
                if _parses(candidate) and "ATOMIC" in candidate.upper():
                    chunk, index = candidate, index + extra
                    break
        merged.append((offset, chunk))
        index += 1
    return [(offset, chunk.strip()) for offset, chunk in merged if _has_code(chunk)]


def _parses(text: str) -> bool:
    try:
        pglast.parse_sql(text)
        return True
    except ParseError:
        return False


def _has_code(chunk: str) -> bool:
    stripped = re.sub(r"--[^\n]*", "", chunk)
    stripped = re.sub(r"/\*.*?\*/", "", stripped, flags=re.S)
    return bool(stripped.strip(" \t\r\n;"))


def load_folder(folder: str | Path) -> MigrationFolder:
    """Discover, read, split and parse every migration file."""
    root, paths = discover(folder)
    statements: list[Statement] = []
    decoding: dict[str, str] = {}
    files = []
    for path in paths:
        name = path.relative_to(root).as_posix()
        files.append(name)
        try:
            text, encoding = read_sql_file(path)
        except UnicodeDecodeError:
            statements.append(Statement(name, 1, "", len(statements), parse_error="the file is not text (binary "
                                                                                  "content)"))
            continue
        if encoding:
            decoding[name] = encoding
        cleaned, meta = blank_meta_commands(text)
        for line, command in meta:
            statements.append(Statement(name, line, command, len(statements), meta_command=True))
        for offset, chunk in split_statements(cleaned):
            line = cleaned.count("\n", 0, offset) + 1
            statement = Statement(name, line, chunk, len(statements))
            try:
                parsed = pglast.parse_sql(chunk)
                statement.node = parsed[0].stmt if parsed else None
            except ParseError as error:
                message, position = (error.args + (None,))[:2]
                statement.parse_error = str(message)
                statement.error_line = line + chunk.count("\n", 0, position) if isinstance(position, int) else line
            statements.append(statement)
    statements.sort(key=lambda s: (files.index(s.file), s.line, s.index))
    for index, statement in enumerate(statements):
        statement.index = index
    return MigrationFolder(root=root, files=files, statements=statements, decoding=decoding)


# -- what statements do ---------------------------------------------------------------------------------------------
def _name(range_var) -> tuple[str, str]:
    return (range_var.schemaname or "public", range_var.relname)


def _type_text(type_name) -> str:
    return RawStream()(type_name) if type_name is not None else ""


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
    node = statement.node
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
    for name in folder.files:
        statements = [s for s in folder.statements if s.file == name]
        bucket: dict[str, list[str]] = {k: [] for k in ("tables_created", "tables_altered", "tables_dropped",
                                                         "policies", "functions", "triggers", "views", "indexes")}
        for statement in statements:
            if statement.node is None:
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
    return isinstance(statement.node, ast.TransactionStmt)


@dataclass
class AppliedStatement:
    statement: Statement
    ok: bool
    sqlstate: str | None = None
    message: str | None = None
    caused_by: int | None = None  # index of the earlier failed statement this failure follows from


def apply_folder(folder: MigrationFolder, url, stub: str) -> list[AppliedStatement]:
    """Run every parsed statement in order on the scratch database, each on its own, continuing past errors."""
    import psycopg

    from auditlib.connect import to_url

    target = to_url(url)
    conninfo = {"dbname": target.database, "user": target.username, "host": target.query.get("host") or target.host}
    results: list[AppliedStatement] = []
    failed_objects: dict[str, int] = {}
    failed_columns: dict[tuple[str, str], dict[str, int]] = {}
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True,
                         application_name="auditlib-migrations") as conn:
        if stub:
            conn.execute(stub)
        for statement in folder.statements:
            if statement.node is None or _transaction_control(statement):
                continue  # unparsed and meta-commands are reported by the static pass; BEGIN/COMMIT are moot here
            try:
                conn.execute(statement.text, prepare=False)
                results.append(AppliedStatement(statement, ok=True))
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
    return results


def _tables_touched(statement: Statement) -> list[tuple[str, str]]:
    effects = statement_effects(statement)
    return [target[:2] for _, target in effects["altered"] + effects["created"]]


def _columns_altered(statement: Statement) -> list[tuple[tuple[str, str], str]]:
    """(table, column) pairs an ALTER TABLE changes (type, default, nullability, rename)."""
    node = statement.node
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
        node = result.statement.node
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
