-- Gmail / Outlook integration: synced threads and OAuth tokens (was supabase-email-integration-schema.sql).

CREATE TABLE email_threads (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    subject TEXT,
    client_id UUID REFERENCES clients(id) ON DELETE SET NULL,
    opportunity_id UUID REFERENCES opportunities(id) ON DELETE SET NULL,
    participants TEXT[] DEFAULT '{}',
    message_count INTEGER DEFAULT 0 NOT NULL,
    last_message_at TIMESTAMPTZ,
    is_archived BOOLEAN DEFAULT false NOT NULL,
    external_thread_ref TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_email_threads_client ON email_threads(client_id);
CREATE INDEX idx_email_threads_opportunity ON email_threads(opportunity_id);

CREATE TABLE gmail_tokens (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL UNIQUE REFERENCES auth.users(id) ON DELETE CASCADE,
    email_address TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    token_expiry TIMESTAMPTZ,
    scopes TEXT[] DEFAULT '{}',
    history_cursor TEXT,
    watch_expiration TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_gmail_tokens_org ON gmail_tokens(organization_id);

-- Attachment metadata (the files themselves live in storage)
CREATE TABLE email_attachments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    thread_id UUID REFERENCES email_threads(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    mime_type TEXT,
    size_bytes BIGINT,
    storage_path TEXT NOT NULL,
);

CREATE TABLE microsoft_tokens (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL UNIQUE REFERENCES auth.users(id) ON DELETE CASCADE,
    account_email TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    expires_at TIMESTAMPTZ,
    scope TEXT,
    azure_directory TEXT,
    delta_link TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_microsoft_tokens_org ON microsoft_tokens(organization_id);

CREATE TRIGGER update_email_threads_updated_at BEFORE UPDATE ON email_threads
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_gmail_tokens_updated_at BEFORE UPDATE ON gmail_tokens
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_microsoft_tokens_updated_at BEFORE UPDATE ON microsoft_tokens
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE gmail_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own gmail tokens" ON gmail_tokens
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE microsoft_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own microsoft tokens" ON microsoft_tokens
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());
