-- Invoicing against projects, and expenses (was supabase-invoices-schema.sql).

ALTER TABLE invoices ADD COLUMN IF NOT EXISTS paid_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS line_items JSONB DEFAULT '[]'::jsonb NOT NULL;
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS project_id UUID REFERENCES projects(id) ON DELETE SET NULL;

CREATE TABLE expenses (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    project_id UUID REFERENCES projects(id) ON DELETE SET NULL,
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
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT expenses_amount_check CHECK (amount >= 0)
);
CREATE INDEX idx_expenses_project ON expenses(project_id);
CREATE INDEX idx_expenses_submitted_by ON expenses(submitted_by);

CREATE TRIGGER update_expenses_updated_at BEFORE UPDATE ON expenses
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE expenses ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable all access for authenticated users" ON expenses
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
