"""The HTML report as a stakeholder opens it: rendered by papermill + nbconvert, opened in headless Chromium."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from tests.browser import visit
from tests.test_cli import run_cli

pytestmark = pytest.mark.browser

EXTERNAL = re.compile(r'(?:src|href)="https?://')


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory, demo_url):
    output = tmp_path_factory.mktemp("report")
    result = run_cli("report", "--demo", "--output-dir", str(output), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return output


def test_demo_report_files(demo_report):
    html = sorted(demo_report.glob("relationship_audit-demo-*.html"))
    notebooks = sorted(demo_report.glob("relationship_audit-demo-*.ipynb"))
    assert len(html) == 1 and len(notebooks) == 1
    latest = demo_report / "latest.html"
    assert latest.resolve() == html[0].resolve()
    page = html[0].read_text(encoding="utf-8")
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert page.count("<script>") >= 1 and page.count('<figure class="al-chart">') >= 3
    assert "plotly.js v" not in page  # charts are static SVG: no plotting library in the page
    executed = json.loads(notebooks[0].read_text())
    assert executed["metadata"]["papermill"]["parameters"]["demo"] is True
    assert not any(c.get("outputs") and any(o.get("output_type") == "error" for o in c["outputs"])
                   for c in executed["cells"])


def test_demo_report_in_the_browser(demo_report, tmp_path):
    page = visit(demo_report / "latest.html", screenshot=tmp_path / "report.png")
    assert page.console_errors == []
    assert page.requests == []
    assert page.dialogs == []
    assert page.charts >= 4 and page.rendered_charts == page.charts
    assert page.diagrams >= 1
    for section in ("summary", "schema", "foreign-keys", "cascade", "duplicates", "tenancy", "jsonb", "data",
                    "functions", "code", "documentation", "recommendations", "risk-matrix", "appendices"):
        assert section in page.section_ids, section
    # the seed's findings are in the text a stakeholder reads
    for needle in ("invoices.project_id", "crew_bookings.crew_id", "organization_id IS NULL",
                   "kit_items.quantity_available", "crew~", "google_tokens", "rateCardItemId", "crew_contacts",
                   "quote_line_items", "converted_to_quote_id"):
        assert needle in page.text, needle


HOSTILE_SCHEMA = '''
CREATE TABLE "Projects<b>" (id uuid PRIMARY KEY, name text);
COMMENT ON TABLE "Projects<b>" IS '<script>alert(1)</script><img src=x onerror=alert(2)>';
CREATE TABLE invoices (id uuid PRIMARY KEY, """; drop table x; --" text, "Projects<b>_id" uuid,
                       "<script>alert(3)</script>_id" uuid);
