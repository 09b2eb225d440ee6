"""From parameters to an HTML file: running the audit for a notebook, executing it with papermill and exporting it
with nbconvert."""

from __future__ import annotations

import contextlib
import functools
import pickle
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from auditlib import __version__
from auditlib.audit import AuditResult, run_audit
from auditlib.config import load_config
from auditlib.connect import SourceError
from auditlib.report.sections import Report
from auditlib.sources import resolve_source


def open_report(*, demo: bool = False, dsn_env: str = "", snapshot: str = "", migrations_dir: str = "",
                code_dir: str = "", schemas: list[str] | None = None, config_path: str = "", baseline: str = "",
                min_severity: str = "info", title: str = "Data relationship audit", data: bool = True,
                history: bool = True, history_path: str = "", audit_file: str = "") -> Report:
    """Run the audit for a notebook and return the Report whose sections the notebook displays.

    The DSN is read from the environment variable named by ``dsn_env`` so it never appears in the notebook.
    The demo includes its app's code (``code_dir`` empty), as ``auditlib report --demo`` does.
    With ``history`` the run is recorded in the audit history (``history_path``, default
    ``history.default_history_path()``): every finding gets its status (new, open, suppressed) and the report its trends.
    ``audit_file`` is an audit ``render_report`` already ran for these parameters (``save_audit``): it is shown as it
    is, and nothing is audited or recorded again; a file that is not there (an executed notebook run again later)
    means the audit runs here.
    """
    result = load_audit(audit_file) if audit_file else None
    if result is None:
        result = audit_for_report(demo=demo, dsn_env=dsn_env, snapshot=snapshot, migrations_dir=migrations_dir,
                                  code_dir=code_dir, schemas=schemas, config_path=config_path, baseline=baseline,
                                  data=data, history=history, history_path=history_path)
    if migrations_dir:
        parameters = {"migrations": migrations_dir, "min_severity": min_severity}
    else:
        parameters = {"schemas": ", ".join(schemas or []) or "default", "min_severity": min_severity}
    report = Report(result, title=title, min_severity=min_severity, parameters=parameters)
    report.lay_out_diagrams()  # Graphviz works alongside the notebook's first sections
    return report


def audit_for_report(*, demo: bool = False, dsn_env: str = "", snapshot: str = "", migrations_dir: str = "",
                     code_dir: str = "", schemas: list[str] | None = None, config_path: str = "",
                     baseline: str = "", data: bool = True, history: bool = True,
                     history_path: str = "") -> AuditResult:
    """The audit behind ``open_report`` (same arguments), recorded in the history when ``history``."""
    config = load_config(config_path or None)
    source = resolve_source(dsn_env=dsn_env, snapshot=snapshot, migrations=migrations_dir,
                            demo=demo and not (dsn_env or snapshot or migrations_dir))
    if source.kind == "migrations":
        result = run_audit(source, config, schemas=schemas or None, baseline=baseline or None,
                           code_dir=code_dir or None)
    else:
        if source.kind == "demo" and not code_dir:  # the demo is a database and its app's code, as `auditlib report`
            from auditlib.demo import app_folder

            code_dir = str(app_folder())
        result = run_audit(source, config, schemas=schemas or None, data=data, baseline=baseline or None,
                           code_dir=code_dir or None)
    if history:
        record_history(result, history_path)
    return result


