-- GDPR: data exports, account deletion requests and the processing log (was supabase-gdpr-schema.sql).

CREATE TABLE data_export_requests (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    status TEXT DEFAULT 'pending' NOT NULL,
    format TEXT DEFAULT 'json' NOT NULL,
    requested_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    completed_at TIMESTAMPTZ,
    download_url TEXT,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT data_export_requests_times_check CHECK (completed_at >= requested_at)
);
CREATE INDEX idx_data_export_requests_org ON data_export_requests(organization_id);
CREATE INDEX idx_data_export_requests_user ON data_export_requests(user_id);

CREATE TABLE account_deletion_requests (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    reason TEXT,
    status TEXT DEFAULT 'pending' NOT NULL,
    scheduled_for TIMESTAMPTZ,
    processed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_account_deletion_requests_org ON account_deletion_requests(organization_id);
CREATE INDEX idx_account_deletion_requests_user ON account_deletion_requests(user_id);

CREATE TABLE gdpr_logs (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    user_id UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    legal_basis TEXT,
    details JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_gdpr_logs_user ON gdpr_logs(user_id);

CREATE TRIGGER update_data_export_requests_updated_at BEFORE UPDATE ON data_export_requests
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_account_deletion_requests_updated_at BEFORE UPDATE ON account_deletion_requests
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_gdpr_logs_updated_at BEFORE UPDATE ON gdpr_logs
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE data_export_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own data export requests" ON data_export_requests
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

ALTER TABLE account_deletion_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own account deletion requests" ON account_deletion_requests
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());

-- Written by the service role only: RLS on, no policy.
ALTER TABLE gdpr_logs ENABLE ROW LEVEL SECURITY;
