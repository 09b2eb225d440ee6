-- ProductionOS, core schema (supabase-schema.sql): organisations and billing plans, users, settings, clients,
-- rate cards, quotes and opportunities. Tables that predate the multi-tenancy migration are created here
-- without organization_id; 76_multi_tenancy.sql adds it (nullable), as migration 20251227 did.

-- Shared trigger function for updated_at columns (attached in 90_functions_triggers.sql).
CREATE OR REPLACE FUNCTION public.update_updated_at_column()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = timezone('utc', now());
    RETURN NEW;
END;
$$;

-- Organisations (the tenant root) ---------------------------------------------------------------------------
CREATE TABLE public.organizations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    logo_url TEXT,
    billing_email TEXT,
    country TEXT,
    default_currency TEXT DEFAULT 'GBP' NOT NULL,
    timezone TEXT DEFAULT 'Europe/London' NOT NULL,
    subscription_status TEXT DEFAULT 'trialing' NOT NULL,
    subscription_tier TEXT DEFAULT 'free' NOT NULL,
    settings JSONB DEFAULT '{}'::jsonb NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
COMMENT ON TABLE public.organizations IS 'Tenants: one row per production company using ProductionOS.';

CREATE TABLE public.subscription_plans (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    price_monthly NUMERIC(12,2) NOT NULL,
    price_yearly NUMERIC(12,2) NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    max_users INTEGER,
    max_quotes INTEGER,
    features JSONB DEFAULT '[]'::jsonb NOT NULL,
    is_active BOOLEAN DEFAULT true NOT NULL,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT subscription_plans_prices_check CHECK (price_monthly >= 0 AND price_yearly >= 0),
    CONSTRAINT subscription_plans_limits_check CHECK (max_users > 0 AND max_quotes > 0)
);

