-- Policies that are right but slow on large tables: auth.uid() called once per row instead of once per query
-- (not wrapped in a sub-select), and the column compared with it has no index.

CREATE TABLE public.bookmarks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    url text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.bookmarks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "owners read bookmarks" ON public.bookmarks
    FOR SELECT TO authenticated USING (owner_id = auth.uid());
