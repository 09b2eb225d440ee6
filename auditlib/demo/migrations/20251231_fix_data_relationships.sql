\set ON_ERROR_STOP on
-- Fix data relationships found by the audit:
--   * projects: 8+ tables referenced projects(id) but no file created it;
--   * the tables whose CREATE failed because of that (crew_bookings, expenses, kit_bookings) are created here;
--   * task boards referenced users(id); Supabase users live in auth.users;
--   * google_tokens.user_id was TEXT.
-- Apply with: psql -h staging -U user -d db < supabase/migrations/20251231_fix_data_relationships.sql

-- 1. projects --------------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS projects (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    client_id UUID REFERENCES clients(id) ON DELETE SET NULL,
    opportunity_id UUID REFERENCES opportunities(id) ON DELETE SET NULL,
    quote_id UUID REFERENCES quotes(id) ON DELETE SET NULL,
    organization_id UUID,
    status TEXT DEFAULT 'planning' NOT NULL,
    project_type TEXT,
    description TEXT,
    venue TEXT,
    start_date DATE,
    end_date DATE,
    budget NUMERIC(12,2),
    currency TEXT DEFAULT 'GBP' NOT NULL,
    color TEXT,
    project_manager_id UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT projects_dates_check CHECK (end_date >= start_date),
    CONSTRAINT projects_budget_check CHECK (budget >= 0)
);
COMMENT ON TABLE projects IS 'Productions won from quotes; created by migration 20251231 because crew_bookings, invoices, call_sheets and others already referenced it.';
CREATE INDEX IF NOT EXISTS idx_projects_org ON projects(organization_id);
CREATE INDEX IF NOT EXISTS idx_projects_client ON projects(client_id);
CREATE INDEX IF NOT EXISTS idx_projects_opportunity ON projects(opportunity_id);
CREATE INDEX IF NOT EXISTS idx_projects_quote ON projects(quote_id);
CREATE TRIGGER update_projects_updated_at BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org projects" ON projects
    FOR SELECT USING (
        organization_id = get_user_organization_id()
        OR organization_id IS NULL
    );
CREATE POLICY "Users can insert org projects" ON projects
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org projects" ON projects
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org projects" ON projects
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

CREATE TABLE IF NOT EXISTS project_members (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    role TEXT DEFAULT 'member' NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (project_id, user_id)
);
CREATE INDEX IF NOT EXISTS idx_project_members_org ON project_members(organization_id);
CREATE INDEX IF NOT EXISTS idx_project_members_user ON project_members(user_id);
CREATE TRIGGER update_project_members_updated_at BEFORE UPDATE ON project_members
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE project_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage project members" ON project_members
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

-- 2. Foreign keys for the project_id columns written while projects did not exist ----------------------------------------
ALTER TABLE call_sheets
    ADD CONSTRAINT call_sheets_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE;
ALTER TABLE project_phases
    ADD CONSTRAINT project_phases_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE;
ALTER TABLE tasks
    ADD CONSTRAINT tasks_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE;
ALTER TABLE deliverables
    ADD CONSTRAINT deliverables_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE timeline_items
    ADD CONSTRAINT timeline_items_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE;
ALTER TABLE documents
    ADD CONSTRAINT documents_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE crew_project_history
    ADD CONSTRAINT crew_project_history_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE location_permits
    ADD CONSTRAINT location_permits_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE purchase_orders
    ADD CONSTRAINT purchase_orders_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE contracts
    ADD CONSTRAINT contracts_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE google_calendar_events
    ADD CONSTRAINT google_calendar_events_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;

-- invoices.project_id never got created (the ALTER in supabase-invoices-schema.sql failed)
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS project_id UUID;
CREATE INDEX IF NOT EXISTS idx_invoices_project ON invoices(project_id);
-- TODO after cleaning orphaned project ids:
-- ALTER TABLE invoices ADD CONSTRAINT invoices_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
-- ALTER TABLE expenses ADD CONSTRAINT expenses_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;

