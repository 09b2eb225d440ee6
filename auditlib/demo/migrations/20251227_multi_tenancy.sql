-- Multi-tenancy: organisation isolation for every table that predates organisations.
--
-- organization_id is added nullable: existing rows have no organisation yet. The backfill script assigns them,
-- and legacy/test rows stay NULL for now, which is why the read policies of the core tables still accept
-- organization_id IS NULL (remove after the data migration).
-- Tables created since the SaaS launch already carry organization_id NOT NULL.

-- Helpers: SECURITY DEFINER so that they read organization_members without going through its own policy
-- (the first version recursed into that policy).
CREATE OR REPLACE FUNCTION public.get_user_organization_id()
RETURNS UUID
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public
AS $$
    SELECT organization_id
    FROM public.organization_members
    WHERE user_id = auth.uid()
    ORDER BY joined_at
    LIMIT 1
$$;

CREATE OR REPLACE FUNCTION public.is_org_admin()
RETURNS BOOLEAN
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public
AS $$
    SELECT EXISTS (
        SELECT 1
        FROM public.organization_members
        WHERE user_id = auth.uid()
          AND organization_id = public.get_user_organization_id()
          AND role IN ('owner', 'admin')
    )
$$;

-- Core
ALTER TABLE quotes ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE clients ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE rate_cards ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE rate_card_sections ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE settings ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE opportunities ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE user_profiles ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_quotes_org ON quotes(organization_id);
CREATE INDEX IF NOT EXISTS idx_clients_org ON clients(organization_id);
CREATE INDEX IF NOT EXISTS idx_rate_cards_org ON rate_cards(organization_id);
CREATE INDEX IF NOT EXISTS idx_rate_card_sections_org ON rate_card_sections(organization_id);
CREATE UNIQUE INDEX IF NOT EXISTS idx_settings_org ON settings(organization_id);
CREATE INDEX IF NOT EXISTS idx_opportunities_org ON opportunities(organization_id);
CREATE INDEX IF NOT EXISTS idx_user_profiles_org ON user_profiles(organization_id);
COMMENT ON COLUMN quotes.organization_id IS 'Multi-tenant isolation';

-- Projects
ALTER TABLE projects ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE project_phases ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE documents ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_project_phases_org ON project_phases(organization_id);
CREATE INDEX IF NOT EXISTS idx_tasks_org ON tasks(organization_id);
CREATE INDEX IF NOT EXISTS idx_documents_org ON documents(organization_id);

-- Crew
ALTER TABLE crew ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE crew_contacts ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE crew_departments ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE crew_availability ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_crew_org ON crew(organization_id);
CREATE INDEX IF NOT EXISTS idx_crew_departments_org ON crew_departments(organization_id);
-- ALTER TABLE crew_bookings ADD COLUMN organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
-- (crew can be shared across organisations: decide before enabling)

-- Equipment
ALTER TABLE kit_items ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE kit_bookings ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE equipment ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_kit_items_org ON kit_items(organization_id);
CREATE INDEX IF NOT EXISTS idx_kit_bookings_org ON kit_bookings(organization_id);
CREATE INDEX IF NOT EXISTS idx_equipment_org ON equipment(organization_id);

-- Call sheets
ALTER TABLE call_sheets ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE call_sheet_crew ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE call_sheet_templates ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_call_sheets_org ON call_sheets(organization_id);

-- E-mail
ALTER TABLE email_threads ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE emails ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE email_messages ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_email_threads_org ON email_threads(organization_id);
CREATE INDEX IF NOT EXISTS idx_emails_org ON emails(organization_id);
CREATE INDEX IF NOT EXISTS idx_email_messages_org ON email_messages(organization_id);

-- AI and knowledge
ALTER TABLE agent_memory ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE agent_learnings ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE agent_tasks ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE knowledge_fragments ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_agent_memory_org ON agent_memory(organization_id);
CREATE INDEX IF NOT EXISTS idx_agent_learnings_org ON agent_learnings(organization_id);
CREATE INDEX IF NOT EXISTS idx_agent_tasks_org ON agent_tasks(organization_id);
CREATE INDEX IF NOT EXISTS idx_knowledge_fragments_org ON knowledge_fragments(organization_id);

-- Audit and compliance
ALTER TABLE audit_logs ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE gdpr_logs ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE security_events ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_audit_logs_org ON audit_logs(organization_id);
CREATE INDEX IF NOT EXISTS idx_gdpr_logs_org ON gdpr_logs(organization_id);
CREATE INDEX IF NOT EXISTS idx_security_events_org ON security_events(organization_id);

-- Invoices / billing: left for a later migration.
-- ALTER TABLE invoices ADD COLUMN organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
-- ALTER TABLE expenses ADD COLUMN organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
-- Google tokens: a user can belong to several organisations.
-- ALTER TABLE google_tokens ADD COLUMN organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;

-- Policies ----------------------------------------------------------------------------------------------------------
-- Replace the "any signed-in user" policies of the first release.
DROP POLICY IF EXISTS "Enable all access for authenticated users" ON quotes;
DROP POLICY IF EXISTS "Enable all access for authenticated users" ON clients;
DROP POLICY IF EXISTS "Enable all access for authenticated users" ON rate_cards;
DROP POLICY IF EXISTS "Enable all access for authenticated users" ON rate_card_sections;
DROP POLICY IF EXISTS "Enable all access for authenticated users" ON opportunities;
DROP POLICY IF EXISTS "Enable all access for authenticated users" ON settings;
DROP POLICY IF EXISTS "Enable all access for authenticated users" ON emails;
DROP POLICY IF EXISTS "Enable all access for authenticated users" ON crew;
DROP POLICY IF EXISTS "Users can view own profile" ON user_profiles;
DROP POLICY IF EXISTS "Users can update own profile" ON user_profiles;

