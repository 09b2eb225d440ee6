"""`auditlib audit` records its runs (status in the JSON), `auditlib diff` compares runs and migration folders."""

from __future__ import annotations

import json
from importlib import resources

from tests.test_cli import run_cli


def test_cli_records_runs_and_diffs(demo_url, tmp_path):
    history, output = tmp_path / "history.db", tmp_path / "audit.json"
    for _ in range(2):
        result = run_cli("audit", "--demo", "--no-data", "--format", "json", "--fail-on", "never",
                         "--history", str(history), "--output", str(output))
        assert result.returncode == 0, result.stderr
    findings = json.loads(output.read_text())["findings"]
    assert {f["status"] for f in findings} == {"open"} and all(f["first_seen"] for f in findings)
    listed = run_cli("diff", "--list", "--history", str(history))
    assert listed.returncode == 0 and "demo:productionos" in listed.stdout
    same = run_cli("diff", "--history", str(history))
    assert same.returncode == 0 and "no schema changes" in same.stdout, same.stdout + same.stderr
    folder = str(resources.files("auditlib") / "demo" / "sql")
    built = run_cli("diff", "--migrations", folder, "--demo")
    assert built.returncode == 0 and "no schema changes" in built.stdout, built.stdout + built.stderr
    skipped = run_cli("audit", "--demo", "--no-data", "--fail-on", "never", "--no-history",
                      "--history", str(tmp_path / "unused.db"))
    assert skipped.returncode == 0 and not (tmp_path / "unused.db").exists()
    missing = run_cli("diff", "--history", str(tmp_path / "nothing.db"))
    assert missing.returncode == 2 and "no audit history" in missing.stderr
