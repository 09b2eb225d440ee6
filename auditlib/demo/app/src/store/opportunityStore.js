// Sales pipeline: lead -> qualified -> proposal -> negotiation -> won/lost; won opportunities become quotes.
import { create } from 'zustand';
import { supabase, getOrganizationId } from '../lib/supabaseClient';

export const STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'];

// Manual field mapping (inconsistent with dbFieldMapping.js)
const fromRow = (row) => ({
    id: row.id,
    title: row.title,
    clientId: row.client_id,
    clientName: row.client?.company,
    clientContacts: row.client?.contacts || [],
    stage: row.stage,
    value: Number(row.value) || 0,
    currency: row.currency,
    probability: row.probability,
    expectedCloseDate: row.expected_close_date,
    contacts: row.contacts || [],
    convertedToQuoteId: row.converted_to_quote_id,
});

export const useOpportunityStore = create((set, get) => ({
    opportunities: [],

    fetch: async () => {
        const orgId = await getOrganizationId();
        const { data, error } = await supabase
            .from('opportunities')
            .select('*, client:clients(id, company, contacts(name, email, is_primary))')
            .eq('organization_id', orgId)
            .order('expected_close_date', { ascending: true });
        if (!error) set({ opportunities: data.map(fromRow) });
    },

    create: async (opp) => {
        const { data, error } = await supabase.from('opportunities').insert({
            title: opp.title,
            client_id: opp.clientId,
            stage: 'lead',
            value: opp.value,
            currency: opp.currency || 'GBP',
            probability: opp.probability ?? 10,
            expected_close_date: opp.expectedCloseDate,
            organization_id: await getOrganizationId(),
        }).select().single();
        if (error) throw error;
        set({ opportunities: [...get().opportunities, fromRow(data)] });
    },

    moveStage: async (id, stage) => {
        await supabase.from('opportunities').update({ stage }).eq('id', id);
        set({ opportunities: get().opportunities.map((o) => (o.id === id ? { ...o, stage } : o)) });
    },

    convertToQuote: async (opp, quoteId) => {
        await supabase
            .from('opportunities')
            .update({ converted_to_quote_id: quoteId, converted_at: new Date().toISOString(), stage: 'won' })
            .eq('id', opp.id);
        const { data: context } = await supabase
            .from('deal_context')
            .select('summary, key_points, next_steps')
            .eq('opportunity_id', opp.id)
            .maybeSingle();
        return context;
    },
}));
