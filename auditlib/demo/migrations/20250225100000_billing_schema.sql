-- ProductionOS's own SaaS billing of organisations, mirrored from Stripe (was supabase-billing-schema.sql).

CREATE TABLE billing_invoices (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    subscription_id UUID REFERENCES subscriptions(id) ON DELETE SET NULL,
    billing_number TEXT NOT NULL UNIQUE,
    amount_due NUMERIC(12,2) NOT NULL,
    amount_paid NUMERIC(12,2) DEFAULT 0 NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    status TEXT DEFAULT 'open' NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    hosted_invoice_url TEXT,
    pdf_url TEXT,
    paid_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT billing_invoices_period_check CHECK (period_end >= period_start),
    CONSTRAINT billing_invoices_amounts_check CHECK (amount_due >= 0 AND amount_paid >= 0)
);
CREATE INDEX idx_billing_invoices_org ON billing_invoices(organization_id);
CREATE INDEX idx_billing_invoices_subscription ON billing_invoices(subscription_id);

CREATE TRIGGER update_billing_invoices_updated_at BEFORE UPDATE ON billing_invoices
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE billing_invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can view org billing invoices" ON billing_invoices
    FOR SELECT USING (organization_id = get_user_organization_id() AND is_org_admin());
