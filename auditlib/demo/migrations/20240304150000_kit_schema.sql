-- Rental kit list and kit bookings (was supabase-kit-schema.sql).

CREATE TABLE kit_categories (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    parent_id UUID REFERENCES kit_categories(id) ON DELETE SET NULL,
    icon TEXT,
    sort_order INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
COMMENT ON TABLE kit_categories IS 'Global equipment categories shared by all organisations.';

CREATE TABLE kit_items (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    category_id UUID REFERENCES kit_categories(id) ON DELETE SET NULL,
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
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT kit_items_quantity_check CHECK (quantity >= 0),
    CONSTRAINT kit_items_values_check CHECK (day_rate >= 0 AND replacement_value >= 0)
);
CREATE INDEX idx_kit_items_category ON kit_items(category_id);

CREATE TABLE kit_bookings (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    kit_item_id UUID NOT NULL REFERENCES kit_items(id) ON DELETE CASCADE,
    project_id UUID REFERENCES projects(id) ON DELETE SET NULL,
    quantity INTEGER DEFAULT 1 NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    status TEXT DEFAULT 'reserved' NOT NULL,
    day_rate NUMERIC(10,2),
    total NUMERIC(12,2),
    notes TEXT,
    booked_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    CONSTRAINT kit_bookings_dates_check CHECK (end_date >= start_date),
    CONSTRAINT kit_bookings_quantity_check CHECK (quantity > 0),
    CONSTRAINT kit_bookings_amounts_check CHECK (day_rate >= 0 AND total >= 0)
);
CREATE INDEX idx_kit_bookings_item ON kit_bookings(kit_item_id);
CREATE INDEX idx_kit_bookings_project ON kit_bookings(project_id);
CREATE INDEX idx_kit_bookings_dates ON kit_bookings(start_date, end_date);

-- Keep kit_items.quantity_available in step with bookings
CREATE OR REPLACE FUNCTION update_kit_availability_on_booking()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status IN ('confirmed', 'checked_out') THEN
        UPDATE public.kit_items
           SET quantity_available = quantity_available - NEW.quantity
         WHERE id = NEW.kit_item_id;
    ELSIF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status THEN
        IF NEW.status IN ('confirmed', 'checked_out') THEN
            UPDATE public.kit_items
               SET quantity_available = quantity_available - NEW.quantity
             WHERE id = NEW.kit_item_id;
        ELSIF OLD.status IN ('confirmed', 'checked_out') AND NEW.status IN ('returned', 'cancelled') THEN
            UPDATE public.kit_items
               SET quantity_available = quantity_available + NEW.quantity
             WHERE id = NEW.kit_item_id;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER kit_booking_availability_update
    AFTER INSERT OR UPDATE ON kit_bookings
    FOR EACH ROW EXECUTE FUNCTION update_kit_availability_on_booking();

CREATE TRIGGER update_kit_categories_updated_at BEFORE UPDATE ON kit_categories
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_kit_items_updated_at BEFORE UPDATE ON kit_items
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_kit_bookings_updated_at BEFORE UPDATE ON kit_bookings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE kit_categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can read kit categories" ON kit_categories
    FOR SELECT TO authenticated USING (true);

ALTER TABLE kit_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Authenticated users can view kit items" ON kit_items
    FOR SELECT USING (auth.role() = 'authenticated');
