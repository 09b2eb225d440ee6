// Contacts of client companies. Not on the centralised field mapping yet (maps by hand).
import { create } from 'zustand';
import { supabase, getOrganizationId } from '../lib/supabaseClient';

function toRow(contact, orgId) {
    return {
        name: contact.name || [contact.firstName, contact.lastName].filter(Boolean).join(' '),
        first_name: contact.firstName,
        last_name: contact.lastName,
        email: contact.email,
        phone: contact.phone,
        mobile: contact.mobile,
        job_title: contact.jobTitle,
        client_id: contact.clientId,
        isPrimary: contact.isPrimary,
        organization_id: orgId,
    };
}

export const useContactStore = create((set, get) => ({
    contacts: [],

    fetchForClient: async (clientId) => {
        const { data, error } = await supabase
            .from('contacts')
            .select('id, name, first_name, last_name, email, phone, mobile, job_title, is_primary, client:clients(company)')
            .eq('client_id', clientId)
            .order('is_primary', { ascending: false })
            .order('name');
        if (!error) set({ contacts: data });
    },

    search: async (term) => {
        const { data } = await supabase
            .from('contacts')
            .select('id, name, email, client_id')
            .or(`name.ilike.%${term}%,email.ilike.%${term}%`)
            .limit(20);
        return data || [];
    },

    save: async (contact) => {
        const row = toRow(contact, await getOrganizationId());
        const { data, error } = contact.id
            ? await supabase.from('contacts').update(row).eq('id', contact.id).select().single()
            : await supabase.from('contacts').insert(row).select().single();
        if (error) throw error;
        set({ contacts: [...get().contacts.filter((c) => c.id !== data.id), data] });
        return data;
    },

    remove: async (id) => {
        await supabase.from('contacts').delete().eq('id', id);
        set({ contacts: get().contacts.filter((c) => c.id !== id) });
    },
}));
