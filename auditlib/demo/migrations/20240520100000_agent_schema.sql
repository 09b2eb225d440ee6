-- AI quoting agent: memory, learnings and task queue (was supabase-agent-schema.sql).

-- What the agent remembers about quotes and clients
CREATE TABLE IF NOT EXISTS agent_memory (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    memory_type TEXT NOT NULL,
    content JSONB DEFAULT '{}'::jsonb NOT NULL,
    summary TEXT,
    related_quote_id UUID REFERENCES quotes(id) ON DELETE SET NULL,
    related_client_id UUID REFERENCES clients(id) ON DELETE SET NULL,
    importance_score NUMERIC(4,3) DEFAULT 0.5 NOT NULL,
    access_count INTEGER DEFAULT 0 NOT NULL,
    last_accessed_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT agent_memory_importance_check CHECK (importance_score BETWEEN 0 AND 1)
);
CREATE INDEX idx_agent_memory_type ON agent_memory(memory_type);
CREATE INDEX idx_agent_memory_quote ON agent_memory(related_quote_id);

-- Outcomes the agent learns from (won/lost quotes, margin feedback)
CREATE TABLE agent_learnings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    agent_name TEXT NOT NULL,
    learning_type TEXT NOT NULL,
    context JSONB DEFAULT '{}'::jsonb NOT NULL,
    outcome JSONB DEFAULT '{}'::jsonb NOT NULL,
    quote_id UUID REFERENCES quotes(id) ON DELETE SET NULL,
    confidence NUMERIC(4,3) DEFAULT 0.5 NOT NULL,
    applied_count INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT agent_learnings_confidence_check CHECK (confidence BETWEEN 0 AND 1)
);
CREATE INDEX idx_agent_learnings_quote ON agent_learnings(quote_id);

-- Work queue of the agents
CREATE TABLE agent_tasks (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    agent_name TEXT NOT NULL,
    task_type TEXT NOT NULL,
    status TEXT DEFAULT 'pending' NOT NULL,
    queue_priority INTEGER DEFAULT 5 NOT NULL,
    input_data JSONB DEFAULT '{}'::jsonb NOT NULL,
    output_data JSONB,
    error TEXT,
    related_quote_id UUID REFERENCES quotes(id) ON DELETE SET NULL,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT agent_tasks_priority_check CHECK (queue_priority BETWEEN 1 AND 10),
    CONSTRAINT agent_tasks_times_check CHECK (completed_at >= started_at)
);
CREATE INDEX idx_agent_tasks_status ON agent_tasks(status);
CREATE INDEX idx_agent_tasks_quote ON agent_tasks(related_quote_id);

CREATE TRIGGER update_agent_memory_updated_at BEFORE UPDATE ON agent_memory
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_agent_learnings_updated_at BEFORE UPDATE ON agent_learnings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_agent_tasks_updated_at BEFORE UPDATE ON agent_tasks
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
