-- ProductionOS, integrations and automation (supabase-email-integration-schema.sql, supabase-google-schema.sql,
-- supabase-workflow-schema.sql, supabase-platform-schema.sql).

-- OAuth tokens --------------------------------------------------------------------------------------------------
CREATE TABLE public.gmail_tokens (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL UNIQUE REFERENCES auth.users(id) ON DELETE CASCADE,
    email_address TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    token_expiry TIMESTAMPTZ,
    scopes TEXT[] DEFAULT '{}',
    history_cursor TEXT,
    watch_expiration TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_gmail_tokens_org ON public.gmail_tokens(organization_id);

CREATE TABLE public.microsoft_tokens (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL UNIQUE REFERENCES auth.users(id) ON DELETE CASCADE,
    account_email TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    expires_at TIMESTAMPTZ,
    scope TEXT,
    azure_directory TEXT,
    delta_link TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_microsoft_tokens_org ON public.microsoft_tokens(organization_id);

-- The Google Calendar integration stored the user id as text (the frontend passed user.id as a string);
-- migration 20251231 converts it, but had not run when the audit was taken.
CREATE TABLE public.google_tokens (
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

CREATE TABLE public.google_calendar_events (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
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
CREATE INDEX idx_google_calendar_events_org ON public.google_calendar_events(organization_id);
CREATE INDEX idx_google_calendar_events_project ON public.google_calendar_events(project_id);

-- Workflow automation ---------------------------------------------------------------------------------------------
CREATE TABLE public.workflow_rules (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
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
CREATE INDEX idx_workflow_rules_org ON public.workflow_rules(organization_id);

CREATE TABLE public.workflow_executions (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    rule_id UUID NOT NULL REFERENCES public.workflow_rules(id) ON DELETE CASCADE,
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
COMMENT ON COLUMN public.workflow_executions.trigger_record_ref IS 'Id of the row that fired the rule, in the table named by workflow_rules.trigger_table.';
CREATE INDEX idx_workflow_executions_org ON public.workflow_executions(organization_id);
CREATE INDEX idx_workflow_executions_rule ON public.workflow_executions(rule_id);

-- Written by the automation worker; bigserial ids from its first (non-Supabase) version.
CREATE TABLE public.automation_logs (
    id BIGSERIAL PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    execution_id UUID REFERENCES public.workflow_executions(id) ON DELETE CASCADE,
    level TEXT DEFAULT 'info' NOT NULL,
    message TEXT NOT NULL,
    details JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_automation_logs_org ON public.automation_logs(organization_id);
CREATE INDEX idx_automation_logs_execution ON public.automation_logs(execution_id);

-- Platform ----------------------------------------------------------------------------------------------------------
CREATE TABLE public.notifications (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    link TEXT,
    read_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_notifications_org ON public.notifications(organization_id);
CREATE INDEX idx_notifications_user ON public.notifications(user_id);

CREATE TABLE public.saved_views (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    name TEXT NOT NULL,
    filters JSONB DEFAULT '{}'::jsonb NOT NULL,
    is_default BOOLEAN DEFAULT false NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_saved_views_org ON public.saved_views(organization_id);
CREATE INDEX idx_saved_views_user ON public.saved_views(user_id);

CREATE TABLE public.api_keys (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
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
CREATE INDEX idx_api_keys_org ON public.api_keys(organization_id);

CREATE TABLE public.webhooks (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
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
CREATE INDEX idx_webhooks_org ON public.webhooks(organization_id);

CREATE TABLE public.integrations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    status TEXT DEFAULT 'connected' NOT NULL,
    config JSONB DEFAULT '{}'::jsonb NOT NULL,
    connected_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    connected_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (organization_id, provider)
);

CREATE TABLE public.feature_flags (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    description TEXT,
    enabled BOOLEAN DEFAULT false NOT NULL,
    rollout_percentage INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT feature_flags_rollout_check CHECK (rollout_percentage BETWEEN 0 AND 100)
);

CREATE TABLE public.currency_rates (
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
