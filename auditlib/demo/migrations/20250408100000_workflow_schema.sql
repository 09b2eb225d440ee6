-- Workflow automation: rules, executions and the worker's log (was supabase-workflow-schema.sql).

CREATE TABLE workflow_rules (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    trigger_type TEXT NOT NULL,
    trigger_table TEXT,
    conditions JSONB DEFAULT '[]'::jsonb NOT NULL,
    actions JSONB DEFAULT '[]'::jsonb NOT NULL,
    is_active BOOLEAN DEFAULT true NOT NULL,
    run_count INTEGER DEFAULT 0 NOT NULL,
    last_run_at TIMESTAMPTZ,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT workflow_rules_run_count_check CHECK (run_count >= 0)
);
CREATE INDEX idx_workflow_rules_org ON workflow_rules(organization_id);

CREATE TABLE workflow_executions (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    rule_id UUID NOT NULL REFERENCES workflow_rules(id) ON DELETE CASCADE,
    status TEXT DEFAULT 'running' NOT NULL,
    trigger_record_ref UUID,
    input JSONB DEFAULT '{}'::jsonb,
    result JSONB,
    error TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT workflow_executions_times_check CHECK (finished_at >= started_at)
);
COMMENT ON COLUMN workflow_executions.trigger_record_ref IS 'Id of the row that fired the rule, in the table named by workflow_rules.trigger_table.';
CREATE INDEX idx_workflow_executions_org ON workflow_executions(organization_id);
CREATE INDEX idx_workflow_executions_rule ON workflow_executions(rule_id);

CREATE TABLE automation_logs (
    id BIGSERIAL PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    execution_id UUID REFERENCES workflow_executions(id) ON DELETE CASCADE,
    level TEXT DEFAULT 'info' NOT NULL,
    message TEXT NOT NULL,
    details JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_automation_logs_org ON automation_logs(organization_id);
CREATE INDEX idx_automation_logs_execution ON automation_logs(execution_id);

CREATE TRIGGER update_workflow_rules_updated_at BEFORE UPDATE ON workflow_rules
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_workflow_executions_updated_at BEFORE UPDATE ON workflow_executions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_automation_logs_updated_at BEFORE UPDATE ON automation_logs
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE workflow_rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage workflow rules" ON workflow_rules
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE workflow_executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage workflow executions" ON workflow_executions
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE automation_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage automation logs" ON automation_logs
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