-- 3. Tables that never got created ---------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS crew_bookings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    crew_id UUID NOT NULL,
    project_id UUID REFERENCES projects(id) ON DELETE SET NULL,
    role TEXT,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    days NUMERIC(6,1),
    day_rate NUMERIC(10,2),
    total_cost NUMERIC(12,2),
    status TEXT DEFAULT 'pencilled' NOT NULL,
    notes TEXT,
    booked_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT crew_bookings_dates_check CHECK (end_date >= start_date),
    CONSTRAINT crew_bookings_amounts_check CHECK (days > 0 AND day_rate >= 0 AND total_cost >= 0)
);
CREATE INDEX IF NOT EXISTS idx_crew_bookings_crew ON crew_bookings(crew_id);
CREATE INDEX IF NOT EXISTS idx_crew_bookings_project ON crew_bookings(project_id);
CREATE INDEX IF NOT EXISTS idx_crew_bookings_dates ON crew_bookings(start_date, end_date);
CREATE TRIGGER update_crew_bookings_updated_at BEFORE UPDATE ON crew_bookings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
-- TODO: crew_id still has no FK (old rows hold crew_contacts ids)
-- ALTER TABLE crew_bookings ADD CONSTRAINT crew_bookings_crew_id_fkey FOREIGN KEY (crew_id) REFERENCES crew(id) ON DELETE SET NULL;

CREATE TABLE IF NOT EXISTS expenses (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    project_id UUID,
    category TEXT NOT NULL,
    description TEXT,
    vendor TEXT,
    amount NUMERIC(12,2) NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    expense_date DATE NOT NULL,
    receipt_url TEXT,
    reimbursable BOOLEAN DEFAULT false NOT NULL,
    status TEXT DEFAULT 'submitted' NOT NULL,
    submitted_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    approved_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT expenses_amount_check CHECK (amount >= 0)
);
CREATE INDEX IF NOT EXISTS idx_expenses_project ON expenses(project_id);
CREATE INDEX IF NOT EXISTS idx_expenses_submitted_by ON expenses(submitted_by);
CREATE TRIGGER update_expenses_updated_at BEFORE UPDATE ON expenses
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE expenses ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable all access for authenticated users" ON expenses
    FOR ALL TO authenticated USING (true) WITH CHECK (true);

CREATE TABLE IF NOT EXISTS kit_bookings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    kit_item_id UUID NOT NULL REFERENCES kit_items(id) ON DELETE CASCADE,
    project_id UUID REFERENCES projects(id) ON DELETE SET NULL,
    quantity INTEGER DEFAULT 1 NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    status TEXT DEFAULT 'reserved' NOT NULL,
    day_rate NUMERIC(10,2),
    total NUMERIC(12,2),
    notes TEXT,
    booked_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT kit_bookings_dates_check CHECK (end_date >= start_date),
    CONSTRAINT kit_bookings_quantity_check CHECK (quantity > 0),
    CONSTRAINT kit_bookings_amounts_check CHECK (day_rate >= 0 AND total >= 0)
);
ALTER TABLE kit_bookings ADD COLUMN IF NOT EXISTS organization_id UUID REFERENCES organizations(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_kit_bookings_item ON kit_bookings(kit_item_id);
CREATE INDEX IF NOT EXISTS idx_kit_bookings_project ON kit_bookings(project_id);
CREATE INDEX IF NOT EXISTS idx_kit_bookings_dates ON kit_bookings(start_date, end_date);
CREATE INDEX IF NOT EXISTS idx_kit_bookings_org ON kit_bookings(organization_id);
CREATE TRIGGER update_kit_bookings_updated_at BEFORE UPDATE ON kit_bookings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER kit_booking_availability_update
    AFTER INSERT OR UPDATE ON kit_bookings
    FOR EACH ROW EXECUTE FUNCTION update_kit_availability_on_booking();

ALTER TABLE kit_bookings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view org kit bookings" ON kit_bookings
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Users can insert org kit bookings" ON kit_bookings
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id());
CREATE POLICY "Users can update org kit bookings" ON kit_bookings
    FOR UPDATE USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can delete org kit bookings" ON kit_bookings
    FOR DELETE USING (organization_id = get_user_organization_id() AND is_org_admin());

