"""Open a generated HTML page in Debian's headless Chromium (Playwright, no downloaded browser) and report what
happened: console errors, network requests, dialogs (a script that ran), rendered charts and diagrams; and measure
its layout: cells whose text overflows, the page's height, the printed page count."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps"]


def chromium_path() -> str:
    """Debian's chromium, or skip the test with the reason."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    return path


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    charts: int = 0
    rendered_charts: int = 0
    diagrams: int = 0
    section_ids: list[str] = field(default_factory=list)
    text: str = ""


def visit(html_path: Path, screenshot: Path | None = None) -> PageVisit:
    """Load a local HTML file, wait for plotly to draw, and collect what the page did."""
    from playwright.sync_api import sync_playwright

    result = PageVisit()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda message: message.type == "error" and result.console_errors.append(message.text))
        page.on("pageerror", lambda error: result.console_errors.append(str(error)))
        page.on("dialog", lambda dialog: (result.dialogs.append(dialog.message), dialog.dismiss()))

        def on_request(route):
            url = route.request.url
            if not url.startswith(("file://", "data:", "about:")):
                result.requests.append(url)
                route.abort()
            else:
                route.continue_()

        page.route("**/*", on_request)
        page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_timeout(1500)
        result.charts = page.locator("figure.al-chart").count()
        result.rendered_charts = drawn_figures(page, "figure.al-chart")
        result.diagrams = drawn_figures(page, "figure.al-diagram")
        result.section_ids = page.locator("section.al-section").evaluate_all("nodes => nodes.map(n => n.id)")
        result.text = page.inner_text("body")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    return result


# -- layout measurements ---------------------------------------------------------------------------------------------
@contextmanager
def open_page(html_path: Path, width: int = 1400, height: int = 900, javascript: bool = True) -> Iterator:
    """A Playwright page showing ``html_path`` at ``width`` × ``height`` (scripts on or off); any request that is
    not for a local file or a data: URI is aborted, as a reader offline would see it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            ("file://", "data:", "about:")) else route.abort())
        page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_timeout(300)
        try:
            yield page
        finally:
            browser.close()


def drawn_figures(page, selector: str) -> int:
    """How many of the ``selector`` figures hold a drawn image or SVG with a nonzero on-screen size (an image that
    failed to decode has naturalWidth 0)."""
    return page.locator(selector).evaluate_all("""figures => figures.filter(f => {
        const art = f.querySelector('img, svg');
        if (!art) return false;
        const box = art.getBoundingClientRect();
        const decoded = art.tagName.toLowerCase() !== 'img' || art.naturalWidth > 0;
        return decoded && box.width > 0 && box.height > 0;
    }).length""")


OVERFLOWING_CELLS = """() => [...document.querySelectorAll('td, th, dt, dd')].filter(cell => {
    // Text wider than its cell spills over the neighbouring cell: the cell's content is wider than its box.
    const style = getComputedStyle(cell);
    if (style.display === 'none' || ['auto', 'scroll', 'hidden'].includes(style.overflowX)) return false;
    return cell.scrollWidth > cell.clientWidth + 1;
}).map(cell => cell.tagName.toLowerCase() + ': ' + cell.textContent.trim().slice(0, 80))"""


def overflowing_cells(page) -> list[str]:
    """The table cells (and fact-list terms) whose text is wider than the cell: what overprints a neighbour."""
    return page.evaluate(OVERFLOWING_CELLS)


def page_overflow(page) -> int:
    """How many pixels the page is wider than the window (the reader would have to scroll the whole page
    sideways); 0 when everything wide scrolls inside its own box."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF Chromium printed (its page objects are written uncompressed: ``/Type /Page``)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
