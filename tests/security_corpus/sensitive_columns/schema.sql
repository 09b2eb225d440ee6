-- Credentials and bank details in tables the API roles read. Row-level security scopes the rows to the caller's
-- organisation, but every member (and, for the bank details, every visitor) reads the secrets themselves.

CREATE TABLE public.integrations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    provider text NOT NULL,
    access_token text,
    refresh_token text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrations_organization_id_idx ON public.integrations (organization_id);
ALTER TABLE public.integrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read integrations" ON public.integrations
    FOR SELECT TO authenticated USING (private.is_member(organization_id));

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
    FOR SELECT USING (private.is_member(organization_id));
