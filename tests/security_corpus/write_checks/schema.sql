-- Write policies on the tasks of a project. Members read their organisation's tasks, but the write policies check
-- the new row with no tenant condition: an insert may name any organisation, and an update may move a task into
-- another organisation (its WITH CHECK drops the row scope its USING has); an author may hand a draft over to
-- another user the same way.

CREATE TABLE public.tasks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    title text NOT NULL,
    done boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_organization_id_idx ON public.tasks (organization_id);
ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members read tasks" ON public.tasks
    FOR SELECT TO authenticated USING (private.is_member(organization_id));
CREATE POLICY "signed-in users add tasks" ON public.tasks
    FOR INSERT TO authenticated WITH CHECK ((SELECT auth.uid()) IS NOT NULL);
CREATE POLICY "members edit tasks" ON public.tasks
    FOR UPDATE TO authenticated USING (private.is_member(organization_id))
    WITH CHECK ((SELECT auth.uid()) IS NOT NULL);

CREATE TABLE public.drafts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    author_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX drafts_author_id_idx ON public.drafts (author_id);
ALTER TABLE public.drafts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "authors read drafts" ON public.drafts
    FOR SELECT TO authenticated USING (author_id = (SELECT auth.uid()));
CREATE POLICY "authors edit drafts" ON public.drafts
    FOR UPDATE TO authenticated USING (author_id = (SELECT auth.uid()))
    WITH CHECK ((SELECT auth.uid()) IS NOT NULL);
