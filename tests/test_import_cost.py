"""What an audit without data checks imports: psycopg and pandas, not SQLAlchemy, and nothing of the report.

Each run is a fresh process (``sys.modules`` of the test session has everything in it already), driven through
``auditlib.cli.main`` exactly as the console script is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from auditlib import embedded
from tests.conftest import TEST_HOME

# Libraries only data checks, reports, diagrams, charts, fix plans or the history need.
NOT_IMPORTED = ("sqlalchemy", "plotly", "nbformat", "nbconvert", "papermill", "graphviz", "jinja2",
                "auditlib.report", "auditlib.charts", "auditlib.diagrams", "auditlib.fixes", "auditlib.history",
                "auditlib.drift", "auditlib.bench", "tomllib")

PROBE = """
import gc, json, sys
from auditlib.cli import main
code = main(sys.argv[2:])
print(json.dumps({"exit": code, "modules": sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules),
                  "frozen": gc.get_freeze_count(), "collecting": gc.isenabled()}))
"""


def run_in_fresh_process(*args: str) -> dict:
    """Run ``auditlib ARGS`` in a new Python process: its exit code, which of NOT_IMPORTED it imported, how many
    objects it froze out of the garbage collector's reach, and whether the collector runs again after."""
    environment = {**os.environ, "AUDITLIB_HOME": str(TEST_HOME)}
    for variable in ("AUDITLIB_DSN", "DATABASE_URL"):
        environment.pop(variable, None)
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(NOT_IMPORTED), *args], capture_output=True,
                          text=True, env=environment, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("source", ["demo", "dsn"])
def test_an_audit_without_data_checks_imports_neither_sqlalchemy_nor_the_report(source, embedded_server, demo_url,
                                                                                 tmp_path):
    output = tmp_path / "audit.json"
    where = ["--demo"] if source == "demo" else ["--dsn", embedded_server.conninfo(embedded.DEMO_DATABASE)]
    run = run_in_fresh_process("audit", *where, "--no-data", "--no-history", "--format", "json", "--output",
                               str(output))
    assert run["exit"] == 1  # the demo has high findings
    assert run["modules"] == []
    assert run["frozen"] > 100_000 and run["collecting"]  # what the imports made is never walked again
    document = json.loads(output.read_text())
    assert document["findings"] and document["source"]["database"] == embedded.DEMO_DATABASE


def test_the_full_audit_still_imports_sqlalchemy_for_its_data_checks(embedded_server, demo_url, tmp_path):
    # the check of the test above: the probe does see SQLAlchemy when the run uses it
    run = run_in_fresh_process("audit", "--demo", "--no-history", "--format", "json", "--output",
                               str(tmp_path / "audit.json"))
    assert run["exit"] == 1 and "sqlalchemy" in run["modules"]


def test_importing_the_audit_and_its_checks_imports_no_sqlalchemy():
    code = ("import sys, auditlib.audit, auditlib.cli, auditlib.sources, auditlib.embedded, auditlib.demo; "
            "from auditlib.checks import load_checks; load_checks(); "
            f"print(sorted(m for m in {NOT_IMPORTED!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
