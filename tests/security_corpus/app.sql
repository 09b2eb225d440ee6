-- The application every fixture of the security corpus starts from (loaded after auditlib's Supabase stub, before
-- the fixture's schema.sql or clean.sql): organisations, their members, and one tenant table, protected the way
-- Supabase recommends. It holds no hole itself: each fixture adds its own on top, and a clean twin that fixes them.
--
-- The helpers policies call are SECURITY DEFINER (so a policy on memberships can read memberships) and live in a
-- schema the API does not expose; the API roles may only execute them.

CREATE SCHEMA private;
GRANT USAGE ON SCHEMA private TO authenticated;

CREATE TABLE public.organizations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.memberships (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    role text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON public.memberships (user_id);

CREATE FUNCTION private.is_member(org uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT EXISTS (SELECT 1 FROM public.memberships m WHERE m.organization_id = org AND m.user_id = auth.uid())
$$;

CREATE FUNCTION private.is_admin(org uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT EXISTS (SELECT 1 FROM public.memberships m
                   WHERE m.organization_id = org AND m.user_id = auth.uid() AND m.role = 'admin')
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA private FROM PUBLIC, anon;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA private TO authenticated;

ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read their organizations" ON public.organizations
    FOR SELECT TO authenticated USING (private.is_member(id));
CREATE POLICY "admins rename their organizations" ON public.organizations
    FOR UPDATE TO authenticated USING (private.is_admin(id)) WITH CHECK (private.is_admin(id));

ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read their colleagues" ON public.memberships
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
CREATE POLICY "admins manage members" ON public.memberships
    FOR ALL TO authenticated USING (private.is_admin(organization_id))
    WITH CHECK (private.is_admin(organization_id));

CREATE TABLE public.projects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    name text NOT NULL,
    status text NOT NULL DEFAULT 'active',
    budget numeric,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_organization_id_idx ON public.projects (organization_id);

ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read projects" ON public.projects
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
CREATE POLICY "members write projects" ON public.projects
    FOR ALL TO authenticated USING (private.is_member(organization_id))
    WITH CHECK (private.is_member(organization_id));
