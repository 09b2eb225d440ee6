-- Knowledge base shared by the agents, and research logs (was supabase-knowledge-schema.sql).

CREATE TABLE IF NOT EXISTS knowledge_fragments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    content TEXT NOT NULL,
    category TEXT,
    embedding FLOAT8[],
    tags TEXT[] DEFAULT '{}',
    source_agent TEXT,
    usage_count INTEGER DEFAULT 0,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

CREATE TABLE agent_learnings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    learning_type TEXT NOT NULL,
    insight TEXT NOT NULL,
    source_fragment_id UUID REFERENCES knowledge_fragments(id) ON DELETE SET NULL,
    country TEXT,
    sport TEXT,
    confidence_score NUMERIC(4,3) DEFAULT 0.5,
    validated BOOLEAN DEFAULT false,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

CREATE TABLE IF NOT EXISTS agent_tasks (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    agent_type TEXT NOT NULL,
    task TEXT NOT NULL,
    target_country TEXT,
    target_sport TEXT,
    status TEXT DEFAULT 'queued',
    result JSONB,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

CREATE TABLE knowledge_relationships (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    source_fragment_id UUID NOT NULL REFERENCES knowledge_fragments(id) ON DELETE CASCADE,
    target_fragment_id UUID NOT NULL REFERENCES knowledge_fragments(id) ON DELETE CASCADE,
    relationship_type TEXT NOT NULL,
    strength NUMERIC(4,3) DEFAULT 0.5 NOT NULL,
    CONSTRAINT knowledge_relationships_strength_check CHECK (strength BETWEEN 0 AND 1)
);
CREATE INDEX idx_knowledge_relationships_org ON knowledge_relationships(organization_id);
CREATE INDEX idx_knowledge_relationships_source ON knowledge_relationships(source_fragment_id);
CREATE INDEX idx_knowledge_relationships_target ON knowledge_relationships(target_fragment_id);

CREATE TABLE research_logs (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    agent_task_id UUID REFERENCES agent_tasks(id) ON DELETE SET NULL,
    query TEXT NOT NULL,
    research_type TEXT,
    results JSONB DEFAULT '[]'::jsonb NOT NULL,
    sources TEXT[] DEFAULT '{}',
    duration_ms INTEGER,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT research_logs_duration_check CHECK (duration_ms >= 0)
);
CREATE INDEX idx_research_logs_org ON research_logs(organization_id);
CREATE INDEX idx_research_logs_task ON research_logs(agent_task_id);

CREATE TRIGGER update_research_logs_updated_at BEFORE UPDATE ON research_logs
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE knowledge_relationships ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage knowledge relationships" ON knowledge_relationships
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE research_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage research logs" ON research_logs
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
