-- ProductionOS, row level security as it stood at the audit (supabase-rls-policies.sql, 20251227_multi_tenancy.sql
-- and the per-feature schema files). Written out table by table, as the migrations did.
--
-- Patterns:
--   * tenant tables: organization_id = get_user_organization_id(); deletes of legacy tables need is_org_admin();
--   * the core tables of the multi-tenancy migration still let everyone read rows whose organization_id IS NULL
--     ("remove after data migration");
--   * user-owned rows additionally require user_id = auth.uid();
--   * global reference tables are readable by every signed-in user.

-- Organisations and membership --------------------------------------------------------------------------------
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members can view their organization" ON public.organizations
    FOR SELECT USING (id = get_user_organization_id());
CREATE POLICY "Admins can update their organization" ON public.organizations
    FOR UPDATE USING (id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members can view org members" ON public.organization_members
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can manage org members" ON public.organization_members
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members can view org subscription" ON public.subscriptions
    FOR SELECT USING (organization_id = get_user_organization_id());

ALTER TABLE public.billing_invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can view org billing invoices" ON public.billing_invoices
    FOR SELECT USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.user_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org profiles" ON public.user_profiles
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can update own profile" ON public.user_profiles
    FOR UPDATE USING (organization_id = get_user_organization_id() AND auth_user_id = auth.uid());

-- Core tables of the multi-tenancy migration: reads still let NULL-organisation rows through --------------------
ALTER TABLE public.clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org clients" ON public.clients
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org clients" ON public.clients
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org clients" ON public.clients
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org clients" ON public.clients
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.rate_card_sections ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org rate card sections" ON public.rate_card_sections
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org rate card sections" ON public.rate_card_sections
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org rate card sections" ON public.rate_card_sections
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org rate card sections" ON public.rate_card_sections
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.rate_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org rate cards" ON public.rate_cards
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org rate cards" ON public.rate_cards
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org rate cards" ON public.rate_cards
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org rate cards" ON public.rate_cards
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.quotes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org quotes" ON public.quotes
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org quotes" ON public.quotes
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org quotes" ON public.quotes
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org quotes" ON public.quotes
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.opportunities ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org opportunities" ON public.opportunities
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org opportunities" ON public.opportunities
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org opportunities" ON public.opportunities
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org opportunities" ON public.opportunities
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org projects" ON public.projects
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org projects" ON public.projects
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org projects" ON public.projects
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org projects" ON public.projects
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.crew ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org crew" ON public.crew
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org crew" ON public.crew
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org crew" ON public.crew
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org crew" ON public.crew
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

-- Other tables of the multi-tenancy migration ----------------------------------------------------------------------
ALTER TABLE public.settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org settings" ON public.settings
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org settings" ON public.settings
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org settings" ON public.settings
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org settings" ON public.settings
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org contacts" ON public.contacts
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org contacts" ON public.contacts
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org contacts" ON public.contacts
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org contacts" ON public.contacts
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.email_threads ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org email threads" ON public.email_threads
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org email threads" ON public.email_threads
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org email threads" ON public.email_threads
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org email threads" ON public.email_threads
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.email_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org email messages" ON public.email_messages
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org email messages" ON public.email_messages
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org email messages" ON public.email_messages
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org email messages" ON public.email_messages
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.emails ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org emails" ON public.emails
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org emails" ON public.emails
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org emails" ON public.emails
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org emails" ON public.emails
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.project_phases ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org project phases" ON public.project_phases
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org project phases" ON public.project_phases
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org project phases" ON public.project_phases
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org project phases" ON public.project_phases
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org tasks" ON public.tasks
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org tasks" ON public.tasks
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org tasks" ON public.tasks
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org tasks" ON public.tasks
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org documents" ON public.documents
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org documents" ON public.documents
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org documents" ON public.documents
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org documents" ON public.documents
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.crew_departments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org crew departments" ON public.crew_departments
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org crew departments" ON public.crew_departments
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org crew departments" ON public.crew_departments
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org crew departments" ON public.crew_departments
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.crew_availability ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org crew availability" ON public.crew_availability
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org crew availability" ON public.crew_availability
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org crew availability" ON public.crew_availability
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org crew availability" ON public.crew_availability
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.call_sheet_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org call sheet templates" ON public.call_sheet_templates
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org call sheet templates" ON public.call_sheet_templates
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org call sheet templates" ON public.call_sheet_templates
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org call sheet templates" ON public.call_sheet_templates
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.call_sheets ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org call sheets" ON public.call_sheets
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org call sheets" ON public.call_sheets
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org call sheets" ON public.call_sheets
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org call sheets" ON public.call_sheets
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.call_sheet_crew ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org call sheet crew" ON public.call_sheet_crew
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org call sheet crew" ON public.call_sheet_crew
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org call sheet crew" ON public.call_sheet_crew
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org call sheet crew" ON public.call_sheet_crew
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.kit_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org kit items" ON public.kit_items
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org kit items" ON public.kit_items
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org kit items" ON public.kit_items
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org kit items" ON public.kit_items
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

-- From supabase-kit-schema.sql, never dropped when the organisation policies above were added.
CREATE POLICY "Authenticated users can view kit items" ON public.kit_items
    FOR SELECT USING (auth.role() = 'authenticated');

ALTER TABLE public.kit_bookings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org kit bookings" ON public.kit_bookings
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org kit bookings" ON public.kit_bookings
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org kit bookings" ON public.kit_bookings
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org kit bookings" ON public.kit_bookings
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.equipment ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org equipment" ON public.equipment
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org equipment" ON public.equipment
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org equipment" ON public.equipment
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org equipment" ON public.equipment
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.agent_memory ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org agent memory" ON public.agent_memory
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org agent memory" ON public.agent_memory
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org agent memory" ON public.agent_memory
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org agent memory" ON public.agent_memory
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.agent_learnings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org agent learnings" ON public.agent_learnings
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org agent learnings" ON public.agent_learnings
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org agent learnings" ON public.agent_learnings
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org agent learnings" ON public.agent_learnings
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.agent_tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org agent tasks" ON public.agent_tasks
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org agent tasks" ON public.agent_tasks
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org agent tasks" ON public.agent_tasks
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org agent tasks" ON public.agent_tasks
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

-- crew_contacts: the policies were copied from crew, but RLS was never enabled on the table.
CREATE POLICY "Users can view org crew contacts" ON public.crew_contacts
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can manage org crew contacts" ON public.crew_contacts
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

-- Knowledge fragments are a shared library: any signed-in user may read them.
ALTER TABLE public.knowledge_fragments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Signed-in users can read knowledge" ON public.knowledge_fragments
    FOR SELECT USING (auth.uid() IS NOT NULL);
CREATE POLICY "Users can insert org knowledge" ON public.knowledge_fragments
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org knowledge" ON public.knowledge_fragments
    FOR UPDATE USING (organization_id = get_user_organization_id());

ALTER TABLE public.audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can view org audit logs" ON public.audit_logs
    FOR SELECT USING (organization_id = get_user_organization_id() AND is_org_admin());

-- Written by the service role only: RLS on, no policy.
ALTER TABLE public.gdpr_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.security_events ENABLE ROW LEVEL SECURITY;

-- Tables created with organization_id NOT NULL ----------------------------------------------------------------------
ALTER TABLE public.email_tracking_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage email tracking events" ON public.email_tracking_events
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.email_sequences ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage email sequences" ON public.email_sequences
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.email_sequence_enrollments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage email sequence enrollments" ON public.email_sequence_enrollments
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.activities ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage activities" ON public.activities
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.client_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage client notes" ON public.client_notes
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage tags" ON public.tags
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.leads ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage leads" ON public.leads
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.lead_scoring ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage lead scoring" ON public.lead_scoring
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.deal_context ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage deal context" ON public.deal_context
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.project_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage project members" ON public.project_members
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.task_boards ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage task boards" ON public.task_boards
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.task_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage task cards" ON public.task_cards
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.task_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage task comments" ON public.task_comments
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.task_card_assignees ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage task card assignees" ON public.task_card_assignees
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.deliverables ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage deliverables" ON public.deliverables
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.timeline_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage timeline items" ON public.timeline_items
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.resources ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage resources" ON public.resources
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.document_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage document versions" ON public.document_versions
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.sops ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage sops" ON public.sops
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.quote_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage quote templates" ON public.quote_templates
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.quote_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage quote versions" ON public.quote_versions
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.locations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage locations" ON public.locations
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.location_permits ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage location permits" ON public.location_permits
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.crew_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage crew documents" ON public.crew_documents
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.crew_project_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage crew project history" ON public.crew_project_history
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.kit_item_photos ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage kit item photos" ON public.kit_item_photos
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.kit_maintenance ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage kit maintenance" ON public.kit_maintenance
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.purchase_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage purchase orders" ON public.purchase_orders
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.contracts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage contracts" ON public.contracts
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.knowledge_relationships ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage knowledge relationships" ON public.knowledge_relationships
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.research_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage research logs" ON public.research_logs
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.google_calendar_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage google calendar events" ON public.google_calendar_events
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.workflow_rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage workflow rules" ON public.workflow_rules
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.workflow_executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage workflow executions" ON public.workflow_executions
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE public.automation_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage automation logs" ON public.automation_logs
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

-- User-owned rows ----------------------------------------------------------------------------------------------------
ALTER TABLE public.onboarding_progress ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own onboarding progress" ON public.onboarding_progress
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE public.notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own notifications" ON public.notifications
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE public.saved_views ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own saved views" ON public.saved_views
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE public.gmail_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own gmail tokens" ON public.gmail_tokens
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE public.microsoft_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own microsoft tokens" ON public.microsoft_tokens
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE public.data_export_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own data export requests" ON public.data_export_requests
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE public.account_deletion_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own account deletion requests" ON public.account_deletion_requests
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

-- Admin-only tables --------------------------------------------------------------------------------------------------
ALTER TABLE public.user_invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage user invitations" ON public.user_invitations
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage api keys" ON public.api_keys
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.webhooks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage webhooks" ON public.webhooks
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE public.integrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage integrations" ON public.integrations
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

-- Global reference data: readable by every signed-in user, written by the service role ------------------------------
ALTER TABLE public.subscription_plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read subscription plans" ON public.subscription_plans
    FOR SELECT TO authenticated USING (true);

ALTER TABLE public.onboarding_checklist ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read onboarding checklist" ON public.onboarding_checklist
    FOR SELECT TO authenticated USING (true);

ALTER TABLE public.kit_categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read kit categories" ON public.kit_categories
    FOR SELECT TO authenticated USING (true);

ALTER TABLE public.feature_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read feature flags" ON public.feature_flags
    FOR SELECT TO authenticated USING (true);

ALTER TABLE public.currency_rates ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read currency rates" ON public.currency_rates
    FOR SELECT TO authenticated USING (true);

-- The sports research tables (sports_events, sports_venues, sports_organizations, media_rights) were created
-- without row level security.

-- Tables without organization_id ------------------------------------------------------------------------------------
-- invoices and expenses: "Enable all access for authenticated users" from the first release.
ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable all access for authenticated users" ON public.invoices
    FOR ALL TO authenticated USING (true) WITH CHECK (true);

ALTER TABLE public.expenses ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable all access for authenticated users" ON public.expenses
    FOR ALL TO authenticated USING (true) WITH CHECK (true);

-- crew_bookings: no row level security (supabase-crew-schema.sql never enabled it).

ALTER TABLE public.google_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own google tokens" ON public.google_tokens
    FOR ALL USING (user_id = auth.uid()::text) WITH CHECK (user_id = auth.uid()::text);

-- Storage -------------------------------------------------------------------------------------------------------------
CREATE POLICY "Authenticated users can read documents" ON storage.objects
    FOR SELECT TO authenticated USING (bucket_id = 'documents');
CREATE POLICY "Authenticated users can upload documents" ON storage.objects
    FOR INSERT TO authenticated WITH CHECK (bucket_id = 'documents' AND owner = auth.uid());
CREATE POLICY "Anyone can read public buckets" ON storage.buckets
    FOR SELECT USING (public);
