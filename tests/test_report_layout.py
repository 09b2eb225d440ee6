"""The demo report's layout, measured in headless Chromium: nothing overprints at a desktop or a phone width, the
file stays small, charts and diagrams show with JavaScript off and after the JupyterLab sanitizer, printing fits a
page budget, and the page is short enough to read. Screenshots of the first screen are saved under
reports/screenshots/ for people to look at (generated, not committed)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.browser import drawn_figures, open_page, overflowing_cells, page_overflow, pdf_page_count
from tests.test_cli import run_cli

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "reports" / "screenshots"
MAX_BYTES = 2_000_000            # the demo report, everything inline
MAX_PRINTED_PAGES = 40           # A4, collapsed sections closed
MAX_HEIGHT = 106_000 // 3        # px at 1400 px wide: a third of the report before the rework
A4_CONTENT = (703, 1032)         # px of an A4 page inside the print stylesheet's 12 mm margins (96 px per inch)



@pytest.fixture(scope="module")
def report(demo_report) -> Path:
    return demo_report


@pytest.fixture(scope="module")
def migration_report(tmp_path_factory, demo_url) -> Path:
    from auditlib.demo import migrations_folder

    output = tmp_path_factory.mktemp("layout-migrations")
    result = run_cli("report", "--migrations", str(migrations_folder()), "--output-dir", str(output), "--no-history",
                     timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return output / "latest-migration_audit.html"


def test_report_file_is_at_most_2_mb(report):
    size = report.stat().st_size
    assert size <= MAX_BYTES, f"{size:,} bytes"
    page = report.read_text(encoding="utf-8")
    assert "plotly.js v" not in page  # the charts are drawn in the page, not by a 4.8 MB library


@pytest.mark.parametrize("which", ["report", "migration_report"])
@pytest.mark.parametrize("width, height", [(1400, 900), (390, 844)])
def test_no_text_overflows_its_cell(which, width, height, request):
    with open_page(request.getfixturevalue(which), width, height) as page:
        cells = page.locator("td, th").count()
        spilled = overflowing_cells(page)
        sideways = page_overflow(page)
    assert cells > 100  # the measurement saw the report's tables
    assert spilled == [], f"{len(spilled)} cells overflow, e.g. {spilled[:5]}"
    assert sideways <= 0, f"the page is {sideways} px wider than the window"


def test_charts_and_diagrams_show_without_javascript(report):
    with open_page(report, javascript=False) as page:
        charts = page.locator("figure.al-chart").count()
        diagrams = page.locator("figure.al-diagram").count()
        assert charts >= 4 and diagrams >= 2
        assert drawn_figures(page, "figure.al-chart") == charts
        assert drawn_figures(page, "figure.al-diagram") == diagrams


def test_with_javascript_the_svg_goes_inline_and_the_overview_zooms(report):
    with open_page(report) as page:
        assert page.locator("img.al-svg").count() == 0  # every image became inline SVG: names are searchable text
        assert "organizations" in page.locator("figure.al-diagram").first.inner_text()
        overview = page.locator("figure.al-zoomable")
        assert overview.count() == 1
        before = overview.locator("svg").first.get_attribute("viewBox")
        overview.get_by_role("button", name="+").click()
        zoomed = overview.locator("svg").first.get_attribute("viewBox")
        overview.get_by_role("button", name="fit").click()
        fitted = overview.locator("svg").first.get_attribute("viewBox")
    assert _width(zoomed) < _width(before) and _width(fitted) == pytest.approx(_width(before))


def _width(view_box: str) -> float:
    return float(view_box.split()[2])


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = 0
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svg += 1
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")


def test_the_notebook_shows_its_pictures_after_the_jupyterlab_sanitizer(report):
    """Untrusted JupyterLab output goes through a sanitizer that removes <svg> (leaving its text) but keeps <img>
    with a data: URI: every chart and diagram of the executed notebook is such an image."""
    notebook = json.loads(next(report.parent.glob("relationship_audit-demo-*.ipynb")).read_text(encoding="utf-8"))
    tags = _Tags()
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            tags.feed("".join(output.get("data", {}).get("text/html", "")))
    pictures = [src for src in tags.images if src.startswith("data:image/svg+xml")]
    assert tags.svg == 0 and len(pictures) >= 6


@pytest.mark.parametrize("javascript", [True, False], ids=["inline-svg", "images"])
def test_printed_pictures_are_never_split_or_cut(report, javascript):
    with open_page(report, *A4_CONTENT, javascript=javascript) as page:
        page.emulate_media(media="print")
        figures = page.locator("figure.al-chart, figure.al-diagram").evaluate_all("""figures => figures.map(f => ({
            height: f.getBoundingClientRect().height, width: f.getBoundingClientRect().width,
            avoid: getComputedStyle(f).breakInside}))""")
    assert len(figures) >= 6 and all(f["avoid"] == "avoid" for f in figures)
    too_big = [f for f in figures if f["height"] > A4_CONTENT[1] or f["width"] > A4_CONTENT[0]]
    assert too_big == [], f"pictures bigger than a printed page: {too_big}"


@pytest.mark.parametrize("which, budget", [("report", MAX_PRINTED_PAGES),
                                           ("migration_report", MAX_PRINTED_PAGES)])
def test_printed_report_fits_the_page_budget(which, budget, request):
    with open_page(request.getfixturevalue(which), *A4_CONTENT) as page:
        open_details = page.locator("details[open]").count()
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert open_details == 0  # collapsed sections print closed
    pages = pdf_page_count(pdf)
    assert 1 < pages <= budget, f"{pages} printed pages"


@pytest.mark.parametrize("which", ["report", "migration_report"])
def test_page_height_with_sections_collapsed(which, request):
    with open_page(request.getfixturevalue(which), 1400, 900) as page:
        height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= MAX_HEIGHT, f"{height:,} px tall"


@pytest.mark.parametrize("width, height", [(1400, 900), (390, 844)])
def test_first_screen_screenshots_are_saved(report, width, height):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"first-screen-{width}x{height}.png"
    with open_page(report, width, height) as page:
        page.screenshot(path=str(path))
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 10_000


def test_table_cells_carry_their_column_and_break_names_only_at_their_parts():
    import pandas as pd

    from auditlib.report.html import table_html

    html = table_html(pd.DataFrame({"object": ["public.invoices.project_id"], "note<x>": ["<b>1.5</b> & a/b"]}))
    assert html.startswith('<div class="al-table-wrap"')  # the box that scrolls a table too wide for the page
    assert '<td data-label="object">public.<wbr>invoices.<wbr>project_<wbr>id</td>' in html
    assert '<th scope="col">note&lt;x&gt;</th>' in html and 'data-label="note&lt;x&gt;"' in html
    assert "<td data-label=\"note&lt;x&gt;\">&lt;b&gt;1.5&lt;/<wbr>b&gt; &amp; a/<wbr>b</td>" in html  # 1.5 unbroken


def test_long_tables_scroll_in_a_box_of_their_own():
    import pandas as pd

    from auditlib.report.html import LONG_TABLE_ROWS, table_html

    rows = pd.DataFrame({"n": range(LONG_TABLE_ROWS + 1)})
    assert table_html(rows).startswith('<div class="al-table-wrap al-table-long"')
    assert table_html(rows.head(LONG_TABLE_ROWS)).startswith('<div class="al-table-wrap"')


def test_jupyterlab_stylesheet_is_pruned_to_the_rules_the_page_uses():
    from auditlib.report.pipeline import PRUNED_STYLESHEET_CHARS, prune_stylesheets

    filler = "".join(f".jp-Unused{n} {{ color: red; }}\n" for n in range(PRUNED_STYLESHEET_CHARS // 25))
    css = (":root { --jp-x: 1px; } @font-face { font-family: F; src: local(F); } body { margin: 0; }\n"
           ".jp-Used .al-table, .jp-Gone p { padding: 1px; } .jp-Used:not(.jp-Absent) { gap: 1px; }\n"
           "@media print { .jp-Used { color: black; } .jp-Gone { color: blue; } }\n" + filler)
    small = "<style type=\"text/css\">.jp-Gone { color: green; }</style>"  # the report's own: kept whole
    page = (f'<html><head><style type="text/css">{css}</style>{small}</head>'
            '<body class="jp-Used"><table class="al-table"></table></body></html>')
    pruned = prune_stylesheets(page)
    assert len(pruned) < len(page) // 10 and small in pruned
    for kept in ("--jp-x: 1px", "@font-face", "body { margin: 0; }", ".jp-Used .al-table, .jp-Gone p",
                 ".jp-Used:not(.jp-Absent)", "@media print", ".jp-Used { color: black; }"):
        assert kept in pruned, kept
    assert ".jp-Unused1 " not in pruned and ".jp-Gone { color: blue; }" not in pruned
