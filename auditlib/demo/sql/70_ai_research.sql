-- ProductionOS, AI agents and sports research (supabase-agent-schema.sql, supabase-research-schema.sql,
-- supabase-knowledge-schema.sql). The two agent_memory definitions were merged by hand: the table carries the
-- quote/client context columns of the agent schema and the country/region/sport/organization columns of the
-- research schema.

CREATE TABLE public.agent_memory (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    memory_type TEXT NOT NULL,
    content JSONB DEFAULT '{}'::jsonb NOT NULL,
    summary TEXT,
    country TEXT,
    region TEXT,
    sport TEXT,
    organization TEXT,
    related_quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
    related_client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    importance_score NUMERIC(4,3) DEFAULT 0.5 NOT NULL,
    access_count INTEGER DEFAULT 0 NOT NULL,
    last_accessed_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT agent_memory_importance_check CHECK (importance_score BETWEEN 0 AND 1)
);
COMMENT ON COLUMN public.agent_memory.organization IS 'Sports organisation the memory is about (research context), not the tenant.';
CREATE INDEX idx_agent_memory_type ON public.agent_memory(memory_type);
CREATE INDEX idx_agent_memory_quote ON public.agent_memory(related_quote_id);

CREATE TABLE public.agent_learnings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    agent_name TEXT NOT NULL,
    learning_type TEXT NOT NULL,
    context JSONB DEFAULT '{}'::jsonb NOT NULL,
    outcome JSONB DEFAULT '{}'::jsonb NOT NULL,
    quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
    confidence NUMERIC(4,3) DEFAULT 0.5 NOT NULL,
    applied_count INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT agent_learnings_confidence_check CHECK (confidence BETWEEN 0 AND 1)
);
CREATE INDEX idx_agent_learnings_quote ON public.agent_learnings(quote_id);

CREATE TABLE public.agent_tasks (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    agent_name TEXT NOT NULL,
    task_type TEXT NOT NULL,
    status TEXT DEFAULT 'pending' NOT NULL,
    queue_priority INTEGER DEFAULT 5 NOT NULL,
    input_data JSONB DEFAULT '{}'::jsonb NOT NULL,
    output_data JSONB,
    error TEXT,
    related_quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT agent_tasks_priority_check CHECK (queue_priority BETWEEN 1 AND 10),
    CONSTRAINT agent_tasks_times_check CHECK (completed_at >= started_at)
);
CREATE INDEX idx_agent_tasks_status ON public.agent_tasks(status);
CREATE INDEX idx_agent_tasks_quote ON public.agent_tasks(related_quote_id);

CREATE TABLE public.knowledge_fragments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    fragment_type TEXT NOT NULL,
    title TEXT,
    content TEXT NOT NULL,
    countries TEXT[] DEFAULT '{}',
    regions TEXT[] DEFAULT '{}',
    tags TEXT[] DEFAULT '{}',
    source TEXT,
    confidence NUMERIC(4,3) DEFAULT 0.5 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT knowledge_fragments_confidence_check CHECK (confidence BETWEEN 0 AND 1)
);

CREATE TABLE public.knowledge_relationships (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    source_fragment_id UUID NOT NULL REFERENCES public.knowledge_fragments(id) ON DELETE CASCADE,
    target_fragment_id UUID NOT NULL REFERENCES public.knowledge_fragments(id) ON DELETE CASCADE,
    relationship_type TEXT NOT NULL,
    strength NUMERIC(4,3) DEFAULT 0.5 NOT NULL,
    CONSTRAINT knowledge_relationships_strength_check CHECK (strength BETWEEN 0 AND 1)
);
CREATE INDEX idx_knowledge_relationships_org ON public.knowledge_relationships(organization_id);
CREATE INDEX idx_knowledge_relationships_source ON public.knowledge_relationships(source_fragment_id);
CREATE INDEX idx_knowledge_relationships_target ON public.knowledge_relationships(target_fragment_id);

CREATE TABLE public.research_logs (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    agent_task_id UUID REFERENCES public.agent_tasks(id) ON DELETE SET NULL,
    query TEXT NOT NULL,
    research_type TEXT,
    results JSONB DEFAULT '[]'::jsonb NOT NULL,
    sources TEXT[] DEFAULT '{}',
    duration_ms INTEGER,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT research_logs_duration_check CHECK (duration_ms >= 0)
);
CREATE INDEX idx_research_logs_org ON public.research_logs(organization_id);
CREATE INDEX idx_research_logs_task ON public.research_logs(agent_task_id);

-- Sports research reference data, shared by every organisation --------------------------------------------------
CREATE TABLE public.sports_organizations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    abbreviation TEXT,
    sport TEXT NOT NULL,
    level TEXT,
    country TEXT,
    region TEXT,
    website TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);

CREATE TABLE public.sports_venues (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    venue_type TEXT,
    city TEXT,
    country TEXT,
    region TEXT,
    capacity INTEGER,
    latitude NUMERIC(9,6),
    longitude NUMERIC(9,6),
    broadcast_facilities JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT sports_venues_capacity_check CHECK (capacity > 0)
);

CREATE TABLE public.sports_events (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    sport TEXT NOT NULL,
    sports_organization_id UUID REFERENCES public.sports_organizations(id) ON DELETE SET NULL,
    venue_id UUID REFERENCES public.sports_venues(id) ON DELETE SET NULL,
    tier TEXT,
    country TEXT,
    region TEXT,
    start_date DATE,
    end_date DATE,
    expected_audience BIGINT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT sports_events_dates_check CHECK (end_date >= start_date),
    CONSTRAINT sports_events_audience_check CHECK (expected_audience >= 0)
);
CREATE INDEX idx_sports_events_organization ON public.sports_events(sports_organization_id);
CREATE INDEX idx_sports_events_venue ON public.sports_events(venue_id);

CREATE TABLE public.media_rights (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    event_id UUID NOT NULL REFERENCES public.sports_events(id) ON DELETE CASCADE,
    sports_organization_id UUID REFERENCES public.sports_organizations(id) ON DELETE SET NULL,
    rights_holder TEXT NOT NULL,
    territory TEXT,
    platform TEXT,
    exclusivity BOOLEAN DEFAULT false NOT NULL,
    start_date DATE,
    end_date DATE,
    fee_estimate NUMERIC(12,2),
    currency TEXT DEFAULT 'USD' NOT NULL,
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT media_rights_dates_check CHECK (end_date >= start_date),
    CONSTRAINT media_rights_fee_check CHECK (fee_estimate >= 0)
);
CREATE INDEX idx_media_rights_event ON public.media_rights(event_id);
CREATE INDEX idx_media_rights_organization ON public.media_rights(sports_organization_id);