CREATE POLICY "<img src=y onerror=alert(4)>" ON invoices USING (true);
-- a table named like an injection: listed in the report's table inventory whatever the checks find
CREATE TABLE """; drop table x; --" (id uuid PRIMARY KEY);
'''


def test_hostile_names_run_no_script(make_db, tmp_path):
    url = make_db(HOSTILE_SCHEMA)
    dsn = url.render_as_string(hide_password=False)
    result = run_cli("report", "--dsn", dsn, "--output-dir", str(tmp_path), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    page = visit(tmp_path / "latest.html")
    assert page.dialogs == []
    assert page.console_errors == []
    # shown as text, not run (the table inventory that holds the comment is closed by default: read the markup;
    # table cells may break a name after its slashes with <wbr>)
    html = (tmp_path / "latest.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.replace("<wbr>", "") and "<script>alert(1)" not in html
    assert '"; drop table x; --' in page.text
    engine = sa.create_engine(url)
    with engine.connect() as conn:  # the audit changed nothing
        assert conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relname = 'x'")).scalar() == 0
    engine.dispose()


def test_migration_report_and_table_explorer(tmp_path, demo_url):
    from auditlib.demo import migrations_folder

    result = run_cli("report", "--migrations", str(migrations_folder()), "--output-dir", str(tmp_path), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    page = visit(tmp_path / "latest-migration_audit.html")
    assert page.console_errors == [] and page.requests == []
    for section in ("migration-files", "migration-duplicates", "migration-failures", "foreign-keys"):
        assert section in page.section_ids
    assert "contacts" in page.text and "20251231_fix_data_relationships.sql" in page.text

    result = run_cli("report", "--table", "public.invoices", "--output-dir", str(tmp_path), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    page = visit(tmp_path / "latest-table_explorer.html")
    assert page.console_errors == [] and page.diagrams == 1  # the neighbourhood (deleting an invoice cascades nowhere)
    explorer = (tmp_path / "latest-table_explorer.html").read_text(encoding="utf-8")
    assert explorer.count('src="data:image/svg+xml') == 1  # stored once: one image the script puts inline
    assert "project_id" in page.text and "invoices_quote_id_fkey" in page.text

    missing = run_cli("report", "--table", "public.no_such_table", "--output-dir", str(tmp_path))
    assert missing.returncode == 2 and "no_such_table" in missing.stderr


def test_many_sources_with_an_index(tmp_path, demo_url):
    snapshot = tmp_path / "snapshot.json"
    result = run_cli("catalog", "--demo", "--format", "json", "--output", str(snapshot))
    assert result.returncode == 0, result.stderr
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "saved"\nsnapshot = "{snapshot}"\n\n'
                       '[[source]]\nname = "unset"\ndsn_env = "AUDITLIB_TEST_UNSET_VARIABLE"\n')
    result = run_cli("report", "--sources", str(sources), "--output-dir", str(tmp_path / "out"), timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    index = (tmp_path / "out" / "index.html").read_text()
    links = re.findall(r'<a href="([^"]+)">report</a>', index)
    assert len(links) == 1 and links[0].startswith("saved/") and (tmp_path / "out" / links[0]).exists()
    assert "AUDITLIB_TEST_UNSET_VARIABLE is not set" in index
    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nname = "x"\n')
    result = run_cli("report", "--sources", str(bad))
    assert result.returncode == 2 and "exactly one of" in result.stderr


def test_skipped_checks_are_on_the_first_screen(make_db, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_FLAGS, chromium_path
    from tests.test_polish_inputs import unreadable_database

    result = run_cli("report", "--dsn", unreadable_database(make_db), "--output-dir", str(tmp_path), "--no-history",
                     timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto((tmp_path / "latest.html").resolve().as_uri(), wait_until="load", timeout=120_000)
        box = page.locator("#al-skipped-warning")
        assert box.count() == 1 and box.is_visible()
        bounds = box.bounding_box()
        contents = page.locator("#al-toc").bounding_box()
        summary = page.locator("#summary").bounding_box()
        text = box.inner_text()
        page.screenshot(path=str(tmp_path / "first-screen.png"))
        browser.close()
    assert bounds["y"] < 900 and bounds["y"] + bounds["height"] <= 900, bounds  # all of it on the first screen
    assert bounds["y"] < contents["y"] < summary["y"]  # above the contents and the executive summary
    assert text.startswith("WARNING:") and "orphan_rows" in text and "permission denied" in text


def test_recommendations_offer_the_fix_plan_files_for_download(demo_report, tmp_path):
    """The report's Recommendations carry the plan `auditlib fix` writes: the same files, as download links."""
    import base64

    page = (demo_report / "latest.html").read_text(encoding="utf-8")
    section = page[page.index('id="recommendations"'):page.index('id="glossary"')]
    links = {name: base64.b64decode(encoded).decode("utf-8") for name, encoded in re.findall(
        r'<a download="([^"]+)" href="data:application/sql;charset=utf-8;base64,([^"]+)"', section)}
    written = run_cli("fix", "--demo", "--output", str(tmp_path / "fixes"))
    assert written.returncode == 0, written.stderr[-2000:]
    files = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "fixes").glob("*.sql")}
    assert files and set(links) == set(files)
    for name, text in files.items():  # the statements are the same; only the header's source line may differ
        statements = lambda sql: [line for line in sql.splitlines() if line and not line.startswith("--")]  # noqa: E731
        assert statements(links[name]) == statements(text), name
    assert "Decisions for a person" in section


def test_first_screen_has_the_verdict_and_top_issues_linked_to_their_detail(demo_report, tmp_path):
    """At 1400 × 900 the stakeholder sees what was audited, the verdict and the top issues; a top issue's link
    scrolls to its detail, and the detail's link goes back to its row of the risk matrix."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_FLAGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto((demo_report / "latest.html").resolve().as_uri(), wait_until="load", timeout=120_000)
        page.screenshot(path=str(tmp_path / "first-screen-1400.png"))
        verdict = page.locator("#verdict").bounding_box()
        scope = page.locator("#audit-scope").bounding_box()
        first_link = page.locator("#top-issues a").first
        first_row = first_link.bounding_box()
        verdict_text = page.locator("#verdict").inner_text()
        target = first_link.get_attribute("href")
        first_link.click()
        page.wait_for_timeout(300)
        card = page.locator(target).bounding_box()
        back = page.locator(f"{target} .back-link a")
        back_target = back.get_attribute("href")
        back.click()
        page.wait_for_timeout(300)
        row = page.locator(back_target).bounding_box()
        browser.close()
    assert scope["y"] + scope["height"] <= 900 and verdict["y"] + verdict["height"] <= 900
    assert first_row["y"] + first_row["height"] <= 900, first_row
    assert verdict_text.startswith("The worst problem:") and "critical" in verdict_text
    assert target.startswith("#issue-") and back_target == f"{target}-row"
    assert 0 <= card["y"] < 900 and 0 <= row["y"] < 900  # the link scrolled to the detail, and back to the row
