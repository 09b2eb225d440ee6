"""The code scan: what application source names (JavaScript/TypeScript via tree-sitter, Python via ast) and the four
code checks against a real database — every construct with a case that must and one that must not be reported,
and the demo app folder against the demo database (auditlib/demo/app/README.md is the answer key)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from auditlib.audit import run_checks
from auditlib.catalog import load_catalog
from auditlib.codescan import (
    CodeScanError,
    closest_names,
    parse_logic_filter,
    parse_select,
    scan_code,
    snake_case,
    sql_tables,
    sql_tables_by_pattern,
)
from auditlib.config import AuditConfig
from tests.conftest import write_files

DEMO_APP = Path(__file__).parent.parent / "auditlib" / "demo" / "app"
CODE_CHECKS = ("code_table_unknown", "code_column_unknown", "code_field_unmapped", "table_unused_in_code")

SCHEMA = """
CREATE SCHEMA crm;
CREATE TABLE public.clients (id uuid PRIMARY KEY, company text, contacts jsonb, status text, organization_id uuid);
CREATE TABLE public.contacts (id uuid PRIMARY KEY, client_id uuid REFERENCES public.clients (id), name text,
    email text, first_name text, is_primary boolean);
CREATE TABLE public.crew_departments (id uuid PRIMARY KEY, name text);
CREATE TABLE public.crew (id uuid PRIMARY KEY, first_name text, last_name text, day_rate numeric,
    department_id uuid REFERENCES public.crew_departments (id));
CREATE TABLE public.crew_bookings (id uuid PRIMARY KEY, crew_id uuid REFERENCES public.crew (id), days int,
    day_rate numeric);
CREATE TABLE public.invoices (id uuid PRIMARY KEY, client_id uuid REFERENCES public.clients (id), status text,
    total numeric, line_items jsonb, created_at timestamptz);
