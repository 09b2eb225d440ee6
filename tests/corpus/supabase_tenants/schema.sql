-- A Supabase SaaS: users in auth.users, a profiles table keyed by the auth user, workspaces called tenants with
-- tenant_id on every tenant table, row-level security with policies that look up the caller's tenants, some
-- policies that admit everything (USING (true)) on tenant data, and policies that only admit the service role
-- (webhooks, audit trail) which are not leaks: the service role bypasses RLS anyway.

CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, full_name text,
                              avatar_url text, created_at timestamptz NOT NULL DEFAULT now(),
                              updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.plans (id text PRIMARY KEY, name text NOT NULL, monthly_price_cents integer NOT NULL,
                           created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, slug text NOT NULL UNIQUE,
                             plan_id text REFERENCES public.plans (id), stripe_customer_id text,
                             created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.tenant_members (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                                    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
                                    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
                                    role text NOT NULL DEFAULT 'member', created_at timestamptz NOT NULL DEFAULT now(),
                                    updated_at timestamptz NOT NULL DEFAULT now(), UNIQUE (tenant_id, user_id));
CREATE TABLE public.projects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                              tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
                              name text NOT NULL, owner_id uuid REFERENCES public.profiles (id),
                              created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.tasks (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                           tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
                           project_id uuid NOT NULL,                                  -- undeclared
                           assignee_id uuid REFERENCES public.profiles (id) ON DELETE SET NULL,
                           title text NOT NULL, status text NOT NULL DEFAULT 'todo', due_on date,
                           created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.comments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                              tenant_id uuid REFERENCES public.tenants (id),          -- nullable by mistake
                              task_id uuid NOT NULL REFERENCES public.tasks (id) ON DELETE CASCADE,
                              author_id uuid NOT NULL REFERENCES public.profiles (id),
                              body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
                              updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.invoices (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                              tenant_id uuid NOT NULL,                                -- undeclared
                              number text NOT NULL, amount_cents bigint NOT NULL, currency text NOT NULL DEFAULT 'eur',
                              stripe_invoice_id text, paid_at timestamptz,
                              created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.feature_flags (key text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false,
                                   created_at timestamptz NOT NULL DEFAULT now(),
                                   updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.webhook_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, provider text NOT NULL,
                                    payload jsonb NOT NULL, processed_at timestamptz,
                                    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                               tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
                               actor_id uuid REFERENCES auth.users (id) ON DELETE SET NULL, action text NOT NULL,
                               created_at timestamptz NOT NULL DEFAULT now());

CREATE FUNCTION public.my_tenant_ids() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT tenant_id FROM public.tenant_members WHERE user_id = auth.uid() $$;

ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenant_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit_log ENABLE ROW LEVEL SECURITY;
-- feature_flags: RLS forgotten, and the default grants give anon and authenticated full access

CREATE POLICY "own profile" ON public.profiles FOR ALL TO authenticated USING (id = auth.uid())
    WITH CHECK (id = auth.uid());
CREATE POLICY "plans are public" ON public.plans FOR SELECT TO anon, authenticated USING (true);
CREATE POLICY "members see their tenants" ON public.tenants FOR SELECT TO authenticated
    USING (id IN (SELECT public.my_tenant_ids()));
CREATE POLICY "members see co-members" ON public.tenant_members FOR SELECT TO authenticated
    USING (tenant_id IN (SELECT public.my_tenant_ids()));
-- the tenant can also come from the JWT's claims, set by an auth hook
CREATE POLICY "tenant projects" ON public.projects FOR ALL TO authenticated
    USING (tenant_id = ((SELECT auth.jwt()) ->> 'tenant_id')::uuid)
    WITH CHECK (tenant_id = ((SELECT auth.jwt()) ->> 'tenant_id')::uuid);
CREATE POLICY "service role manages tenants" ON public.tenants FOR ALL USING (auth.role() = 'service_role');
CREATE POLICY "tenant tasks" ON public.tasks FOR SELECT TO authenticated
    USING (tenant_id IN (SELECT public.my_tenant_ids()));
CREATE POLICY "anyone can update tasks" ON public.tasks FOR UPDATE TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "tenant comments" ON public.comments FOR ALL TO authenticated
    USING (tenant_id IN (SELECT public.my_tenant_ids()) OR tenant_id IS NULL);
CREATE POLICY "read invoices" ON public.invoices FOR SELECT TO authenticated USING (true);
CREATE POLICY "service writes webhooks" ON public.webhook_events FOR ALL TO service_role USING (true)
    WITH CHECK (true);
CREATE POLICY "service reads audit" ON public.audit_log FOR SELECT USING (auth.role() = 'service_role');
