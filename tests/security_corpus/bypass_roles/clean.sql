-- The same roles, fixed: the reporting service and the analysts read under row-level security like everyone
-- else (no BYPASSRLS anywhere); the backend's narrowing policy is written as a restriction of the API role it
-- meant; the time sheets' owner role is no longer reachable from authenticated, and its table forces RLS; the
-- comparison helper is not LEAKPROOF.

DO $$
BEGIN
    CREATE ROLE seccorpus_reporting LOGIN;
    CREATE ROLE seccorpus_etl NOLOGIN;
    CREATE ROLE seccorpus_analyst LOGIN IN ROLE seccorpus_etl;
    CREATE ROLE seccorpus_timesheet_owner NOLOGIN;
END
$$;
GRANT USAGE ON SCHEMA public TO seccorpus_reporting, seccorpus_etl, seccorpus_timesheet_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO seccorpus_reporting, seccorpus_etl;

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
CREATE POLICY "admins approve pending payouts" ON public.payouts
    FOR UPDATE TO authenticated USING (private.is_admin(organization_id) AND status = 'pending')
    WITH CHECK (private.is_admin(organization_id));

CREATE TABLE public.time_sheets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    hours numeric NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX time_sheets_organization_id_idx ON public.time_sheets (organization_id);
ALTER TABLE public.time_sheets ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.time_sheets FORCE ROW LEVEL SECURITY;
CREATE POLICY "members read time sheets" ON public.time_sheets
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
ALTER TABLE public.time_sheets OWNER TO seccorpus_timesheet_owner;

CREATE FUNCTION public.same_organization(a uuid, b uuid) RETURNS boolean
    LANGUAGE sql IMMUTABLE
AS $$ SELECT a = b $$;
