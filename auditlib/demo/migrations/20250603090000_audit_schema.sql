-- Audit trail and security events (was supabase-audit-schema.sql).

CREATE TABLE audit_logs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    table_name TEXT NOT NULL,
    record_id UUID,
    old_data JSONB,
    new_data JSONB,
    ip_address INET,
    user_agent TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
COMMENT ON TABLE audit_logs IS 'Row changes of audited tables (written by log_audit_event()); record_id is the id of the row in table_name.';
CREATE INDEX idx_audit_logs_user ON audit_logs(user_id);
CREATE INDEX idx_audit_logs_record ON audit_logs(table_name, record_id);

CREATE TABLE security_events (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    user_id UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    event_type TEXT NOT NULL,
    severity TEXT DEFAULT 'low' NOT NULL,
    ip_address INET,
    user_agent TEXT,
    details JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_security_events_user ON security_events(user_id);

-- Row changes of quotes, clients and opportunities
CREATE OR REPLACE FUNCTION log_audit_event()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
BEGIN
    INSERT INTO public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
    VALUES (NEW.organization_id, auth.uid(), TG_OP, TG_TABLE_NAME, NEW.id, to_jsonb(OLD), to_jsonb(NEW));
    RETURN NEW;
END;
$$;

-- Updates only: deletes cascade from organizations, and an audit row would point at the organisation being deleted.
CREATE TRIGGER audit_quotes AFTER UPDATE ON quotes
    FOR EACH ROW EXECUTE FUNCTION log_audit_event();
CREATE TRIGGER audit_clients AFTER UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION log_audit_event();
CREATE TRIGGER audit_opportunities AFTER UPDATE ON opportunities
    FOR EACH ROW EXECUTE FUNCTION log_audit_event();

CREATE TRIGGER update_audit_logs_updated_at BEFORE UPDATE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_security_events_updated_at BEFORE UPDATE ON security_events
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Written by the service role only: RLS on, no policy.
ALTER TABLE security_events ENABLE ROW LEVEL SECURITY;
