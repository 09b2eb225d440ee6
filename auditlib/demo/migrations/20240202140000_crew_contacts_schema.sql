-- Freelance crew list of the first release (was supabase-crew-contacts-schema.sql).
-- Superseded by the crew table (supabase-crew-schema.sql), but the app kept reading it for a long time.

CREATE TABLE crew_contacts (
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
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT crew_contacts_day_rate_check CHECK (day_rate >= 0),
    CONSTRAINT crew_contacts_rating_check CHECK (rating BETWEEN 0 AND 5)
);

