-- Locations library and filming permits (was supabase-locations-schema.sql).

CREATE TABLE locations (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    location_type TEXT,
    address TEXT,
    city TEXT,
    country TEXT,
    latitude NUMERIC(9,6),
    longitude NUMERIC(9,6),
    contact_name TEXT,
    contact_phone TEXT,
    permit_required BOOLEAN DEFAULT false NOT NULL,
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_locations_org ON locations(organization_id);

CREATE TABLE location_permits (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    location_id UUID NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    project_id UUID,
    permit_number TEXT,
    authority TEXT,
    status TEXT DEFAULT 'requested' NOT NULL,
    valid_from DATE,
    valid_to DATE,
    cost NUMERIC(12,2),
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT location_permits_validity_check CHECK (valid_to >= valid_from),
    CONSTRAINT location_permits_cost_check CHECK (cost >= 0)
);
CREATE INDEX idx_location_permits_org ON location_permits(organization_id);
CREATE INDEX idx_location_permits_location ON location_permits(location_id);
CREATE INDEX idx_location_permits_project ON location_permits(project_id);

CREATE TRIGGER update_locations_updated_at BEFORE UPDATE ON locations
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_location_permits_updated_at BEFORE UPDATE ON location_permits
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE locations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage locations" ON locations
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE location_permits ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage location permits" ON location_permits
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
