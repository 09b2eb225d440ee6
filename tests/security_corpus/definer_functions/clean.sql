-- The same RPC functions, fixed: the two the app's users call run with the caller's rights (SECURITY INVOKER), so
-- the memberships policies decide what they may change, and grant_admin also checks the caller is an admin of
-- that organisation; the payment status is set by the billing backend only (service_role), with a pinned
-- search_path.

ALTER TABLE public.memberships ADD COLUMN removed_at timestamptz;
ALTER TABLE public.organizations ADD COLUMN payment_status text NOT NULL DEFAULT 'trial';

CREATE FUNCTION public.grant_admin(p_organization_id uuid, p_user_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    IF NOT private.is_admin(p_organization_id) THEN
        RAISE EXCEPTION 'only an admin of the organisation can grant admin';
    END IF;
    INSERT INTO public.memberships (organization_id, user_id, role)
    VALUES (p_organization_id, p_user_id, 'admin')
    ON CONFLICT (organization_id, user_id) DO UPDATE SET role = 'admin';
END
$$;

CREATE FUNCTION public.remove_member(p_membership_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    UPDATE public.memberships SET removed_at = now() WHERE id = p_membership_id;
END
$$;

CREATE FUNCTION public.set_payment_status(p_organization_id uuid, p_status text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    UPDATE public.organizations SET payment_status = p_status, updated_at = now() WHERE id = p_organization_id;
END
$$;
REVOKE EXECUTE ON FUNCTION public.set_payment_status(uuid, text) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.set_payment_status(uuid, text) TO service_role;
