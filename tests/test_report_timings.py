"""Where a report's time goes, and the shortcuts that keep its content: the audit handed to the kernel, the export
without nbconvert's BeautifulSoup pass, papermill and nbconvert imported without jsonschema's IRI grammars.

No timing thresholds here: ``make bench`` holds the figures (``auditlib.bench.report_timing_figures``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from auditlib.report import ReportTimings, export_html, load_audit, notebook_path, save_audit
from tests.test_cli import run_cli

TIMING_LINE = re.compile(r"^ {2}(start-up|audit|kernel start|notebook execution|export|total) +(-?[0-9.]+)$", re.M)


def normalized_page(path) -> str:
    """A report page as a browser reads it (parsed and re-serialised), without what differs between two runs:
    times, plotly's random div ids, papermill's random id of the injected-parameters cell."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").decode()
    page = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00)?", "TIME", page)
    page = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", page)
    return re.sub(r'id="cell-id=[0-9a-f-]+"', 'id="cell-id"', page)


@pytest.fixture(scope="module")
def timed_report(small_snapshot, tmp_path_factory):
    output = tmp_path_factory.mktemp("timed")
    result = run_cli("report", "--snapshot", str(small_snapshot), "--no-history", "--timings",
                     "--output-dir", str(output), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return output, result.stderr


def test_the_report_says_where_its_time_went(timed_report):
    _, stderr = timed_report
    figures = {name: float(seconds) for name, seconds in TIMING_LINE.findall(stderr)}
    assert list(figures) == [*ReportTimings.PHASES, "total"], stderr[-2000:]
    assert all(figures[name] > 0 for name in ("audit", "notebook execution", "export", "total"))
    # start-up rounds to zero from a snapshot without history (the audit starts before papermill is imported);
    # kernel start is zero when the kernel was ready before the audit was done
    assert figures["start-up"] >= 0 and figures["kernel start"] >= 0
    assert sum(figures[name] for name in ReportTimings.PHASES) == pytest.approx(figures["total"], abs=0.05)
    assert "the kernel was ready" in stderr and "audit ran in the kernel" not in stderr


def test_the_kernel_shows_the_audit_it_was_handed(timed_report, tmp_path):
    """The page of a report whose kernel read the parent's audit is the page the notebook makes when papermill runs
    it alone (the notebook audits by itself)."""
    import papermill

    output, _ = timed_report
    handed = json.loads(next(output.glob("relationship_audit-*.ipynb")).read_text(encoding="utf-8"))
    parameters = dict(handed["metadata"]["papermill"]["parameters"])
    assert parameters.pop("audit_file").endswith("audit.pickle")
    alone = tmp_path / "alone.ipynb"
    papermill.execute_notebook(str(notebook_path("relationship_audit")), str(alone), parameters=parameters,
                               kernel_name="python3", cwd=str(output), progress_bar=False)
    export_html(alone, tmp_path / "alone.html")
    assert normalized_page(tmp_path / "alone.html") == normalized_page(output / "latest.html")


def test_the_export_adds_what_nbconverts_soup_pass_adds(timed_report, tmp_path):
    """The report's exporter skips HTMLExporter's BeautifulSoup pass; the page is the one nbconvert makes."""
    import nbformat
    from nbconvert import HTMLExporter

    from auditlib.report import template_dir

    output, _ = timed_report
    executed = next(output.glob("relationship_audit-*.ipynb"))
    notebook = nbformat.read(str(executed), as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "display_data", {"text/html": '<img src="data:image/png;base64,AA=="><img src="x.png" alt="kept"/>'})]))
    nbformat.write(notebook, str(tmp_path / "with-images.ipynb"))
    stock, _ = HTMLExporter(template_name="auditlib_report", extra_template_basedirs=[str(template_dir())],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True).from_notebook_node(notebook)
    (tmp_path / "stock.html").write_text(stock, encoding="utf-8")
    export_html(tmp_path / "with-images.ipynb", tmp_path / "ours.html")
    ours = (tmp_path / "ours.html").read_text(encoding="utf-8")
    assert ours.count('tabindex="0"') == stock.count('tabindex="0"') > 0
    assert 'alt="No description has been provided for this image"' in ours and 'alt="kept"' in ours
    # the same page apart from the table of contents export_html fills in and JupyterLab's unused style rules
    from auditlib.report import add_table_of_contents
    from auditlib.report.pipeline import prune_stylesheets

    (tmp_path / "stock.html").write_text(prune_stylesheets(add_table_of_contents(stock)), encoding="utf-8")
    assert normalized_page(tmp_path / "ours.html") == normalized_page(tmp_path / "stock.html")


