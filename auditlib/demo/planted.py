"""The answer key of the ProductionOS demo: every flaw planted on purpose, check by check.

``PLANTED_FLAWS`` has one dict per flaw: ``check`` (the check's name), ``object`` ("public.table.column" or
"public.table"), ``seed_section`` (where the seed audit report describes it; "" for flaws the demo adds because
they are common in Supabase projects) and ``note``; some carry ``policy``, ``pair`` or ``references``. For the
schema checks the list is exact: the demo holds no other instance of these checks (the demo tests verify the
list against the catalog). Data-level flaws (``orphan_rows``, ``tenant_null_rows``, ``json_orphans``) carry
``count``, taken from ``planted_counts()`` at the default seed.

Checks not listed: ``comment_missing`` (information: most tables and columns are uncommented, as in the seed) and
``cascade_reach`` (computed from the foreign keys). ``crew_contacts.email`` is varchar(255) where every other
``email`` is text: planted for realism, not a ``column_type_inconsistent`` finding (varchar and text count as one
type). ``settings.company`` (jsonb) and ``agent_memory.content`` (jsonb) share a name with text columns elsewhere
but hold a different kind of value (the seed's own design), so they are not findings either.
"""

from __future__ import annotations

# Tables that hold no tenant data (reference data shared by every organisation); the tenant root is
# public.organizations.
GLOBAL_TABLES = [
    "public.subscription_plans", "public.onboarding_checklist", "public.kit_categories", "public.feature_flags",
    "public.currency_rates", "public.sports_organizations", "public.sports_venues", "public.sports_events",
    "public.media_rights",
]

# id-like columns without a foreign key on purpose (not flaws): a polymorphic reference and external ids.
NOT_REFERENCES = {
    "public.audit_logs.record_id": "polymorphic: the id of the row in audit_logs.table_name",
    "public.workflow_executions.trigger_record_ref": "polymorphic: the row that fired the rule",
    "public.google_calendar_events.google_event_ref": "Google's event id",
    "public.google_calendar_events.calendar_ref": "Google's calendar id",
    "public.subscriptions.stripe_customer_ref": "Stripe's customer id",
    "public.subscriptions.stripe_subscription_ref": "Stripe's subscription id",
    "public.email_threads.external_thread_ref": "the mail provider's thread id",
    "public.email_messages.external_message_ref": "the mail provider's message id",
}

# Counters never negative and categorical text columns with a small closed set of values, none with a CHECK:
# candidates for check_candidate by its own rules (a realistic Supabase schema constrains few of them).
_COUNTERS = ["agent_learnings.applied_count", "agent_memory.access_count", "email_threads.message_count"]
_CLOSED_SETS = [
    "activities.activity_type", "agent_learnings.learning_type", "agent_memory.memory_type", "agent_tasks.status",
    "agent_tasks.task_type", "automation_logs.level", "call_sheets.status", "clients.status",
    "crew_availability.status", "crew_bookings.status", "crew_documents.document_type", "deliverables.deliverable_type",
    "deliverables.status", "documents.document_type", "email_tracking_events.event_type", "equipment.category",
    "equipment.status", "expenses.category", "expenses.status", "invoices.status", "kit_bookings.status",
    "kit_maintenance.maintenance_type", "kit_maintenance.status", "knowledge_fragments.fragment_type",
    "knowledge_fragments.source", "knowledge_relationships.relationship_type", "notifications.type",
    "opportunities.source", "opportunities.stage", "project_phases.status", "projects.project_type",
    "projects.status", "purchase_orders.status", "quotes.status", "research_logs.research_type", "tasks.priority",
    "tasks.status"]

