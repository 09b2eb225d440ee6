"""From parameters to an HTML file: running the audit for a notebook, executing it with papermill and exporting it
with nbconvert."""

from __future__ import annotations

import re
import shutil
import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from auditlib.audit import AuditResult, run_audit
from auditlib.config import load_config
from auditlib.connect import SourceError
from auditlib.report.sections import Report
from auditlib.sources import resolve_source


def open_report(*, demo: bool = False, dsn_env: str = "", snapshot: str = "", migrations_dir: str = "",
                code_dir: str = "", schemas: list[str] | None = None, config_path: str = "", baseline: str = "",
                min_severity: str = "info", title: str = "Data relationship audit", data: bool = True,
                history: bool = True, history_path: str = "") -> Report:
    """Run the audit for a notebook and return the Report whose sections the notebook displays.

    The DSN is read from the environment variable named by ``dsn_env`` so it never appears in the notebook.
    The demo includes its app's code (``code_dir`` empty), as ``auditlib report --demo`` does.
    With ``history`` the run is recorded in the audit history (``history_path``, default
    ``history.default_history_path()``): every finding gets its status (new, open, suppressed) and the report its trends.
    """
    config = load_config(config_path or None)
    source = resolve_source(dsn_env=dsn_env, snapshot=snapshot, migrations=migrations_dir,
                            demo=demo and not (dsn_env or snapshot or migrations_dir))
    if source.kind == "migrations":
        result = run_audit(source, config, schemas=schemas or None, baseline=baseline or None,
                           code_dir=code_dir or None)
        if history:
            record_history(result, history_path)
        return Report(result, title=title, min_severity=min_severity,
                      parameters={"migrations": migrations_dir, "min_severity": min_severity})
    if source.kind == "demo" and not code_dir:  # the demo is a database and its app's code, as `auditlib report`
        from auditlib.demo import app_folder

        code_dir = str(app_folder())
    result = run_audit(source, config, schemas=schemas or None, data=data, baseline=baseline or None,
                       code_dir=code_dir or None)
    if history:
        record_history(result, history_path)
    parameters = {"schemas": ", ".join(schemas or []) or "default", "min_severity": min_severity}
    return Report(result, title=title, min_severity=min_severity, parameters=parameters)


def record_history(result: AuditResult, history_path: str = "") -> None:
    """Record the run, give its findings their status, and keep the source's trends for the report."""
    from auditlib.history import open_history

    with open_history(history_path or None) as store:
        store.track(result)
        result.extras["trends"] = store.trends(result.extras["source_key"])


def open_migration_report(migrations_dir: str = "", **options: Any) -> Report:
    """The report of a migration folder; an empty ``migrations_dir`` means the demo's folder."""
    from auditlib.demo import migrations_folder

    return open_report(migrations_dir=migrations_dir or str(migrations_folder()), **options)



# -- rendering pipeline ---------------------------------------------------------------------------------------------
# The notebooks live in the checkout's top-level notebooks/ (where `make lab` opens them); auditlib/notebooks is a
# committed symlink to that folder, so a wheel ships them and a checkout or editable install reads the top-level
# files themselves. The top-level folder is also looked at for checkouts where the symlink did not survive.
PACKAGED_NOTEBOOK_DIR = Path(str(resources.files("auditlib") / "notebooks"))
CHECKOUT_NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"  # auditlib/report/ → checkout


def template_dir() -> Path:
    return Path(str(resources.files("auditlib") / "templates"))


def export_html(notebook_path: Path, html_path: Path) -> Path:
    """Export an executed notebook to self-contained HTML with inputs hidden and a table of contents."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="auditlib_report", extra_template_basedirs=[str(template_dir())],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    notebook = nbformat.read(str(notebook_path), as_version=4)
    body, _ = exporter.from_notebook_node(notebook)
    body = add_table_of_contents(body)
    partial = html_path.with_name(f".{html_path.name}.partial")
    partial.write_text(body, encoding="utf-8")
    partial.replace(html_path)
    return html_path


def add_table_of_contents(page: str) -> str:
    """Fill the header's <nav id="al-toc"> with links to every section heading in the page."""
    headings = re.findall(r'<section class="al-section" id="([^"]+)"><h2 id="[^"]+">(.*?)</h2>', page)
    links = "".join(f'<li><a href="#{anchor}">{title}</a></li>' for anchor, title in headings)
    return page.replace('<nav class="al-toc" id="al-toc"></nav>',
                        f'<nav class="al-toc" id="al-toc"><h2>Contents</h2><ol>{links}</ol></nav>', 1)


