-- Call sheets and the crew called on each (was supabase-callsheet-schema.sql).
-- project_id: the FK to projects is added in a follow-up once the projects screens ship.

CREATE TABLE call_sheets (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    project_id UUID,
    title TEXT NOT NULL,
    shoot_date DATE NOT NULL,
    call_time TIME,
    wrap_time TIME,
    location TEXT,
    location_address TEXT,
    weather JSONB DEFAULT '{}'::jsonb,
    status TEXT DEFAULT 'draft' NOT NULL,
    version INTEGER DEFAULT 1 NOT NULL,
    published_at TIMESTAMPTZ,
    notes TEXT,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT call_sheets_version_check CHECK (version > 0)
);
CREATE INDEX idx_call_sheets_project ON call_sheets(project_id);
CREATE INDEX idx_call_sheets_shoot_date ON call_sheets(shoot_date);

CREATE TABLE call_sheet_crew (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    call_sheet_id UUID NOT NULL REFERENCES call_sheets(id) ON DELETE CASCADE,
    crew_id UUID NOT NULL REFERENCES crew(id) ON DELETE SET NULL,
    role TEXT,
    call_time TIME,
    confirmed BOOLEAN DEFAULT false NOT NULL,
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_call_sheet_crew_sheet ON call_sheet_crew(call_sheet_id);
CREATE INDEX idx_call_sheet_crew_crew ON call_sheet_crew(crew_id);

CREATE TRIGGER update_call_sheets_updated_at BEFORE UPDATE ON call_sheets
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_call_sheet_crew_updated_at BEFORE UPDATE ON call_sheet_crew
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