def save_audit(result: AuditResult, path: str | Path) -> Path:
    """Write an audit for ``open_report(audit_file=...)`` (a pickle, readable by this version of auditlib only)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("wb") as file:
        pickle.dump({"auditlib": __version__, "result": result}, file, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)  # the kernel never sees half a file
    return path


def load_audit(path: str | Path) -> AuditResult | None:
    """The audit ``save_audit`` wrote, or None when the file is gone or another auditlib version wrote it.

    Loading a pickle runs code: give it only files ``save_audit`` wrote (``render_report`` keeps its file in a
    temporary folder only its user can read, removed after the report).
    """
    path = Path(path)
    if not path.is_file():
        return None
    with path.open("rb") as file:
        saved = pickle.load(file)  # noqa: S301 -- see the docstring
    return saved["result"] if saved.get("auditlib") == __version__ else None


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


def export_html(notebook_path: Path, html_path: Path, exporter: Any = None) -> Path:
    """Export an executed notebook to self-contained HTML with inputs hidden and a table of contents.

    ``exporter`` is one ``report_exporter()`` made beforehand (``render_report`` makes it while the kernel works)."""
    import nbformat

    notebook = nbformat.read(str(notebook_path), as_version=4)
    body, _ = (exporter or report_exporter()).from_notebook_node(notebook)
    body = prune_stylesheets(add_table_of_contents(body))
    partial = html_path.with_name(f".{html_path.name}.partial")
    partial.write_text(body, encoding="utf-8")
    partial.replace(html_path)
    return html_path


def report_exporter():
    """nbconvert's HTMLExporter for the report's template (loaded), without its BeautifulSoup pass over the page.

    That pass parses and re-serialises the whole page (several MB: plotly.js, inline SVG) only to add ``alt`` to
    images without one and ``tabindex="0"`` to input and output areas; it took most of the export's time. The same
    attributes are added to the rendered text here (``_focusable_areas``); the page's content is unchanged.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node up to its BeautifulSoup pass (nbconvert 7.16/7.17).
            language = nb.metadata.get("language_info", {})
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(
                pygments_lexer=language.get("pygments_lexer", language.get("name")), parent=self))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _focusable_areas(page), resources

    exporter = ReportExporter(template_name="auditlib_report", extra_template_basedirs=[str(template_dir())],
                              exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.template  # noqa: B018 -- compiles the Jinja templates now, not during the export
    import nbformat

    # and parses the template's stylesheets, the same in every page, for prune_stylesheets
    _parse_stylesheets(exporter.from_notebook_node(nbformat.v4.new_notebook())[0])
    return exporter


_AREA_TAG = re.compile(r'<div class="([^"]*)"([^>]*)>')
_IMAGE_TAG = re.compile(r"<img\b([^>]*)>")


def _focusable_areas(page: str) -> str:
    """What nbconvert's HTMLExporter adds with BeautifulSoup: ``tabindex="0"`` on cell input and output areas
    (keyboard users can reach and scroll them) and a placeholder ``alt`` on images that have none."""
    def area(match: re.Match) -> str:
        classes = match.group(1).split()
        if ("jp-OutputArea-output" in classes or "jp-Cell-inputWrapper" in classes) and "tabindex=" not in match.group(2):
            return f'<div class="{match.group(1)}"{match.group(2)} tabindex="0">'
        return match.group(0)

    def image(match: re.Match) -> str:
        if re.search(r"\balt=", match.group(1)):
            return match.group(0)
        attributes = match.group(1).rstrip("/").rstrip()
        return f'<img{attributes} alt="No description has been provided for this image">'

    return _IMAGE_TAG.sub(image, _AREA_TAG.sub(area, page))


_STYLE_BLOCK = re.compile(r'(<style type="text/css">)(.*?)(</style>)', re.S)
_CLASS_ATTRIBUTE = re.compile(r"""\bclass=["']([^"']*)["']""")
_SELECTOR_CLASS = re.compile(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
_NEGATION = re.compile(r":not\([^)]*\)")
PRUNED_STYLESHEET_CHARS = 20_000  # JupyterLab's stylesheets (index.css is about 240 KB); the report's own stay


def prune_stylesheets(page: str) -> str:
    """The page with JupyterLab's large stylesheets cut to the rules it can use: a rule stays when one of its
    selectors names only classes that occur in the page (rules without classes, ``:root`` variables, ``@font-face``
    and the like always stay). The report's look is unchanged; the file loses most of the 240 KB."""
    classes = set(" ".join(_CLASS_ATTRIBUTE.findall(page)).split())

    def prune(match: re.Match) -> str:
        if len(match.group(2)) < PRUNED_STYLESHEET_CHARS:
            return match.group(0)
        return match.group(1) + _used_rules(match.group(2), classes) + match.group(3)

    return _STYLE_BLOCK.sub(prune, page)


def _used_rules(css: str, classes: set[str]) -> str:
    kept = []
    for kind, selectors, text in _stylesheet_rules(css):
        if kind == "rule":
            if any(all(name in classes for name in names) for names in selectors):
                kept.append(text)
        elif kind == "block":  # @media, @supports: the rules inside, when any is used
            inner = _used_rules(text, classes)
            if inner:
                kept.append(selectors.format(inner))
        else:
            kept.append(text)  # @font-face, @keyframes, @page, …
    return "\n".join(kept)


@functools.lru_cache(maxsize=32)
def _stylesheet_rules(css: str) -> tuple[tuple[str, Any, str], ...]:
    """A stylesheet's rules, parsed once (the template's stylesheets are the same in every report, and
    ``report_exporter`` parses them in the background): ``("rule", classes of each selector, rule)``,
    ``("block", "@media …{{{}}}", inner stylesheet)`` or ``("keep", "", rule)``."""
    # tinycss2 comes with nbconvert (through bleach[css]).
    import tinycss2

    rules: list[tuple[str, Any, str]] = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            selectors = tinycss2.serialize(rule.prelude).split(",")
            rules.append(("rule", tuple(tuple(_SELECTOR_CLASS.findall(_NEGATION.sub("", selector)))
                                        for selector in selectors), rule.serialize()))
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content is not None:
            prelude = f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}".replace("{", "{{").replace("}", "}}")
            rules.append(("block", prelude + "{{{}}}", tinycss2.serialize(rule.content)))
        elif rule.type == "at-rule":
            rules.append(("keep", "", rule.serialize()))
    return tuple(rules)


def _parse_stylesheets(page: str) -> None:
    """Parse the large stylesheets of a page into ``_stylesheet_rules``' cache."""
    def parse(css: str) -> None:
        for kind, _, text in _stylesheet_rules(css):
            if kind == "block":
                parse(text)

    for match in _STYLE_BLOCK.finditer(page):
        if len(match.group(2)) >= PRUNED_STYLESHEET_CHARS:
            parse(match.group(2))


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
                  output_dir: str | Path = "reports", progress: bool = True, timeout_s: int = 1800,
                  timings: ReportTimings | None = None) -> Path:
    """Execute a notebook with papermill and export it to HTML; return the HTML path.

    The executed notebook and the HTML are written next to each other as
    ``<notebook>-<source>-<timestamp>``, and ``latest.html`` is pointed at the new HTML. Nothing is written in
    place of the last good report when execution fails.

    The kernel is launched first (``start_kernel``; installed when missing). For the audit notebooks the audit then
    runs here while the kernel starts (and imports what the report needs), and the notebook shows that audit (its
    ``audit_file`` parameter) instead of running it again; papermill is imported while the audit runs.
    ``timings`` (a ``ReportTimings``) receives where the time went.
    """
    timings = timings if timings is not None else ReportTimings()
    parameters = dict(parameters or {})
    source = notebook_path(notebook)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    label = source_label(parameters)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = f"{notebook}-{label}-{stamp}"
    executed = output_dir / f"{stem}.ipynb"
    partial = output_dir / f".{stem}.partial.ipynb"
    exporter = _Background(report_exporter)  # made while the kernel runs the cells: this process waits then
    with tempfile.TemporaryDirectory(prefix="auditlib-report-") as private:  # mode 0700: only we read the pickle
        # papermill moves this process into the output folder while the kernel runs, alongside the audit
        run = notebook_audit(notebook, source, parameters, output_dir.resolve())
        audit = None
        if run is not None:
            # When the audit fails here nothing is written: the notebook runs it itself, and its error reaches the
            # user the way it always has (the failing cell).
            handed = Path(private) / "audit.pickle"
            audit = _Background(lambda: save_audit(run(), handed))
            parameters["audit_file"] = str(handed)
        timings.mark("launched")
        # The kernel first, then the audit: the kernel's start (and its warm-up) overlaps the whole audit, and
        # papermill's import here overlaps both.
        kernel = start_kernel(output_dir, warm_up=audit is not None)
        if audit is not None:
            audit.start()
        try:
            papermill = import_notebook_tools()
            try:
                papermill.execute_notebook(
                    str(source), str(partial), parameters=parameters, progress_bar=progress, kernel_name="python3",
                    km=kernel, cwd=str(output_dir), execution_timeout=timeout_s, language="python",
                    log_output=False, stdout_file=None, stderr_file=None,
                    request_save_on_cell_execute=False,  # written once, not twice per cell
                    on_notebook_start=_on_kernel_ready(timings, audit, exporter.start))
            except papermill.PapermillExecutionError as error:
                partial.unlink(missing_ok=True)
                raise ReportError(f"The notebook {source.name} failed in cell {error.exec_count}: {error.ename}: "
                                  f"{error.evalue}") from None
        finally:
            stop_kernel(kernel)
            # A kernel that failed to start never reached the hook: the audit ends before its folder goes (an
            # interrupted report does not wait: the thread ends with the process).
            if audit is not None and not isinstance(sys.exception(), KeyboardInterrupt):
                audit.wait()
    timings.mark("executed")
    partial.replace(executed)
    html_path = export_html(executed, output_dir / f"{stem}.html", exporter.result())
    point_latest(html_path, output_dir / ("latest.html" if notebook == "relationship_audit" else
                                          f"latest-{notebook}.html"))
    timings.mark("exported")
    return html_path


