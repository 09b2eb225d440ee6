-- User profiles for Supabase auth users, and the onboarding checklist (was supabase-users-schema.sql).
-- settings.users (JSONB) is superseded by user_profiles; the column stays for now.

CREATE TABLE user_profiles (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    auth_user_id UUID NOT NULL UNIQUE REFERENCES auth.users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    full_name TEXT,
    avatar_url TEXT,
    job_title TEXT,
    phone TEXT,
    role TEXT DEFAULT 'member' NOT NULL,
    status TEXT DEFAULT 'active' NOT NULL,
    preferences JSONB DEFAULT '{}'::jsonb NOT NULL,
    last_active_at TIMESTAMPTZ,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
COMMENT ON COLUMN user_profiles.auth_user_id IS 'The Supabase auth user this profile belongs to (one profile per user).';

CREATE TABLE onboarding_checklist (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    step_key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    is_required BOOLEAN DEFAULT true NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);

CREATE TRIGGER update_user_profiles_updated_at BEFORE UPDATE ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_onboarding_checklist_updated_at BEFORE UPDATE ON onboarding_checklist
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE user_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view own profile" ON user_profiles
    FOR SELECT USING (auth_user_id = auth.uid());
CREATE POLICY "Users can update own profile" ON user_profiles
    FOR UPDATE USING (auth_user_id = auth.uid());

ALTER TABLE onboarding_checklist ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read onboarding checklist" ON onboarding_checklist
    FOR SELECT TO authenticated USING (true);
