"""The holes planted in the demo by auditlib/demo/sql/84_tenancy_surface.sql do what their findings say.

Each test acts as a member of one organisation, or as an anonymous visitor, the way Supabase's API does (SET LOCAL
ROLE, ``request.jwt.claims``) inside a transaction that is rolled back, and shows what one organisation learns
about another (or what anyone reads) on a real server.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import act_as


def _other_member(demo_conn, organization: str) -> tuple[str, str]:
    """(user id, organization id) of a member whose only organisation is not ``organization``."""
    return tuple(demo_conn.execute(sa.text("""
        SELECT m.user_id::text, m.organization_id::text FROM public.organization_members m
        WHERE m.organization_id <> CAST(:org AS uuid)
          AND NOT EXISTS (SELECT 1 FROM public.organization_members o
                          WHERE o.user_id = m.user_id AND o.organization_id = CAST(:org AS uuid))
          AND (SELECT count(*) FROM public.organization_members o WHERE o.user_id = m.user_id) = 1
        ORDER BY m.user_id LIMIT 1"""), {"org": organization}).one())


def _fails(demo_conn, statement: str, params: dict) -> str | None:
    """The SQLSTATE of the statement's error (in a savepoint), or None when it succeeds."""
    try:
        with demo_conn.begin_nested():
            demo_conn.execute(sa.text(statement), params)
    except sa.exc.DBAPIError as error:
        return error.orig.sqlstate
    return None


def test_a_portal_slug_taken_in_one_organisation_is_refused_in_another(demo_conn):
    slug, owner = demo_conn.execute(sa.text("SELECT slug, organization_id::text FROM public.client_portals "
                                       "ORDER BY slug LIMIT 1")).one()
    user_id, organization = _other_member(demo_conn, owner)
    client = demo_conn.execute(sa.text("SELECT id::text FROM public.clients WHERE organization_id = CAST(:o AS uuid) "
                                  "LIMIT 1"), {"o": organization}).scalar()
    act_as(demo_conn, "authenticated", {"sub": user_id, "role": "authenticated"})
    insert = ("INSERT INTO public.client_portals (organization_id, client_id, slug, title) "
              "VALUES (CAST(:o AS uuid), CAST(:c AS uuid), :slug, 'Portal')")
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.client_portals WHERE slug = :s"), {"s": slug}).scalar() == 0
    assert _fails(demo_conn, insert, {"o": organization, "c": client, "slug": slug}) == "23505"  # taken elsewhere
    assert _fails(demo_conn, insert, {"o": organization, "c": client, "slug": slug + "-free"}) is None


def test_a_ticket_message_tells_whether_another_organisations_ticket_exists(demo_conn):
    ticket, owner = demo_conn.execute(sa.text("SELECT id, organization_id::text FROM public.support_tickets "
                                         "ORDER BY id LIMIT 1")).one()
    user_id, organization = _other_member(demo_conn, owner)
    act_as(demo_conn, "authenticated", {"sub": user_id, "role": "authenticated"})
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.support_tickets WHERE id = :t"), {"t": ticket}).scalar() == 0
    post = ("INSERT INTO public.ticket_messages (organization_id, ticket_id, body) "
            "VALUES (CAST(:o AS uuid), :t, 'probe')")
    assert _fails(demo_conn, post, {"o": organization, "t": ticket}) is None  # exists, though invisible
    assert _fails(demo_conn, post, {"o": organization, "t": 999_999}) == "23503"  # does not exist


def test_an_anonymous_visitor_reads_every_organisations_backlog_through_the_view(demo_conn):
    organizations = demo_conn.execute(sa.text("SELECT count(DISTINCT organization_id) FROM public.support_tickets "
                                         "WHERE status <> 'closed'")).scalar()
    act_as(demo_conn, "anon")
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.support_tickets")).scalar() == 0
    assert organizations > 1
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.support_backlog")).scalar() == organizations


def test_an_anonymous_visitor_lists_every_portal_logo(demo_conn):
    demo_conn.execute(sa.text("INSERT INTO storage.buckets (id, name, public) VALUES ('portal-logos', 'portal-logos', true) "
                         "ON CONFLICT DO NOTHING"))
    demo_conn.execute(sa.text("INSERT INTO storage.objects (bucket_id, name) "
                         "SELECT 'portal-logos', organization_id || '/' || slug || '.png' FROM public.client_portals"))
    total = demo_conn.execute(sa.text("SELECT count(*) FROM public.client_portals")).scalar()
    act_as(demo_conn, "anon")
    assert total > 0
    assert demo_conn.execute(sa.text("SELECT count(*) FROM storage.objects WHERE bucket_id = 'portal-logos'")).scalar() == total


def test_a_table_the_analytics_role_creates_is_readable_by_every_signed_in_user(demo_conn):
    demo_conn.execute(sa.text("GRANT CREATE ON SCHEMA public TO productionos_analytics"))
    demo_conn.execute(sa.text("SET LOCAL ROLE productionos_analytics"))
    demo_conn.execute(sa.text("CREATE TABLE public.tenancy_surface_report (organization_id uuid, revenue numeric)"))
    demo_conn.execute(sa.text("RESET ROLE"))
    assert demo_conn.execute(sa.text("SELECT has_table_privilege('authenticated', 'public.tenancy_surface_report', "
                                "'SELECT')")).scalar()
