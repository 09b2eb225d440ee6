// Supabase client shared by the stores and services.
import { createClient } from '@supabase/supabase-js';

const supabaseUrl = import.meta.env.VITE_SUPABASE_URL;
const supabaseAnonKey = import.meta.env.VITE_SUPABASE_ANON_KEY;

if (!supabaseUrl || !supabaseAnonKey) {
    console.warn('Supabase is not configured: running in local-only mode');
}

export const supabase = supabaseUrl && supabaseAnonKey
    ? createClient(supabaseUrl, supabaseAnonKey, {
        auth: { persistSession: true, autoRefreshToken: true },
    })
    : null;

export const isSupabaseConfigured = () => supabase !== null;

let cachedOrgId = null;

// The organisation of the signed-in user (SECURITY DEFINER helper in the database).
export async function getOrganizationId() {
    if (cachedOrgId) return cachedOrgId;
    const { data, error } = await supabase.rpc('get_user_organization_id');
    if (error) {
        console.error('Could not resolve organisation', error);
        return null;
    }
    cachedOrgId = data;
    return cachedOrgId;
}

export function clearOrganizationCache() {
    cachedOrgId = null;
}
