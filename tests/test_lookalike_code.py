"""With --code, a look-alike finding names where the code uses each of its two tables (the seed's "the code uses
both crew and crew_contacts")."""

from __future__ import annotations

from auditlib.audit import run_audit
from tests.conftest import write_files

SCHEMA = """
CREATE TABLE crew (id uuid PRIMARY KEY, full_name text, email text, phone text, day_rate numeric, role text,
                   notes text);
CREATE TABLE crew_contacts (id uuid PRIMARY KEY, full_name text, email text, phone text, day_rate integer, role text,
                            notes text);
CREATE TABLE contacts (id uuid PRIMARY KEY, full_name text, email text, phone text, company text, title text);
CREATE TABLE contacts_old (id uuid PRIMARY KEY, full_name text, email text, phone text, company text, title text);
"""

APP = {
    "src/crew.js": """
        export async function crew(supabase) {
          const { data } = await supabase.from('crew').select('*');
          await supabase.from('crew').update({ notes: 'x' }).eq('id', 1);
          return data;
        }
    """,
    "src/legacy.js": """
        export const legacy = (supabase) =>
          supabase.from('crew_contacts').select('full_name, email');
    """,
    "src/contacts.js": """
        export const contacts = (supabase) => supabase.from('contacts').select('*');
    """,
}


def test_a_lookalike_finding_names_the_code_that_uses_each_table(make_db, tmp_path):
    url = make_db(SCHEMA)
    app = write_files(tmp_path / "app", APP)
    result = run_audit(url, data=False, code_dir=app)
    found = {r["object"]: r for r in result.findings.to_dict("records") if r["check"] == "table_lookalike"}

    both = found["public.crew~public.crew_contacts"]
    assert both["evidence"]["code_uses"] == {"public.crew": ["src/crew.js:2", "src/crew.js:3"],
                                             "public.crew_contacts": ["src/legacy.js:2"]}
    assert both["detail"].endswith("The code uses both: public.crew at src/crew.js:2, src/crew.js:3; "
                                   "public.crew_contacts at src/legacy.js:2.")
    one = found["public.contacts~public.contacts_old"]
    assert one["evidence"]["code_use_counts"] == {"public.contacts": 1, "public.contacts_old": 0}
    assert "no scanned file uses public.contacts_old" in one["detail"]

    without_code = run_audit(url, data=False)
    plain = without_code.findings[without_code.findings["check"] == "table_lookalike"]
    assert len(plain) == len(found) and not any("code_uses" in e for e in plain["evidence"])
