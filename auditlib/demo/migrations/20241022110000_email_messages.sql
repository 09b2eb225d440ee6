-- Messages of synced threads, and open/click tracking (was supabase-email-schema.sql).

CREATE TABLE email_messages (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    thread_id UUID REFERENCES email_threads(id) ON DELETE CASCADE,
    contact_id UUID REFERENCES contacts(id) ON DELETE SET NULL,
    direction TEXT DEFAULT 'inbound' NOT NULL,
    from_address TEXT NOT NULL,
    to_addresses TEXT[] DEFAULT '{}' NOT NULL,
    cc_addresses TEXT[] DEFAULT '{}',
    subject TEXT,
    body_text TEXT,
    body_html TEXT,
    is_read BOOLEAN DEFAULT false NOT NULL,
    external_message_ref TEXT,
    sent_at TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_email_messages_thread ON email_messages(thread_id);
CREATE INDEX idx_email_messages_contact ON email_messages(contact_id);

CREATE TABLE email_tracking_events (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    message_id UUID NOT NULL REFERENCES email_messages(id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    link_url TEXT,
    ip_address INET,
    user_agent TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_email_tracking_events_org ON email_tracking_events(organization_id);
CREATE INDEX idx_email_tracking_events_message ON email_tracking_events(message_id);

CREATE TRIGGER update_email_messages_updated_at BEFORE UPDATE ON email_messages
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_email_tracking_events_updated_at BEFORE UPDATE ON email_tracking_events
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE email_tracking_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage email tracking events" ON email_tracking_events
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
