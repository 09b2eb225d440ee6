-- Organisations, membership and subscriptions for the SaaS launch (was supabase-organizations-schema.sql).
-- New tables carry organization_id from here on; the older tables are retrofitted by a later migration.

CREATE TABLE organizations (
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
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
COMMENT ON TABLE organizations IS 'Tenants: one row per production company using ProductionOS.';

CREATE TABLE subscription_plans (
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
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT subscription_plans_prices_check CHECK (price_monthly >= 0 AND price_yearly >= 0),
    CONSTRAINT subscription_plans_limits_check CHECK (max_users > 0 AND max_quotes > 0)
);

CREATE TABLE organization_members (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    role TEXT DEFAULT 'member' NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    invited_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    joined_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX idx_organization_members_user ON organization_members(user_id);

CREATE TABLE subscriptions (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL UNIQUE REFERENCES organizations(id) ON DELETE CASCADE,
    plan_id UUID REFERENCES subscription_plans(id) ON DELETE RESTRICT,
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
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT subscriptions_seats_check CHECK (seats > 0),
    CONSTRAINT subscriptions_period_check CHECK (current_period_end >= current_period_start)
);
CREATE INDEX idx_subscriptions_plan ON subscriptions(plan_id);

CREATE TABLE user_invitations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT DEFAULT 'member' NOT NULL,
    token TEXT NOT NULL UNIQUE,
    invited_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    status TEXT DEFAULT 'pending' NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    accepted_at TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_user_invitations_org ON user_invitations(organization_id);

CREATE TABLE onboarding_progress (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    checklist_item_id UUID NOT NULL REFERENCES onboarding_checklist(id) ON DELETE CASCADE,
    completed BOOLEAN DEFAULT false NOT NULL,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    UNIQUE (user_id, checklist_item_id)
);
CREATE INDEX idx_onboarding_progress_org ON onboarding_progress(organization_id);
CREATE INDEX idx_onboarding_progress_item ON onboarding_progress(checklist_item_id);

-- Helpers for the policies
CREATE OR REPLACE FUNCTION get_user_organization_id()
RETURNS UUID
LANGUAGE sql
STABLE
AS $$
    SELECT organization_id FROM organization_members WHERE user_id = auth.uid() LIMIT 1
$$;

CREATE OR REPLACE FUNCTION is_org_admin()
RETURNS BOOLEAN
LANGUAGE sql
STABLE
AS $$
    SELECT EXISTS (
        SELECT 1 FROM organization_members
        WHERE user_id = auth.uid() AND role IN ('owner', 'admin')
    )
$$;

CREATE TRIGGER update_organizations_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_subscription_plans_updated_at BEFORE UPDATE ON subscription_plans
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_organization_members_updated_at BEFORE UPDATE ON organization_members
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_subscriptions_updated_at BEFORE UPDATE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_user_invitations_updated_at BEFORE UPDATE ON user_invitations
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_onboarding_progress_updated_at BEFORE UPDATE ON onboarding_progress
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members can view their organization" ON organizations
    FOR SELECT USING (id = get_user_organization_id());
CREATE POLICY "Admins can update their organization" ON organizations
    FOR UPDATE USING (id = get_user_organization_id() AND is_org_admin());

ALTER TABLE organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members can view org members" ON organization_members
    FOR SELECT USING (organization_id = get_user_organization_id());
CREATE POLICY "Admins can manage org members" ON organization_members
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members can view org subscription" ON subscriptions
    FOR SELECT USING (organization_id = get_user_organization_id());

ALTER TABLE subscription_plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read subscription plans" ON subscription_plans
    FOR SELECT TO authenticated USING (true);

ALTER TABLE user_invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage user invitations" ON user_invitations
    FOR ALL USING (organization_id = get_user_organization_id() AND is_org_admin())
    WITH CHECK (organization_id = get_user_organization_id() AND is_org_admin());

ALTER TABLE onboarding_progress ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage own onboarding progress" ON onboarding_progress
    FOR ALL USING (organization_id = get_user_organization_id() AND user_id = auth.uid())
    WITH CHECK (organization_id = get_user_organization_id() AND user_id = auth.uid());
