-- ProductionOS, projects (20251231_fix_data_relationships.sql created the projects table that 8+ tables already
-- referenced; supabase-tasks-schema.sql, supabase-task-board-schema.sql, supabase-documents-schema.sql).

CREATE TABLE public.projects (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    opportunity_id UUID REFERENCES public.opportunities(id) ON DELETE SET NULL,
    quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
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
COMMENT ON TABLE public.projects IS 'Productions won from quotes; created by migration 20251231 because crew_bookings, invoices, call_sheets and others already referenced it.';
CREATE INDEX idx_projects_org ON public.projects(organization_id);
CREATE INDEX idx_projects_client ON public.projects(client_id);
CREATE INDEX idx_projects_opportunity ON public.projects(opportunity_id);
CREATE INDEX idx_projects_quote ON public.projects(quote_id);

CREATE TABLE public.project_members (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    project_id UUID NOT NULL REFERENCES public.projects(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    role TEXT DEFAULT 'member' NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (project_id, user_id)
);
CREATE INDEX idx_project_members_org ON public.project_members(organization_id);
CREATE INDEX idx_project_members_user ON public.project_members(user_id);

CREATE TABLE public.project_phases (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    project_id UUID NOT NULL REFERENCES public.projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    status TEXT DEFAULT 'pending' NOT NULL,
    start_date DATE,
    end_date DATE,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT project_phases_dates_check CHECK (end_date >= start_date)
);
CREATE INDEX idx_project_phases_project ON public.project_phases(project_id);

CREATE TABLE public.tasks (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    project_id UUID REFERENCES public.projects(id) ON DELETE CASCADE,
    phase_id UUID REFERENCES public.project_phases(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    description TEXT,
    status TEXT DEFAULT 'todo' NOT NULL,
    priority TEXT DEFAULT 'medium' NOT NULL,
    assigned_to UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    due_date DATE,
    completed_at TIMESTAMPTZ,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_tasks_project ON public.tasks(project_id);
CREATE INDEX idx_tasks_phase ON public.tasks(phase_id);
CREATE INDEX idx_tasks_assigned_to ON public.tasks(assigned_to);

-- Task boards: their user FKs pointed at a non-existent public.users table until 20251231 repointed them.
CREATE TABLE public.task_boards (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    project_id UUID REFERENCES public.projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    columns JSONB DEFAULT '["todo", "doing", "done"]'::jsonb NOT NULL,
    is_archived BOOLEAN DEFAULT false NOT NULL,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_task_boards_org ON public.task_boards(organization_id);
CREATE INDEX idx_task_boards_project ON public.task_boards(project_id);

CREATE TABLE public.task_cards (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    board_id UUID NOT NULL REFERENCES public.task_boards(id) ON DELETE CASCADE,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
    column_key TEXT DEFAULT 'todo' NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    position INTEGER DEFAULT 0 NOT NULL,
    due_date DATE,
    labels TEXT[] DEFAULT '{}',
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_task_cards_org ON public.task_cards(organization_id);
CREATE INDEX idx_task_cards_board ON public.task_cards(board_id);

CREATE TABLE public.task_comments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    card_id UUID NOT NULL REFERENCES public.task_cards(id) ON DELETE CASCADE,
    user_id UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_task_comments_org ON public.task_comments(organization_id);
CREATE INDEX idx_task_comments_card ON public.task_comments(card_id);
CREATE INDEX idx_task_comments_user ON public.task_comments(user_id);

-- A join table written without a primary key or the usual timestamps.
CREATE TABLE public.task_card_assignees (
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    card_id UUID NOT NULL REFERENCES public.task_cards(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    assigned_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (card_id, user_id)
);
CREATE INDEX idx_task_card_assignees_org ON public.task_card_assignees(organization_id);
CREATE INDEX idx_task_card_assignees_user ON public.task_card_assignees(user_id);

CREATE TABLE public.deliverables (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    project_id UUID NOT NULL REFERENCES public.projects(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    deliverable_type TEXT,
    format TEXT,
    status TEXT DEFAULT 'pending' NOT NULL,
    due_date DATE,
    delivered_at TIMESTAMPTZ,
    file_url TEXT,
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_deliverables_org ON public.deliverables(organization_id);
CREATE INDEX idx_deliverables_project ON public.deliverables(project_id);

CREATE TABLE public.timeline_items (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    project_id UUID NOT NULL REFERENCES public.projects(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    item_type TEXT DEFAULT 'milestone' NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ,
    color TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT timeline_items_times_check CHECK (ends_at >= starts_at)
);
CREATE INDEX idx_timeline_items_org ON public.timeline_items(organization_id);
CREATE INDEX idx_timeline_items_project ON public.timeline_items(project_id);

CREATE TABLE public.resources (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    url TEXT,
    description TEXT,
    tags TEXT[] DEFAULT '{}',
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_resources_org ON public.resources(organization_id);

CREATE TABLE public.documents (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
    client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    document_type TEXT,
    storage_path TEXT NOT NULL,
    mime_type TEXT,
    size_bytes BIGINT,
    current_version INTEGER DEFAULT 1 NOT NULL,
    uploaded_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT documents_size_check CHECK (size_bytes >= 0 AND current_version > 0)
);
CREATE INDEX idx_documents_project ON public.documents(project_id);

CREATE TABLE public.document_versions (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    document_id UUID NOT NULL REFERENCES public.documents(id) ON DELETE CASCADE,
    version_number INTEGER NOT NULL,
    storage_path TEXT NOT NULL,
    size_bytes BIGINT,
    change_note TEXT,
    uploaded_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (document_id, version_number),
    CONSTRAINT document_versions_size_check CHECK (size_bytes >= 0 AND version_number > 0)
);
CREATE INDEX idx_document_versions_org ON public.document_versions(organization_id);

CREATE TABLE public.sops (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    category TEXT,
    content TEXT NOT NULL,
    version INTEGER DEFAULT 1 NOT NULL,
    is_published BOOLEAN DEFAULT false NOT NULL,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT sops_version_check CHECK (version > 0)
);
CREATE INDEX idx_sops_org ON public.sops(organization_id);

CREATE TABLE public.quote_templates (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    template_data JSONB DEFAULT '{}'::jsonb NOT NULL,
    is_default BOOLEAN DEFAULT false NOT NULL,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_quote_templates_org ON public.quote_templates(organization_id);

CREATE TABLE public.quote_versions (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    quote_id UUID NOT NULL REFERENCES public.quotes(id) ON DELETE CASCADE,
    version_number INTEGER NOT NULL,
    total_charge NUMERIC(12,2),
    change_summary TEXT,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (quote_id, version_number),
    CONSTRAINT quote_versions_total_check CHECK (total_charge >= 0 AND version_number > 0)
);
CREATE INDEX idx_quote_versions_org ON public.quote_versions(organization_id);

CREATE TABLE public.locations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    location_type TEXT,
    address TEXT,
    city TEXT,
    country TEXT,
    latitude NUMERIC(9,6),
    longitude NUMERIC(9,6),
    contact_name TEXT,
    contact_phone TEXT,
    permit_required BOOLEAN DEFAULT false NOT NULL,
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_locations_org ON public.locations(organization_id);

CREATE TABLE public.location_permits (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    location_id UUID NOT NULL REFERENCES public.locations(id) ON DELETE CASCADE,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
    permit_number TEXT,
    authority TEXT,
    status TEXT DEFAULT 'requested' NOT NULL,
    valid_from DATE,
    valid_to DATE,
    cost NUMERIC(12,2),
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT location_permits_validity_check CHECK (valid_to >= valid_from),
    CONSTRAINT location_permits_cost_check CHECK (cost >= 0)
);
CREATE INDEX idx_location_permits_org ON public.location_permits(organization_id);
CREATE INDEX idx_location_permits_location ON public.location_permits(location_id);
CREATE INDEX idx_location_permits_project ON public.location_permits(project_id);
