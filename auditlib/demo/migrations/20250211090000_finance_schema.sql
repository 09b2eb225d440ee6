-- Purchase orders and contracts (was supabase-finance-schema.sql).

CREATE TABLE purchase_orders (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id UUID,
    po_number TEXT NOT NULL,
    supplier TEXT NOT NULL,
    description TEXT,
    amount NUMERIC(12,2) NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    status TEXT DEFAULT 'draft' NOT NULL,
    issued_on DATE,
    approved_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (organization_id, po_number),
    CONSTRAINT purchase_orders_amount_check CHECK (amount >= 0)
);
CREATE INDEX idx_purchase_orders_project ON purchase_orders(project_id);

CREATE TABLE contracts (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    client_id UUID REFERENCES clients(id) ON DELETE SET NULL,
    project_id UUID,
    quote_id UUID REFERENCES quotes(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    contract_type TEXT,
    status TEXT DEFAULT 'draft' NOT NULL,
    value NUMERIC(12,2),
    currency TEXT DEFAULT 'GBP' NOT NULL,
    start_date DATE,
    end_date DATE,
    signed_at TIMESTAMPTZ,
    document_url TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT contracts_dates_check CHECK (end_date >= start_date),
    CONSTRAINT contracts_value_check CHECK (value >= 0)
);
CREATE INDEX idx_contracts_org ON contracts(organization_id);
CREATE INDEX idx_contracts_client ON contracts(client_id);
CREATE INDEX idx_contracts_project ON contracts(project_id);
CREATE INDEX idx_contracts_quote ON contracts(quote_id);

CREATE TRIGGER update_purchase_orders_updated_at BEFORE UPDATE ON purchase_orders
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_contracts_updated_at BEFORE UPDATE ON contracts
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE purchase_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage purchase orders" ON purchase_orders
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE contracts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage contracts" ON contracts
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
