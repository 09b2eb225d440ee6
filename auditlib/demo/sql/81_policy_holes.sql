-- ProductionOS, policies added after the multi-tenancy migration (20260105 policy_holes): each looks reasonable on
-- its own and each is one of the policy mistakes auditlib's policy checks look for.
--
--   * google_tokens: token refreshes may write any user_id (WITH CHECK drops USING's user scope);
--   * feature_flags: "read-only" written as a constant-false UPDATE policy instead of a missing grant;
--   * sops: publishing gated on a role the user sets in their own user_metadata;
--   * saved_views: a sharing policy that opens every view to requests without a user (anon);
--   * research_logs: owned by an analytics role that authenticated is a member of, RLS not forced;
--   * google_calendar_events: a tenant condition on a policy for service_role, which bypasses RLS;
--   * user_invitations: invitees match on their email, a column without an index.

CREATE POLICY "Users can refresh own google tokens" ON public.google_tokens
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid())::text)
    WITH CHECK ((SELECT auth.role()) = 'authenticated');

CREATE POLICY "Feature flags are read-only" ON public.feature_flags
    FOR UPDATE TO authenticated USING (false);

CREATE POLICY "Editors can publish sops" ON public.sops
    FOR UPDATE TO authenticated
    USING (organization_id = get_user_organization_id()
           AND ((SELECT auth.jwt()) -> 'user_metadata' ->> 'role') = 'editor');

CREATE POLICY "Shared saved views are readable" ON public.saved_views
    FOR SELECT
    USING ((SELECT auth.uid()) IS NULL
           OR (organization_id = get_user_organization_id() AND user_id = (SELECT auth.uid())));

-- Roles are cluster-wide: create the analytics role only once, whoever loads the demo first.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'productionos_analytics') THEN
        BEGIN
            CREATE ROLE productionos_analytics NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
END
$roles$;
GRANT productionos_analytics TO authenticated;
ALTER TABLE public.research_logs OWNER TO productionos_analytics;

CREATE POLICY "Calendar sync reads own organization" ON public.google_calendar_events
    FOR SELECT TO service_role USING (organization_id = get_user_organization_id());

CREATE POLICY "Invitees can decline their invitation" ON public.user_invitations
    FOR DELETE TO authenticated
    USING (organization_id = get_user_organization_id() AND email = (SELECT auth.email()));
