-- Tables with row-level security off that the API reaches. invoices was created with RLS forgotten (the
-- default privileges granted it to anon and authenticated); webhook_events had its grants revoked but not its
-- default privileges, so the next restore or re-create opens it again; chat_messages is broadcast by Realtime
-- with RLS off; one partition of api_calls lost the parent's RLS; tasks has policies but RLS was never enabled.

CREATE TABLE public.invoices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    total numeric NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_organization_id_idx ON public.invoices (organization_id);

CREATE TABLE public.webhook_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON public.webhook_events FROM anon, authenticated;

CREATE TABLE public.chat_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_messages_organization_id_idx ON public.chat_messages (organization_id);
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
ALTER TABLE public.api_calls ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read api calls" ON public.api_calls
    FOR SELECT TO authenticated USING (private.is_member(organization_id));

CREATE TABLE public.tasks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    title text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_organization_id_idx ON public.tasks (organization_id);
CREATE POLICY "members read tasks" ON public.tasks
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
