-- ProductionOS core schema (was supabase-schema.sql, run by hand in the Supabase SQL editor).
-- Quotes, clients, rate cards, opportunities, invoices, settings, contacts and quote e-mails.
-- Single-tenant at this point: no organization_id anywhere (see 20251227_multi_tenancy.sql).

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

-- Shared trigger function for updated_at columns
CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = timezone('utc', now());
    RETURN NEW;
END;
$$;

-- Settings (company profile, quote defaults, users list of the first release)
CREATE TABLE settings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    company JSONB DEFAULT '{}'::jsonb,
    quote_defaults JSONB DEFAULT '{}'::jsonb,
    users JSONB DEFAULT '[]'::jsonb,
    ai_settings JSONB DEFAULT '{}'::jsonb,
    ops_preferences JSONB DEFAULT '{}'::jsonb,
    dashboard_preferences JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

-- Clients
CREATE TABLE clients (
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
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT clients_payment_terms_check CHECK (payment_terms >= 0)
);

-- Rate cards
CREATE TABLE rate_card_sections (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    section_key TEXT NOT NULL,
    name TEXT NOT NULL,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    is_visible BOOLEAN DEFAULT true NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

CREATE TABLE rate_cards (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    section TEXT NOT NULL,
    subsection TEXT,
    unit TEXT DEFAULT 'day' NOT NULL,
    cost NUMERIC(12,2) DEFAULT 0 NOT NULL,
    charge NUMERIC(12,2) DEFAULT 0 NOT NULL,
    is_active BOOLEAN DEFAULT true NOT NULL,
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT rate_cards_prices_check CHECK (cost >= 0 AND charge >= 0)
);

-- Quotes: line items live in the sections JSONB (sections -> subsections -> items[], each with rateCardItemId)
CREATE TABLE quotes (
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
    total_cost NUMERIC(12,2) DEFAULT 0 NOT NULL,
    total_charge NUMERIC(12,2) DEFAULT 0 NOT NULL,
    margin_percent NUMERIC(5,2),
    notes TEXT,
    sent_at TIMESTAMPTZ,
    accepted_at TIMESTAMPTZ,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT quotes_totals_check CHECK (total_cost >= 0 AND total_charge >= 0),
    CONSTRAINT quotes_margin_check CHECK (margin_percent BETWEEN -100 AND 100)
);
COMMENT ON TABLE quotes IS 'Customer quotes with hierarchical line items';
COMMENT ON COLUMN quotes.sections IS 'JSONB structure: {sectionId: {name, visible, subsections: {subId: [items]}}}; items carry rateCardItemId';
CREATE INDEX idx_quotes_status ON quotes(status);
CREATE INDEX idx_quotes_quote_date ON quotes(quote_date);

-- Sales pipeline
CREATE TABLE opportunities (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    title TEXT NOT NULL,
    client_id UUID REFERENCES clients(id) ON DELETE SET NULL,
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
    converted_to_quote_id UUID REFERENCES quotes(id) ON DELETE SET NULL,
    converted_at TIMESTAMPTZ,
    owner_id UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT opportunities_probability_check CHECK (probability BETWEEN 0 AND 100),
    CONSTRAINT opportunities_value_check CHECK (value >= 0)
);
CREATE INDEX idx_opportunities_client ON opportunities(client_id);
CREATE INDEX idx_opportunities_stage ON opportunities(stage);
CREATE INDEX idx_opportunities_owner ON opportunities(owner_id);

-- Invoices (project_id arrives with supabase-invoices-schema.sql)
CREATE TABLE invoices (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    invoice_number TEXT NOT NULL UNIQUE,
    quote_id UUID REFERENCES quotes(id) ON DELETE SET NULL,
    client_id UUID REFERENCES clients(id) ON DELETE SET NULL,
    issue_date DATE NOT NULL,
    due_date DATE NOT NULL,
    status TEXT DEFAULT 'draft' NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    subtotal NUMERIC(12,2) DEFAULT 0 NOT NULL,
    tax_rate NUMERIC(5,2) DEFAULT 20 NOT NULL,
    tax_amount NUMERIC(12,2) DEFAULT 0 NOT NULL,
    total NUMERIC(12,2) DEFAULT 0 NOT NULL,
    amount_paid NUMERIC(12,2) DEFAULT 0 NOT NULL,
    notes TEXT,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT invoices_amounts_check CHECK (subtotal >= 0 AND tax_rate >= 0 AND tax_amount >= 0 AND total >= 0 AND amount_paid >= 0)
);
CREATE INDEX idx_invoices_quote ON invoices(quote_id);
CREATE INDEX idx_invoices_client ON invoices(client_id);
CREATE INDEX idx_invoices_status ON invoices(status);

-- Contacts of a client (first definition; see also supabase-research-schema.sql and supabase-contacts-schema.sql)
CREATE TABLE contacts (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT,
    email TEXT,
    phone TEXT,
    company TEXT,
    job_title TEXT,
    client_id UUID REFERENCES clients(id) ON DELETE SET NULL,
    is_primary BOOLEAN DEFAULT false NOT NULL,
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_contacts_client ON contacts(client_id);
CREATE INDEX idx_contacts_email ON contacts(email);

-- Quote e-mails sent from the app
CREATE TABLE emails (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    quote_id UUID REFERENCES quotes(id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT,
    template_key TEXT,
    status TEXT DEFAULT 'queued' NOT NULL,
    opened_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_emails_quote ON emails(quote_id);

-- updated_at triggers
CREATE TRIGGER update_settings_updated_at BEFORE UPDATE ON settings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_clients_updated_at BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_rate_card_sections_updated_at BEFORE UPDATE ON rate_card_sections
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_rate_cards_updated_at BEFORE UPDATE ON rate_cards
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_quotes_updated_at BEFORE UPDATE ON quotes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_opportunities_updated_at BEFORE UPDATE ON opportunities
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_invoices_updated_at BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_contacts_updated_at BEFORE UPDATE ON contacts
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_emails_updated_at BEFORE UPDATE ON emails
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Row level security: any signed-in user may do anything (tightened per organisation later)
ALTER TABLE settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE rate_card_sections ENABLE ROW LEVEL SECURITY;
ALTER TABLE rate_cards ENABLE ROW LEVEL SECURITY;
ALTER TABLE quotes ENABLE ROW LEVEL SECURITY;
ALTER TABLE opportunities ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE emails ENABLE ROW LEVEL SECURITY;

CREATE POLICY "Enable all access for authenticated users" ON settings
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "Enable all access for authenticated users" ON clients
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "Enable all access for authenticated users" ON rate_card_sections
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "Enable all access for authenticated users" ON rate_cards
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "Enable all access for authenticated users" ON quotes
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "Enable all access for authenticated users" ON opportunities
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "Enable all access for authenticated users" ON invoices
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "Enable all access for authenticated users" ON contacts
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY "Enable all access for authenticated users" ON emails
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