-- 4. Task boards: users -> auth.users -------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS task_boards (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id UUID REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    columns JSONB DEFAULT '["todo", "doing", "done"]'::jsonb NOT NULL,
    is_archived BOOLEAN DEFAULT false NOT NULL,
    created_by UUID,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE TABLE IF NOT EXISTS task_cards (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    board_id UUID NOT NULL REFERENCES task_boards(id) ON DELETE CASCADE,
    project_id UUID REFERENCES projects(id) ON DELETE SET NULL,
    column_key TEXT DEFAULT 'todo' NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    position INTEGER DEFAULT 0 NOT NULL,
    due_date DATE,
    labels TEXT[] DEFAULT '{}',
    created_by UUID,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE TABLE IF NOT EXISTS task_comments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    card_id UUID NOT NULL REFERENCES task_cards(id) ON DELETE CASCADE,
    user_id UUID,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE TABLE IF NOT EXISTS task_card_assignees (
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    card_id UUID NOT NULL REFERENCES task_cards(id) ON DELETE CASCADE,
    user_id UUID NOT NULL,
    assigned_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (card_id, user_id)
);

ALTER TABLE task_boards DROP CONSTRAINT IF EXISTS task_boards_created_by_fkey,
    ADD CONSTRAINT task_boards_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;
ALTER TABLE task_cards DROP CONSTRAINT IF EXISTS task_cards_created_by_fkey,
    ADD CONSTRAINT task_cards_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;
ALTER TABLE task_comments DROP CONSTRAINT IF EXISTS task_comments_user_id_fkey,
    ADD CONSTRAINT task_comments_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE SET NULL;
ALTER TABLE task_card_assignees DROP CONSTRAINT IF EXISTS task_card_assignees_user_id_fkey,
    ADD CONSTRAINT task_card_assignees_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

CREATE INDEX IF NOT EXISTS idx_task_boards_org ON task_boards(organization_id);
CREATE INDEX IF NOT EXISTS idx_task_boards_project ON task_boards(project_id);
CREATE INDEX IF NOT EXISTS idx_task_cards_org ON task_cards(organization_id);
CREATE INDEX IF NOT EXISTS idx_task_cards_board ON task_cards(board_id);
CREATE INDEX IF NOT EXISTS idx_task_comments_org ON task_comments(organization_id);
CREATE INDEX IF NOT EXISTS idx_task_comments_card ON task_comments(card_id);
CREATE INDEX IF NOT EXISTS idx_task_comments_user ON task_comments(user_id);
CREATE INDEX IF NOT EXISTS idx_task_card_assignees_org ON task_card_assignees(organization_id);
CREATE INDEX IF NOT EXISTS idx_task_card_assignees_user ON task_card_assignees(user_id);
CREATE TRIGGER update_task_boards_updated_at BEFORE UPDATE ON task_boards
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_task_cards_updated_at BEFORE UPDATE ON task_cards
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_task_comments_updated_at BEFORE UPDATE ON task_comments
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE task_boards ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage task boards" ON task_boards
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE task_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage task cards" ON task_cards
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE task_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage task comments" ON task_comments
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE task_card_assignees ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage task card assignees" ON task_card_assignees
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

-- 5. google_tokens.user_id: TEXT -> UUID referencing auth.users -------------------------------------------------------
ALTER TABLE google_tokens ALTER COLUMN user_id TYPE UUID USING user_id::uuid;
ALTER TABLE google_tokens
    ADD CONSTRAINT google_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
