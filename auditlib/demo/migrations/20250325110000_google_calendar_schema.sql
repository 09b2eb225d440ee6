-- Google Calendar sync (was supabase-google-schema.sql). user_id is stored as the string the frontend passes.

CREATE TABLE google_tokens (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    token_type TEXT DEFAULT 'Bearer',
    scope TEXT,
    expiry_date TIMESTAMPTZ,
    calendar_sync_token TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);

CREATE TABLE google_calendar_events (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    project_id UUID,
    google_event_ref TEXT NOT NULL,
    calendar_ref TEXT DEFAULT 'primary' NOT NULL,
    summary TEXT,
    description TEXT,
    location TEXT,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    all_day BOOLEAN DEFAULT false NOT NULL,
    attendees JSONB DEFAULT '[]'::jsonb,
    status TEXT DEFAULT 'confirmed' NOT NULL,
    synced_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (user_id, google_event_ref),
    CONSTRAINT google_calendar_events_times_check CHECK (ends_at >= starts_at)
);
CREATE INDEX idx_google_calendar_events_org ON google_calendar_events(organization_id);
CREATE INDEX idx_google_calendar_events_project ON google_calendar_events(project_id);

CREATE TRIGGER update_google_tokens_updated_at BEFORE UPDATE ON google_tokens
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_google_calendar_events_updated_at BEFORE UPDATE ON google_calendar_events
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE google_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own google tokens" ON google_tokens
    FOR ALL USING (user_id = auth.uid()::text) WITH CHECK (user_id = auth.uid()::text);

ALTER TABLE google_calendar_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage google calendar events" ON google_calendar_events
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
