-- ProductionOS, crew and call sheets (supabase-crew-schema.sql, supabase-crew-contacts-schema.sql,
-- supabase-callsheet-schema.sql). crew_contacts is the first release's crew list; the app moved to crew
-- (subscriptionGuard.js still read crew_contacts until recently) and both tables are still in use.

CREATE TABLE public.crew_departments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    budget_code TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    color TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);

CREATE TABLE public.crew (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    department_id UUID REFERENCES public.crew_departments(id) ON DELETE SET NULL,
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
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT crew_rates_check CHECK (day_rate >= 0 AND half_day_rate >= 0 AND overtime_rate >= 0),
    CONSTRAINT crew_rating_check CHECK (rating BETWEEN 0 AND 5)
);
CREATE INDEX idx_crew_department ON public.crew(department_id);
CREATE INDEX idx_crew_email ON public.crew(email);

CREATE TABLE public.crew_contacts (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT,
    email VARCHAR(255),
    phone TEXT,
    role TEXT,
    department TEXT,
    day_rate INTEGER,
    currency TEXT DEFAULT 'GBP',
    location TEXT,
    country TEXT,
    skills TEXT[] DEFAULT '{}',
    rating NUMERIC(3,1),
    equipment_owned TEXT[] DEFAULT '{}',
    is_freelancer BOOLEAN DEFAULT true,
    status TEXT DEFAULT 'active',
    avatar_url TEXT,
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT crew_contacts_day_rate_check CHECK (day_rate >= 0),
    CONSTRAINT crew_contacts_rating_check CHECK (rating BETWEEN 0 AND 5)
);

CREATE TABLE public.crew_availability (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    crew_id UUID NOT NULL REFERENCES public.crew(id) ON DELETE CASCADE,
    available_date DATE NOT NULL,
    status TEXT DEFAULT 'available' NOT NULL,
    note TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (crew_id, available_date)
);

CREATE TABLE public.crew_documents (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    crew_id UUID NOT NULL REFERENCES public.crew(id) ON DELETE CASCADE,
    document_type TEXT NOT NULL,
    storage_path TEXT NOT NULL,
    verified BOOLEAN DEFAULT false NOT NULL,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_crew_documents_org ON public.crew_documents(organization_id);
CREATE INDEX idx_crew_documents_crew ON public.crew_documents(crew_id);

CREATE TABLE public.crew_project_history (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    crew_id UUID NOT NULL REFERENCES public.crew(id) ON DELETE CASCADE,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
    role TEXT,
    start_date DATE,
    end_date DATE,
    days_worked NUMERIC(6,1),
    total_paid NUMERIC(12,2),
    rating NUMERIC(3,1),
    feedback TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT crew_project_history_dates_check CHECK (end_date >= start_date),
    CONSTRAINT crew_project_history_amounts_check CHECK (days_worked >= 0 AND total_paid >= 0 AND rating BETWEEN 0 AND 5)
);
CREATE INDEX idx_crew_project_history_org ON public.crew_project_history(organization_id);
CREATE INDEX idx_crew_project_history_crew ON public.crew_project_history(crew_id);
CREATE INDEX idx_crew_project_history_project ON public.crew_project_history(project_id);

-- Bookings of crew onto projects. crew_id was written against crew_contacts and never got a foreign key;
-- project_id got one in 20251231. The multi-tenancy migration left organization_id commented out here.
CREATE TABLE public.crew_bookings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    crew_id UUID NOT NULL,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
    role TEXT,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    days NUMERIC(6,1),
    day_rate NUMERIC(10,2),
    total_cost NUMERIC(12,2),
    status TEXT DEFAULT 'pencilled' NOT NULL,
    notes TEXT,
    booked_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT crew_bookings_dates_check CHECK (end_date >= start_date),
    CONSTRAINT crew_bookings_amounts_check CHECK (days > 0 AND day_rate >= 0 AND total_cost >= 0)
);
CREATE INDEX idx_crew_bookings_crew ON public.crew_bookings(crew_id);
CREATE INDEX idx_crew_bookings_project ON public.crew_bookings(project_id);
CREATE INDEX idx_crew_bookings_dates ON public.crew_bookings(start_date, end_date);

CREATE TABLE public.call_sheet_templates (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    template JSONB DEFAULT '{}'::jsonb NOT NULL,
    is_default BOOLEAN DEFAULT false NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);

CREATE TABLE public.call_sheets (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    project_id UUID REFERENCES public.projects(id) ON DELETE CASCADE,
    template_id UUID REFERENCES public.call_sheet_templates(id) ON DELETE SET NULL,
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
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT call_sheets_version_check CHECK (version > 0)
);
CREATE INDEX idx_call_sheets_project ON public.call_sheets(project_id);
CREATE INDEX idx_call_sheets_shoot_date ON public.call_sheets(shoot_date);

CREATE TABLE public.call_sheet_crew (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    call_sheet_id UUID NOT NULL REFERENCES public.call_sheets(id) ON DELETE CASCADE,
    crew_id UUID NOT NULL REFERENCES public.crew(id) ON DELETE SET NULL,
    role TEXT,
    call_time TIME,
    confirmed BOOLEAN DEFAULT false NOT NULL,
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_call_sheet_crew_sheet ON public.call_sheet_crew(call_sheet_id);
CREATE INDEX idx_call_sheet_crew_crew ON public.call_sheet_crew(crew_id);