_FK_UNINDEXED = [
    ("public.activities.quote_id", "public.quotes"),
    ("public.agent_memory.related_client_id", "public.clients"),
    ("public.agent_tasks.created_by", "auth.users"),
    ("public.api_keys.created_by", "auth.users"),
    ("public.call_sheet_crew.organization_id", "public.organizations"),
    ("public.call_sheet_templates.organization_id", "public.organizations"),
    ("public.call_sheets.created_by", "auth.users"),
    ("public.call_sheets.template_id", "public.call_sheet_templates"),
    ("public.client_notes.created_by", "auth.users"),
    ("public.clients.created_by", "auth.users"),
    ("public.crew_availability.organization_id", "public.organizations"),
    ("public.crew_bookings.booked_by", "auth.users"),
    ("public.crew_contacts.organization_id", "public.organizations"),
    ("public.document_versions.uploaded_by", "auth.users"),
    ("public.documents.client_id", "public.clients"),
    ("public.documents.uploaded_by", "auth.users"),
    ("public.email_sequences.created_by", "auth.users"),
    ("public.expenses.approved_by", "auth.users"),
    ("public.integrations.connected_by", "auth.users"),
    ("public.invoices.created_by", "auth.users"),
    ("public.kit_bookings.booked_by", "auth.users"),
    ("public.kit_categories.parent_id", "public.kit_categories"),
    ("public.opportunities.converted_to_quote_id", "public.quotes"),
    ("public.organization_members.invited_by", "auth.users"),
    ("public.projects.project_manager_id", "auth.users"),
    ("public.purchase_orders.approved_by", "auth.users"),
    ("public.quote_templates.created_by", "auth.users"),
    ("public.quote_versions.created_by", "auth.users"),
    ("public.quotes.created_by", "auth.users"),
    ("public.rate_cards.section_id", "public.rate_card_sections"),
    ("public.research_logs.created_by", "auth.users"),
    ("public.resources.created_by", "auth.users"),
    ("public.sops.created_by", "auth.users"),
    ("public.task_boards.created_by", "auth.users"),
    ("public.task_cards.created_by", "auth.users"),
    ("public.task_cards.project_id", "public.projects"),
    ("public.tasks.created_by", "auth.users"),
    ("public.user_invitations.invited_by", "auth.users"),
    ("public.workflow_rules.created_by", "auth.users"),
]

# organization_id was added by ALTER TABLE in the multi-tenancy migration (nullable, never tightened), or came
# nullable with the table (projects); tables created after that migration declare it NOT NULL.
_TENANT_NULLABLE = [
    "agent_learnings", "agent_memory", "agent_tasks", "audit_logs", "call_sheet_crew", "call_sheet_templates",
    "call_sheets", "clients", "contacts", "crew", "crew_availability", "crew_contacts", "crew_departments",
    "documents", "email_messages", "email_threads", "emails", "equipment", "gdpr_logs", "kit_bookings",
    "kit_items", "knowledge_fragments", "opportunities", "project_phases", "projects", "quotes",
    "rate_card_sections", "rate_cards", "security_events", "settings", "tasks", "user_profiles",
]

# Row counts at the default seed (demo.planted_counts() is the source of truth for any seed).
_ORPHAN_ROWS = {
    "public.invoices.project_id": ("7.4", "invoices of projects that were deleted (no FK stopped it)"),
    "public.crew_bookings.crew_id": ("7.5", "bookings written by the old code path hold a crew_contacts id"),
    "public.expenses.project_id": ("2.3", "expenses of deleted projects"),
    "public.google_tokens.user_id": ("2.2", "the token of a user deleted from auth.users (no FK, no cascade)"),
}
_JSON_ORPHANS = {
    "public.quotes.sections:rateCardItemId": ("6.1", "line items of rate cards that were deleted"),
    "public.quotes.client:id": ("7.2", "client snapshots of clients that were deleted"),
    "public.opportunities.contacts:id": ("6.3", "contacts removed from the contacts table"),
}

