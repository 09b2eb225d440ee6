"""Diagrams a person can read: each issue about references draws its tables and references (red) among their
neighbours, the schema gets one map per domain before the whole-schema overview. Measured on real audits: which
tables a diagram outlines (from its SVG), and in headless Chromium how large its text is drawn, whether it fits its
card at a desktop and a phone width, and how it prints."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from auditlib.audit import run_audit
from auditlib.diagrams.graph import PROBLEM_EDGE_LABELS
from auditlib.diagrams.render import svg_image
from auditlib.diagrams.views import ISSUE_MAX_NODES, PROBLEM_COLOR
from auditlib.report import Report
from tests.browser import open_page, page_overflow

MIN_FONT_PX = 9            # the smallest text a diagram may draw at 1400 px (a legend line; names are larger)
A4_CONTENT = (703, 1032)   # px of an A4 page inside the print stylesheet's margins
# The checks whose findings name a reference: an issue holding one of them has a relational shape.
RELATIONAL_CHECKS = set(PROBLEM_EDGE_LABELS) | {"tenant_column_missing", "cascade_reach"}

SCHEMA = """
CREATE TABLE organizations (id uuid PRIMARY KEY, name text);
CREATE TABLE clients (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations, name text);
CREATE TABLE projects (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations,
                       client_id uuid REFERENCES clients, name text);
CREATE TABLE invoices (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations,
                       project_id uuid, total numeric);
CREATE TABLE project_notes (id uuid PRIMARY KEY, project_id uuid NOT NULL REFERENCES projects, body text);
CREATE TABLE audit_events (organization_id uuid REFERENCES organizations, what text);
CREATE TABLE tasks (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations,
                    project_id uuid NOT NULL REFERENCES projects ON DELETE CASCADE);
CREATE TABLE task_history (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations,
                           task_id uuid NOT NULL REFERENCES tasks ON DELETE CASCADE);
INSERT INTO organizations VALUES ('00000000-0000-0000-0000-000000000001', 'a');
INSERT INTO clients VALUES ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-000000000001', 'c');
INSERT INTO projects VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001',
                             '00000000-0000-0000-0000-0000000000c1', 'p');
INSERT INTO invoices SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001',
    CASE WHEN mod(n, 5) = 0 THEN gen_random_uuid() ELSE '00000000-0000-0000-0000-0000000000a1' END, n
    FROM generate_series(1, 40) n;
