-- The same reporting objects, fixed: the board view runs as the caller (security_invoker), so the projects
-- policies apply; the team page reads a profiles table of public fields protected by RLS instead of auth.users;
-- the budget snapshot and the ERP's foreign table live in a schema the API does not expose, read by the backend.

CREATE VIEW public.project_board WITH (security_invoker = on) AS
SELECT p.id, p.organization_id, p.name, p.status, o.name AS organization_name
FROM public.projects p
JOIN public.organizations o ON o.id = p.organization_id;

CREATE TABLE public.profiles (
    id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
    display_name text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "colleagues read profiles" ON public.profiles
    FOR SELECT TO authenticated
    USING (EXISTS (SELECT 1 FROM public.memberships m
                   WHERE m.user_id = profiles.id AND private.is_member(m.organization_id)));
CREATE POLICY "users edit their profile" ON public.profiles
    FOR UPDATE TO authenticated USING (id = (SELECT auth.uid())) WITH CHECK (id = (SELECT auth.uid()));

CREATE SCHEMA reporting;
CREATE MATERIALIZED VIEW reporting.budget_totals AS
SELECT organization_id, count(*) AS projects, sum(budget) AS budget
FROM public.projects
GROUP BY organization_id;

CREATE FOREIGN DATA WRAPPER erp_wrapper;
CREATE SERVER erp FOREIGN DATA WRAPPER erp_wrapper;
CREATE FOREIGN TABLE reporting.erp_invoices (
    invoice_number text,
    organization_id uuid,
    total numeric
) SERVER erp;
GRANT USAGE ON SCHEMA reporting TO service_role;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO service_role;
