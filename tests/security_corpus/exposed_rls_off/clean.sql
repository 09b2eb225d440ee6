-- The same tables, fixed: row-level security on everywhere (the partition too), with the members' policies;
-- webhook_events is read by the backend only (RLS on, no policy for the API roles, grants revoked, and the
-- schema's default privileges no longer grant new tables to anon and authenticated).

ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM anon, authenticated;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public REVOKE ALL ON TABLES FROM anon, authenticated;

CREATE TABLE public.invoices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    total numeric NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_organization_id_idx ON public.invoices (organization_id);
GRANT SELECT ON public.invoices TO authenticated;
ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read invoices" ON public.invoices
    FOR SELECT TO authenticated USING (private.is_member(organization_id));

CREATE TABLE public.webhook_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.webhook_events ENABLE ROW LEVEL SECURITY;
GRANT ALL ON public.webhook_events TO service_role;

CREATE TABLE public.chat_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_messages_organization_id_idx ON public.chat_messages (organization_id);
GRANT SELECT, INSERT ON public.chat_messages TO authenticated;
ALTER TABLE public.chat_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read chat" ON public.chat_messages
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
CREATE POLICY "members post chat" ON public.chat_messages
    FOR INSERT TO authenticated WITH CHECK (private.is_member(organization_id));
ALTER PUBLICATION supabase_realtime ADD TABLE public.chat_messages;

CREATE TABLE public.api_calls (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    path text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX api_calls_organization_id_idx ON public.api_calls (organization_id);
CREATE TABLE public.api_calls_2026 PARTITION OF public.api_calls
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
GRANT SELECT ON public.api_calls, public.api_calls_2026 TO authenticated;
ALTER TABLE public.api_calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.api_calls_2026 ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read api calls" ON public.api_calls
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
CREATE POLICY "members read api calls" ON public.api_calls_2026
    FOR SELECT TO authenticated USING (private.is_member(organization_id));

CREATE TABLE public.tasks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    title text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_organization_id_idx ON public.tasks (organization_id);
GRANT SELECT ON public.tasks TO authenticated;
ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read tasks" ON public.tasks
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
