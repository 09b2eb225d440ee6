"""The policy holes planted in the demo (auditlib/demo/sql/81_policy_holes.sql) do what their findings say.

Each test impersonates a role the way Supabase does (SET LOCAL ROLE, ``request.jwt.claims``) inside a transaction
that is rolled back, so the findings of the policy checks are shown true on a real server, not just reported.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import act_as


def _member(demo_conn) -> tuple[str, str]:
    """(user id, organization id) of one member."""
    return tuple(demo_conn.execute(sa.text(
        "SELECT user_id::text, organization_id::text FROM public.organization_members ORDER BY user_id LIMIT 1")).one())


def test_anon_reads_every_saved_view_through_the_inverted_uid_check(demo_conn):
    total = demo_conn.execute(sa.text("SELECT count(*) FROM public.saved_views")).scalar()
    act_as(demo_conn, "anon")
    assert total > 0
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.saved_views")).scalar() == total


def test_a_user_hands_own_google_token_to_another_user(demo_conn):
    user_id, owned = demo_conn.execute(sa.text(
        "SELECT t.user_id, count(*) FROM public.google_tokens t JOIN public.organization_members m "
        "ON m.user_id::text = t.user_id GROUP BY t.user_id ORDER BY t.user_id LIMIT 1")).one()
    act_as(demo_conn, "authenticated", {"sub": user_id, "role": "authenticated"})
    # a blind UPDATE (no column read) is checked against WITH CHECK only: the write check has no user scope
    moved = demo_conn.execute(sa.text("UPDATE public.google_tokens SET user_id = 'someone-else'")).rowcount
    assert owned > 0 and moved == owned


def test_the_constant_false_policy_denies_every_feature_flag_update(demo_conn):
    user_id, _ = _member(demo_conn)
    act_as(demo_conn, "authenticated", {"sub": user_id, "role": "authenticated"})
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.feature_flags")).scalar() > 0
    assert demo_conn.execute(sa.text("UPDATE public.feature_flags SET enabled = enabled")).rowcount == 0


def test_a_user_who_sets_own_user_metadata_edits_sops(demo_conn):
    user_id, org = _member(demo_conn)
    in_org = demo_conn.execute(sa.text("SELECT count(*) FROM public.sops WHERE organization_id = :o"), {"o": org}).scalar()
    claims = {"sub": user_id, "role": "authenticated", "user_metadata": {"role": "editor"}}
    act_as(demo_conn, "authenticated", claims)
    assert in_org > 0
    assert demo_conn.execute(sa.text("UPDATE public.sops SET title = title")).rowcount == in_org


def test_authenticated_reads_every_research_log_after_set_role_to_the_owner(demo_conn):
    user_id, org = _member(demo_conn)
    total = demo_conn.execute(sa.text("SELECT count(*) FROM public.research_logs")).scalar()
    mine = demo_conn.execute(sa.text("SELECT count(*) FROM public.research_logs WHERE organization_id = :o"),
                        {"o": org}).scalar()
    act_as(demo_conn, "authenticated", {"sub": user_id, "role": "authenticated"})
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.research_logs")).scalar() == mine < total
    demo_conn.execute(sa.text("SET LOCAL ROLE productionos_analytics"))  # authenticated is a member of the owner
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.research_logs")).scalar() == total


def test_the_service_role_policy_restricts_nothing(demo_conn):
    total = demo_conn.execute(sa.text("SELECT count(*) FROM public.google_calendar_events")).scalar()
    act_as(demo_conn, "service_role")
    assert total > 0
    assert demo_conn.execute(sa.text("SELECT count(*) FROM public.google_calendar_events")).scalar() == total