PLANTED_FLAWS: list[dict] = [
    # -- relationships --------------------------------------------------------------------------------------------
    {"check": "fk_missing", "object": "public.invoices.project_id", "seed_section": "7.4",
     "references": "public.projects", "note": "UUID column, no FK (recommendation 8.1: add it ON DELETE SET NULL)"},
    {"check": "fk_missing", "object": "public.crew_bookings.crew_id", "seed_section": "7.5",
     "references": "public.crew", "note": "NOT NULL UUID column, no FK to crew (indexed)"},
    {"check": "fk_missing", "object": "public.expenses.project_id", "seed_section": "2.3",
     "references": "public.projects",
     "note": "decided: the FK was NOT present (recommendation 3 'add FK for expenses.project_id if not already present')"},
    {"check": "fk_missing", "object": "public.google_tokens.user_id", "seed_section": "2.2",
     "references": "auth.users", "note": "text user id, no FK (the seed's fix migration had not run)"},
    {"check": "fk_type_mismatch", "object": "public.google_tokens.user_id", "seed_section": "2.2",
     "references": "auth.users", "note": "TEXT holding auth.users uuids; gmail_tokens/microsoft_tokens use uuid FKs"},
    {"check": "column_type_inconsistent", "object": "public.google_tokens.user_id", "seed_section": "2.2",
     "note": "user_id is text here, uuid in every other table"},
    {"check": "column_type_inconsistent", "object": "public.crew_contacts.day_rate", "seed_section": "3.2",
     "note": "integer in the legacy crew_contacts, numeric(10,2) in crew, crew_bookings, kit_items, kit_bookings"},
    {"check": "reverse_ref_missing", "object": "public.opportunities.converted_to_quote_id", "seed_section": "7.3",
     "references": "public.quotes",
     "note": "quotes has no opportunity_id; one-to-one in the data (each quote converted from at most one "
             "opportunity) and the FK column is unindexed, so 'which opportunity created this quote' is a scan"},
    *({"check": "fk_unindexed", "object": column, "seed_section": "", "references": parent,
       "note": "no index starts with this FK column (Supabase projects rarely index *_by user columns)"}
      for column, parent in _FK_UNINDEXED),
    {"check": "fk_set_null_not_null", "object": "public.call_sheet_crew.crew_id", "seed_section": "7.5",
     "references": "public.crew", "note": "ON DELETE SET NULL on a NOT NULL column: deleting a crew member fails"},
    {"check": "fk_set_null_not_null", "object": "public.deliverables.project_id", "seed_section": "",
     "references": "public.projects", "note": "ON DELETE SET NULL on a NOT NULL column: deleting a project fails"},
    # -- structure -----------------------------------------------------------------------------------------------
    {"check": "pk_missing", "object": "public.task_card_assignees", "seed_section": "2.2",
     "note": "join table with UNIQUE (card_id, user_id) but no primary key"},
    {"check": "pk_type_inconsistent", "object": "public.audit_logs.id", "seed_section": "1.2",
     "note": "bigint identity among uuid keys (the seed claims all keys are uuid)"},
    {"check": "pk_type_inconsistent", "object": "public.automation_logs.id", "seed_section": "1.2",
     "note": "bigserial among uuid keys"},
    {"check": "timestamps_missing", "object": "public.task_card_assignees", "seed_section": "1.3",
     "note": "no created_at/updated_at (only assigned_at); the seed claims timestamps are consistent"},
    {"check": "timestamps_missing", "object": "public.knowledge_relationships", "seed_section": "1.3",
     "note": "no created_at/updated_at"},
    {"check": "updated_at_no_trigger", "object": "public.crew_contacts.updated_at", "seed_section": "1.3",
     "note": "updated_at without the update_updated_at_column trigger"},
    {"check": "updated_at_no_trigger", "object": "public.email_sequences.updated_at", "seed_section": "1.3",
     "note": "updated_at without the update_updated_at_column trigger"},
    {"check": "updated_at_no_trigger", "object": "public.lead_scoring.updated_at", "seed_section": "1.3",
     "note": "updated_at without the update_updated_at_column trigger"},
    {"check": "check_candidate", "object": "public.invoices.due_date", "seed_section": "8.3",
     "note": "due_date >= issue_date in every row, no CHECK (recommendation invoices_due_after_issue)"},
    {"check": "check_candidate", "object": "public.quotes.validity_days", "seed_section": "8.3",
     "note": "validity_days > 0 in every row, no CHECK (recommendation quotes_validity_days_positive)"},
    *({"check": "check_candidate", "object": f"public.{column}", "seed_section": "",
       "note": "a counter that is never negative, with no CHECK"} for column in _COUNTERS),
    *({"check": "check_candidate", "object": f"public.{column}", "seed_section": "",
       "note": "categorical text with a few values and no CHECK ... IN (...) (common in Supabase projects)"}
      for column in _CLOSED_SETS),
    # -- tenancy -------------------------------------------------------------------------------------------------
    *({"check": "tenant_column_missing", "object": f"public.{table}", "seed_section": "4.1", "note": note}
      for table, note in [("invoices", "financial data without organization_id (commented out in the migration)"),
                          ("expenses", "financial data without organization_id (commented out in the migration)"),
                          ("crew_bookings", "no organization_id (crew may be shared across organisations)"),
                          ("google_tokens", "no organization_id (a user can belong to several organisations)")]),
    *({"check": "tenant_column_nullable", "object": f"public.{table}.organization_id", "seed_section": "4.1",
       "note": "added nullable by the multi-tenancy migration (projects: nullable in its CREATE TABLE)"}
      for table in _TENANT_NULLABLE),
    {"check": "tenant_fk_missing", "object": "public.projects.organization_id", "seed_section": "2.2",
     "note": "organization_id UUID without REFERENCES organizations (as in the seed's CREATE TABLE projects)"},
    # -- row level security --------------------------------------------------------------------------------------
    *({"check": "rls_null_bypass", "object": f"public.{table}", "seed_section": "4.2",
       "policy": f"Users can view org {table.replace('_', ' ')}",
       "note": "FOR SELECT USING (organization_id = get_user_organization_id() OR organization_id IS NULL)"}
      for table in ["clients", "crew", "opportunities", "projects", "quotes", "rate_card_sections", "rate_cards"]),
    *({"check": "rls_always_true", "object": f"public.{table}", "seed_section": "4.1",
       "policy": "Enable all access for authenticated users",
       "note": "FOR ALL TO authenticated USING (true) WITH CHECK (true) on a table without organization_id"}
      for table in ["expenses", "invoices"]),
    *({"check": "rls_disabled", "object": f"public.{table}", "seed_section": section, "note": note}
      for table, section, note in [
          ("crew_bookings", "4.1", "RLS never enabled; anon and authenticated hold grants"),
          ("crew_contacts", "3.2", "policies exist but RLS is off (see rls_policy_without_rls)"),
          ("media_rights", "", "sports research reference data created without RLS"),
          ("sports_events", "", "sports research reference data created without RLS"),
          ("sports_organizations", "", "sports research reference data created without RLS"),
          ("sports_venues", "", "sports research reference data created without RLS")]),
    {"check": "rls_policy_without_rls", "object": "public.crew_contacts", "seed_section": "3.2",
     "note": "two policies copied from crew, ENABLE ROW LEVEL SECURITY forgotten"},
    *({"check": "rls_no_policy", "object": f"public.{table}", "seed_section": "",
       "note": "RLS on, no policy: only the service role reads or writes it"}
      for table in ["gdpr_logs", "security_events"]),
    {"check": "rls_tenant_not_enforced", "object": "public.kit_items", "seed_section": "4.2",
     "policy": "Authenticated users can view kit items",
     "note": "SELECT USING (auth.role() = 'authenticated') left next to the organisation policies"},
    {"check": "rls_tenant_not_enforced", "object": "public.knowledge_fragments", "seed_section": "4.2",
     "policy": "Signed-in users can read knowledge", "note": "SELECT USING (auth.uid() IS NOT NULL)"},
    # -- duplicates and functions --------------------------------------------------------------------------------
    {"check": "table_lookalike", "object": "public.crew_contacts", "pair": "public.crew~public.crew_contacts",
     "seed_section": "3.2", "note": "the legacy crew list: 16 of crew_contacts' 17 compared columns are crew's (Jaccard 0.80)"},
    {"check": "trigger_missing_column", "object": "public.kit_items.quantity_available", "seed_section": "7.6",
     "note": "trigger kit_booking_availability_update on kit_bookings runs update_kit_availability_on_booking(), "
             "which updates kit_items.quantity_available; the column does not exist"},
    # -- JSON ----------------------------------------------------------------------------------------------------
    {"check": "json_reference", "object": "public.quotes.sections", "seed_section": "6.1",
     "references": "public.rate_cards", "note": "sections.*.subsections.*[].rateCardItemId holds rate_cards ids"},
    {"check": "json_reference", "object": "public.quotes.client", "seed_section": "6.1",
     "references": "public.clients", "note": "client snapshot {id, company, contact, email, phone}"},
    {"check": "json_reference", "object": "public.opportunities.contacts", "seed_section": "6.3",
     "references": "public.contacts", "note": "array of {id, name, email, isPrimary}"},
    {"check": "json_reference", "object": "public.opportunities.client", "seed_section": "6.3",
     "references": "public.clients", "note": "client snapshot {id, company}; every id exists"},
    # -- policies (81_policy_holes.sql; per-row auth calls: the seed's own policies) ------------------------------
    {"check": "policy_write_without_check", "object": "public.google_tokens", "seed_section": "",
     "policy": "Users can refresh own google tokens",
     "note": "UPDATE USING (user_id = (SELECT auth.uid())::text) WITH CHECK ((SELECT auth.role()) = 'authenticated')"},
    {"check": "policy_deny_all", "object": "public.feature_flags", "seed_section": "",
     "policy": "Feature flags are read-only", "note": "FOR UPDATE USING (false) instead of revoking UPDATE"},
    {"check": "policy_trusts_user_metadata", "object": "public.sops", "seed_section": "",
     "policy": "Editors can publish sops", "note": "UPDATE gated on auth.jwt() -> 'user_metadata' ->> 'role'"},
    {"check": "policy_trusts_user_metadata", "object": "public.user_invitations", "seed_section": "",
     "policy": "Invitees can decline their invitation", "note": "DELETE matched on (SELECT auth.email())"},
    {"check": "policy_inverted_uid_check", "object": "public.saved_views", "seed_section": "",
     "policy": "Shared saved views are readable",
     "note": "SELECT TO PUBLIC USING ((SELECT auth.uid()) IS NULL OR ...): anon reads every saved view"},
    {"check": "rls_not_forced", "object": "public.research_logs", "seed_section": "",
     "note": "owned by productionos_analytics, granted to authenticated; RLS enabled, not forced"},
    {"check": "policy_role_bypasses_rls", "object": "public.google_calendar_events", "seed_section": "",
     "policy": "Calendar sync reads own organization", "note": "tenant condition on a policy TO service_role"},
    {"check": "policy_column_unindexed", "object": "public.user_invitations.email", "seed_section": "",
     "note": "compared with auth.email() by \"Invitees can decline their invitation\"; no index starts with it"},
    *({"check": "policy_uid_per_row", "object": f"public.{table}", "seed_section": "", "policy": policy,
       "note": "auth.uid()/auth.role() called outside a subquery, once per row"}
      for table, policy in (
          ("account_deletion_requests", "Users can manage own account deletion requests"),
          ("data_export_requests", "Users can manage own data export requests"),
          ("gmail_tokens", "Users can manage own gmail tokens"),
          ("google_tokens", "Users can manage own google tokens"),
          ("kit_items", "Authenticated users can view kit items"),
          ("knowledge_fragments", "Signed-in users can read knowledge"),
          ("microsoft_tokens", "Users can manage own microsoft tokens"),
          ("notifications", "Users can manage own notifications"),
          ("onboarding_progress", "Users can manage own onboarding progress"),
          ("saved_views", "Users can manage own saved views"),
          ("user_profiles", "Users can update own profile"))),
    # -- the security surface around RLS (82_security_surface.sql; the first three and the tokens predate it) ----
    {"check": "security_definer_exposed", "object": "public.next_quote_number(org uuid)", "seed_section": "",
     "note": "callable by anon (EXECUTE defaults to PUBLIC); counts any organisation's quotes for the org given"},
    {"check": "security_definer_exposed", "object": "public.get_user_organization_id()", "seed_section": "",
     "note": "policy helper callable over the API; reads organization_members for auth.uid() only (medium)"},
    {"check": "security_definer_exposed", "object": "public.is_org_admin()", "seed_section": "",
     "note": "policy helper callable over the API; reads organization_members for auth.uid() only (medium)"},
    {"check": "security_definer_exposed", "object": "public.archive_project(p_project_id uuid)", "seed_section": "",
     "note": "RPC that updates any project whose id it is given, callable by anon (critical)"},
    {"check": "function_search_path_mutable", "object": "public.refresh_revenue_by_client()", "seed_section": "",
     "note": "SECURITY DEFINER without SET search_path (EXECUTE revoked from the API roles)"},
    {"check": "view_bypasses_rls", "object": "public.project_overview", "seed_section": "",
     "note": "plain view owned by postgres over projects and clients, readable by anon"},
    {"check": "auth_users_exposed", "object": "public.team_directory", "seed_section": "",
     "note": "view of auth.users (email, name, last sign-in) in public, readable by anon"},
    {"check": "materialized_view_exposed", "object": "public.revenue_by_client", "seed_section": "",
     "note": "every organisation's invoice totals, readable by anon"},
    {"check": "rls_disabled_exposed", "object": "public.stripe_webhook_events", "seed_section": "",
     "note": "grants revoked, RLS off, and public's default privileges grant anon/authenticated new tables"},
    {"check": "partition_bypasses_rls", "object": "public.api_requests_2024", "seed_section": "",
     "note": "partition with RLS off under api_requests (RLS on), readable directly by anon"},
    {"check": "publication_rls_disabled", "object": "public.sports_events", "seed_section": "",
     "note": "in the supabase_realtime publication with RLS off (also an rls_disabled finding)"},
    *({"check": "sensitive_column_exposed", "object": f"public.{column}", "seed_section": "",
       "note": "OAuth/invitation/webhook secret readable by the API roles (RLS on: rows are filtered, columns not)"}
      for column in ("gmail_tokens.access_token", "gmail_tokens.refresh_token", "google_tokens.access_token",
                     "google_tokens.refresh_token", "microsoft_tokens.access_token",
                     "microsoft_tokens.refresh_token", "user_invitations.token", "webhooks.secret")),
    {"check": "function_leakproof", "object": "public.same_email(a text, b text)", "seed_section": "",
     "note": "LEAKPROOF on a user function: the planner may run it on rows the policies hide"},
    {"check": "immutable_function_reads_session", "object": "public.request_user_id()", "seed_section": "",
     "note": "IMMUTABLE wrapper of auth.uid() in the INSERT policy of api_requests"},
    # -- tenancy across keys, views over functions, default privileges (84_tenancy_surface.sql; Supabase's own
    # default privileges come from the platform stub, the quote and billing numbers from the seed) -------------------
    *({"check": "unique_not_tenant_scoped", "object": f"public.{key}", "seed_section": "", "note": note}
      for key, note in (
          ("client_portals.client_portals_slug_key", "portal slug unique across the product, not per organisation"),
          ("quotes.quotes_quote_number_key", "quote numbers unique across every organisation (the seed's schema)"),
          ("invoices.invoices_invoice_number_key",
           "invoice numbers unique across every organisation (invoices reach theirs through projects)"),
          ("billing_invoices.billing_invoices_billing_number_key",
           "billing numbers unique across every organisation (the seed's schema)"))),
    {"check": "fk_existence_oracle", "object": "public.ticket_messages.ticket_messages_ticket_id_fkey",
     "seed_section": "", "note": "messages may name any ticket number; the foreign key tells whether it exists"},
    {"check": "pk_type_inconsistent", "object": "public.support_tickets.id", "seed_section": "",
     "note": "sequential ticket numbers (bigint identity) where the schema's norm is uuid"},
    {"check": "view_calls_security_definer", "object": "public.support_backlog", "seed_section": "",
     "note": "view over private.support_backlog_counts() (SECURITY DEFINER, out of the API schema): every "
             "organisation's backlog"},
    *({"check": "default_privileges_exposed", "object": obj, "seed_section": "", "note": note}
      for obj, note in (
          ("public:tables:postgres", "the platform's default: every new table in public to anon and authenticated"),
          ("public:functions:postgres", "the platform's default: every new function in public to the API roles"),
          ("public:tables:supabase_admin", "the platform's default for tables supabase_admin creates"),
          ("public:functions:supabase_admin", "the platform's default for functions supabase_admin creates"),
          ("public:tables:productionos_analytics", "SELECT on the analytics role's future tables to authenticated"))),
    {"check": "storage_bucket_listable", "object": "storage.objects.Anyone can read portal logos", "seed_section": "",
     "note": "SELECT on storage.objects limited only by bucket_id = 'portal-logos': anyone lists every logo"},
    {"check": "storage_bucket_listable", "object": "storage.objects.Authenticated users can read documents",
     "seed_section": "", "note": "the seed's documents bucket: any signed-in user reads every organisation's files"},
    *({"check": "graphql_schema_exposed", "object": f"graphql:{role}", "seed_section": "",
       "note": f"the platform's GraphQL endpoint (graphql_public) shows {role} every public table it may select"}
      for role in ("anon", "authenticated")),
]


def _data_flaws() -> list[dict]:
    from auditlib.demo import planted_counts

    counts = planted_counts()
    flaws = [{"check": "orphan_rows", "object": column, "seed_section": section, "count": counts["orphan_rows"][column],
              "note": note} for column, (section, note) in _ORPHAN_ROWS.items()]
    flaws += [{"check": "json_orphans", "object": path.split(":")[0], "path": path, "seed_section": section,
               "count": counts["json_orphans"][path], "note": note} for path, (section, note) in _JSON_ORPHANS.items()]
    flaws += [{"check": "tenant_null_rows", "object": table, "seed_section": "4.2", "count": n,
               "note": "legacy/test rows written before organisations existed"}
              for table, n in counts["tenant_null_rows"].items()]
    return flaws


PLANTED_FLAWS.extend(_data_flaws())

SCHEMA_CHECKS = sorted({f["check"] for f in PLANTED_FLAWS if "count" not in f})
DATA_CHECKS = sorted({f["check"] for f in PLANTED_FLAWS if "count" in f})


def planted(check: str) -> list[dict]:
    """The planted flaws of one check."""
    return [f for f in PLANTED_FLAWS if f["check"] == check]
