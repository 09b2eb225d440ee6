-- Call sheet templates, and the project link of call sheets (was supabase-callsheet-templates.sql).

CREATE TABLE call_sheet_templates (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    template JSONB DEFAULT '{}'::jsonb NOT NULL,
    is_default BOOLEAN DEFAULT false NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

ALTER TABLE call_sheets ADD COLUMN template_id UUID REFERENCES call_sheet_templates(id) ON DELETE SET NULL;

ALTER TABLE call_sheets
    ADD CONSTRAINT call_sheets_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE;

CREATE TRIGGER update_call_sheet_templates_updated_at BEFORE UPDATE ON call_sheet_templates
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
