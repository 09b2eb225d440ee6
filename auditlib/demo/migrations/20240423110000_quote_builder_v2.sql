-- Quote builder v2 (was supabase-quotes-v2-schema.sql): rate card sections and multi-currency pricing, proposals,
-- quote templates and version history.
-- Pricing moves from { cost, charge } to { cost: { amount, baseCurrency }, charge: { ... } } per currency.

ALTER TABLE rate_cards ADD COLUMN section_id UUID REFERENCES rate_card_sections(id) ON DELETE SET NULL;
ALTER TABLE rate_cards ADD COLUMN currency TEXT DEFAULT 'GBP' NOT NULL;
ALTER TABLE rate_cards ADD COLUMN pricing JSONB DEFAULT '{}'::jsonb;
COMMENT ON COLUMN rate_cards.pricing IS 'Multi-currency pricing: {"GBP": {"cost": n, "charge": n}, ...}; cost/charge hold the base currency.';

ALTER TABLE quotes ADD COLUMN proposal JSONB DEFAULT '{}'::jsonb;

CREATE TABLE quote_templates (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    template_data JSONB DEFAULT '{}'::jsonb NOT NULL,
    is_default BOOLEAN DEFAULT false NOT NULL,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_quote_templates_org ON quote_templates(organization_id);

CREATE TABLE quote_versions (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    quote_id UUID NOT NULL REFERENCES quotes(id) ON DELETE CASCADE,
    version_number INTEGER NOT NULL,
    total_charge NUMERIC(12,2),
    change_summary TEXT,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    UNIQUE (quote_id, version_number),
    CONSTRAINT quote_versions_total_check CHECK (total_charge >= 0 AND version_number > 0)
);
CREATE INDEX idx_quote_versions_org ON quote_versions(organization_id);

CREATE TRIGGER update_quote_templates_updated_at BEFORE UPDATE ON quote_templates
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_quote_versions_updated_at BEFORE UPDATE ON quote_versions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE quote_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage quote templates" ON quote_templates
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE quote_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage quote versions" ON quote_versions
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