def start_kernel(cwd: Path, warm_up: bool = False):
    """Launch the report's kernel (a ``python3`` kernel running this interpreter, ``ensure_kernel``) in ``cwd`` and
    return its ``AsyncKernelManager``, which papermill then uses; ``stop_kernel`` ends it.

    Started here rather than by papermill so that it starts before the audit and papermill's import, not after.
    It is started as papermill's client would start it (IPython's history in memory, not in a file; the traffic
    encrypted, ``kernel_options``); ``warm_up`` runs ``KERNEL_WARM_UP`` as it starts.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    ensure_kernel()
    manager = AsyncKernelManager(kernel_name="python3", **kernel_options())
    arguments = ["--HistoryManager.hist_file=:memory:"]
    if warm_up:
        arguments.append(f"--IPKernelApp.exec_lines={KERNEL_WARM_UP}")
    run_sync(manager.start_kernel)(extra_arguments=arguments, cwd=str(cwd))
    return manager


def stop_kernel(manager) -> None:
    """End a kernel ``start_kernel`` launched, with the processes it started (a layout still running).

    The kernel is stopped at once, not asked to shut down: every output has reached the notebook by now (papermill
    waits for each cell's) and a kernel has nothing to save, so waiting for its orderly exit only made every report
    later.
    """
    from jupyter_core.utils import run_sync

    if manager.has_kernel:
        run_sync(manager.shutdown_kernel)(now=True)


def import_notebook_tools():
    """papermill (and nbformat), imported without jsonschema's IRI format checker.

    Importing nbformat imports jsonschema, whose format checkers import ``rfc3987_syntax`` when it is installed
    (jupyterlab pulls it in); that module compiles Earley grammars at import, seconds of every report
    (python-jsonschema/jsonschema#1428). Notebook validation uses no IRI formats, so the import is skipped while
    jsonschema loads; later imports of ``rfc3987_syntax`` work as usual. Nothing changes when jsonschema is
    already loaded.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # `import` raises ImportError
        try:
            import jsonschema  # noqa: F401
        finally:
            del sys.modules["rfc3987_syntax"]
    import papermill

    return papermill


# Run by the kernel as it starts, while the audit runs here: the imports of the notebook's first cell and the
# plotly machinery its first chart loads on first use, so neither waits for the other.
KERNEL_WARM_UP = "import auditlib.report.pipeline; auditlib.report.pipeline.warm_up_kernel()"


def warm_up_kernel() -> None:
    """Import what a report's cells use and build one throw-away plotly figure (plotly loads its validators and
    templates on first use). Changes nothing the notebook shows."""
    import plotly.graph_objects as go

    import auditlib.charts
    import auditlib.diagrams  # noqa: F401
    import auditlib.fixes  # noqa: F401
    import auditlib.report  # noqa: F401
    from auditlib.checks import load_checks

    load_checks()  # the sections list the checks that ran and their documentation

    figure = go.Figure(go.Bar(x=["a"], y=[1], marker_color="#000", hovertemplate="%{x}<extra></extra>", name="a"))
    auditlib.charts.use_template(figure)  # loads the charts' template, which they then share
    figure.update_layout(title={"text": "a", "x": 0.01}, font={"family": "sans-serif"},
                         margin={"l": 10, "r": 10, "t": 60, "b": 10}, legend={"traceorder": "normal"},
                         barmode="stack", legend_title_text="a", height=300, showlegend=False)
    figure.update_xaxes(title_text="a", automargin=True)
    figure.update_yaxes(title_text="a", automargin=True)
    figure.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False)


def notebook_audit(notebook: str, source: Path, parameters: dict[str, Any],
                   kernel_dir: Path) -> Callable[[], AuditResult] | None:
    """The audit of an audit notebook (relationship_audit, migration_audit) for its parameters, to run in this
    process; None for the other notebooks. Unset parameters take the notebook's own defaults, and relative paths
    are read from ``kernel_dir`` (the kernel's working folder): this is the audit the notebook's first cell runs."""
    if notebook not in ("relationship_audit", "migration_audit"):
        return None
    values = {**notebook_defaults(source), **parameters}

    def path_of(name: str) -> str:
        value = values.get(name) or ""
        return str(kernel_dir / value) if value else ""

    history_path = path_of("history_path")
    if values.get("history", True) and not history_path:
        from auditlib.history import default_history_path

        with contextlib.chdir(kernel_dir):  # the default depends on the working folder (reports/history.db)
            history_path = str(kernel_dir / default_history_path())
    common = {"schemas": values.get("schemas") or [], "config_path": path_of("config_path"),
              "baseline": path_of("baseline"), "history": values.get("history", True), "history_path": history_path}
    if notebook == "migration_audit":
        from auditlib.demo import migrations_folder

        folder = path_of("migrations_dir") or str(migrations_folder())
        return lambda: audit_for_report(migrations_dir=folder, **common)
    return lambda: audit_for_report(
        demo=values.get("demo", False), dsn_env=values.get("dsn_env", ""), snapshot=path_of("snapshot"),
        code_dir=path_of("code_dir"), data=values.get("data_checks", True), **common)


def notebook_defaults(path: Path) -> dict[str, Any]:
    """The default of every parameter of a notebook's parameters cell (``papermill --help-notebook`` reads the
    same cell): its assignments of literals. Read with ``ast``, not papermill, so the audit can start before
    papermill is imported."""
    import ast
    import json

    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    cell = next((c for c in cells if c.get("cell_type") == "code"
                 and "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return {}
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    defaults = {}
    for statement in ast.parse(source).body:
        targets = statement.targets if isinstance(statement, ast.Assign) else \
            [statement.target] if isinstance(statement, ast.AnnAssign) and statement.value is not None else []
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    defaults[target.id] = ast.literal_eval(statement.value)
                except ValueError:
                    continue
    return defaults


def _on_kernel_ready(timings: ReportTimings, audit: _Background | None,
                     then: Callable[[], None]) -> Callable[..., None]:
    """nbclient's ``on_notebook_start`` hook: the kernel is ready; wait for this process's audit before the first
    cell reads it, then start ``then`` (work for this process while the kernel runs the cells)."""
    def ready(**_: Any) -> None:
        timings.mark("kernel ready")
        if audit is not None:
            audit.wait()
            timings.mark("audited", audit.finished)
            if audit.error is not None:
                timings.note("audit ran in the kernel", f"{type(audit.error).__name__} here")
        then()

    return ready


class _Background:
    """``make()`` in a thread from ``start()`` on; ``wait()`` for it, ``result()`` for its value (made here when it
    was never started; raises what it raised). ``finished`` is when it ended (``time.perf_counter``)."""

    def __init__(self, make: Callable[[], Any]):
        self._make = make
        self._value: Any = None
        self.error: BaseException | None = None
        self.finished = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="auditlib-report", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._make()
        except BaseException as error:  # noqa: BLE001 -- kept for wait()'s and result()'s caller
            self.error = error
        finally:
            self.finished = time.perf_counter()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def result(self) -> Any:
        if self._thread is None:
            self._run()
        self.wait()
        if self.error is not None:
            raise self.error
        return self._value


class ReportTimings:
    """Where one report's time went: consecutive phases of the wall clock from this object's creation, so they add
    up to ``total``.

    Phases: ``start-up`` (everything before the audit and the kernel start: imports, the server, the history),
    ``audit`` (this process's audit), ``kernel start`` (waiting for the kernel after the audit: the kernel starts
    alongside the audit, ``kernel_ready_s`` says when it was ready), ``notebook execution`` (the cells) and
    ``export`` (nbconvert, the table of contents, writing the HTML).
    """

    PHASES = ("start-up", "audit", "kernel start", "notebook execution", "export")

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.marks: dict[str, float] = {}
        self.notes: dict[str, str] = {}

    def mark(self, event: str, at: float | None = None) -> None:
        """Record when ``event`` happened (now by default); the first record of an event is kept."""
        self.marks.setdefault(event, time.perf_counter() if at is None else at)

    def note(self, name: str, text: str) -> None:
        self.notes[name] = text

    @property
    def phases(self) -> dict[str, float]:
        """Seconds per phase (every phase, 0 when it did not happen)."""
        marks = self.marks
        launched = marks.get("launched", self.started)
        audited = max(marks.get("audited", launched), launched)
        ready = marks.get("kernel ready", audited)
        cells = max(audited, ready)
        executed = marks.get("executed", cells)
        exported = marks.get("exported", executed)
        return {"start-up": launched - self.started, "audit": audited - launched,
                "kernel start": max(ready - audited, 0.0), "notebook execution": executed - cells,
                "export": exported - executed}

    @property
    def total(self) -> float:
        return sum(self.phases.values())

    @property
    def kernel_ready_s(self) -> float | None:
        """Seconds from launching the kernel to its being ready (it overlaps the audit)."""
        if "kernel ready" not in self.marks:
            return None
        return self.marks["kernel ready"] - self.marks.get("launched", self.started)

    def as_dict(self) -> dict[str, float]:
        """Phases and total in seconds, rounded to milliseconds."""
        return {**{name: round(seconds, 3) for name, seconds in self.phases.items()}, "total": round(self.total, 3)}

    def format(self) -> str:
        """One line per phase and the total, for stderr."""
        lines = ["report timings (s):"]
        lines += [f"  {name:<20} {seconds:7.2f}" for name, seconds in self.as_dict().items()]
        if self.kernel_ready_s is not None:
            lines.append(f"  (the kernel was ready {self.kernel_ready_s:.2f} s after it was launched, "
                         "alongside the audit)")
        lines += [f"  ({name}: {text})" for name, text in self.notes.items()]
        return "\n".join(lines)


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
