// Plan limits: how many quotes, crew and seats an organisation may have on its plan.
import { supabase, getOrganizationId } from '../lib/supabaseClient';

const UNLIMITED = Number.POSITIVE_INFINITY;

const PLAN_LIMITS = {
    free: { quotes: 10, crew: 25, seats: 1 },
    starter: { quotes: 100, crew: 250, seats: 3 },
    pro: { quotes: UNLIMITED, crew: UNLIMITED, seats: 15 },
};

export async function getSubscription() {
    const orgId = await getOrganizationId();
    const { data, error } = await supabase
        .from('subscriptions')
        .select('status, seats, current_period_end, plan:subscription_plans(code, name, max_users, max_quotes, features)')
        .eq('organization_id', orgId)
        .maybeSingle();
    if (error) throw error;
    return data;
}

async function countRows(table, orgId) {
    const { count, error } = await supabase
        .from(table)
        .select('id', { count: 'exact', head: true })
        .eq('organization_id', orgId);
    if (error) throw error;
    return count || 0;
}

export async function getUsage() {
    const orgId = await getOrganizationId();
    const [quotes, seats] = await Promise.all([
        countRows('quotes', orgId),
        countRows('organization_members', orgId),
    ]);
    const { count: crew } = await supabase
        .from('crew_contacts')
        .select('id', { count: 'exact', head: true })
        .eq('organization_id', orgId);
    return { quotes, crew: crew || 0, seats };
}

export async function canCreate(resource) {
    const [subscription, usage] = await Promise.all([getSubscription(), getUsage()]);
    if (!subscription || !['active', 'trialing'].includes(subscription.status)) {
        return { allowed: false, reason: 'Your subscription is not active' };
    }
    const limits = PLAN_LIMITS[subscription.plan?.code] || PLAN_LIMITS.free;
    if (usage[resource] >= limits[resource]) {
        return { allowed: false, reason: `Your plan allows ${limits[resource]} ${resource}` };
    }
    return { allowed: true };
}

export async function canInviteMember(email) {
    const orgId = await getOrganizationId();
    const { data: allowed, error } = await supabase.rpc('check_seat_limit', { org_id: orgId });
    if (error || !allowed) return { allowed: false, reason: 'All seats are in use' };
    const { data: pending } = await supabase
        .from('user_invitations')
        .select('id')
        .eq('organization_id', orgId)
        .eq('email', email)
        .eq('status', 'pending');
    return { allowed: !pending?.length, reason: pending?.length ? 'Already invited' : null };
}
