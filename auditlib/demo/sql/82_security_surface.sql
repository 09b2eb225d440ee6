-- ProductionOS, the security surface around row-level security (migration 20260112100000_security_surface.sql):
-- reporting views, a materialized view, RPC functions, a webhook inbox, a partitioned API request table and the
-- Realtime publication, as the app added them.

-- Reporting views: read by the dashboard through the REST API. Plain views run as their owner (postgres), so
-- the policies of projects and clients do not apply to them.
CREATE VIEW public.project_overview AS
SELECT p.id, p.name, p.status, p.organization_id, c.company AS client_company
FROM public.projects p
LEFT JOIN public.clients c ON c.id = p.client_id;

-- The team page lists every account's email: a view over auth.users in the exposed schema.
CREATE VIEW public.team_directory AS
SELECT u.id, u.email, u.raw_user_meta_data ->> 'full_name' AS full_name, u.last_sign_in_at
FROM auth.users u;

-- Revenue per client, refreshed nightly: a snapshot of every organisation's invoices, readable over the API.
CREATE MATERIALIZED VIEW public.revenue_by_client AS
SELECT i.client_id, sum(i.total) AS invoiced, sum(i.amount_paid) AS paid
FROM public.invoices i
GROUP BY i.client_id;

-- Called by the nightly job only (EXECUTE revoked from the API roles), but SECURITY DEFINER without a pinned
-- search_path.
CREATE FUNCTION public.refresh_revenue_by_client()
RETURNS void
LANGUAGE sql
SECURITY DEFINER
AS $$
    REFRESH MATERIALIZED VIEW public.revenue_by_client
$$;
REVOKE EXECUTE ON FUNCTION public.refresh_revenue_by_client() FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.refresh_revenue_by_client() TO service_role;

-- "Archive" button of the project page, called as an RPC: it trusts the project id it is given.
CREATE FUNCTION public.archive_project(p_project_id UUID)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
BEGIN
    UPDATE public.projects
    SET status = 'archived', updated_at = timezone('utc', now())
    WHERE id = p_project_id;
END;
$$;

-- Stripe webhook inbox: written by the backend with the service role. The API roles' grants were revoked, but
-- RLS is off and the schema's default privileges grant anon and authenticated every new table.
CREATE TABLE public.stripe_webhook_events (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    stripe_event_ref TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload JSONB DEFAULT '{}'::jsonb NOT NULL,
    processed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
COMMENT ON TABLE public.stripe_webhook_events IS 'Stripe webhook deliveries, processed by the billing worker.';
COMMENT ON COLUMN public.stripe_webhook_events.payload IS 'The Stripe event object as delivered ({id, type, data: {object}}).';
CREATE TRIGGER update_stripe_webhook_events_updated_at BEFORE UPDATE ON public.stripe_webhook_events
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
REVOKE ALL ON public.stripe_webhook_events FROM anon, authenticated;

-- API requests, partitioned by year; the parent has RLS, the partition created by the maintenance job does not.
CREATE TABLE public.api_requests (
    id UUID DEFAULT uuid_generate_v4() NOT NULL,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_api_requests_org ON public.api_requests(organization_id);
COMMENT ON TABLE public.api_requests IS 'REST API requests per organisation, one partition per year.';
CREATE TRIGGER update_api_requests_updated_at BEFORE UPDATE ON public.api_requests
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
ALTER TABLE public.api_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members can view org request logs" ON public.api_requests
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE TABLE public.api_requests_2024 PARTITION OF public.api_requests
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

-- Helpers of the request log: an email comparison marked LEAKPROOF (so the planner may run it before policies),
-- and the caller's id declared IMMUTABLE, which a cached plan may fold to the first caller's id.
CREATE FUNCTION public.same_email(a TEXT, b TEXT)
RETURNS BOOLEAN
LANGUAGE sql
IMMUTABLE LEAKPROOF
AS $$ SELECT lower(a) = lower(b) $$;

CREATE FUNCTION public.request_user_id()
RETURNS UUID
LANGUAGE sql
IMMUTABLE
AS $$ SELECT auth.uid() $$;

CREATE POLICY "Members can log their org requests" ON public.api_requests
    FOR INSERT WITH CHECK (organization_id = get_user_organization_id() AND public.request_user_id() IS NOT NULL);

-- Realtime: the sports calendar is streamed to the research screen (RLS is off on sports_events).
ALTER PUBLICATION supabase_realtime ADD TABLE public.sports_events;  -- the platform creates the publication
