"""The analyst workbench: the findings browser and the table explorer, as functions and in a real JupyterLab.

The JupyterLab tests start ``jupyter lab`` on a free port with a token and a root folder holding copies of the
notebooks (their parameters pointed at the test server's demo database), open it in Debian's headless Chromium and
run the notebooks as an analyst would: live outputs are trusted, a notebook saved with outputs (as papermill leaves
it) is not, and both must keep the report's look.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from auditlib.audit import run_audit
from auditlib.findings import SEVERITIES
from auditlib.report import TableExplorer, notebook_path
from auditlib.report.html import svg_html
from auditlib.report.look import styled
from auditlib.workbench import (
    ALL,
    browser_frame,
    filter_findings,
    filter_options,
    finding_html,
    findings_browser,
    findings_table_html,
)
from tests.browser import CHROMIUM_FLAGS, chromium_path

DSN_VARIABLE = "AUDITLIB_WORKBENCH_TEST_DSN"


@pytest.fixture(scope="module")
def demo_result(demo_url):
    """The demo audited as the CLI does: data-level checks included."""
    return run_audit(demo_url, data=True)


# -- Python level ------------------------------------------------------------------------------------------------------
def test_filters_keep_only_matching_findings(demo_result):
    frame = browser_frame(demo_result.findings)
    critical = filter_findings(frame, severity="critical")
    assert 0 < len(critical) < len(frame)
    assert set(critical["severity"]) == {"critical"}
    both = filter_findings(frame, severity="critical", table="public.invoices")
    assert list(both["check"]) == ["rls_leak"]
    assert len(filter_findings(frame, severity=ALL)) == len(frame)
    with pytest.raises(ValueError, match="There is no filter colour"):
        filter_findings(frame, colour="red")


def test_filter_options_count_each_value_and_keep_severity_order(demo_result):
    frame = browser_frame(demo_result.findings)
    options = filter_options(frame, "severity")
    assert options[0] == (f"every severity ({len(frame)})", ALL)
    assert [value for _, value in options[1:]] == [s for s in SEVERITIES if s in set(frame["severity"])]
    label = dict((value, label) for label, value in options)["critical"]
    assert label == f"critical ({(frame['severity'] == 'critical').sum()})"


def test_fixed_findings_of_the_previous_run_are_listed_with_their_status(demo_result):
    fixed = demo_result.findings.head(2).assign(key=lambda f: f["key"] + "-gone")
    frame = browser_frame(demo_result.findings, fixed)
    assert len(frame) == len(demo_result.findings) + 2
    assert list(filter_findings(frame, status="fixed")["key"]) == sorted(fixed["key"], key=list(frame["key"]).index)
    assert set(filter_findings(frame, status="open")["key"]) == set(demo_result.findings["key"])


def test_statuses_come_from_the_history_which_is_only_read(demo_result, tmp_path):
    import copy

    from auditlib.history import open_history
    from auditlib.workbench import statuses_from_history

    def run_with(findings: pd.DataFrame):
        result = copy.copy(demo_result)
        result.findings, result.extras = findings.copy(), dict(demo_result.extras)
        return result

    path = tmp_path / "history.db"
    with open_history(path) as history:
        history.track(run_with(demo_result.findings.iloc[1:]))
    now = run_with(demo_result.findings)
    statuses_from_history(now, str(path))
    frame = browser_frame(now.findings, now.extras.get("fixed"))
    assert filter_findings(frame, status="new")["key"].tolist() == [demo_result.findings.iloc[0]["key"]]
    assert len(filter_findings(frame, status="open")) == len(demo_result.findings) - 1
    with open_history(path, create=False) as history:
        assert len(history.runs()) == 1  # nothing recorded
    statuses_from_history(run_with(demo_result.findings), str(tmp_path / "none.db"))  # no history: no error


def test_browser_widget_filters_and_shows_a_finding(demo_result):
    browser = findings_browser(demo_result)
    everything = len(browser.shown)
    kept = browser.select(severity="critical")
    assert 0 < len(kept) < everything and set(kept["severity"]) == {"critical"}
    assert len(browser.table._df) == len(kept)  # the widget's table shows the filtered rows
    assert f'data-shown="{len(kept)}"' in browser.count.value
    browser.table.selected_rows = [0]  # what clicking the first row does
    detail = browser.detail.value
    assert kept.iloc[0]["title"] in detail or kept.iloc[0]["title"].replace("'", "&#x27;") in detail
    assert "Evidence" in detail and "Fix" in detail and "<svg" in detail and 'src="data:image/svg+xml;charset=utf-8,' in detail
    bundle = browser._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "<table" in bundle["text/html"]


def test_a_finding_shows_its_evidence_fix_and_diagram(demo_result):
    orphans = demo_result.findings[demo_result.findings["check"] == "orphan_rows"].iloc[0].to_dict()
    # names carry line-break opportunities (<wbr>) after underscores and dots
    page = finding_html(orphans, demo_result.catalog, config=demo_result.config).replace("<wbr>", "")
    fix_verb = "DELETE FROM" if "DELETE FROM" in orphans["remediation_sql"] else "UPDATE"
    assert "orphan_count" in page and fix_verb in page and 'src="data:image/svg+xml' in page
    assert 'style="display:inline-block;color:#fff' in page  # the badge keeps its look without the stylesheet


def test_table_explorer_includes_data_level_findings_and_everything_about_the_table(demo_result):
    explorer = TableExplorer(demo_result, "public", "invoices")
    checks = set(explorer._findings["check"])
    assert {"rls_leak", "orphan_rows", "fk_missing"} <= checks, checks
    orphans = explorer._findings[explorer._findings["check"] == "orphan_rows"].iloc[0]
    assert orphans["evidence"]["orphan_count"] == 7
    out, into = explorer.reference_frames()
    assert "public.projects(id)" in set(out["references"])  # the inferred reference with no foreign key
    assert any(kind.startswith("inferred") for kind in out["kind"])
    html = "".join(section._repr_html_() for section in explorer.sections()).replace("<wbr>", "")
    assert "Cascade reach" in html and "Policies" in html and "Neighbourhood" in html
    assert "rls_leak" in html and "orphan_rows" in html


def test_open_table_explorer_audits_as_the_cli_does(demo_url, monkeypatch):
    """Regression: the explorer audited with data checks off, so the table's critical leak and orphan rows were
    missing."""
    from auditlib.report import open_table_explorer

    monkeypatch.setenv(DSN_VARIABLE, demo_url.render_as_string(hide_password=False))
    explorer = open_table_explorer("public.invoices", dsn_env=DSN_VARIABLE)
    found = explorer._findings
    assert "rls_leak" in set(found["check"]) and found.loc[found["check"] == "rls_leak", "severity"].iloc[0] == \
        "critical"
    assert found.loc[found["check"] == "orphan_rows", "evidence"].iloc[0]["orphan_count"] == 7
    assert "structure and data checks" in explorer.header()._repr_html_()


def test_table_explorer_lists_findings_elsewhere_that_point_at_the_table(demo_result):
    explorer = TableExplorer(demo_result, "public", "projects")
    pointing = explorer._pointing
    assert "public.invoices.project_id" in set(pointing["object"])
    assert not (pointing["table"] == "projects").any()
    assert len(explorer.cascade_frame())  # deleting a project reaches other tables


def test_styled_keeps_an_existing_style_and_styles_cells_only_when_asked():
    html = '<span class="al-badge" style="background:#c62828">x</span><table class="al-table"><tr><td>a</td></tr>'
    once = styled(html)
    assert 'style="display:inline-block;color:#fff;border-radius:4px;padding:2px 10px;margin:0 6px 4px 0;' \
           'font-weight:600;background:#c62828"' in once
    assert "<td>a</td>" in once and "<td style=" in styled(html, cells=True)
    assert styled(once) == once  # styling twice adds nothing


def test_a_styled_diagram_is_one_image_stored_once():
    svg = '<?xml version="1.0"?><!-- made by dot --><svg xmlns="http://www.w3.org/2000/svg"><text>t</text></svg>'
    html = styled(svg_html(svg, caption="a diagram"))
    assert html.startswith('<figure class="al-diagram" style="') and html.count("<svg") == 1
    assert 'alt="a diagram"' in html and 'src="data:image/svg+xml;charset=utf-8,<svg' in html
    assert "made by dot" not in html and "<style>" not in html


def test_findings_table_html_without_findings_says_so():
    assert "No findings." in findings_table_html(pd.DataFrame(columns=["severity", "check"]))


# -- in JupyterLab -----------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _notebook_for_the_test_server(name: str, folder: Path, **parameters) -> Path:
    """A copy of a shipped notebook whose parameters cell reads the test server's demo through DSN_VARIABLE."""
    notebook = json.loads(notebook_path(name).read_text(encoding="utf-8"))
    cell = notebook["cells"][0]
    assert "parameters" in cell["metadata"]["tags"]
    values = {"demo": False, "dsn_env": DSN_VARIABLE, **parameters}
    cell["source"] = "".join(cell["source"]) + "\n" + "".join(f"{k} = {v!r}\n" for k, v in values.items())
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def jupyterlab(demo_url, demo_result, tmp_path_factory):
    """A JupyterLab on a free port serving a folder with the workbench notebooks; yields (base URL, token, folder)."""
    chromium_path()
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("lab-home")
    from auditlib.report import ensure_kernel

    ensure_kernel()
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, DSN_VARIABLE: demo_url.render_as_string(hide_password=False),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTER_CONFIG_DIR": str(home / "config")}
    command = [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", f"--port={port}",
               "--ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
               "jupyterlab.NeverCheckForUpdate"] + (["--allow-root"] if os.geteuid() == 0 else [])
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        # The notebooks are written while the server starts (the browser opens them later).
        # Structure checks only in the live runs, to keep the test short: the data-level findings are checked in
        # the saved notebook and by test_open_table_explorer_audits_as_the_cli_does.
        _notebook_for_the_test_server("findings_browser", root, data_checks=False)
        _notebook_for_the_test_server("table_explorer", root, data_checks=False)
        _saved_explorer_notebook(demo_result, root / "saved_explorer.ipynb")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start: " + (home / "lab.log").read_text()[-2000:]) \
                        from None
                time.sleep(0.3)
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def chromium(jupyterlab):
    """One headless Chromium for the module's JupyterLab tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _saved_explorer_notebook(result, path: Path) -> None:
    """A table explorer notebook with its outputs saved and no signature: JupyterLab opens it untrusted."""
    explorer = TableExplorer(result, "public", "invoices")
    cells = [{"cell_type": "code", "execution_count": i + 1, "id": f"c{i}", "metadata": {},
              "source": f"explorer.{method}()",
              "outputs": [{"output_type": "execute_result", "execution_count": i + 1, "metadata": {},
                           "data": {"text/html": getattr(explorer, method)()._repr_html_(),
                                    "text/plain": method}}]}
             for i, method in enumerate(["header", "findings", "diagram"])]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                            "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook), encoding="utf-8")


def _open(chromium, base: str, token: str, notebook: str):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}", timeout=60_000)  # reset: only this notebook open
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session", timeout=60_000)
    return page


def _run_all(page) -> None:
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
                           " === 'idle'", timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def _severity_cells(page) -> list[str]:
    return page.locator(".al-findings-table table.dataTable tbody tr td:first-child").all_inner_texts()


@pytest.mark.browser
@pytest.mark.slow
def test_findings_browser_filters_in_jupyterlab(jupyterlab, chromium, tmp_path):
    base, token, _ = jupyterlab
    page = _open(chromium, base, token, "findings_browser.ipynb")
    _run_all(page)
    count = page.locator(".al-findings-count")
    count.wait_for(timeout=90_000)
    page.wait_for_selector(".al-findings-table table.dataTable tbody tr td", timeout=30_000)
    before = int(count.get_attribute("data-shown"))
    assert before > 15 and len(_severity_cells(page)) == 15  # one page of the DataTable
    severity = page.locator(".al-filter-severity select")
    label = next(o for o in severity.locator("option").all_inner_texts() if o.startswith("critical"))
    severity.select_option(label=label)
    page.wait_for_function(f"() => document.querySelector('.al-findings-count')"
                           f".getAttribute('data-shown') !== '{before}'", timeout=30_000)
    after = int(count.get_attribute("data-shown"))
    page.wait_for_function(f"() => document.querySelectorAll('.al-findings-table table.dataTable tbody tr')"
                           f".length === {after}", timeout=30_000)
    cells = _severity_cells(page)
    assert 0 < after < before and len(cells) == after and set(cells) == {"critical"}, cells
    page.locator(".al-findings-table table.dataTable tbody tr").first.click()
    detail = page.locator(".al-finding-detail")
    detail.locator("h4", has_text="Evidence").wait_for(timeout=30_000)
    assert detail.locator(".al-diagram img.al-svg").first.bounding_box()["height"] > 50  # the diagram is drawn
    assert "critical" in detail.inner_text()
    page.screenshot(path=str(tmp_path / "findings-browser.png"), full_page=False)
    page.close()


@pytest.mark.browser
@pytest.mark.slow
def test_table_explorer_keeps_its_look_in_jupyterlab_trusted_and_not(jupyterlab, chromium, tmp_path):
    base, token, _ = jupyterlab
    # Saved outputs, no signature: JupyterLab sanitizes them (no <style>, no <svg>).
    page = _open(chromium, base, token, "saved_explorer.ipynb")
    badge = page.locator(".jp-OutputArea-output .al-badge").first
    badge.wait_for(timeout=30_000)
    looks = badge.evaluate("b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color,"
                           " s.paddingLeft, s.display]; }")
    assert looks[0] not in ("rgba(0, 0, 0, 0)", "transparent") and looks[1] == "rgb(255, 255, 255)", looks
    assert float(looks[2].rstrip("px")) >= 8 and looks[3] == "inline-block", looks
    assert page.locator(".jp-OutputArea-output .al-diagram svg").count() == 0  # the sanitizer took it
    image = page.locator(".jp-OutputArea-output .al-diagram img.al-svg")
    assert image.evaluate("i => i.complete && i.naturalWidth > 100 && i.getBoundingClientRect().height > 50")
    text = page.locator(".jp-NotebookPanel").inner_text()
    assert "rls_leak" in text and "orphan_rows" in text
    page.screenshot(path=str(tmp_path / "explorer-untrusted.png"), full_page=False)
    page.close()

    # Run live: outputs are trusted; the diagram is the same one image.
    page = _open(chromium, base, token, "table_explorer.ipynb")
    _run_all(page)
    page.wait_for_selector(".jp-OutputArea-output .al-diagram img.al-svg", timeout=90_000)
    svg = page.locator(".jp-OutputArea-output .al-diagram img.al-svg").first
    assert svg.evaluate("i => i.complete && i.naturalWidth > 100 && i.getBoundingClientRect().height > 50")
    # Cells outside the viewport may not be laid out (JupyterLab's windowed notebook): read the text content.
    page.wait_for_function("() => document.querySelector('.jp-NotebookPanel').textContent"
                           ".includes('Keys, constraints and indexes')", timeout=60_000)
    text = page.locator(".jp-NotebookPanel").text_content()
    assert "rls_always_true" in text and "fk_missing" in text and "Cascade reach" in text
    svg.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "explorer-trusted.png"), full_page=False)
    page.close()
