"""Large migration files: splitting, parsing and line mapping stay linear; a generator of realistic big files.

Run as a script to write generated files for profiling:
    python -m tests.test_migration_scale OUT_DIR 0.5 1 2 5     (sizes in MB, one folder per size)
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

from auditlib.migrations import Progress, apply_folder, file_inventory, load_folder, reading
from tests.conftest import write_files

_ROWS_PER_INSERT = 40


def _module(number: int, insert_statements: int, single_row_inserts: int) -> str:
    """One "feature" of a big migration: tables with foreign keys, an index, RLS, a PL/pgSQL trigger, seed data."""
    n = number
    parts = [
        f"-- Module {n}: organisations, projects and tasks; semicolons in comments are not statement ends\n",
        f"/* Block comment for module {n};\n   spans lines; CREATE TABLE nothing (id int); */\n",
        f"CREATE TABLE org_{n} (\n    id bigint PRIMARY KEY,\n    name text NOT NULL,\n"
        f"    created_at timestamptz NOT NULL DEFAULT now()\n);\n",
        f"CREATE TABLE project_{n} (\n    id bigint PRIMARY KEY,\n    org_id bigint NOT NULL REFERENCES org_{n}(id),\n"
        f"    title text NOT NULL DEFAULT 'untitled; draft',\n    note text\n);\n",
        f"CREATE TABLE task_{n} (id bigint PRIMARY KEY, project_id bigint, body text, done boolean DEFAULT false);\n",
        f"ALTER TABLE task_{n} ADD CONSTRAINT task_{n}_project_fk FOREIGN KEY (project_id) "
        f"REFERENCES project_{n}(id) ON DELETE CASCADE;\n",
        f"CREATE INDEX task_{n}_project_idx ON task_{n} (project_id);\n",
        f"ALTER TABLE project_{n} ENABLE ROW LEVEL SECURITY;\n",
        f"CREATE POLICY project_{n}_by_org ON project_{n} FOR SELECT\n"
        f"    USING (org_id = current_setting('app.org_id', true)::bigint);\n",
        f"CREATE OR REPLACE FUNCTION project_{n}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n    -- a comment inside the body; not a statement end\n"
        f"    NEW.note := coalesce(NEW.note, 'touched; by trigger');\n    RETURN NEW;\nEND;\n$$;\n",
        f"CREATE TRIGGER project_{n}_touch BEFORE UPDATE ON project_{n}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION project_{n}_touch();\n",
        f"COMMENT ON TABLE project_{n} IS 'Projects of module {n}; one organisation owns each';\n",
        f"INSERT INTO org_{n} (id, name) VALUES (1, 'Acme; Ltd'), (2, 'O''Brien & Sons');\n",
    ]
    row = 0
    for _ in range(insert_statements):
        values = ",\n".join(f"    ({row + k}, {1 + (row + k) % 2}, 'Project {row + k}; phase {k % 3}', "
                            f"$q${'note ' + str(k)}; with $dollar$ text$q$)"
                            for k in range(_ROWS_PER_INSERT))
        parts.append(f"INSERT INTO project_{n} (id, org_id, title, note) VALUES\n{values};\n")
        row += _ROWS_PER_INSERT
    for task in range(single_row_inserts):  # pg_dump --inserts style: one statement per row
        body = f"step {task}; then the next" if task % 4 == 0 else f"step {task} of the plan"
        parts.append(f"INSERT INTO task_{n} (id, project_id, body) VALUES ({task}, {task % row if row else 'NULL'}, "
                     f"'{body}');\n")
    return "".join(parts) + "\n"


def big_migration(target_bytes: int, inserts_per_module: int = 4, single_row_inserts: int = 60,
                  line_ending: str = "\n") -> str:
    """A realistic migration file of about ``target_bytes``: modules of DDL, PL/pgSQL and seed data, in order."""
    parts, size, number = [], 0, 0
    while size < target_bytes:
        module = _module(number, inserts_per_module, single_row_inserts)
        parts.append(module)
        size += len(module)
        number += 1
    text = "".join(parts)
    return text.replace("\n", line_ending) if line_ending != "\n" else text


def write_sizes(out: Path, sizes_mb: list[float]) -> list[Path]:
    """One folder per size under ``out``, each with a single big migration file."""
    folders = []
    for size in sizes_mb:
        folder = out / f"{size:g}mb"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "20231001_big.sql").write_text(big_migration(int(size * 1_000_000)), encoding="utf-8")
        folders.append(folder)
    return folders


def test_statement_lines_with_comments_dollar_quotes_and_crlf(tmp_path):
    text = ("-- header; not a statement\n"                          # 1
            "/* block;\n   comment */\n"                             # 2-3
            "CREATE TABLE a (id int PRIMARY KEY, note text DEFAULT 'x; y');\n"  # 4
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n"      # 5
            "BEGIN\n  -- inside; the body\n  RETURN NEW;\nEND;\n$$;\n"         # 6-10
            "\n"                                                     # 11
            "  INSERT INTO a VALUES (1, $q$a;\nb$q$),\n"                # 12-13
            "    (2, 'c');   CREATE INDEX ON a (note);\n"              # 14
            "SELECT (1;\n"                                            # 15: does not parse, and must not
            "COMMENT ON TABLE a IS 'done';\n")                          # 16  swallow this one
    write_files(tmp_path, {"001.sql": text.replace("\n", "\r\n").encode()})
    folder = load_folder(tmp_path)
    assert [(s.line, s.kind) for s in folder.statements] == [
        (4, "CreateStmt"), (5, "CreateFunctionStmt"), (12, "InsertStmt"), (14, "IndexStmt"), (15, "unparsed"),
        (16, "CommentStmt")]
    assert folder.statements[4].error_line == 15


def test_line_numbers_and_parsing_of_a_big_file_take_one_pass(tmp_path, monkeypatch):
    """Linear work, counted instead of timed: each character is scanned at most once, each statement parsed once,
    and Python nodes are built only for the statements the static pass inspects (DDL, not data)."""
    text = big_migration(1_000_000, line_ending="\r\n")
    write_files(tmp_path, {"20231001_big.sql": text.encode()})
    scanned, parsed, built = [0], [0], [0]

    def counting(counter, function, size=False):
        def wrapper(arg, *args, **kwargs):
            counter[0] += len(arg) if size else 1
            return function(arg, *args, **kwargs)
        return wrapper
    monkeypatch.setattr(reading, "scan", counting(scanned, reading.scan, size=True))
    monkeypatch.setattr(reading, "parse_sql_json", counting(parsed, reading.parse_sql_json))
    monkeypatch.setattr(reading.pglast, "parse_sql", counting(built, reading.pglast.parse_sql))
    folder = load_folder(tmp_path)
    inventory = file_inventory(folder)

    assert scanned[0] <= len(text)
    assert parsed[0] == len(folder.statements)
    inspected = sum(1 for s in folder.statements if s.kind in ("CreateStmt", "AlterTableStmt", "IndexStmt",
                                                               "CreatePolicyStmt", "CreateFunctionStmt",
                                                               "CreateTrigStmt"))
    assert built[0] == inspected < len(folder.statements) / 5
    assert inventory["statements"].tolist() == [len(folder.statements)]
    # every statement's line, against a plain count of the newlines before it
    position, line = 0, 1
    for statement in folder.statements:
        start = text.index(statement.text, position)
        line += text.count("\n", position, start)
        assert statement.line == line
        line += statement.text.count("\n")
        position = start + len(statement.text)


@pytest.mark.slow
def test_a_5_mb_file_is_read_in_seconds(tmp_path):
    write_files(tmp_path, {"20231001_big.sql": big_migration(5_000_000).encode()})
    started = time.perf_counter()
    folder = load_folder(tmp_path)
    file_inventory(folder)
    assert time.perf_counter() - started < 30  # about 5 s on a busy 2-core machine; quadratic took minutes
    assert len(folder.statements) > 20_000


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "expected_at"), [(Terminal(), [5, 7, 9]), (io.StringIO(), [30, 60])])
def test_progress_waits_then_prints_every_few_seconds(stream, expected_at):
    now = [0.0]
    progress = Progress(stream, clock=lambda: now[0])
    printed_at = []
    for second in range(0, 61):
        now[0] = float(second)
        before = stream.getvalue()
        progress.update("applying 20231001_big.sql", second * 1000, 480_000)
        if stream.getvalue() != before:
            printed_at.append(second)
    assert printed_at[:len(expected_at)] == expected_at
    assert stream.getvalue().splitlines()[0] == f"auditlib: applying 20231001_big.sql: {expected_at[0] * 1000:,} of " \
                                                "480,000 statements"


def test_apply_in_batches_keeps_each_statement_as_if_alone(make_db, tmp_path):
    """Batches must not change outcomes: a failure in a batch is attributed to its own statement, and what only
    works inside a transaction (LOCK, a deferred foreign key fixed by a later statement) fails as it does alone."""
    sql = ["CREATE TABLE parent (id int PRIMARY KEY);",
           "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);"]
    sql += [f"INSERT INTO parent VALUES ({n});" for n in range(1, 40)]
    sql += ["INSERT INTO child VALUES (1, 100);",               # deferred FK: fails at the end of its statement ...
            "INSERT INTO parent VALUES (100);",                 # ... though this would fix it in one transaction
            "LOCK TABLE parent;",                               # only valid inside a transaction block
            "INSERT INTO parent VALUES (7);"]                   # duplicate key, in the middle of a batch
    sql += [f"INSERT INTO child VALUES ({n}, {n});" for n in range(2, 40)]
    write_files(tmp_path, {"001.sql": "\n".join(sql)})
    folder = load_folder(tmp_path)
    url = make_db()
    results = apply_folder(folder, url, stub="")
    failed = [(r.statement.line, r.sqlstate) for r in results if not r.ok]
    assert failed == [(42, "23503"), (44, "25P01"), (45, "23505")]
    assert len(results) == len(sql)
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = conn.execute(sa.text("SELECT (SELECT count(*) FROM parent), (SELECT count(*) FROM child)")).one()
    engine.dispose()
    assert tuple(counts) == (40, 38)


if __name__ == "__main__":
    for written in write_sizes(Path(sys.argv[1]), [float(s) for s in sys.argv[2:]]):
        print(written)