CREATE TABLE public.organization_members (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    role TEXT DEFAULT 'member' NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    invited_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    joined_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX idx_organization_members_user ON public.organization_members(user_id);

CREATE TABLE public.subscriptions (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL UNIQUE REFERENCES public.organizations(id) ON DELETE CASCADE,
    plan_id UUID REFERENCES public.subscription_plans(id) ON DELETE RESTRICT,
    status TEXT DEFAULT 'trialing' NOT NULL,
    billing_interval TEXT DEFAULT 'month' NOT NULL,
    seats INTEGER DEFAULT 1 NOT NULL,
    stripe_customer_ref TEXT,
    stripe_subscription_ref TEXT,
    trial_ends_at TIMESTAMPTZ,
    current_period_start TIMESTAMPTZ,
    current_period_end TIMESTAMPTZ,
    cancel_at_period_end BOOLEAN DEFAULT false NOT NULL,
    canceled_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT subscriptions_seats_check CHECK (seats > 0),
    CONSTRAINT subscriptions_period_check CHECK (current_period_end >= current_period_start)
);
CREATE INDEX idx_subscriptions_plan ON public.subscriptions(plan_id);

-- Users -------------------------------------------------------------------------------------------------------
CREATE TABLE public.user_profiles (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    auth_user_id UUID NOT NULL UNIQUE REFERENCES auth.users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    full_name TEXT,
    avatar_url TEXT,
    job_title TEXT,
    phone TEXT,
    role TEXT DEFAULT 'member' NOT NULL,
    status TEXT DEFAULT 'active' NOT NULL,
    preferences JSONB DEFAULT '{}'::jsonb NOT NULL,
    last_active_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
COMMENT ON COLUMN public.user_profiles.auth_user_id IS 'The Supabase auth user this profile belongs to (one profile per user).';

CREATE TABLE public.user_invitations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT DEFAULT 'member' NOT NULL,
    token TEXT NOT NULL UNIQUE,
    invited_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    status TEXT DEFAULT 'pending' NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    accepted_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_user_invitations_org ON public.user_invitations(organization_id);

CREATE TABLE public.onboarding_checklist (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    step_key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    is_required BOOLEAN DEFAULT true NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);

CREATE TABLE public.onboarding_progress (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    checklist_item_id UUID NOT NULL REFERENCES public.onboarding_checklist(id) ON DELETE CASCADE,
    completed BOOLEAN DEFAULT false NOT NULL,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (user_id, checklist_item_id)
);
CREATE INDEX idx_onboarding_progress_org ON public.onboarding_progress(organization_id);
CREATE INDEX idx_onboarding_progress_item ON public.onboarding_progress(checklist_item_id);

-- Settings (one row per organisation) --------------------------------------------------------------------------
CREATE TABLE public.settings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    company JSONB DEFAULT '{}'::jsonb,
    quote_defaults JSONB DEFAULT '{}'::jsonb,
    users JSONB DEFAULT '[]'::jsonb,
    ai_settings JSONB DEFAULT '{}'::jsonb,
    ops_preferences JSONB DEFAULT '{}'::jsonb,
    dashboard_preferences JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);

-- Clients and contacts of the production company ----------------------------------------------------------------
CREATE TABLE public.clients (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    company TEXT NOT NULL,
    industry TEXT,
    website TEXT,
    email TEXT,
    phone TEXT,
    address TEXT,
    region TEXT,
    country TEXT,
    currency TEXT DEFAULT 'GBP',
    payment_terms INTEGER DEFAULT 30,
    tax_number TEXT,
    contacts JSONB DEFAULT '[]'::jsonb,
    tags TEXT[] DEFAULT '{}',
    status TEXT DEFAULT 'active' NOT NULL,
    notes TEXT,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT clients_payment_terms_check CHECK (payment_terms >= 0)
);

-- Rate cards: the price list quotes are built from ----------------------------------------------------------------
CREATE TABLE public.rate_card_sections (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    section_key TEXT NOT NULL,
    name TEXT NOT NULL,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    is_visible BOOLEAN DEFAULT true NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);

CREATE TABLE public.rate_cards (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    section_id UUID REFERENCES public.rate_card_sections(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    section TEXT NOT NULL,
    subsection TEXT,
    unit TEXT DEFAULT 'day' NOT NULL,
    cost NUMERIC(12,2) DEFAULT 0 NOT NULL,
    charge NUMERIC(12,2) DEFAULT 0 NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    pricing JSONB DEFAULT '{}'::jsonb,
    is_active BOOLEAN DEFAULT true NOT NULL,
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT rate_cards_prices_check CHECK (cost >= 0 AND charge >= 0)
);
COMMENT ON COLUMN public.rate_cards.pricing IS 'Multi-currency pricing: {"GBP": {"cost": n, "charge": n}, ...}; cost/charge hold the base currency.';

-- Quotes ---------------------------------------------------------------------------------------------------------
CREATE TABLE public.quotes (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    quote_number TEXT NOT NULL UNIQUE,
    quote_date DATE DEFAULT CURRENT_DATE NOT NULL,
    validity_days INTEGER DEFAULT 30 NOT NULL,
    status TEXT DEFAULT 'draft' NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    region TEXT,
    prepared_by TEXT,
    client JSONB DEFAULT '{}'::jsonb,
    project JSONB DEFAULT '{}'::jsonb,
    sections JSONB DEFAULT '{}'::jsonb,
    fees JSONB DEFAULT '{}'::jsonb,
    proposal JSONB DEFAULT '{}'::jsonb,
    total_cost NUMERIC(12,2) DEFAULT 0 NOT NULL,
    total_charge NUMERIC(12,2) DEFAULT 0 NOT NULL,
    margin_percent NUMERIC(5,2),
    notes TEXT,
    sent_at TIMESTAMPTZ,
    accepted_at TIMESTAMPTZ,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT quotes_totals_check CHECK (total_cost >= 0 AND total_charge >= 0),
    CONSTRAINT quotes_margin_check CHECK (margin_percent BETWEEN -100 AND 100)
);
COMMENT ON TABLE public.quotes IS 'Customer quotes with hierarchical line items';
COMMENT ON COLUMN public.quotes.sections IS 'JSONB structure: {sectionId: {name, visible, subsections: {subId: [items]}}}; items carry rateCardItemId';
CREATE INDEX idx_quotes_status ON public.quotes(status);
CREATE INDEX idx_quotes_quote_date ON public.quotes(quote_date);

-- Opportunities (sales pipeline) ---------------------------------------------------------------------------------
CREATE TABLE public.opportunities (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    title TEXT NOT NULL,
    client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    client JSONB DEFAULT '{}'::jsonb,
    contacts JSONB DEFAULT '[]'::jsonb,
    stage TEXT DEFAULT 'lead' NOT NULL,
    value NUMERIC(12,2),
    currency TEXT DEFAULT 'GBP' NOT NULL,
    probability INTEGER DEFAULT 10,
    expected_close_date DATE,
    source TEXT,
    region TEXT,
    country TEXT,
    lost_reason TEXT,
    tags TEXT[] DEFAULT '{}',
    notes TEXT,
    converted_to_quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
    converted_at TIMESTAMPTZ,
    owner_id UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT opportunities_probability_check CHECK (probability BETWEEN 0 AND 100),
    CONSTRAINT opportunities_value_check CHECK (value >= 0)
);
CREATE INDEX idx_opportunities_client ON public.opportunities(client_id);
CREATE INDEX idx_opportunities_stage ON public.opportunities(stage);
CREATE INDEX idx_opportunities_owner ON public.opportunities(owner_id);