INSERT INTO project_notes VALUES (gen_random_uuid(), '00000000-0000-0000-0000-0000000000a1', 'n');
"""


# -- what an issue diagram draws, from its SVG ------------------------------------------------------------------
def outlined_tables(svg: str) -> set[str]:
    """The tables a diagram outlines in the problem colour (its nodes' titles are schema.table)."""
    nodes = re.findall(r"<g\b[^>]*class=['\"]node['\"]><title>(.*?)</title>(.*?)</g>", svg, flags=re.S)
    return {unescape(title) for title, body in nodes if f"stroke='{PROBLEM_COLOR}'" in body
            or f'stroke="{PROBLEM_COLOR}"' in body}


def problem_edges(svg: str) -> set[tuple[str, str]]:
    """(from table, to table) of the edges drawn in the problem colour (ports cut off)."""
    edges = re.findall(r"<g\b[^>]*class=['\"]edge['\"]><title>(.*?)</title>(.*?)</g>", svg, flags=re.S)
    found = set()
    for title, body in edges:
        if PROBLEM_COLOR in body:
            tail, head = unescape(title).split("->")
            found.add((tail.split(":")[0], head.split(":")[0]))
    return found


def node_count(svg: str) -> int:
    return len(re.findall(r"<g\b[^>]*class=['\"]node['\"]", svg))


def svg_of(block: str) -> str:
    from urllib.parse import unquote

    match = re.search(r'src="data:image/svg\+xml;charset=utf-8,([^"]*)"', block)
    assert match, block[:200]
    return unquote(match.group(1))


@pytest.fixture(scope="module")
def small_report(embedded_server) -> Report:
    from tests.conftest import DatabaseFactory

    databases = DatabaseFactory(embedded_server, "t_issue_diagrams")
    try:
        yield Report(run_audit(databases(SCHEMA)))
    finally:
        databases.drop_all()


def issue_of(report: Report, check: str, table: str):
    found = [i for i in report.open_issues if any(f["check"] == check and f"{f['schema']}.{f['table']}" == table
                                                  for f in i.findings)]
    assert len(found) == 1, [i.title for i in report.open_issues]
    return found[0]


def test_a_missing_foreign_key_with_orphans_draws_its_table_and_reference(small_report):
    issue = issue_of(small_report, "fk_missing", "public.invoices")
    assert {"fk_missing", "orphan_rows"} <= set(issue.checks)
    svg = svg_of(small_report.issue_diagram_html(issue))
    assert outlined_tables(svg) == issue.tables == {"public.invoices"}
    assert problem_edges(svg) == {("public.invoices", "public.projects")}  # one edge for both findings
    label = re.findall(r">([^<>]*orphan rows[^<>]*)<", svg)
    assert label and "no foreign key" in label[0] and "8 orphan rows" in label[0]


def test_a_table_without_the_tenant_column_draws_its_path_to_a_tenant(small_report):
    issue = issue_of(small_report, "tenant_column_missing", "public.project_notes")
    svg = svg_of(small_report.issue_diagram_html(issue))
    assert outlined_tables(svg) == issue.tables == {"public.project_notes"}
    assert problem_edges(svg) == {("public.project_notes", "public.projects")}
    # its neighbours are drawn, grey: the table it reaches and that table's parents
    assert {"public.projects", "public.organizations", "public.clients"} <= set(
        unescape(t) for t in re.findall(r"<g class='node'><title>(.*?)</title>", svg))


def test_a_delete_that_reaches_a_protected_table_draws_its_cascade_path(small_report):
    issue = issue_of(small_report, "cascade_reach", "public.task_history")
    svg = svg_of(small_report.issue_diagram_html(issue))
    # where the deletes start (projects, and tasks, which projects' delete passes through) and the protected
    # table they reach, outlined; each step of the cascade a red edge
    assert issue.tables <= outlined_tables(svg) == {"public.projects", "public.tasks", "public.task_history"}
    assert problem_edges(svg) == {("public.tasks", "public.projects"), ("public.task_history", "public.tasks")}


def test_a_migration_that_refers_to_a_missing_table_draws_it_dashed(embedded_server, tmp_path, monkeypatch):
    from tests.conftest import TEST_HOME, write_files

    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))
    folder = write_files(tmp_path / "migrations", {
        "001_tasks.sql": "CREATE TABLE tasks (id int PRIMARY KEY, project_id int REFERENCES projects (id),\n"
                         "                    owner_id int REFERENCES people (id));\n",
        "002_projects.sql": "CREATE TABLE projects (id int PRIMARY KEY);\n"})
    report = Report(run_audit(migrations=folder))
    drawn = {}
    for issue in report.issues:
        if any(f["check"] == "ref_target_missing" for f in issue.findings):
            svg = svg_of(report.issue_diagram_html(issue))
            drawn[frozenset(problem_edges(svg))] = svg
    # the table created too late and the table no file creates: each its own issue, its reference red
    assert set(drawn) == {frozenset({("public.tasks", "public.projects")}),
                          frozenset({("public.tasks", "public.people")})}
    never = drawn[frozenset({("public.tasks", "public.people")})]
    assert "not in the schema" in never and "no file creates this table" in never
    assert outlined_tables(never) == {"public.tasks", "public.people"}  # the missing table dashed in red


def test_an_issue_without_a_relational_shape_has_no_diagram(small_report):
    issue = issue_of(small_report, "pk_missing", "public.audit_events")
    assert not set(issue.checks) & RELATIONAL_CHECKS
    assert small_report.issue_diagram_html(issue) == ""
    card = small_report.issue_card(issue)
    assert "issue-diagram" not in card and "al-diagram" not in card


def test_issue_diagrams_stay_small(small_report):
    drawn = [svg_of(html) for html in map(small_report.issue_diagram_html, small_report.issues) if html]
    assert len(drawn) >= 2 and all(node_count(svg) <= ISSUE_MAX_NODES for svg in drawn)


