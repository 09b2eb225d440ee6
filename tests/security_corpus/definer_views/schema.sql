-- Reporting objects the dashboard reads over the API. The view runs as its owner (no security_invoker), so the
-- projects policies never see the caller; the team page reads auth.users through a view; a nightly snapshot of
-- every organisation's budgets is a materialized view in the exposed schema; the ERP's invoices are a foreign
-- table next to them. The schema's default privileges granted all four to anon and authenticated.

CREATE VIEW public.project_board AS
SELECT p.id, p.organization_id, p.name, p.status, o.name AS organization_name
FROM public.projects p
JOIN public.organizations o ON o.id = p.organization_id;

CREATE VIEW public.team_emails AS
SELECT m.organization_id, u.id AS user_id, u.email, u.last_sign_in_at
FROM public.memberships m
JOIN auth.users u ON u.id = m.user_id;

CREATE MATERIALIZED VIEW public.budget_totals AS
SELECT organization_id, count(*) AS projects, sum(budget) AS budget
FROM public.projects
GROUP BY organization_id;

CREATE FOREIGN DATA WRAPPER erp_wrapper;
CREATE SERVER erp FOREIGN DATA WRAPPER erp_wrapper;
CREATE FOREIGN TABLE public.erp_invoices (
    invoice_number text,
    organization_id uuid,
    total numeric
) SERVER erp;
GRANT SELECT ON public.budget_totals, public.erp_invoices TO anon, authenticated;
