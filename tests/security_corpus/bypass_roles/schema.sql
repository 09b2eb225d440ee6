-- Roles around row-level security. The reporting service logs in as a role with BYPASSRLS; an analyst's login
-- reaches BYPASSRLS through membership of the ETL role; a policy meant to narrow the backend's reads is written
-- for service_role, which bypasses RLS, so it never runs; the time sheets table is owned by a role the
-- authenticated role is a member of, without FORCE ROW LEVEL SECURITY; a comparison helper is LEAKPROOF.
-- Roles are cluster-wide: the corpus's roles start with seccorpus_ and are dropped with the fixture's database.

DO $$
BEGIN
    CREATE ROLE seccorpus_reporting LOGIN BYPASSRLS;
    CREATE ROLE seccorpus_etl NOLOGIN BYPASSRLS;
    CREATE ROLE seccorpus_analyst LOGIN IN ROLE seccorpus_etl;
    CREATE ROLE seccorpus_timesheet_owner NOLOGIN;
END
$$;
GRANT USAGE ON SCHEMA public TO seccorpus_reporting, seccorpus_etl, seccorpus_timesheet_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO seccorpus_reporting, seccorpus_etl;
GRANT seccorpus_timesheet_owner TO authenticated;

CREATE TABLE public.payouts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    amount numeric NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_organization_id_idx ON public.payouts (organization_id);
ALTER TABLE public.payouts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read payouts" ON public.payouts
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
CREATE POLICY "backend pays pending payouts" ON public.payouts
    FOR UPDATE TO service_role USING (status = 'pending');

CREATE TABLE public.time_sheets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    hours numeric NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX time_sheets_organization_id_idx ON public.time_sheets (organization_id);
ALTER TABLE public.time_sheets ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read time sheets" ON public.time_sheets
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
ALTER TABLE public.time_sheets OWNER TO seccorpus_timesheet_owner;

CREATE FUNCTION public.same_organization(a uuid, b uuid) RETURNS boolean
    LANGUAGE sql IMMUTABLE LEAKPROOF
AS $$ SELECT a = b $$;
