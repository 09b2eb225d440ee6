-- ProductionOS, equipment (supabase-kit-schema.sql, supabase-equipment-schema.sql): the rental kit list and
-- its bookings, plus the company's owned assets.

CREATE TABLE public.kit_categories (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    parent_id UUID REFERENCES public.kit_categories(id) ON DELETE SET NULL,
    icon TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
COMMENT ON TABLE public.kit_categories IS 'Global equipment categories shared by all organisations.';

CREATE TABLE public.kit_items (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    category_id UUID REFERENCES public.kit_categories(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    manufacturer TEXT,
    model TEXT,
    serial_number TEXT,
    barcode TEXT,
    quantity INTEGER DEFAULT 1 NOT NULL,
    day_rate NUMERIC(10,2),
    replacement_value NUMERIC(12,2),
    condition TEXT DEFAULT 'good' NOT NULL,
    location TEXT,
    is_active BOOLEAN DEFAULT true NOT NULL,
    notes TEXT,
    purchased_at DATE,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT kit_items_quantity_check CHECK (quantity >= 0),
    CONSTRAINT kit_items_values_check CHECK (day_rate >= 0 AND replacement_value >= 0)
);
CREATE INDEX idx_kit_items_category ON public.kit_items(category_id);

CREATE TABLE public.kit_item_photos (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    kit_item_id UUID NOT NULL REFERENCES public.kit_items(id) ON DELETE CASCADE,
    storage_path TEXT NOT NULL,
    caption TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_kit_item_photos_org ON public.kit_item_photos(organization_id);
CREATE INDEX idx_kit_item_photos_item ON public.kit_item_photos(kit_item_id);

CREATE TABLE public.kit_bookings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    kit_item_id UUID NOT NULL REFERENCES public.kit_items(id) ON DELETE CASCADE,
    project_id UUID REFERENCES public.projects(id) ON DELETE SET NULL,
    quantity INTEGER DEFAULT 1 NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    status TEXT DEFAULT 'reserved' NOT NULL,
    day_rate NUMERIC(10,2),
    total NUMERIC(12,2),
    notes TEXT,
    booked_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT kit_bookings_dates_check CHECK (end_date >= start_date),
    CONSTRAINT kit_bookings_quantity_check CHECK (quantity > 0),
    CONSTRAINT kit_bookings_amounts_check CHECK (day_rate >= 0 AND total >= 0)
);
CREATE INDEX idx_kit_bookings_item ON public.kit_bookings(kit_item_id);
CREATE INDEX idx_kit_bookings_project ON public.kit_bookings(project_id);
CREATE INDEX idx_kit_bookings_dates ON public.kit_bookings(start_date, end_date);

CREATE TABLE public.equipment (
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
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT equipment_values_check CHECK (purchase_price >= 0 AND current_value >= 0 AND depreciation_years > 0)
);
CREATE INDEX idx_equipment_assigned_to ON public.equipment(assigned_to);

CREATE TABLE public.kit_maintenance (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    kit_item_id UUID NOT NULL REFERENCES public.kit_items(id) ON DELETE CASCADE,
    maintenance_type TEXT NOT NULL,
    description TEXT,
    performed_by TEXT,
    performed_at DATE,
    next_due_date DATE,
    cost NUMERIC(12,2),
    status TEXT DEFAULT 'scheduled' NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT kit_maintenance_cost_check CHECK (cost >= 0),
    CONSTRAINT kit_maintenance_dates_check CHECK (next_due_date >= performed_at)
);
CREATE INDEX idx_kit_maintenance_org ON public.kit_maintenance(organization_id);
CREATE INDEX idx_kit_maintenance_item ON public.kit_maintenance(kit_item_id);