def test_an_audit_survives_the_trip_to_the_kernel(small_snapshot, tmp_path):
    import pandas as pd

    from auditlib.audit import run_audit

    result = run_audit(small_snapshot)
    assert result.analysis is not None and result.analysis.references  # built, with its lock
    loaded = load_audit(save_audit(result, tmp_path / "audit.pickle"))
    pd.testing.assert_frame_equal(loaded.findings, result.findings)
    assert loaded.analysis.references == result.analysis.references
    assert loaded.analysis.once("new part", lambda: 42) == 42  # the lock came back
    assert load_audit(tmp_path / "gone.pickle") is None

    import pickle

    (tmp_path / "old.pickle").write_bytes(pickle.dumps({"auditlib": "0.0.1", "result": result}))
    assert load_audit(tmp_path / "old.pickle") is None


def test_timings_add_up_whichever_finishes_first():
    timings = ReportTimings()
    start = timings.started
    for event, at in (("launched", 1), ("kernel ready", 1.5), ("audited", 3), ("executed", 5), ("exported", 6)):
        timings.mark(event, start + at)
    assert timings.phases == pytest.approx({"start-up": 1, "audit": 2, "kernel start": 0,
                                            "notebook execution": 2, "export": 1})
    slow_kernel = ReportTimings()
    start = slow_kernel.started
    for event, at in (("launched", 1), ("audited", 2), ("kernel ready", 3.5), ("executed", 5), ("exported", 6)):
        slow_kernel.mark(event, start + at)
    assert slow_kernel.phases == pytest.approx({"start-up": 1, "audit": 1, "kernel start": 1.5,
                                                "notebook execution": 1.5, "export": 1})
    assert slow_kernel.total == pytest.approx(6) and slow_kernel.kernel_ready_s == pytest.approx(2.5)


def test_notebook_tools_load_without_the_iri_grammars():
    pytest.importorskip("rfc3987_syntax")  # installed with jupyterlab (jsonschema[format-nongpl])
    code = ("import sys; from auditlib.report import import_notebook_tools; import_notebook_tools(); "
            "print('rfc3987_syntax' in sys.modules); import rfc3987_syntax; print('rfc3987_syntax' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "True"]


@pytest.mark.slow
def test_bench_reports_the_demo_per_phase(embedded_server, demo_url):
    from auditlib import bench

    figures = bench.figure_reports(bench.BenchRun(srv=embedded_server, sizes=[30], repeat=1), size=30)
    phases = ["process", "start_up", "audit", "kernel_start", "notebook_execution", "export"]
    assert set(figures) == {"report_demo_s", *(f"report_demo_{p}_s" for p in phases), "report_30_s",
                            "report_30_audit_s", "report_30_notebook_execution_s"}
    assert figures["report_demo_s"] > 0 and figures["report_30_s"] > 0
    assert sum(figures[f"report_demo_{p}_s"] for p in phases) == pytest.approx(figures["report_demo_s"], abs=0.1)


@pytest.mark.parametrize("name", ["relationship_audit", "migration_audit", "table_explorer", "schema_drift"])
def test_notebook_defaults_are_the_ones_papermill_reads(name):
    import ast

    import papermill

    from auditlib.report.pipeline import notebook_defaults

    path = notebook_path(name)
    expected = {}
    for parameter, spec in papermill.inspect_notebook(str(path)).items():
        try:
            expected[parameter] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            continue
    assert notebook_defaults(path) == expected and expected


def test_the_report_kernel_starts_in_its_folder_and_stops_with_what_it_started(tmp_path):
    """``start_kernel`` launches the kernel papermill then uses (in the report folder, IPython's history kept in
    memory); ``stop_kernel`` ends it at once together with a process it started (a layout still running)."""
    import os
    import time

    from jupyter_client import BlockingKernelClient

    from auditlib.report.pipeline import start_kernel, stop_kernel

    manager = start_kernel(tmp_path)
    client = BlockingKernelClient()
    client.load_connection_info(manager.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        said = []
        client.execute_interactive(
            "import os, subprocess; from IPython import get_ipython; "
            "child = subprocess.Popen(['sleep', '300']); "
            "print(os.getpid(), child.pid, os.getcwd(), get_ipython().history_manager.hist_file)",
            timeout=120, output_hook=lambda message: said.append(message["content"].get("text", "")))
    finally:
        client.stop_channels()
    kernel_pid, child_pid, folder, history = "".join(said).split()
    assert (folder, history) == (str(tmp_path), ":memory:")
    stop_kernel(manager)
    deadline = time.monotonic() + 10
    alive = {int(kernel_pid), int(child_pid)}
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            try:
                os.waitpid(pid, os.WNOHANG)  # reaps the kernel, our child; the layout's is the kernel's
            except ChildProcessError:
                pass
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                alive.discard(pid)
        time.sleep(0.05)
    assert not alive and not manager.has_kernel
