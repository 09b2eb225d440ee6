"""Open a generated HTML page in Debian's headless Chromium (Playwright, no downloaded browser) and report what
happened: console errors, network requests, dialogs (a script that ran), rendered charts and diagrams."""

from __future__ import annotations

import shutil
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
        result.charts = page.locator("div.plotly-graph-div").count()
        result.rendered_charts = page.locator("div.plotly-graph-div svg.main-svg").evaluate_all(
            "nodes => new Set(nodes.map(n => n.closest('div.plotly-graph-div').id)).size")
        result.diagrams = page.locator(".al-diagram svg").count()
        result.section_ids = page.locator("section.al-section").evaluate_all("nodes => nodes.map(n => n.id)")
        result.text = page.inner_text("body")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    return result