def test_a_diagram_of_many_references_keeps_to_its_node_budget_and_says_what_it_left_out(make_db):
    # fifteen tables each missing a foreign key to one table: more references than one diagram holds
    tables = "".join(f"CREATE TABLE child_{n} (id int PRIMARY KEY, owner_id int);\n" for n in range(15))
    report = Report(run_audit(make_db("CREATE TABLE owners (id int PRIMARY KEY);\n" + tables)))
    from auditlib import diagrams

    graph = diagrams.Graph(report.catalog, report.config, report.findings, schemas="all", analysis=report.analysis)
    records = [f for i in report.issues for f in i.findings if f["check"] == "fk_missing"]
    assert len(records) == 15
    svg = svg_of(svg_image(diagrams.to_svg(diagrams.issue_diagram(graph, records)), "diagram"))
    assert node_count(svg) == ISSUE_MAX_NODES
    assert len(problem_edges(svg)) == ISSUE_MAX_NODES - 1  # the owners table and nine of the tables referring to it
    assert "not drawn: 6 more of its references" in unescape(svg)


# -- the demo report in a browser -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report(demo_report) -> Path:
    return demo_report


CARDS = """cards => cards.map(card => {
    const figure = card.querySelector('.issue-diagram figure');
    // what the card says outside its diagram, one cell or paragraph at a time (so names don't run together)
    const text = [...card.querySelectorAll('h3, p, td, li')].filter(n => !n.closest('.issue-diagram'))
        .map(n => n.textContent).join(' ');
    return {id: card.id, text: text,
            checks: [...card.querySelectorAll('code.check-name')].map(c => c.textContent),
            svg: figure ? (figure.querySelector('svg') || {}).outerHTML || '' : null};
})"""


@pytest.mark.browser
def test_every_issue_about_references_shows_its_tables_and_no_other_issue_has_a_diagram(report):
    with open_page(report, 1400, 900) as page:
        cards = page.locator("article.issue-card").evaluate_all(CARDS)
    relational = [c for c in cards if set(c["checks"]) & RELATIONAL_CHECKS]
    assert len(relational) >= 10
    for card in relational:
        assert card["svg"], f"{card['id']} has no diagram"
        outlined = outlined_tables(card["svg"])
        named = set(re.findall(r"\b[a-z_]+\.[a-z_0-9]+", card["text"]))
        assert outlined and outlined <= named, (card["id"], outlined - named)
        assert problem_edges(card["svg"]), card["id"]
        assert node_count(card["svg"]) <= ISSUE_MAX_NODES
    others = [c for c in cards if not set(c["checks"]) & RELATIONAL_CHECKS]
    assert others and all(c["svg"] is None for c in others), [c["id"] for c in others if c["svg"] is not None]


FIT = """figures => figures.map(figure => {
    const card = figure.closest('article.issue-card, details.domain-diagrams');
    const art = figure.querySelector('svg, img');
    const box = figure.getBoundingClientRect(), frame = card.getBoundingClientRect();
    const sizes = [...figure.querySelectorAll('svg text')].map(t =>
        parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
    return {figure: [box.left, box.right], card: [frame.left, frame.right],
            art: art.getBoundingClientRect().width, inner: figure.clientWidth,
            smallest: sizes.length ? Math.min(...sizes) : 0, texts: sizes.length};
})"""


def open_every_card(page) -> None:
    page.evaluate("document.querySelectorAll('article.issue-card details, #domain-diagrams')"
                  ".forEach(d => d.open = true)")


def measured_figures(report: Path, viewport: tuple[int, int], selector: str) -> tuple[list[dict], float]:
    """Every card and domain opened at ``viewport``: the ``FIT`` measurements of the figures ``selector`` finds, and
    how far the page scrolls sideways."""
    with open_page(report, *viewport) as page:
        open_every_card(page)
        return page.locator(selector).evaluate_all(FIT), page_overflow(page)


@pytest.mark.browser
def test_issue_and_domain_diagrams_are_readable_and_fit_their_card_at_1400_px(report):
    figures, sideways = measured_figures(report, (1400, 900), ".issue-diagram figure, #domain-diagrams figure")
    assert len(figures) >= 20 and sideways <= 0
    for figure in figures:
        assert figure["texts"] >= 3 and figure["smallest"] >= MIN_FONT_PX, figure
        assert figure["card"][0] <= figure["figure"][0] and figure["figure"][1] <= figure["card"][1] + 0.5, figure
        assert figure["art"] <= figure["inner"] + 0.5, figure  # drawn within its frame, nothing cut


