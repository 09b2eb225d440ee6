-- Platform features: notifications, saved views, API keys, webhooks, integrations, feature flags and currency
-- rates (was supabase-platform-schema.sql).

CREATE TABLE notifications (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    link TEXT,
    read_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_notifications_org ON notifications(organization_id);
CREATE INDEX idx_notifications_user ON notifications(user_id);

CREATE TABLE saved_views (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    name TEXT NOT NULL,
    filters JSONB DEFAULT '{}'::jsonb NOT NULL,
    is_default BOOLEAN DEFAULT false NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_saved_views_org ON saved_views(organization_id);
CREATE INDEX idx_saved_views_user ON saved_views(user_id);

CREATE TABLE api_keys (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT[] DEFAULT '{}',
    last_used_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_api_keys_org ON api_keys(organization_id);

CREATE TABLE webhooks (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT[] DEFAULT '{}' NOT NULL,
    secret TEXT NOT NULL,
    is_active BOOLEAN DEFAULT true NOT NULL,
    failure_count INTEGER DEFAULT 0 NOT NULL,
    last_triggered_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT webhooks_failure_count_check CHECK (failure_count >= 0)
);
CREATE INDEX idx_webhooks_org ON webhooks(organization_id);

CREATE TABLE integrations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    status TEXT DEFAULT 'connected' NOT NULL,
    config JSONB DEFAULT '{}'::jsonb NOT NULL,
    connected_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    connected_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (organization_id, provider)
);

CREATE TABLE feature_flags (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    description TEXT,
    enabled BOOLEAN DEFAULT false NOT NULL,
    rollout_percentage INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT feature_flags_rollout_check CHECK (rollout_percentage BETWEEN 0 AND 100)
);

CREATE TABLE currency_rates (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    base_currency TEXT NOT NULL,
    quote_currency TEXT NOT NULL,
    rate NUMERIC(12,6) NOT NULL,
    rate_date DATE NOT NULL,
    source TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (base_currency, quote_currency, rate_date),
    CONSTRAINT currency_rates_rate_check CHECK (rate > 0)
);

CREATE TRIGGER update_notifications_updated_at BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_saved_views_updated_at BEFORE UPDATE ON saved_views
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_api_keys_updated_at BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_webhooks_updated_at BEFORE UPDATE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_integrations_updated_at BEFORE UPDATE ON integrations
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_feature_flags_updated_at BEFORE UPDATE ON feature_flags
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_currency_rates_updated_at BEFORE UPDATE ON currency_rates
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own notifications" ON notifications
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE saved_views ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own saved views" ON saved_views
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage api keys" ON api_keys
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage webhooks" ON webhooks
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE integrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage integrations" ON integrations
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE feature_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read feature flags" ON feature_flags
    FOR SELECT TO authenticated USING (true);

ALTER TABLE currency_rates ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read currency rates" ON currency_rates
    FOR SELECT TO authenticated USING (true);