-- Core tables: reads still let NULL-organisation rows through (legacy and test data)
ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org clients" ON clients
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org clients" ON clients
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org clients" ON clients
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org clients" ON clients
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE rate_card_sections ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org rate card sections" ON rate_card_sections
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org rate card sections" ON rate_card_sections
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org rate card sections" ON rate_card_sections
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org rate card sections" ON rate_card_sections
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE rate_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org rate cards" ON rate_cards
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org rate cards" ON rate_cards
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org rate cards" ON rate_cards
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org rate cards" ON rate_cards
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE quotes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org quotes" ON quotes
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org quotes" ON quotes
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org quotes" ON quotes
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org quotes" ON quotes
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE opportunities ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org opportunities" ON opportunities
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org opportunities" ON opportunities
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org opportunities" ON opportunities
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org opportunities" ON opportunities
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE crew ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org crew" ON crew
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org crew" ON crew
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org crew" ON crew
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org crew" ON crew
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

-- Other tables
ALTER TABLE settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org settings" ON settings
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org settings" ON settings
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org settings" ON settings
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org settings" ON settings
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE user_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org profiles" ON user_profiles
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can update own profile" ON user_profiles
    FOR UPDATE USING (organization_id = get_user_organization_id() AND auth_user_id = auth.uid());

ALTER TABLE email_threads ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org email threads" ON email_threads
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org email threads" ON email_threads
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org email threads" ON email_threads
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org email threads" ON email_threads
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE email_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org email messages" ON email_messages
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org email messages" ON email_messages
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org email messages" ON email_messages
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org email messages" ON email_messages
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE emails ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org emails" ON emails
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org emails" ON emails
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org emails" ON emails
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org emails" ON emails
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE project_phases ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org project phases" ON project_phases
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org project phases" ON project_phases
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org project phases" ON project_phases
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org project phases" ON project_phases
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org tasks" ON tasks
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org tasks" ON tasks
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org tasks" ON tasks
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org tasks" ON tasks
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org documents" ON documents
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org documents" ON documents
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org documents" ON documents
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org documents" ON documents
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE crew_departments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org crew departments" ON crew_departments
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org crew departments" ON crew_departments
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org crew departments" ON crew_departments
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org crew departments" ON crew_departments
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE crew_availability ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org crew availability" ON crew_availability
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org crew availability" ON crew_availability
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org crew availability" ON crew_availability
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org crew availability" ON crew_availability
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE call_sheet_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org call sheet templates" ON call_sheet_templates
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org call sheet templates" ON call_sheet_templates
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org call sheet templates" ON call_sheet_templates
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org call sheet templates" ON call_sheet_templates
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE call_sheets ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org call sheets" ON call_sheets
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org call sheets" ON call_sheets
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org call sheets" ON call_sheets
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org call sheets" ON call_sheets
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE call_sheet_crew ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org call sheet crew" ON call_sheet_crew
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org call sheet crew" ON call_sheet_crew
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org call sheet crew" ON call_sheet_crew
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org call sheet crew" ON call_sheet_crew
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

CREATE POLICY "Users can view org kit items" ON kit_items
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org kit items" ON kit_items
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org kit items" ON kit_items
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org kit items" ON kit_items
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE kit_bookings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org kit bookings" ON kit_bookings
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org kit bookings" ON kit_bookings
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org kit bookings" ON kit_bookings
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org kit bookings" ON kit_bookings
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE equipment ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org equipment" ON equipment
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org equipment" ON equipment
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org equipment" ON equipment
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org equipment" ON equipment
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE agent_memory ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org agent memory" ON agent_memory
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org agent memory" ON agent_memory
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org agent memory" ON agent_memory
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org agent memory" ON agent_memory
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE agent_learnings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org agent learnings" ON agent_learnings
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org agent learnings" ON agent_learnings
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org agent learnings" ON agent_learnings
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org agent learnings" ON agent_learnings
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE agent_tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org agent tasks" ON agent_tasks
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org agent tasks" ON agent_tasks
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org agent tasks" ON agent_tasks
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org agent tasks" ON agent_tasks
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

-- crew_contacts: same policies as crew
CREATE POLICY "Users can view org crew contacts" ON crew_contacts
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can manage org crew contacts" ON crew_contacts
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

-- Knowledge fragments are a shared library: any signed-in user may read them.
ALTER TABLE knowledge_fragments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Signed-in users can read knowledge" ON knowledge_fragments
    FOR SELECT USING (auth.uid() IS NOT NULL);
CREATE POLICY "Users can insert org knowledge" ON knowledge_fragments
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org knowledge" ON knowledge_fragments
    FOR UPDATE USING (organization_id = get_user_organization_id());

ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can view org audit logs" ON audit_logs
    FOR SELECT USING (organization_id = get_user_organization_id() AND is_org_admin());

-- Quote numbers are per organisation: Q-2025-0001
CREATE OR REPLACE FUNCTION public.next_quote_number(org UUID)
RETURNS TEXT
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public
AS $$
    SELECT 'Q-' || to_char(timezone('utc', now()), 'YYYY') || '-'
        || lpad((count(*) + 1)::text, 4, '0')
    FROM public.quotes
    WHERE organization_id = org
$$;
