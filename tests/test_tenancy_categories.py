"""Table categories come from compiled ``tenancy.categories`` patterns and equal a glob match pattern by pattern."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path

from auditlib.catalog import load_catalog
from auditlib.config import AuditConfig
from auditlib.model.tenancy import table_category

CORPUS = Path(__file__).parent / "corpus"
CREATE_TABLE = re.compile(r'CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"?\w+"?\.)?"?([^"\s(]+)"?', re.IGNORECASE)
# names at the edges of the globs: exact names, prefixes without their separator, case, suffix patterns
EDGE_NAMES = ["kit", "kit_", "kits", "Kit_Items", "settings", "user_settings", "settings_x", "oauth_tokens",
              "tokens", "sport", "SPORTS", "audit", "event_audit", "auditorium", "a.b", "x[1]", "", "Other"]


def _category_by_fnmatch(table_name: str, config: AuditConfig) -> str:
    """The category as it was computed before the patterns were compiled: every glob tried in turn."""
    name = table_name.lower()
    for category, patterns in config.get("tenancy", "categories").items():
        if any(fnmatchcase(name, pattern.lower()) for pattern in patterns):
            return category
    return "Other"


def _corpus_tables() -> list[str]:
    return [m.group(1) for path in sorted(CORPUS.glob("*/schema.sql"))
            for m in CREATE_TABLE.finditer(path.read_text(encoding="utf-8"))]


def test_categories_equal_the_glob_match_on_the_demo_and_the_corpus(demo_url):
    config = AuditConfig()
    demo_tables = [t["name"] for t in load_catalog(demo_url).records("user_tables")]
    corpus_tables = _corpus_tables()
    assert len(demo_tables) > 50 and len(corpus_tables) > 100
    names = demo_tables + corpus_tables + EDGE_NAMES
    assert [table_category(n, config) for n in names] == [_category_by_fnmatch(n, config) for n in names]
    assert len({table_category(n, config) for n in demo_tables}) > 5   # the demo spans many categories


def test_configured_categories_keep_their_order_and_glob_syntax():
    config = AuditConfig()
    config["tenancy"]["categories"] = {"Empty": [], "Exact": ["Kit"], "Classes": ["[ab]?_*", "*[!x]_log"],
                                       "Escaped": ["a.b", "x[[]1]"], "Late": ["kit*"]}
    names = ["kit", "kits", "ab_x", "a1_x", "b_", "app_log", "x_log", "a.b", "axb", "x[1]", "kit_x"]
    assert [table_category(n, config) for n in names] == [_category_by_fnmatch(n, config) for n in names]
    assert table_category("kit", config) == "Exact" and table_category("kits", config) == "Late"
    assert table_category("axb", config) == "Other"
