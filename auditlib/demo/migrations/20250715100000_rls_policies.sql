-- Row level security pass before the multi-tenancy work (was supabase-rls-policies.sql).
-- Storage policies for the documents bucket, and client-scoped quote visibility for client portal users.

CREATE POLICY "Authenticated users can read documents" ON storage.objects
    FOR SELECT TO authenticated USING (bucket_id = 'documents');
CREATE POLICY "Authenticated users can upload documents" ON storage.objects
    FOR INSERT TO authenticated WITH CHECK (bucket_id = 'documents' AND owner = auth.uid());
CREATE POLICY "Anyone can read public buckets" ON storage.buckets
    FOR SELECT USING (public);

-- Client portal: a contact may see the quotes of their own client company
CREATE POLICY "Client contacts can view their quotes" ON quotes
    FOR SELECT TO authenticated
    USING (client_id IN (SELECT c.client_id FROM contacts c WHERE c.email = auth.email()));

-- The sports research tables (sports_events, sports_venues, sports_organizations, media_rights) are public
-- reference data: no row level security.
