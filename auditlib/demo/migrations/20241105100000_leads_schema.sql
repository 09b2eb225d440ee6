-- Leads from the research agent, lead scoring, deal context and e-mail sequences (was supabase-leads-schema.sql).

CREATE TABLE leads (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    company_name TEXT NOT NULL,
    contact_name TEXT,
    email TEXT,
    phone TEXT,
    source TEXT,
    status TEXT DEFAULT 'new' NOT NULL,
    score INTEGER DEFAULT 0 NOT NULL,
    sport TEXT,
    region TEXT,
    country TEXT,
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT leads_score_check CHECK (score BETWEEN 0 AND 100)
);
CREATE INDEX idx_leads_org ON leads(organization_id);

CREATE TABLE lead_scoring (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    lead_id UUID NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    score INTEGER NOT NULL,
    factors JSONB DEFAULT '{}'::jsonb NOT NULL,
    model_version TEXT,
    scored_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT lead_scoring_score_check CHECK (score BETWEEN 0 AND 100)
);
CREATE INDEX idx_lead_scoring_org ON lead_scoring(organization_id);
CREATE INDEX idx_lead_scoring_lead ON lead_scoring(lead_id);

CREATE TABLE deal_context (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    opportunity_id UUID NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    summary TEXT,
    key_points JSONB DEFAULT '[]'::jsonb,
    stakeholders JSONB DEFAULT '[]'::jsonb,
    risks TEXT,
    next_steps TEXT,
    last_analyzed_at TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_deal_context_org ON deal_context(organization_id);
CREATE INDEX idx_deal_context_opportunity ON deal_context(opportunity_id);

CREATE TABLE email_sequences (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    steps JSONB DEFAULT '[]'::jsonb NOT NULL,
    is_active BOOLEAN DEFAULT true NOT NULL,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_email_sequences_org ON email_sequences(organization_id);

CREATE TABLE email_sequence_enrollments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    sequence_id UUID NOT NULL REFERENCES email_sequences(id) ON DELETE CASCADE,
    contact_id UUID NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    current_step INTEGER DEFAULT 0 NOT NULL,
    status TEXT DEFAULT 'active' NOT NULL,
    enrolled_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    next_send_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    UNIQUE (sequence_id, contact_id)
);
CREATE INDEX idx_email_sequence_enrollments_org ON email_sequence_enrollments(organization_id);
CREATE INDEX idx_email_sequence_enrollments_contact ON email_sequence_enrollments(contact_id);

CREATE TRIGGER update_leads_updated_at BEFORE UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_deal_context_updated_at BEFORE UPDATE ON deal_context
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_email_sequence_enrollments_updated_at BEFORE UPDATE ON email_sequence_enrollments
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage leads" ON leads
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE lead_scoring ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage lead scoring" ON lead_scoring
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE deal_context ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage deal context" ON deal_context
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE email_sequences ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage email sequences" ON email_sequences
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE email_sequence_enrollments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage email sequence enrollments" ON email_sequence_enrollments
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
