-- Crew compliance documents and project history (was supabase-crew-history-schema.sql).

CREATE TABLE crew_documents (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    crew_id UUID NOT NULL REFERENCES crew(id) ON DELETE CASCADE,
    document_type TEXT NOT NULL,
    storage_path TEXT NOT NULL,
    verified BOOLEAN DEFAULT false NOT NULL,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_crew_documents_org ON crew_documents(organization_id);
CREATE INDEX idx_crew_documents_crew ON crew_documents(crew_id);

CREATE TABLE crew_project_history (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    crew_id UUID NOT NULL REFERENCES crew(id) ON DELETE CASCADE,
    project_id UUID,
    role TEXT,
    start_date DATE,
    end_date DATE,
    days_worked NUMERIC(6,1),
    total_paid NUMERIC(12,2),
    rating NUMERIC(3,1),
    feedback TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT crew_project_history_dates_check CHECK (end_date >= start_date),
    CONSTRAINT crew_project_history_amounts_check CHECK (days_worked >= 0 AND total_paid >= 0 AND rating BETWEEN 0 AND 5)
);
CREATE INDEX idx_crew_project_history_org ON crew_project_history(organization_id);
CREATE INDEX idx_crew_project_history_crew ON crew_project_history(crew_id);
CREATE INDEX idx_crew_project_history_project ON crew_project_history(project_id);

CREATE TRIGGER update_crew_documents_updated_at BEFORE UPDATE ON crew_documents
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_crew_project_history_updated_at BEFORE UPDATE ON crew_project_history
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE crew_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage crew documents" ON crew_documents
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE crew_project_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage crew project history" ON crew_project_history
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
