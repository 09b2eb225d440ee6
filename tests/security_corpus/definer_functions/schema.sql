-- RPC functions the app calls over the API (POST /rest/v1/rpc/...). They run as their owner (SECURITY DEFINER),
-- who bypasses row-level security, and the schema's default privileges let anon and authenticated execute them.
-- None checks who is calling: any visitor can make anyone an admin of any organisation, remove any member, or
-- mark any organisation's subscription as paid.

ALTER TABLE public.memberships ADD COLUMN removed_at timestamptz;
ALTER TABLE public.organizations ADD COLUMN payment_status text NOT NULL DEFAULT 'trial';

CREATE FUNCTION public.grant_admin(p_organization_id uuid, p_user_id uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = ''
AS $$
    INSERT INTO public.memberships (organization_id, user_id, role)
    VALUES (p_organization_id, p_user_id, 'admin')
    ON CONFLICT (organization_id, user_id) DO UPDATE SET role = 'admin'
$$;

CREATE FUNCTION public.remove_member(p_membership_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    UPDATE public.memberships SET removed_at = now() WHERE id = p_membership_id;
END
$$;

-- Also resolves its table names through the caller's search_path.
CREATE FUNCTION public.set_payment_status(p_organization_id uuid, p_status text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
AS $$
BEGIN
    UPDATE organizations SET payment_status = p_status, updated_at = now() WHERE id = p_organization_id;
END
$$;
