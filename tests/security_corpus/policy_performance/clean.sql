-- The same policy, fixed: auth.uid() is evaluated once per query, and owner_id is indexed.

CREATE TABLE public.bookmarks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    url text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bookmarks_owner_id_idx ON public.bookmarks (owner_id);
ALTER TABLE public.bookmarks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "owners read bookmarks" ON public.bookmarks
    FOR SELECT TO authenticated USING (owner_id = (SELECT auth.uid()));
