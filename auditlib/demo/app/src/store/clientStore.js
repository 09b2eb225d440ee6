// Clients: offline-first. localStorage first, then Supabase with a retry queue, realtime from other tabs.
import { create } from 'zustand';
import { supabase, getOrganizationId } from '../lib/supabaseClient';

const CLIENTS_KEY = 'tell_clients';
const SYNC_QUEUE_KEY = 'tell_clients_sync_queue';

function loadSyncQueue() {
    return JSON.parse(localStorage.getItem(SYNC_QUEUE_KEY) || '[]');
}

function saveSyncQueue(queue) {
    localStorage.setItem(SYNC_QUEUE_KEY, JSON.stringify(queue));
}

// Manual field mapping (not yet on dbFieldMapping.js)
function toRow(client, orgId) {
    return {
        id: client.id,
        company: client.company,
        industry: client.industry,
        email: client.email,
        phone: client.phone,
        website: client.website,
        region: client.region,
        country: client.country,
        currency: client.currency,
        payment_terms: client.paymentTerms,
        contacts: client.contacts || [],
        tags: client.tags || [],
        notes: client.notes,
        organization_id: orgId,
    };
}

function fromRow(row) {
    return {
        id: row.id,
        company: row.company,
        industry: row.industry,
        email: row.email,
        phone: row.phone,
        website: row.website,
        region: row.region,
        country: row.country,
        currency: row.currency,
        paymentTerms: row.payment_terms,
        contacts: row.contacts || [],
        tags: row.tags || [],
        notes: row.notes,
    };
}

export const useClientStore = create((set, get) => ({
    clients: JSON.parse(localStorage.getItem(CLIENTS_KEY) || '[]'),

    fetchClients: async () => {
        const orgId = await getOrganizationId();
        const { data, error } = await supabase
            .from('clients')
            .select('*')
            .eq('organization_id', orgId)
            .order('company');
        if (error) return;
        const clients = data.map(fromRow);
        localStorage.setItem(CLIENTS_KEY, JSON.stringify(clients));
        set({ clients });
    },

    saveClient: async (client) => {
        const clients = [...get().clients.filter((c) => c.id !== client.id), client];
        localStorage.setItem(CLIENTS_KEY, JSON.stringify(clients));
        set({ clients });
        const orgId = await getOrganizationId();
        const { error } = await supabase.from('clients').upsert(toRow(client, orgId));
        if (error) saveSyncQueue([...loadSyncQueue(), { op: 'upsert', client }]);
    },

    deleteClient: async (id) => {
        set({ clients: get().clients.filter((c) => c.id !== id) });
        const { error } = await supabase.from('clients').delete().eq('id', id);
        if (error) saveSyncQueue([...loadSyncQueue(), { op: 'delete', id }]);
    },

    retrySyncQueue: async () => {
        const remaining = [];
        for (const item of loadSyncQueue()) {
            const { error } = item.op === 'delete'
                ? await supabase.from('clients').delete().eq('id', item.id)
                : await supabase.from('clients').upsert(toRow(item.client, await getOrganizationId()));
            if (error) remaining.push(item);
        }
        saveSyncQueue(remaining);
    },
}));

supabase
    ?.channel('clients-changes')
    .on('postgres_changes', { event: '*', schema: 'public', table: 'clients' }, () => {
        useClientStore.getState().fetchClients();
    })
    .subscribe();
