-- Sports research agent: governing bodies, venues, events, media rights, plus the research agent's own memory and
-- contact book (was supabase-research-schema.sql, written for the research prototype).

CREATE TABLE sports_organizations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    abbreviation TEXT,
    sport TEXT NOT NULL,
    level TEXT,
    country TEXT,
    region TEXT,
    website TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

CREATE TABLE sports_venues (
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
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT sports_venues_capacity_check CHECK (capacity > 0)
);

CREATE TABLE sports_events (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    sport TEXT NOT NULL,
    sports_organization_id UUID REFERENCES sports_organizations(id) ON DELETE SET NULL,
    venue_id UUID REFERENCES sports_venues(id) ON DELETE SET NULL,
    tier TEXT,
    country TEXT,
    region TEXT,
    start_date DATE,
    end_date DATE,
    expected_audience BIGINT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT sports_events_dates_check CHECK (end_date >= start_date),
    CONSTRAINT sports_events_audience_check CHECK (expected_audience >= 0)
);
CREATE INDEX idx_sports_events_organization ON sports_events(sports_organization_id);
CREATE INDEX idx_sports_events_venue ON sports_events(venue_id);

CREATE TABLE media_rights (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    event_id UUID NOT NULL REFERENCES sports_events(id) ON DELETE CASCADE,
    sports_organization_id UUID REFERENCES sports_organizations(id) ON DELETE SET NULL,
    rights_holder TEXT NOT NULL,
    territory TEXT,
    platform TEXT,
    exclusivity BOOLEAN DEFAULT false NOT NULL,
    start_date DATE,
    end_date DATE,
    fee_estimate NUMERIC(12,2),
    currency TEXT DEFAULT 'USD' NOT NULL,
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT media_rights_dates_check CHECK (end_date >= start_date),
    CONSTRAINT media_rights_fee_check CHECK (fee_estimate >= 0)
);
CREATE INDEX idx_media_rights_event ON media_rights(event_id);
CREATE INDEX idx_media_rights_organization ON media_rights(sports_organization_id);

-- People met through research (federations, broadcasters, venues)
CREATE TABLE contacts (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    mobile TEXT,
    whatsapp TEXT,
    job_title TEXT,
    company_id UUID REFERENCES clients(id) ON DELETE SET NULL,
    organization TEXT,
    country TEXT,
    sport TEXT,
    linkedin_url TEXT,
    source TEXT DEFAULT 'research',
    notes TEXT,
    last_contacted_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

-- Research memory: what the agent found out, by market
CREATE TABLE IF NOT EXISTS agent_memory (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    memory_type TEXT NOT NULL,
    content JSONB DEFAULT '{}'::jsonb NOT NULL,
    country TEXT,
    region TEXT,
    sport TEXT,
    organization TEXT,
    relevance_score NUMERIC(4,3) DEFAULT 0.5,
    source_url TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

-- Reusable facts (rights holders, broadcast norms, local rules) the agents cite
CREATE TABLE IF NOT EXISTS knowledge_fragments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    fragment_type TEXT NOT NULL,
    title TEXT,
    content TEXT NOT NULL,
    countries TEXT[] DEFAULT '{}',
    regions TEXT[] DEFAULT '{}',
    tags TEXT[] DEFAULT '{}',
    source TEXT,
    confidence NUMERIC(4,3) DEFAULT 0.5 NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT knowledge_fragments_confidence_check CHECK (confidence BETWEEN 0 AND 1)
);

CREATE TRIGGER update_sports_organizations_updated_at BEFORE UPDATE ON sports_organizations
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_sports_venues_updated_at BEFORE UPDATE ON sports_venues
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_sports_events_updated_at BEFORE UPDATE ON sports_events
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_media_rights_updated_at BEFORE UPDATE ON media_rights
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_knowledge_fragments_updated_at BEFORE UPDATE ON knowledge_fragments
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
