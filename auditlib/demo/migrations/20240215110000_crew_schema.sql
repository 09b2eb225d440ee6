-- Crew database, availability and bookings (was supabase-crew-schema.sql).
-- Replaces crew_contacts for new screens. Bookings belong to a project.

CREATE TABLE crew_departments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    budget_code TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    color TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

CREATE TABLE crew (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    department_id UUID REFERENCES crew_departments(id) ON DELETE SET NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    role TEXT,
    day_rate NUMERIC(10,2),
    half_day_rate NUMERIC(10,2),
    overtime_rate NUMERIC(10,2),
    currency TEXT DEFAULT 'GBP' NOT NULL,
    location TEXT,
    country TEXT,
    skills TEXT[] DEFAULT '{}',
    equipment_owned TEXT[] DEFAULT '{}',
    rating NUMERIC(3,1),
    is_freelancer BOOLEAN DEFAULT true NOT NULL,
    status TEXT DEFAULT 'active' NOT NULL,
    avatar_url TEXT,
    notes TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT crew_rates_check CHECK (day_rate >= 0 AND half_day_rate >= 0 AND overtime_rate >= 0),
    CONSTRAINT crew_rating_check CHECK (rating BETWEEN 0 AND 5)
);
CREATE INDEX idx_crew_department ON crew(department_id);
CREATE INDEX idx_crew_email ON crew(email);

CREATE TABLE crew_availability (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    crew_id UUID NOT NULL REFERENCES crew(id) ON DELETE CASCADE,
    available_date DATE NOT NULL,
    status TEXT DEFAULT 'available' NOT NULL,
    note TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    UNIQUE (crew_id, available_date)
);

-- Bookings of crew onto projects. crew_id: crew_contacts ids from the old screens, so no FK for now.
CREATE TABLE crew_bookings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    crew_id UUID NOT NULL,
    project_id UUID REFERENCES projects(id) ON DELETE SET NULL,
    role TEXT,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    days NUMERIC(6,1),
    day_rate NUMERIC(10,2),
    total_cost NUMERIC(12,2),
    status TEXT DEFAULT 'pencilled' NOT NULL,
    notes TEXT,
    booked_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT crew_bookings_dates_check CHECK (end_date >= start_date),
    CONSTRAINT crew_bookings_amounts_check CHECK (days > 0 AND day_rate >= 0 AND total_cost >= 0)
);
CREATE INDEX idx_crew_bookings_crew ON crew_bookings(crew_id);
CREATE INDEX idx_crew_bookings_project ON crew_bookings(project_id);
CREATE INDEX idx_crew_bookings_dates ON crew_bookings(start_date, end_date);

CREATE TRIGGER update_crew_departments_updated_at BEFORE UPDATE ON crew_departments
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_crew_updated_at BEFORE UPDATE ON crew
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_crew_availability_updated_at BEFORE UPDATE ON crew_availability
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_crew_bookings_updated_at BEFORE UPDATE ON crew_bookings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE crew ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable all access for authenticated users" ON crew
    FOR ALL TO authenticated USING (true) WITH CHECK (true);
