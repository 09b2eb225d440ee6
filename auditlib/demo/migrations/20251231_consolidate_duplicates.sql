-- Consolidate the tables that several schema files defined differently:
--   contacts (supabase-schema.sql, supabase-research-schema.sql, supabase-contacts-schema.sql),
--   agent_memory (agent vs research schema), agent_learnings, knowledge_fragments and agent_tasks.
-- The definition applied first is the one in the database; this migration gives it the columns of the others.
-- Backups first, so the consolidation can be checked (SELECT COUNT(*) FROM agent_memory_backup).

CREATE TABLE IF NOT EXISTS contacts_backup AS SELECT * FROM contacts;
CREATE TABLE IF NOT EXISTS agent_memory_backup AS SELECT * FROM agent_memory;
CREATE TABLE IF NOT EXISTS agent_learnings_backup AS SELECT * FROM agent_learnings;
CREATE TABLE IF NOT EXISTS knowledge_fragments_backup AS SELECT * FROM knowledge_fragments;
CREATE TABLE IF NOT EXISTS agent_tasks_backup AS SELECT * FROM agent_tasks;

-- contacts: all columns of the three definitions -------------------------------------------------------------------
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS first_name TEXT;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS last_name TEXT;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS mobile TEXT;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS whatsapp TEXT;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS linkedin_url TEXT;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS tags TEXT[] DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS last_contacted_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_contacts_org ON contacts(organization_id);

-- Research contacts pointed at their company with company_id
UPDATE contacts SET client_id = company_id WHERE client_id IS NULL AND company_id IS NOT NULL;

UPDATE contacts SET name = trim(concat_ws(' ', first_name, last_name)) WHERE name IS NULL;
ALTER TABLE contacts ALTER COLUMN name SET NOT NULL;

DROP POLICY IF EXISTS "Enable all access for authenticated users" ON contacts;
CREATE POLICY "Users can view org contacts" ON contacts
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org contacts" ON contacts
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org contacts" ON contacts
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org contacts" ON contacts
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

-- agent_memory: the research context columns ---------------------------------------------------------------------
ALTER TABLE agent_memory ADD COLUMN IF NOT EXISTS country TEXT;
ALTER TABLE agent_memory ADD COLUMN IF NOT EXISTS region TEXT;
ALTER TABLE agent_memory ADD COLUMN IF NOT EXISTS sport TEXT;
ALTER TABLE agent_memory ADD COLUMN IF NOT EXISTS organization TEXT;
COMMENT ON COLUMN agent_memory.organization IS 'Sports organisation the memory is about (research context), not the tenant.';

-- agent_learnings, knowledge_fragments, agent_tasks: the definitions in force (supabase-agent-schema.sql,
-- supabase-research-schema.sql) hold every column the app reads; the other definitions were never applied.

-- crew vs crew_contacts --------------------------------------------------------------------------------------------
-- Code still reads crew_contacts in places; this view serves both until it is gone.
CREATE OR REPLACE VIEW crew_unified AS
SELECT id, first_name, last_name, email, phone, role, day_rate, currency, organization_id, 'crew'::text AS source
FROM crew
UNION ALL
SELECT id, first_name, last_name, email::text, phone, role, day_rate::numeric(10,2), currency, organization_id,
       'crew_contacts'::text AS source
FROM crew_contacts
WHERE NOT EXISTS (SELECT 1 FROM crew);
