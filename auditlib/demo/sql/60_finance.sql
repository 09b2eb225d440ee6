-- ProductionOS, finance (supabase-invoices-schema.sql, supabase-finance-schema.sql, supabase-billing-schema.sql).
-- invoices and expenses were written before the projects table existed: their project_id columns never got a
-- foreign key, and the multi-tenancy migration left their organization_id commented out.

CREATE TABLE public.invoices (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    invoice_number TEXT NOT NULL UNIQUE,
    quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
    client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    project_id UUID,
    issue_date DATE NOT NULL,
    due_date DATE NOT NULL,
    status TEXT DEFAULT 'draft' NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    subtotal NUMERIC(12,2) DEFAULT 0 NOT NULL,
    tax_rate NUMERIC(5,2) DEFAULT 20 NOT NULL,
    tax_amount NUMERIC(12,2) DEFAULT 0 NOT NULL,
    total NUMERIC(12,2) DEFAULT 0 NOT NULL,
    amount_paid NUMERIC(12,2) DEFAULT 0 NOT NULL,
    paid_at TIMESTAMPTZ,
    line_items JSONB DEFAULT '[]'::jsonb NOT NULL,
    notes TEXT,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT invoices_amounts_check CHECK (subtotal >= 0 AND tax_rate >= 0 AND tax_amount >= 0 AND total >= 0 AND amount_paid >= 0)
);
CREATE INDEX idx_invoices_quote ON public.invoices(quote_id);
CREATE INDEX idx_invoices_client ON public.invoices(client_id);
CREATE INDEX idx_invoices_project ON public.invoices(project_id);
CREATE INDEX idx_invoices_status ON public.invoices(status);

CREATE TABLE public.expenses (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    project_id UUID,
    category TEXT NOT NULL,
    description TEXT,
    vendor TEXT,
    amount NUMERIC(12,2) NOT NULL,
    currency TEXT DEFAULT 'GBP' NOT NULL,
    expense_date DATE NOT NULL,
    receipt_url TEXT,
    reimbursable BOOLEAN DEFAULT false NOT NULL,
    status TEXT DEFAULT 'submitted' NOT NULL,
    submitted_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    approved_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT expenses_amount_check CHECK (amount >= 0)
);
CREATE INDEX idx_expenses_project ON public.expenses(project_id);
CREATE INDEX idx_expenses_submitted_by ON public.expenses(submitted_by);

CREATE TABLE public.purchase_orders (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
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
CREATE INDEX idx_purchase_orders_project ON public.purchase_orders(project_id);

CREATE TABLE public.contracts (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
    quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
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
CREATE INDEX idx_contracts_org ON public.contracts(organization_id);
CREATE INDEX idx_contracts_client ON public.contracts(client_id);
CREATE INDEX idx_contracts_project ON public.contracts(project_id);
CREATE INDEX idx_contracts_quote ON public.contracts(quote_id);

-- ProductionOS's own SaaS billing of organisations (not the production company's invoices).
CREATE TABLE public.billing_invoices (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    subscription_id UUID REFERENCES public.subscriptions(id) ON DELETE SET NULL,
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
CREATE INDEX idx_billing_invoices_org ON public.billing_invoices(organization_id);
CREATE INDEX idx_billing_invoices_subscription ON public.billing_invoices(subscription_id);
