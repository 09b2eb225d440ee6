-- Policies that decide on what the caller controls, or that admit more than they say. documents trusts the
-- organisation id in user_metadata (every user edits their own); invitations are matched on auth.email(); notes
-- are readable by everyone when nobody is signed in (an inverted auth.uid() IS NULL check); comments let rows of
-- no organisation through; the current organisation comes from an IMMUTABLE function that reads the session
-- (the planner may fold it into a constant for every caller); the announcements table's only policy is
-- constant false (silent deny-all).

CREATE TABLE public.documents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    title text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_organization_id_idx ON public.documents (organization_id);
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read documents" ON public.documents
    FOR SELECT TO authenticated
    USING (organization_id = ((SELECT auth.jwt()) -> 'user_metadata' ->> 'organization_id')::uuid);

CREATE TABLE public.invitations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_organization_id_idx ON public.invitations (organization_id);
CREATE INDEX invitations_email_idx ON public.invitations (email);
ALTER TABLE public.invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "invitees read their invitations" ON public.invitations
    FOR SELECT TO authenticated USING (email = (SELECT auth.email()));

CREATE TABLE public.notes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    author_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_author_id_idx ON public.notes (author_id);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "authors read their notes" ON public.notes
    FOR SELECT USING ((SELECT auth.uid()) IS NULL OR author_id = (SELECT auth.uid()));

CREATE TABLE public.comments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid REFERENCES public.organizations (id) ON DELETE CASCADE,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_organization_id_idx ON public.comments (organization_id);
ALTER TABLE public.comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read comments" ON public.comments
    FOR SELECT TO authenticated USING (private.is_member(organization_id) OR organization_id IS NULL);

CREATE FUNCTION public.current_organization_id() RETURNS uuid
    LANGUAGE sql IMMUTABLE
AS $$ SELECT (current_setting('request.jwt.claims', true)::jsonb -> 'app_metadata' ->> 'organization_id')::uuid $$;

CREATE TABLE public.milestones (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    title text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX milestones_organization_id_idx ON public.milestones (organization_id);
ALTER TABLE public.milestones ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read milestones" ON public.milestones
    FOR SELECT TO authenticated USING (organization_id = public.current_organization_id());

CREATE TABLE public.announcements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX announcements_organization_id_idx ON public.announcements (organization_id);
ALTER TABLE public.announcements ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read announcements" ON public.announcements
    FOR SELECT TO authenticated USING (false);