CREATE TABLE public.activities (id uuid PRIMARY KEY, subject text);
CREATE TABLE public.email_threads (id uuid PRIMARY KEY, subject text);
CREATE TABLE public.gmail_tokens (id uuid PRIMARY KEY, user_id uuid);
CREATE TABLE public.audit_logs (id bigserial PRIMARY KEY, table_name text);
CREATE TABLE public.report_source (id uuid PRIMARY KEY, total numeric);
CREATE TABLE public.rpc_only (id uuid PRIMARY KEY);
CREATE TABLE public.events (id uuid, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE crm.leads (id uuid PRIMARY KEY, score int);
CREATE VIEW public.client_report AS SELECT r.id, r.total FROM public.report_source r;
CREATE FUNCTION public.next_number() RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM public.rpc_only $$;
CREATE FUNCTION public.full_name(public.crew) RETURNS text LANGUAGE sql AS $$ SELECT $1.first_name $$;
CREATE FUNCTION public.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.audit_logs (table_name) VALUES (TG_TABLE_NAME);
    RETURN NEW;
END $$;
CREATE TRIGGER invoices_log AFTER INSERT ON public.invoices FOR EACH ROW EXECUTE FUNCTION public.log_change();
"""


@pytest.fixture(scope="module")
def catalog(embedded_server):
    """One catalog of SCHEMA for the whole module (the checks never write)."""
    url = embedded_server.create_database("t_codescan", replace=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(SCHEMA)
    loaded = load_catalog(engine)
    engine.dispose()
    embedded_server.drop_database("t_codescan")
    return loaded



@pytest.fixture
def audit(tmp_path, catalog):
    """``audit(files)`` → {check: sorted objects} for the code checks on SCHEMA's catalog."""

    def run(files: dict[str, str | bytes], schemas=("public", "crm"), config=None):
        scan = scan_code(write_files(tmp_path / "app", files), config)
        findings = run_checks(catalog, config or AuditConfig(), kinds=("code",), code_scan=scan,
                              schemas=list(schemas))
        result = {name: [] for name in CODE_CHECKS}
        for finding in findings:
            result[finding.check].append(finding.object)
            assert finding.key == f"{finding.check}:{finding.object}" and finding.title and finding.detail
        run.findings = findings
        run.scan = scan
        return {name: sorted(objects) for name, objects in result.items()}
    return run


def evidence(findings, obj: str) -> dict:
    [finding] = [f for f in findings if f.object == obj]
    return finding.evidence


# -- pure parsing --------------------------------------------------------------------------------------------------
def test_select_grammar():
    items = [(kind, path, name, alias) for kind, path, name, _, alias in parse_select(
        "id, total:total_charge, data->a->>b, status::text, *, amount.sum(), count(), "
        "client:clients!inner(id, contacts(name, count)), other:rel!fk_name(e), ...spread(f)")]
    assert items == [
        ("column", (), "id", None), ("column", (), "total_charge", "total"), ("column", (), "data", None),
        ("column", (), "status", None), ("column", (), "amount", None),
        ("relation", ("clients",), "clients", "client"), ("column", ("clients",), "id", None),
        ("relation", ("clients", "contacts"), "contacts", None), ("column", ("clients", "contacts"), "name", None),
        ("relation", ("rel",), "rel", "other"), ("column", ("rel",), "e", None),
        ("relation", ("spread",), "spread", None), ("column", ("spread",), "f", None)]


def test_logic_filter_columns():
    found = [c for c, _ in parse_logic_filter("status.eq.paid,and(total.gt.1,not.or(a.is.null,b.in.(1,2))),"
                                              'name.ilike."x,y"')]
    assert found == ["status", "total", "a", "b", "name"]


def test_sql_tables_parse_and_pattern():
    found, created = sql_tables("WITH recent AS (SELECT * FROM invoices) SELECT * FROM recent JOIN crm.leads l ON "
                                "true WHERE id = %s AND x = :y AND z = ? AND w::text = %(name)s")
    assert sorted((s or "", t) for s, t, _ in found) == [("", "invoices"), ("crm", "leads")] and not created
    assert sql_tables("SELECT * FROM ${broken") is None
    # run-time parts never become names, even quoted; the offsets point into the original text
    text = 'SELECT count(*) FROM "\x00"."\x00" JOIN runs\x00 ON true JOIN {table} t ON true, ghost'
    found, _ = sql_tables(text)
    assert [(t, text[o:o + len(t)]) for _, t, o in found] == [("runs", "runs"), ("ghost", "ghost")]
    found, created = sql_tables("CREATE TEMP TABLE bulk_org AS SELECT * FROM organizations; "
                                "INSERT INTO quotes SELECT * FROM bulk_org; CREATE INDEX i ON quotes (id)")
    assert sorted(t for _, t, _ in found) == ["bulk_org", "organizations", "quotes"] and created == {"bulk_org"}
    assert sql_tables("CREATE TABLE notes (id int REFERENCES users (id)); CREATE VIEW v AS SELECT * FROM notes") == \
        ([], set())  # DDL: what a migration defines is not a use
    found, created = sql_tables_by_pattern(
        "CREATE TEMP TABLE tmp_x AS SELECT EXTRACT(YEAR FROM created_at), a IS DISTINCT FROM b FROM \x00 "
        "JOIN ghost ON note = 'from home' JOIN public.\x00 ON true WHERE x IN (SELECT 1 FROM inner_t)",
        any_case=False)
    assert [t for _, t, _ in found] == ["ghost", "inner_t"] and created == {"tmp_x"}


def test_names():
    assert snake_case("rateCardItemId") == "rate_card_item_id" and snake_case("userID") == "user_id"
    assert closest_names("crew_contacts", ["crew", "contacts", "crew_documents"])[0] == "crew"
    assert closest_names("crew_member", ["crew", "crew_members"])[0] == "crew_members"
    assert closest_names("quote_line_items", ["quote_versions", "quote_templates", "invoices"]) == \
        ["quote_templates", "quote_versions"]


# -- tables --------------------------------------------------------------------------------------------------------
def test_unknown_table_and_rpc_with_closest_names(audit):
    found = audit({"src/store.js": """
        export async function load(id) {
            await supabase.from('clients').select('id').eq('id', id);
            await supabase.from('crew_contacts').select('id');
            await supabase.from('crew_contacts').delete().eq('id', id);
            await supabase.rpc('next_number');
            await supabase.rpc('check_seat_limit', { org: id });
        }
    """})
    assert found["code_table_unknown"] == ["code:src/store.js:check_seat_limit()",
                                          "code:src/store.js:crew_contacts"]
    first = evidence(audit.findings, "code:src/store.js:crew_contacts")
    assert first["closest"][0] == "crew" and first["lines"] == [3, 4]
    [finding] = [f for f in audit.findings if f.object == "code:src/store.js:crew_contacts"]
    assert (finding.file, finding.line, finding.schema, finding.severity) == ("src/store.js", 3, "public", "high")


def test_template_literals(audit):
    found = audit({"src/email.js": """
        export const threads = () => supabase.from(`email_threads`).select(`id, subject`);
        export const missing = () => supabase.from(`email_thread`).select('id');
        export const tokens = (provider) => supabase.from(`${provider}_tokens`).select('id');
        export const byTable = (table) => supabase.from(table).select('id');
    """})
    assert found["code_table_unknown"] == ["code:src/email.js:email_thread"]
    assert "public.email_threads" not in found["table_unused_in_code"]
    assert "public.gmail_tokens" in found["table_unused_in_code"]
    assert evidence(audit.findings, "public.gmail_tokens")["dynamic_references"] == \
        [{"pattern": "*_tokens", "at": "src/email.js:3"}]


def test_commented_out_code_is_not_read(audit):
    found = audit({"src/crew.js": """
        // const { data } = await supabase.from('crew_members').select('*');
        /* await supabase.from('old_crew').insert({ a: 1 }); */
        export const load = () => supabase.from('crew').select('id'); // .from('ghost_after_code')
        // TODO: persist once live
        // await supabase.from('activities').insert({ subject: 'x' });
    """})
    assert found["code_table_unknown"] == []
    assert "public.activities" in found["table_unused_in_code"]
    assert evidence(audit.findings, "public.activities")["mentioned_in_comments"] == ["src/crew.js:5"]


def test_strings_that_only_look_like_sql(audit):
    found = audit({"src/report.js": """
        const EXPORT_SQL = `
            SELECT i.total, c.company
            FROM invoices i
            LEFT JOIN ghost_clients c ON c.id = i.client_id
        `;
        const PIPELINE = 'SELECT status, count(*) FROM clients ' + 'JOIN ghost_stage s ON true GROUP BY status';
        export async function run(pool, table) {
            await pool.query(EXPORT_SQL);
            await pool.query('update ghost_lower set status = $1 where id = $2', ['x', 1]);
            await pool.query(`SELECT * FROM ${table} JOIN ghost_pattern g ON true`);
            await pool.query(`WITH recent AS (SELECT * FROM invoices) SELECT * FROM recent`);
            console.info('Export ready: select a format from the menu, then update your records in the CRM');
            console.log('Select a format from the menu');
            const hint = 'Select the rows from the grid, then delete from the list';
            const HELP = 'SELECT a template from the list';
            await prisma.$queryRaw`select * from ghost_prisma where id = ${1}`;
            alert('update from server failed');
            throw new Error('Could not delete from queue: nothing to update');
        }
    """})
    assert found["code_table_unknown"] == ["code:src/report.js:ghost_clients", "code:src/report.js:ghost_lower",
                                          "code:src/report.js:ghost_pattern", "code:src/report.js:ghost_prisma",
                                          "code:src/report.js:ghost_stage"]
    tables = {(r.table, r.line) for r in audit.scan.tables if r.via == "sql"}
    assert {("invoices", 3), ("clients", 6), ("invoices", 11)} <= tables
    assert not {t for t, _ in tables} & {"the", "queue", "server", "recent", "menu", "list"}


def test_schema_chained_before_from(audit):
    found = audit({"src/crm.ts": """
        export const leads = () => supabase.schema('crm').from('leads').select('id, score').gt('score', 5);
        export const wrong = () => supabase.schema('crm').from('clients').select('id');
        export const departments = () => supabase.schema('public').from('crew_departments').select('name');
        const crm = supabase.schema('crm');
        export const scores = () => crm.from('leads').select('score, bogus_crm');
    """})
    assert found["code_table_unknown"] == ["code:src/crm.ts:crm.clients"]
    assert found["code_column_unknown"] == ["code:src/crm.ts:crm.leads.bogus_crm"]
    [finding] = [f for f in audit.findings if f.check == "code_table_unknown"]
    assert finding.schema == "crm" and finding.evidence["in_other_schemas"] == ["public"]
    # findings in a schema that is not audited are dropped like every other finding
    assert audit({"src/crm.ts": "supabase.schema('crm').from('clients').select('id');"},
                 schemas=("public",))["code_table_unknown"] == []


def test_not_database_calls(audit):
    found = audit({"src/misc.js": """
        const bytes = Buffer.from('aGVsbG8=', 'base64');
        const letters = Array.from('abc');
        const url = supabase.storage.from('avatars').getPublicUrl('me.png');
        console.table('rows');
        socket.on('message', { table: 'ghost_socket' });
    """})
    assert found["code_table_unknown"] == []


def test_realtime_and_orm_declarations(audit):
    found = audit({"src/realtime.js": """
        supabase?.channel('c').on('postgres_changes', { event: '*', schema: 'public', table: 'clients' }, cb)
            .on('postgres_changes', { event: '*', schema: 'public', table: 'ghost_live' }, cb).subscribe();
        export const invoicesTable = pgTable('invoices', { id: uuid('id') });
        const Model = sequelize.define('Lead', {}, { tableName: 'ghost_sequelize' });
    """, "src/entity.ts": """
        @Entity({ name: 'ghost_entity' })
        export class Thing {}
    """})
    assert found["code_table_unknown"] == ["code:src/entity.ts:ghost_entity",
                                          "code:src/realtime.js:ghost_live",
                                          "code:src/realtime.js:ghost_sequelize"]
    assert {"public.clients", "public.invoices"}.isdisjoint(found["table_unused_in_code"])


# -- columns -------------------------------------------------------------------------------------------------------
def test_select_aliases_and_nested_relations(audit):
    found = audit({"src/invoices.js": """
        export const list = () => supabase
            .from('invoices')
            .select('id, amount:total, st:status::text, items:line_items->0, bogus:nope, '
                    + 'client:clients(id, company, contacts(name, email, is_primary, shoe_size)), ghost_rel(id)')
            .order('company', { referencedTable: 'clients' })
            .eq('client.company', 'Acme');
        export const crew = () => supabase.from('crew').select('first_name, full_name, department:department_id(name)');
    """})
    assert found["code_column_unknown"] == ["code:src/invoices.js:contacts.shoe_size",
                                           "code:src/invoices.js:invoices.nope"]
    assert found["code_table_unknown"] == ["code:src/invoices.js:invoices(ghost_rel)"]
    assert evidence(audit.findings, "code:src/invoices.js:invoices(ghost_rel)")["embedded_in"] == "public.invoices"
    assert evidence(audit.findings, "code:src/invoices.js:invoices.nope")["closest"] == []
    # clients has a JSON column named contacts: with parentheses it is the embedded table
    assert evidence(audit.findings, "code:src/invoices.js:contacts.shoe_size")["embedded_path"] == \
        ["clients", "contacts"]


def test_filters_order_and_logic_filters(audit):
    found = audit({"src/clients.js": """
        export const search = (term) => supabase.from('clients')
            .select('id')
            .eq('status', 'active').neq('status_code', 1).in('id', []).is('company', null)
            .not('organization_id', 'is', null).filter('contacts->>name', 'eq', 'x')
            .match({ company: 'Acme', regoin: 'EU' })
            .or(`company.ilike.%${term}%,and(status.eq.x,bogus_or.is.null)`)
            .order('created_at', { ascending: false });
        export async function filtered(status) {
            let query = supabase.from('clients').select('id');
            if (status) query = query.eq('ghost_refined', status);
            return await query;
        }
    """})
    assert found["code_column_unknown"] == ["code:src/clients.js:clients.bogus_or",
                                           "code:src/clients.js:clients.created_at",
                                           "code:src/clients.js:clients.ghost_refined",
                                           "code:src/clients.js:clients.regoin",
                                           "code:src/clients.js:clients.status_code"]
    assert evidence(audit.findings, "code:src/clients.js:clients.status_code")["closest"] == ["status"]


def test_written_objects_and_camel_case_keys(audit):
    found = audit({"src/store/crewStore.js": """
        import { toRow } from '../lib/rows';
        export async function book(booking, rows) {
            await supabase.from('crew_bookings').insert({
                crew_id: booking.crewId,
                days: booking.days,
                dayRate: booking.dayRate,
            });
            await supabase.from('crew_bookings').insert([{ days: 1 }, { day_rate: 2, weeks: 1 }]);
            await supabase.from('crew_bookings').upsert({ days: 1 }, { onConflict: 'crew_id,shift' });
            const row = toRow(booking);
            await supabase.from('contacts').update(row).eq('id', booking.id);
            await supabase.from('contacts').insert(row);
            await supabase.from('crew_bookings').update({ ...base(booking), days: 2 });
            await supabase.from('crew_bookings').update(rows);
        }
        function base(booking) {
            return { crew_id: booking.crewId, dayCount: booking.days };
        }
    """, "src/lib/rows.js": """
        export function toRow(contact) {
            return {
                name: contact.name,
                first_name: contact.firstName,
                isPrimary: contact.isPrimary,
            };
        }
    """})
    assert found["code_column_unknown"] == [
        "code:src/lib/rows.js:contacts.isPrimary", "code:src/store/crewStore.js:crew_bookings.dayCount",
        "code:src/store/crewStore.js:crew_bookings.dayRate", "code:src/store/crewStore.js:crew_bookings.shift",
        "code:src/store/crewStore.js:crew_bookings.weeks"]
    assert evidence(audit.findings, "code:src/store/crewStore.js:crew_bookings.dayRate")["probably"] == \
        "day_rate (camelCase not mapped)"
    primary = evidence(audit.findings, "code:src/lib/rows.js:contacts.isPrimary")
    assert primary["probably"] == "is_primary (camelCase not mapped)"
    assert primary["calls"] == ["src/store/crewStore.js:11", "src/store/crewStore.js:12"]
    assert "probably" not in evidence(audit.findings, "code:src/store/crewStore.js:crew_bookings.dayCount")


def test_camel_case_keys_inside_json_values(audit):
    found = audit({"src/mapping.js": """
        export const FIELD_MAP = { rateCardItemId: 'rate_card_item_id', clientId: 'client_id' };
        export const itemToDb = (item) => ({ rate_card_item_id: item.rateCardItemId ?? null });
    """, "src/invoices.js": """
        export const create = (items, meta) => supabase.from('invoices').insert({
            status: 'draft',
            line_items: items.map((item) => ({
                unit_price: item.charge,
                rateCardItemId: item.rateCardItemId,
                kitItemId: item.kitItemId,
            })),
        });
    """})
    # kitItemId has no mapping anywhere: the JSON may legitimately use camelCase, so it is not reported
    assert found["code_field_unmapped"] == ["code:src/invoices.js:invoices.line_items.rateCardItemId"]
    assert found["code_column_unknown"] == []
    assert evidence(audit.findings, "code:src/invoices.js:invoices.line_items.rateCardItemId")["mapped_at"] == \
        ["src/mapping.js:1", "src/mapping.js:2"]


def test_unused_tables_through_views_functions_triggers(audit):
    found = audit({"src/app.js": """
        supabase.from('client_report').select('id');
        supabase.rpc('next_number');
        supabase.from('invoices').insert({ status: 'draft' });
    """})
    unused = found["table_unused_in_code"]
    assert {"public.report_source", "public.rpc_only", "public.audit_logs", "public.invoices"}.isdisjoint(unused)
    assert "public.events_2024" not in unused and "public.events" in unused  # partitions go with their parent
    assert {"public.activities", "public.clients", "crm.leads"} <= set(unused)
    assert [f.severity for f in audit.findings if f.check == "table_unused_in_code"][0] == "info"
    ignoring = AuditConfig().with_overrides({"code": {"unused_ignore_tables": ["activities", "crm.*"]}})
    unused = audit({"src/app.js": "supabase.from('invoices').select('id');"}, config=ignoring)["table_unused_in_code"]
    assert "public.activities" not in unused and "crm.leads" not in unused and "public.clients" in unused


def test_folder_without_database_code_reports_nothing(audit):
    assert audit({"src/util.js": "export const add = (a, b) => a + b;"}) == {name: [] for name in CODE_CHECKS}


# -- keys ------------------------------------------------------------------------------------------------------------
KEYED_APP = {"src/store.js": """
    import { FIELD_MAP } from './map';
    export async function save(items) {
        await supabase.from('ghost_store').select('id');
        await supabase.rpc('ghost_rpc');
        await supabase.from('invoices').select('id, ghost_rel(id), status_code');
        await supabase.schema('crm').from('ghost_store').select('id');
        await supabase.from('invoices').insert({ line_items: items.map((i) => ({ rateCardItemId: i.id })) });
    }
""", "src/map.js": "export const FIELD_MAP = { rateCardItemId: 'rate_card_item_id' };\n"}


def test_keys_survive_edits_that_move_code(audit):
    """A finding's key names the file and the name, not the line: code moved down keeps its keys."""
    audit(KEYED_APP)
    before = {f.key: f.line for f in audit.findings if f.check != "table_unused_in_code"}
    header = "// a new header comment\n\n"
    moved = {**KEYED_APP, "src/store.js": header + textwrap.dedent(KEYED_APP["src/store.js"]).lstrip("\n")}
    audit(moved)
    after = {f.key: f.line for f in audit.findings if f.check != "table_unused_in_code"}
    assert sorted(after) == sorted(before) == [
        "code_column_unknown:code:src/store.js:invoices.status_code",
        "code_field_unmapped:code:src/store.js:invoices.line_items.rateCardItemId",
        "code_table_unknown:code:src/store.js:crm.ghost_store",
        "code_table_unknown:code:src/store.js:ghost_rpc()",
        "code_table_unknown:code:src/store.js:ghost_store",
        "code_table_unknown:code:src/store.js:invoices(ghost_rel)"]
    assert all(after[key] == line + 2 for key, line in before.items())  # the line moved, in file/line and detail


def test_a_json_key_written_in_several_places_of_a_file_is_one_finding(audit):
    found = audit({"src/map.js": "export const FIELD_MAP = { rateCardItemId: 'rate_card_item_id' };\n",
                   "src/invoices.js": """
        export const draft = (id) => supabase.from('invoices').insert({ line_items: [{ rateCardItemId: id }] });
        export const copy = (id) => supabase.from('invoices').update({ line_items: [{ rateCardItemId: id }] });
    """})
    assert found["code_field_unmapped"] == ["code:src/invoices.js:invoices.line_items.rateCardItemId"]
    [finding] = [f for f in audit.findings if f.check == "code_field_unmapped"]
    assert (finding.line, finding.evidence["lines"]) == (1, [1, 2])
    assert finding.evidence["calls"] == ["src/invoices.js:1", "src/invoices.js:2"]
    assert "(2 places in this file; the write at src/invoices.js:1)" in finding.detail


# -- languages and files -------------------------------------------------------------------------------------------
def test_python_sources(audit):
    found = audit({"app/db.py": '''
        """Update the rows from the table: a docstring, not SQL."""
        from .rows import to_row

        def load(supabase, cursor, table):
            # supabase.table("ghost_comment").select("*").execute()
            supabase.table("clients").select("id", "company").eq("status", "x").execute()
            supabase.table("ghost_py").select("id").execute()
            supabase.schema("crm").from_("leads").select("score, bogus_py").in_("id", [1]).execute()
            supabase.table("contacts").insert(to_row({})).execute()
            cursor.execute("SELECT * FROM invoices JOIN ghost_sql g ON true WHERE id = %s", (1,))
            cursor.execute(f"SELECT * FROM {table}")
            query = supabase.table("invoices").select("id")
            query = query.eq("ghost_refined", 1)
            query.execute()
            cursor.execute("CREATE TEMP TABLE tmp_ids (id uuid)")
            cursor.execute("SELECT * FROM tmp_ids JOIN clients ON true")
            logger.info("Select a format from the menu")
            raise ValueError("SELECT failed from the server")
    ''', "app/rows.py": '''
        def to_row(contact):
            return {"name": contact.get("name"), "isPrimary": contact.get("is_primary")}
    ''', "app/models.py": '''
        class Ghost(Base):
            __tablename__ = "ghost_orm"

        class Invoice(Base):
            __tablename__ = "invoices"
    '''})
    assert found["code_table_unknown"] == ["code:app/db.py:ghost_py", "code:app/db.py:ghost_sql",
                                          "code:app/models.py:ghost_orm"]
    assert found["code_column_unknown"] == ["code:app/db.py:crm.leads.bogus_py",
                                           "code:app/db.py:invoices.ghost_refined", "code:app/rows.py:contacts.isPrimary"]


def test_typescript_vue_and_svelte(audit):
    found = audit({"src/api.ts": """
        type Row = { id: string };
        export const rows = async () => (await supabase.from<Row>('clients').select('id, ghost_ts')) as unknown;
    """, "src/View.tsx": """
        export const View = () => <div onClick={() => supabase.from('ghost_tsx').select('id')!}>x</div>;
    """, "src/Card.vue": """
        <template><div>{{ supabase.from('ghost_template') }}</div></template>
        <script setup lang="ts">
        const load = () => supabase.from('ghost_vue').select('id');
        </script>
    """, "src/Card.svelte": """
        <script>
          const load = () => supabase.from('ghost_svelte').select('id');
        </script>
        <p>from('ghost_markup')</p>
    """})
    assert found["code_table_unknown"] == ["code:src/Card.svelte:ghost_svelte", "code:src/Card.vue:ghost_vue",
                                          "code:src/View.tsx:ghost_tsx"]
    assert found["code_column_unknown"] == ["code:src/api.ts:clients.ghost_ts"]


def test_skipped_and_odd_files(audit):
    ghost = "supabase.from('ghost_{}').select('id');\n"
    found = audit({
        "node_modules/lib/index.js": ghost.format("node_modules"),
        "dist/app.js": ghost.format("dist"),
        "vendor/lib.js": ghost.format("vendor"),
        ".next/page.js": ghost.format("next"),
        "src/app.min.js": ghost.format("minified"),
        "src/big.js": ghost.format("big") + "// " + "x" * 1_100_000,
        "src/latin1.js": "// caf\xe9\nsupabase.from('ghost_latin1').select('id');\n".encode("latin-1"),
        "src/binary.js": b"\x00\x01\x02",
        "src/broken.py": "def broken(:\n",
        "src/partial.js": "supabase.from('ghost_partial').select('id');\nfunction (\n",
        "src/readme.md": ghost.format("markdown"),
    })
    assert found["code_table_unknown"] == ["code:src/latin1.js:ghost_latin1", "code:src/partial.js:ghost_partial"]
    reasons = {s["file"]: s["reason"] for s in audit.scan.skipped}
    assert set(reasons) == {"src/app.min.js", "src/big.js", "src/binary.js", "src/broken.py"}
    assert reasons["src/broken.py"].startswith("does not parse as Python 3")
    assert {n["file"] for n in audit.scan.notes} == {"src/latin1.js", "src/partial.js"}


def test_missing_folder(tmp_path):
    with pytest.raises(CodeScanError, match="does not exist"):
        scan_code(tmp_path / "nope")


def test_matrix_and_references(audit, catalog):
    from auditlib.codescan import reference_matrix

    audit({"src/a.js": "supabase.from('clients').select('id, contacts(name)');\nsupabase.from('clients');",
           "src/b.js": "supabase.from('invoices').select('id'); supabase.rpc('next_number');"})
    matrix = reference_matrix(audit.scan, catalog)
    assert matrix.loc["public.clients", "src/a.js"] == 2 and matrix.loc["public.contacts", "src/a.js"] == 1
    assert matrix.loc["public.invoices", "src/b.js"] == 1 and matrix.loc["public.clients", "src/b.js"] == 0
    references = audit.scan.references()
    assert list(references.columns) == ["file", "line", "schema", "name", "kind", "via"]
    assert "next_number" in set(references.loc[references["kind"] == "function", "name"])


# -- the demo ------------------------------------------------------------------------------------------------------
def test_demo_app_against_demo_database(demo_url):
    """auditlib/demo/app/README.md's answer key, exactly."""
    engine = sa.create_engine(demo_url)
    catalog = load_catalog(engine)
    engine.dispose()
    scan = scan_code(DEMO_APP)
    findings = run_checks(catalog, AuditConfig(), kinds=("code",), code_scan=scan, schemas=["public"])
    by_check = {name: sorted(f.object for f in findings if f.check == name) for name in CODE_CHECKS}
    assert by_check["code_table_unknown"] == [
        "code:src/services/subscriptionGuard.js:check_seat_limit()",   # 2
        "code:src/store/quoteStore.js:quote_line_items",                # 1 (lines 104, 105)
    ]
    assert by_check["code_column_unknown"] == [
        "code:src/store/contactStore.js:contacts.isPrimary",           # 5, through toRow() into insert/update
        "code:src/store/crewStore.js:crew_bookings.dayRate",           # 4
        "code:src/store/invoiceStore.js:invoices.status_code",         # 3
    ]
    assert by_check["code_field_unmapped"] == [
        "code:src/store/invoiceStore.js:invoices.line_items.rateCardItemId"]  # 6
    assert "public.activities" in by_check["table_unused_in_code"]         # 7
    by_object = {f.object: f for f in findings}
    assert by_object["code:src/store/quoteStore.js:quote_line_items"].evidence["lines"] == [104, 105]
    assert {"quote_versions", "quote_templates"} <= set(
        by_object["code:src/store/quoteStore.js:quote_line_items"].evidence["closest"])
    assert by_object["code:src/store/invoiceStore.js:invoices.status_code"].evidence["closest"] == ["status"]
    assert by_object["code:src/store/crewStore.js:crew_bookings.dayRate"].evidence["probably"] == \
        "day_rate (camelCase not mapped)"
    assert by_object["code:src/store/contactStore.js:contacts.isPrimary"].evidence["calls"] == \
        ["src/store/contactStore.js:45", "src/store/contactStore.js:46"]
    assert "src/utils/dbFieldMapping.js:9" in \
        by_object["code:src/store/invoiceStore.js:invoices.line_items.rateCardItemId"].evidence["mapped_at"]
    assert by_object["public.activities"].evidence["mentioned_in_comments"] == ["src/store/activityStore.js:16"]
    # must not be reported: legacy crew_contacts (both tables exist), crew_members (comment), dynamic and variable
    # table names, log text that looks like SQL, aliases and nested relations (none of those in the lists above),
    # and every table the code really uses is not "unused"
    used = {"quotes", "clients", "contacts", "crew", "crew_contacts", "crew_departments", "crew_availability",
            "crew_bookings", "invoices", "opportunities", "deal_context", "email_threads", "email_messages",
            "google_tokens", "subscriptions", "subscription_plans", "user_invitations", "quote_versions",
            "rate_cards", "rate_card_sections", "data_export_requests", "organization_members"}
    assert not {f"public.{t}" for t in used} & set(by_check["table_unused_in_code"])
    for dynamic in ("public.gmail_tokens", "public.microsoft_tokens"):
        assert by_object[dynamic].evidence["dynamic_references"] == \
            [{"pattern": "*_tokens", "at": "src/services/emailService.js:10"}]
    sql_tables_found = {(r.file, r.line, r.table) for r in scan.tables if r.via == "sql"}
    assert sql_tables_found == {("src/services/reportService.js", 8, "quotes"),
                                ("src/services/reportService.js", 9, "clients"),
                                ("src/services/reportService.js", 14, "opportunities"),
                                ("src/services/reportService.js", 30, "data_export_requests")}
    assert ("src/store/clientStore.js", 99, "clients", "realtime") in \
        {(r.file, r.line, r.table, r.via) for r in scan.tables}