@pytest.mark.browser
def test_issue_diagrams_stay_inside_their_card_on_a_phone(report):
    figures, sideways = measured_figures(report, (390, 844), ".issue-diagram figure")
    assert len(figures) >= 10 and sideways <= 0
    # the frame stays in the card (the diagram scrolls inside it at a legible scale)
    assert all(f["card"][0] <= f["figure"][0] and f["figure"][1] <= f["card"][1] + 0.5 for f in figures)
    assert all(f["smallest"] >= MIN_FONT_PX for f in figures)


@pytest.mark.browser
def test_domain_diagrams_come_before_the_whole_schema_overview(report):
    with open_page(report, 1400, 900) as page:
        order = page.locator("#domain-diagrams, figure.al-zoomable").evaluate_all(
            "nodes => nodes.map(n => n.id || 'overview')")
        headings = page.locator("#domain-diagrams h4").evaluate_all("hs => hs.map(h => h.textContent)")
        maps = page.locator("#domain-diagrams figure").count()
        closed = page.locator("#domain-diagrams").evaluate("d => !d.open")
    assert order == ["domain-diagrams", "overview"]
    assert closed and maps == len(headings) >= 5 and all(h.startswith("Domain: ") for h in headings)


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["inline-svg", "images"])
def test_printed_issue_diagrams_keep_to_one_page(report, javascript):
    with open_page(report, *A4_CONTENT, javascript=javascript) as page:
        page.emulate_media(media="print")
        open_cards = page.locator(".issue-diagram figure").evaluate_all(
            "figures => figures.filter(f => !f.closest('details:not([open])')).length")
        figures = page.locator(".issue-diagram figure").evaluate_all("""figures => figures
            .filter(f => f.getBoundingClientRect().height > 0)
            .map(f => ({height: f.getBoundingClientRect().height, width: f.getBoundingClientRect().width,
                        avoid: getComputedStyle(f).breakInside}))""")
    # the top issues' cards are open, so their diagrams print; the others print closed
    assert len(figures) == open_cards >= 1
    assert all(f["avoid"] == "avoid" and f["height"] <= A4_CONTENT[1] and f["width"] <= A4_CONTENT[0]
               for f in figures), figures


def test_compact_svg_keeps_every_text_look_in_a_class_of_its_own_diagram():
    import graphviz

    from auditlib.diagrams import to_svg

    def drawn(colour: str) -> str:
        graph = graphviz.Digraph(node_attr={"fontname": "Helvetica"}, edge_attr={"fontname": "Helvetica"})
        graph.node("a", label=f'<<TABLE><TR><TD><FONT COLOR="{colour}" POINT-SIZE="8">a-b</FONT></TD></TR></TABLE>>')
        graph.edge("a", "b", label="x y")
        return svg_of(svg_image(to_svg(graph), "d"))

    first, second = drawn("#ff0000"), drawn("#0000ff")
    for svg in (first, second):
        assert "font-family=" not in svg and "xml:space" not in svg and " id='node" not in svg
        used = set(re.findall(r"<text[^>]*class='([^']+)'", svg))
        defined = set(re.findall(r"\.(t[0-9a-f]+)\{", svg))
        assert used and used == defined  # every text's look is a rule of this diagram's own style
        assert ">a-b<" in svg  # the text as drawn (graphviz's escaped hyphen made plain)
    assert not set(re.findall(r"\.(t[0-9a-f]+)\{", first)) & set(re.findall(r"\.(t[0-9a-f]+)\{", second))
    assert "fill:#ff0000" in first and "fill:#0000ff" in second


def test_issue_diagrams_laid_out_in_the_background_are_the_ones_drawn_in_place(small_report):
    """``lay_out_diagrams`` lays out every issue's diagram alongside the first sections; the cards it gives are the
    cards drawn one at a time without it (same tables, edges and labels), and an issue without a relational shape
    still gets none."""
    from auditlib.report import Report

    background = Report(small_report.result)
    background.lay_out_diagrams()
    laid_out = background._issue_layouts.result()
    assert laid_out and set(laid_out) < {issue.anchor for issue in background.issues}
    for issue in small_report.issues:
        in_place, ahead = small_report.issue_diagram_html(issue), background.issue_diagram_html(issue)
        assert bool(in_place) == (issue.anchor in laid_out)
        if in_place:
            assert svg_of(ahead) == svg_of(in_place), issue.title
        else:
            assert ahead == ""
