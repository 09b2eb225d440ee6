"""What users are shown at the edges: CSV cells a spreadsheet would run, a port where something other than
PostgreSQL answers, a run whose checks were partly skipped, and the kernel's start-up noise during a report."""

from __future__ import annotations

import csv
import io
import json

from tests.test_cli import run_cli

# -- CSV formula injection ------------------------------------------------------------------------------------------
# A schema and a table whose names a spreadsheet would run as formulas; pk_missing reports the table.
FORMULA_SCHEMA = '''
CREATE SCHEMA "=HYPERLINK(""http://example.invalid/"",""open me"")";
CREATE TABLE "=HYPERLINK(""http://example.invalid/"",""open me"")"."-1+2" (note text);
CREATE TABLE public."@SUM(1+1)" (id int PRIMARY KEY, "+cmd" int);
'''
HYPERLINK = '=HYPERLINK("http://example.invalid/","open me")'
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list of what a spreadsheet reads as a formula


def test_csv_export_neutralises_cells_that_start_like_formulas(make_db, tmp_path):
    dsn = make_db(FORMULA_SCHEMA).render_as_string(hide_password=False)
    common = ("audit", "--dsn", dsn, "--no-data", "--no-history", "--fail-on", "never")
    exported = run_cli(*common, "--format", "csv", "--output", str(tmp_path / "findings.csv"))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "findings.csv").read_text(encoding="utf-8"))))
    cells = [value for row in rows for value in row.values() if value]
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)], "a cell a spreadsheet would run as a formula"
    pk_missing = next(r for r in rows if r["check"] == "pk_missing" and r["table"] == "'-1+2")
    assert pk_missing["schema"] == "'" + HYPERLINK  # the text itself is kept, behind the quote
    assert pk_missing["object"] == f"'{HYPERLINK}.-1+2"
    assert isinstance(json.loads(pk_missing["evidence"]), dict)  # evidence is still JSON
    assert any(r["table"] == "'@SUM(1+1)" for r in rows)
    # JSON stays the raw names: it is read by programs, not spreadsheets
    document = run_cli(*common, "--format", "json")
    assert document.returncode == 0, document.stderr
    objects = {f["object"] for f in json.loads(document.stdout)["findings"]}
    assert f"{HYPERLINK}.-1+2" in objects


def test_csv_cells_starting_with_tab_or_carriage_return_are_neutralised():
    from auditlib.findings import Finding, findings_frame, to_csv

    finding = Finding(schema="public", table="t", column=None, title="\tlooks like a cell", detail="\r=1+1",
                      object="-1+2", check="pk_missing", category="structure", severity="high")
    row = next(csv.DictReader(io.StringIO(to_csv(findings_frame([finding])))))
    assert (row["title"], row["detail"], row["object"]) == ("'\tlooks like a cell", "'\r=1+1", "'-1+2")
    assert row["schema"] == "public"  # ordinary text is left alone
