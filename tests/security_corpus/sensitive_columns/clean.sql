-- The same tables, fixed: the tokens live in a table the API roles hold no grant on (the backend reads them with
-- the service role), and the API roles may read the payout accounts' holder but not the IBAN (column grants).

CREATE TABLE public.integrations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    provider text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrations_organization_id_idx ON public.integrations (organization_id);
ALTER TABLE public.integrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read integrations" ON public.integrations
    FOR SELECT TO authenticated USING (private.is_member(organization_id));

CREATE TABLE public.integration_credentials (
    integration_id uuid PRIMARY KEY REFERENCES public.integrations (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    access_token text,
    refresh_token text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integration_credentials_organization_id_idx ON public.integration_credentials (organization_id);
ALTER TABLE public.integration_credentials ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.integration_credentials FROM anon, authenticated;

CREATE TABLE public.payout_accounts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    holder text NOT NULL,
    iban text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payout_accounts_organization_id_idx ON public.payout_accounts (organization_id);
ALTER TABLE public.payout_accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read payout accounts" ON public.payout_accounts
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
REVOKE ALL ON public.payout_accounts FROM anon, authenticated;
GRANT SELECT (id, organization_id, holder, created_at, updated_at) ON public.payout_accounts TO authenticated;
