"""The ``auditlib`` command as a user runs it: demo, catalog, audit (formats, exit codes, baseline), errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_HOME


def run_cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    environment = {**os.environ, "AUDITLIB_HOME": str(TEST_HOME),
                   "AUDITLIB_HISTORY": str(TEST_HOME / "history.db"), **(env or {})}
    for variable in ("AUDITLIB_DSN", "DATABASE_URL"):
        if not (env and variable in env):
            environment.pop(variable, None)
    return subprocess.run([sys.executable, "-m", "auditlib.cli", *args], capture_output=True, text=True,
                          env=environment, timeout=timeout)


def test_demo_url_and_catalog(demo_url):
    url = run_cli("demo", "url")
    assert url.returncode == 0, url.stderr
    assert url.stdout.strip().startswith("postgresql://postgres@/productionos?host=")
    summary = run_cli("catalog", "--demo")
    assert summary.returncode == 0, summary.stderr
    public = next(line for line in summary.stdout.splitlines() if line.strip().startswith("public"))
    assert int(public.split()[1]) >= 90
    snapshot = run_cli("catalog", "--dsn", url.stdout.strip(), "--format", "json")
    data = json.loads(snapshot.stdout)
    assert data["format"] == "auditlib-catalog"
    assert sum(1 for row in data["frames"]["relations"]["rows"] if row[0] == "public" and row[2] == "table") >= 90


def test_audit_json_document_and_exit_codes(demo_url, tmp_path):
    output = tmp_path / "audit.json"
    result = run_cli("audit", "--demo", "--format", "json", "--output", str(output), "--no-data")
    assert result.returncode == 1, result.stderr  # the demo has high findings; default --fail-on high
    document = json.loads(output.read_text())
    assert set(document) >= {"tool", "version", "generated_at", "source", "config", "summary", "findings", "skipped"}
    assert document["tool"] == "auditlib"
    assert document["summary"]["total"] == len(document["findings"]) > 0
    keys = [f["key"] for f in document["findings"]]
    assert len(keys) == len(set(keys))
    assert all(f["key"] == f"{f['check']}:{f['object']}" for f in document["findings"])
    assert "public" in document["schemas"] and "auth" not in document["schemas"]

    never = run_cli("audit", "--demo", "--format", "csv", "--fail-on", "never", "--no-data")
    assert never.returncode == 0
    assert never.stdout.splitlines()[0].startswith("check,severity,category")

    # a baseline of everything suppresses everything
    baseline = run_cli("audit", "--demo", "--baseline", str(output), "--format", "json", "--no-data")
    assert baseline.returncode == 0, baseline.stderr
    suppressed = json.loads(baseline.stdout)
    assert suppressed["findings"] == []
    assert {f["key"] for f in suppressed["suppressed"]} == set(keys)
    assert {f["status"] for f in suppressed["suppressed"]} == {"suppressed"}


def test_sarif_output(demo_url):
    result = run_cli("audit", "--demo", "--format", "sarif", "--fail-on", "never", "--no-data")
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert run["results"] and all(r["ruleId"] in rule_ids for r in run["results"])
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


@pytest.mark.parametrize(("args", "message"), [
    (("audit", "--dsn", "postgresql://someone:S3cr3t-Canary-9f2@127.0.0.1:1/nothing"), "Could not reach"),
    (("audit", "--dsn", "mysql://u:p@localhost/db"), "not a PostgreSQL URL"),
    (("audit", "--snapshot", "/nonexistent/snapshot.json"), "does not exist"),
    (("audit", "--demo", "--config", "/nonexistent/auditlib.toml"), "does not exist"),
])
def test_bad_input_gives_one_sentence_and_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "S3cr3t-Canary-9f2" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_unknown_config_key_and_baseline_check_are_errors(demo_url, tmp_path):
    config = tmp_path / "auditlib.toml"
    config.write_text("[tenancy]\ntenant_colum = 'org_id'\n")
    result = run_cli("audit", "--demo", "--config", str(config))
    assert result.returncode == 2 and "tenant_colum" in result.stderr
    baseline = tmp_path / "baseline.txt"
    baseline.write_text("no_such_check:public.x\n")
    result = run_cli("audit", "--demo", "--baseline", str(baseline))
    assert result.returncode == 2 and "no_such_check" in result.stderr


def test_missing_schema_is_an_error(demo_url):
    result = run_cli("audit", "--demo", "--schema", "no_such_schema", "--no-data")
    assert result.returncode == 2 and "no_such_schema" in result.stderr


# -- every failure that is not a finding: exit code 2, one line, before the audit's work ------------------------------
# These call main() in this process (fast) on a small catalog snapshot (small_snapshot: no server needed once it is
# saved). `audits` counts the audits that started, to show that a bad output or history fails before the work.


@pytest.fixture
def audits(monkeypatch) -> list:
    """The calls of run_audit made by the command (it is still run: this only counts)."""
    import auditlib.audit

    calls, real = [], auditlib.audit.run_audit

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(auditlib.audit, "run_audit", counting)
    return calls


def run_main(capsys, *args: str) -> tuple[int, str]:
    """main() in this process: its exit code and standard error, which must be one line when not empty."""
    from auditlib.cli import main

    code = main(list(args))
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) <= 1, err
    assert "Traceback" not in err
    return code, err


def partial_files(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*.partial")]


def test_output_that_is_a_folder_fails_before_the_audit(small_snapshot, audits, tmp_path, capsys):
    history = tmp_path / "history.db"
    code, err = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--format", "json", "--output",
                         str(tmp_path), "--history", str(history))
    assert code == 2 and "is a folder" in err and "--output" in err
    assert audits == [] and not history.exists()
    assert partial_files(tmp_path, tmp_path.parent) == []


def test_output_into_a_pipe_writes_through_it_and_leaves_it_a_pipe(small_snapshot, tmp_path, capsys):
    # Writing by renaming a finished file over the target replaced /dev/null with a regular file when run as root.
    import stat
    import threading

    pipe = tmp_path / "findings.pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")))
    reader.start()
    code, _ = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--format", "json", "--output", str(pipe),
                       "--fail-on", "never", "--no-history")
    reader.join(timeout=30)
    assert code == 0
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert json.loads(received[0])["findings"]
    assert partial_files(tmp_path) == []


def test_unwritable_output_fails_before_the_audit(small_snapshot, audits, tmp_path, make_read_only, capsys):
    folder = tmp_path / "read-only"
    folder.mkdir()
    make_read_only(folder)
    code, err = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--output", str(folder / "audit.json"),
                         "--no-history")
    assert code == 2 and "cannot be written" in err and str(folder / "audit.json") in err
    assert audits == [] and list(folder.iterdir()) == []
    code, err = run_main(capsys, "catalog", "--dsn", "postgresql://nobody@127.0.0.1:1/none", "--output",
                         str(folder / "sub" / "snapshot.json"))
    assert code == 2 and "cannot be written" in err  # the folder is not even created, nor the server asked


def test_read_only_project_folder_fails_before_the_audit(small_snapshot, audits, tmp_path, make_read_only, monkeypatch,
                                                         capsys):
    """The default history of a project checkout is reports/history.db: unwritable, it is named with the ways out."""
    project = tmp_path / "project"
    (project / "reports").mkdir(parents=True)
    make_read_only(project / "reports")
    make_read_only(project)
    monkeypatch.chdir(project)
    monkeypatch.delenv("AUDITLIB_HISTORY")
    output = tmp_path / "audit.json"
    code, err = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--output", str(output))
    assert code == 2 and "reports/history.db" in err
    assert all(way in err for way in ("--history", "AUDITLIB_HISTORY", "--no-history")), err
    assert audits == [] and not output.exists()
    code, _ = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--output", str(output), "--no-history",
                       "--fail-on", "medium")
    assert code == 1 and output.exists()  # 1 is for findings only


@pytest.mark.parametrize("content", [bytes(range(256)) * 8, b"not a database, just some text\n"],
                         ids=["random-bytes", "text"])
def test_garbage_history_fails_before_the_audit(small_snapshot, audits, tmp_path, capsys, content):
    history = tmp_path / "history.db"
    history.write_bytes(content)
    code, err = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--history", str(history))
    assert code == 2 and "not an auditlib history" in err and "--history" in err
    assert audits == [] and history.read_bytes() == content
    code, err = run_main(capsys, "diff", "--list", "--history", str(history))
    assert code == 2 and "not an auditlib history" in err


def test_report_checks_its_folder_history_and_baseline_before_the_kernel(small_snapshot, tmp_path, capsys):
    file = tmp_path / "file"
    file.write_text("x")
    code, err = run_main(capsys, "report", "--snapshot", str(small_snapshot), "--output-dir", str(file))
    assert code == 2 and "is a file" in err
    code, err = run_main(capsys, "report", "--snapshot", str(small_snapshot), "--output-dir", str(tmp_path / "out"),
                         "--history", str(file))
    assert code == 2 and "not an auditlib history" in err
    code, err = run_main(capsys, "report", "--snapshot", str(small_snapshot), "--output-dir", str(tmp_path / "out"),
                         "--baseline", str(small_snapshot), "--no-history")
    assert code == 2 and "catalog snapshot" in err
    assert list((tmp_path / "out").iterdir()) == []


def test_operating_system_errors_exit_2(small_snapshot, tmp_path, capsys):
    code, err = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--config", str(tmp_path), "--no-history")
    assert code == 2 and "is a folder" in err


def baseline_file(kind: str, tmp_path: Path, snapshot: Path) -> Path:
    """A file of another kind than a baseline, as users pass by mistake."""
    from auditlib.findings import findings_frame, to_sarif

    if kind == "snapshot":
        return snapshot
    if kind == "folder":
        return tmp_path
    path = tmp_path / f"baseline-{kind}"
    path.write_bytes({
        "findings-not-a-list": b'{"findings": 5}',
        "no-findings": b'{"version": "1"}',
        "sarif": json.dumps(to_sarif(findings_frame([]), {}, "0")).encode(),
        "not-utf8": b"\xff\xfe\x00garbage",
        "bad-json": b'{"findings": [',
        "list-of-numbers": b"[1, 2]",
        "csv": b"check,severity,category\nfk_missing,high,relationships\n",
        "not-a-key": b"fk_missing:public.tasks.project_id\nsome words\n",
    }[kind])
    return path


@pytest.mark.parametrize(("kind", "expected"), [
    ("findings-not-a-list", "not an `auditlib audit` document"),
    ("no-findings", "not an `auditlib audit` document"),
    ("sarif", "is a SARIF log"),
    ("snapshot", "is a catalog snapshot"),
    ("not-utf8", "not UTF-8"),
    ("bad-json", "not valid JSON"),
    ("list-of-numbers", "JSON list but not of finding keys"),
    ("csv", "is a CSV export"),
    ("not-a-key", "Line 2"),
    ("folder", "is a folder"),
])
def test_baseline_of_the_wrong_shape_is_refused(small_snapshot, tmp_path, capsys, kind, expected):
    baseline = baseline_file(kind, tmp_path, small_snapshot)
    code, err = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--baseline", str(baseline),
                         "--no-history")
    assert code == 2 and expected in err, err
    assert "auditlib audit --format json" in err  # and says what is expected


def test_baselines_in_the_accepted_forms(small_snapshot, tmp_path, capsys):
    from auditlib.audit import load_baseline

    first = tmp_path / "first.json"
    code, _ = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--format", "json", "--output", str(first),
                       "--no-history", "--fail-on", "medium")
    assert code == 1
    keys = {f["key"] for f in json.loads(first.read_text())["findings"]}
    assert "fk_missing:public.tasks.project_id" in keys
    assert load_baseline(first) == keys
    # A run's output is the next run's baseline: what it suppressed stays suppressed.
    second = tmp_path / "second.json"
    code, _ = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--format", "json", "--output", str(second),
                       "--baseline", str(first), "--no-history", "--fail-on", "info")
    assert code == 0 and json.loads(second.read_text())["findings"] == []
    assert load_baseline(second) == keys
    text = tmp_path / "keys.txt"
    text.write_text("\ufeff# accepted on 2026-01-01\n\nfk_missing:public.tasks.project_id\n", encoding="utf-8")
    assert load_baseline(text) == {"fk_missing:public.tasks.project_id"}
    listed = tmp_path / "keys.json"
    listed.write_text(json.dumps(sorted(keys)))
    assert load_baseline(listed) == keys


def test_unexpected_error_is_one_line_and_exit_2(tmp_path):
    """Python exits 1 on an uncaught exception, the code for findings: main() must turn every bug into exit 2."""
    script = ("import sys, auditlib.cli as cli\n"
              "def broken(args):\n    raise RuntimeError('boom\\nsecond line')\n"
              "cli.run_docs = broken\n"
              "sys.exit(cli.main(['docs', '--output', sys.argv[1]]))\n")
    command = [sys.executable, "-c", script, str(tmp_path / "checks.md")]
    environment = {k: v for k, v in os.environ.items() if k != "AUDITLIB_DEBUG"}
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["auditlib: internal error: RuntimeError: boom (rerun with "
                                                  "AUDITLIB_DEBUG=1 for the traceback)"]
    debug = subprocess.run(command, capture_output=True, text=True, env={**environment, "AUDITLIB_DEBUG": "1"},
                           timeout=120)
    assert debug.returncode == 2
    assert "Traceback" in debug.stderr and debug.stderr.strip().splitlines()[-1].startswith("auditlib: internal")


def test_a_snapshot_that_is_not_one_is_a_sentence(tmp_path, capsys):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("these are notes, not a catalog\n")
    wrong_shape = tmp_path / "list.json"
    wrong_shape.write_text("[1, 2, 3]")
    for path in (text_file, wrong_shape):
        code, error = run_main(capsys, "audit", "--snapshot", str(path), "--no-history")
        assert code == 2
        assert error.startswith("auditlib: The snapshot file") and "internal error" not in error
        assert "auditlib catalog" in error





def test_output_piped_into_a_reader_that_stops_early(small_snapshot, monkeypatch, capsys):
    class ClosedPipe:  # what standard output is once the reader (`| head`) has gone
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return devnull.fileno()

    with open(os.devnull, "w") as devnull:
        monkeypatch.setattr(sys, "stdout", ClosedPipe())
        code, _ = run_main(capsys, "audit", "--snapshot", str(small_snapshot), "--format", "json", "--no-history")
    assert code == 141  # as if stopped by SIGPIPE: not 1 (findings), and not a traceback


def test_the_console_script_runs_the_exit_handlers_and_keeps_the_exit_code(tmp_path):
    """``console`` leaves out the interpreter's teardown, not what an exit does: the exit handlers run, the output
    is written and flushed through a pipe, and the exit code is main's."""
    code = ("import atexit, sys; from auditlib import cli; "
            "atexit.register(lambda: print('exit handler ran', flush=True)); "
            "sys.argv = ['auditlib'] + sys.argv[1:]; cli.console()")
    written = subprocess.run([sys.executable, "-c", code, "docs", "--output", str(tmp_path / "checks.md")],
                             capture_output=True, text=True, timeout=300)
    assert written.returncode == 0, written.stderr[-2000:]
    assert written.stdout.splitlines()[-1] == "exit handler ran" and (tmp_path / "checks.md").stat().st_size > 1000
    refused = subprocess.run([sys.executable, "-c", code, "audit", "--snapshot", str(tmp_path / "missing.json")],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and refused.stdout.splitlines() == ["exit handler ran"]
    assert refused.stderr.startswith("auditlib: ") and "missing.json" in refused.stderr
