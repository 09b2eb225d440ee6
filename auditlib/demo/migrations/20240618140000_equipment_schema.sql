-- Owned equipment (assets, depreciation) next to the rental kit list, kit photos and maintenance
-- (was supabase-equipment-schema.sql).

CREATE TABLE equipment (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    asset_tag TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT,
    purchase_date DATE,
    purchase_price NUMERIC(12,2),
    depreciation_years INTEGER,
    current_value NUMERIC(12,2),
    warranty_expires DATE,
    status TEXT DEFAULT 'in_service' NOT NULL,
    assigned_to UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    insured BOOLEAN DEFAULT false NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT equipment_values_check CHECK (purchase_price >= 0 AND current_value >= 0 AND depreciation_years > 0)
);
CREATE INDEX idx_equipment_assigned_to ON equipment(assigned_to);

CREATE TABLE kit_item_photos (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kit_item_id UUID NOT NULL REFERENCES kit_items(id) ON DELETE CASCADE,
    storage_path TEXT NOT NULL,
    caption TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_kit_item_photos_org ON kit_item_photos(organization_id);
CREATE INDEX idx_kit_item_photos_item ON kit_item_photos(kit_item_id);

CREATE TABLE kit_maintenance (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kit_item_id UUID NOT NULL REFERENCES kit_items(id) ON DELETE CASCADE,
    maintenance_type TEXT NOT NULL,
    description TEXT,
    performed_by TEXT,
    performed_at DATE,
    next_due_date DATE,
    cost NUMERIC(12,2),
    status TEXT DEFAULT 'scheduled' NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT kit_maintenance_cost_check CHECK (cost >= 0),
    CONSTRAINT kit_maintenance_dates_check CHECK (next_due_date >= performed_at)
);
CREATE INDEX idx_kit_maintenance_org ON kit_maintenance(organization_id);
CREATE INDEX idx_kit_maintenance_item ON kit_maintenance(kit_item_id);

-- New kit items start with one unit available
ALTER TABLE kit_items ALTER COLUMN quantity_available SET DEFAULT 1;

CREATE TRIGGER update_equipment_updated_at BEFORE UPDATE ON equipment
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_kit_item_photos_updated_at BEFORE UPDATE ON kit_item_photos
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_kit_maintenance_updated_at BEFORE UPDATE ON kit_maintenance
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE kit_item_photos ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage kit item photos" ON kit_item_photos
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());

ALTER TABLE kit_maintenance ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Org members can manage kit maintenance" ON kit_maintenance
    FOR ALL USING (organization_id = get_user_organization_id())
    WITH CHECK (organization_id = get_user_organization_id());
