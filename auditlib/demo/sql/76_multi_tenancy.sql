-- ProductionOS, migration 20251227_multi_tenancy.sql: organisation isolation for the tables that existed before
-- organisations did. The column is added nullable (existing rows had no organisation; the backfill left legacy
-- and test rows NULL), which is why the read policies of the core tables still accept organization_id IS NULL.
-- Tables created after this migration declare organization_id NOT NULL themselves.

-- Helper functions used by the policies. SECURITY DEFINER so that they can read organization_members without
-- going through that table's own policy (which calls them).
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
ALTER TABLE public.quotes ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.clients ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.rate_cards ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.rate_card_sections ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.settings ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.opportunities ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.user_profiles ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_quotes_org ON public.quotes(organization_id);
CREATE INDEX IF NOT EXISTS idx_clients_org ON public.clients(organization_id);
CREATE INDEX IF NOT EXISTS idx_rate_cards_org ON public.rate_cards(organization_id);
CREATE INDEX IF NOT EXISTS idx_rate_card_sections_org ON public.rate_card_sections(organization_id);
CREATE UNIQUE INDEX IF NOT EXISTS idx_settings_org ON public.settings(organization_id);
CREATE INDEX IF NOT EXISTS idx_opportunities_org ON public.opportunities(organization_id);
CREATE INDEX IF NOT EXISTS idx_user_profiles_org ON public.user_profiles(organization_id);
COMMENT ON COLUMN public.quotes.organization_id IS 'Multi-tenant isolation';

-- Projects (projects.organization_id came with the table itself, see 30_projects.sql)
ALTER TABLE public.project_phases ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.tasks ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.documents ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_project_phases_org ON public.project_phases(organization_id);
CREATE INDEX IF NOT EXISTS idx_tasks_org ON public.tasks(organization_id);
CREATE INDEX IF NOT EXISTS idx_documents_org ON public.documents(organization_id);

-- Crew
ALTER TABLE public.crew ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.crew_contacts ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.crew_departments ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.crew_availability ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_crew_org ON public.crew(organization_id);
CREATE INDEX IF NOT EXISTS idx_crew_departments_org ON public.crew_departments(organization_id);
-- ALTER TABLE public.crew_bookings ADD COLUMN organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
-- (crew can be shared across organisations: decide before enabling)

-- Equipment
ALTER TABLE public.kit_items ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.kit_bookings ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.equipment ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_kit_items_org ON public.kit_items(organization_id);
CREATE INDEX IF NOT EXISTS idx_kit_bookings_org ON public.kit_bookings(organization_id);
CREATE INDEX IF NOT EXISTS idx_equipment_org ON public.equipment(organization_id);

-- Call sheets
ALTER TABLE public.call_sheets ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.call_sheet_crew ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.call_sheet_templates ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_call_sheets_org ON public.call_sheets(organization_id);

-- E-mail
ALTER TABLE public.email_threads ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.emails ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.email_messages ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_email_threads_org ON public.email_threads(organization_id);
CREATE INDEX IF NOT EXISTS idx_emails_org ON public.emails(organization_id);
CREATE INDEX IF NOT EXISTS idx_email_messages_org ON public.email_messages(organization_id);

-- Contacts (the consolidation migration expects this column)
ALTER TABLE public.contacts ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_contacts_org ON public.contacts(organization_id);

-- AI and knowledge
ALTER TABLE public.agent_memory ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.agent_learnings ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.agent_tasks ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.knowledge_fragments ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_agent_memory_org ON public.agent_memory(organization_id);
CREATE INDEX IF NOT EXISTS idx_agent_learnings_org ON public.agent_learnings(organization_id);
CREATE INDEX IF NOT EXISTS idx_agent_tasks_org ON public.agent_tasks(organization_id);
CREATE INDEX IF NOT EXISTS idx_knowledge_fragments_org ON public.knowledge_fragments(organization_id);

-- Audit and compliance
ALTER TABLE public.audit_logs ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.gdpr_logs ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
ALTER TABLE public.security_events ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_audit_logs_org ON public.audit_logs(organization_id);
CREATE INDEX IF NOT EXISTS idx_gdpr_logs_org ON public.gdpr_logs(organization_id);
CREATE INDEX IF NOT EXISTS idx_security_events_org ON public.security_events(organization_id);

-- Invoices / billing: left for a later migration.
-- ALTER TABLE public.invoices ADD COLUMN organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
-- ALTER TABLE public.expenses ADD COLUMN organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
-- Google tokens: a user can belong to several organisations.
-- ALTER TABLE public.google_tokens ADD COLUMN organization_id UUID REFERENCES public.organizations(id) ON DELETE CASCADE;