def source_label(parameters: dict[str, Any]) -> str:
    """A short file-name-safe label for the audited source of a notebook's parameters."""
    try:
        return resolve_source(dsn_env=parameters.get("dsn_env"), snapshot=parameters.get("snapshot"),
                              migrations=parameters.get("migrations_dir"), demo=parameters.get("demo", False)).slug
    except SourceError:  # the notebook says what is wrong; the file name need not
        return "database"


def render_report(notebook: str = "relationship_audit", parameters: dict[str, Any] | None = None,
                  output_dir: str | Path = "reports", progress: bool = True, timeout_s: int = 1800) -> Path:
    """Execute a notebook with papermill and export it to HTML; return the HTML path.

    The executed notebook and the HTML are written next to each other as
    ``<notebook>-<source>-<timestamp>``, and ``latest.html`` is pointed at the new HTML. Nothing is written in
    place of the last good report when execution fails.
    """
    import papermill

    parameters = dict(parameters or {})
    source = notebook_path(notebook)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    label = source_label(parameters)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = f"{notebook}-{label}-{stamp}"
    executed = output_dir / f"{stem}.ipynb"
    partial = output_dir / f".{stem}.partial.ipynb"
    try:
        papermill.execute_notebook(str(source), str(partial), parameters=parameters, progress_bar=progress,
                                   kernel_name="python3", cwd=str(output_dir), execution_timeout=timeout_s,
                                   language="python", log_output=False, stdout_file=None, stderr_file=None,
                                   **kernel_options())
    except papermill.PapermillExecutionError as error:
        partial.unlink(missing_ok=True)
        raise ReportError(f"The notebook {source.name} failed in cell {error.exec_count}: {error.ename}: "
                          f"{error.evalue}") from None
    partial.replace(executed)
    html_path = export_html(executed, output_dir / f"{stem}.html")
    point_latest(html_path, output_dir / ("latest.html" if notebook == "relationship_audit" else
                                          f"latest-{notebook}.html"))
    return html_path


def kernel_options() -> dict[str, Any]:
    """papermill engine options: the kernel's traffic encrypted with CurveZMQ keys the kernel manager provisions.

    ipykernel warns on every start of a kernel reached over unencrypted TCP ("Kernel is running over TCP without
    encryption"); provisioned keys are what it asks for. With a pyzmq built without CurveZMQ, or a kernelspec that
    does not declare support, the kernel starts as before.
    """
    import zmq
    from traitlets.config import Config

    if not zmq.has("curve"):
        return {}
    return {"config": Config({"KernelManager": {"transport_encryption": "auto"}})}


def point_latest(target: Path, link: Path) -> None:
    """Make ``link`` point at ``target`` (a relative symlink; a copy where symlinks are unavailable)."""
    temporary = link.with_name(f".{link.name}.new")
    temporary.unlink(missing_ok=True)
    try:
        temporary.symlink_to(target.name)
    except OSError:
        shutil.copyfile(target, temporary)
    temporary.replace(link)


def notebook_path(name: str) -> Path:
    """The shipped notebook of that name (``relationship_audit``, ``table_explorer``, ``migration_audit``, …).

    The installed package's copy comes first (in a checkout it is the top-level folder, through the symlink), so an
    installed wheel never picks up an unrelated ``notebooks/`` folder that happens to sit next to it.
    """
    folders = [PACKAGED_NOTEBOOK_DIR, CHECKOUT_NOTEBOOK_DIR]
    for folder in folders:
        path = folder / f"{name}.ipynb"
        if path.is_file():
            return path
    available = ", ".join(sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.ipynb")}))
    raise ReportError(f"There is no notebook {name!r}; available: {available or 'none'}.")


class ReportError(RuntimeError):
    """The report could not be produced; one sentence for the user."""


def ensure_kernel() -> None:
    """papermill needs a 'python3' kernel that runs this interpreter; install it into the venv when missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if "python3" not in specs:
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix, kernel_name="python3")
