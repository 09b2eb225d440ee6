// Quote editor state, with auto-save to Supabase every 30 seconds.
import { create } from 'zustand';
import { supabase, getOrganizationId } from '../lib/supabaseClient';
import { quoteToDb, quoteFromDb, lineItemToDb } from '../utils/dbFieldMapping';

const AUTO_SAVE_MS = 30000;
const NORMALIZED_LINE_ITEMS = import.meta.env.VITE_NORMALIZED_LINE_ITEMS === 'true';

export const useQuoteStore = create((set, get) => ({
    quote: null,
    quotes: [],
    lastSavedQuote: null,
    syncStatus: 'idle',
    syncError: null,

    loadQuotes: async () => {
        const orgId = await getOrganizationId();
        const { data, error } = await supabase
            .from('quotes')
            .select('id, quote_number, status, quote_date, total:total_charge, client:clients(company)')
            .eq('organization_id', orgId)
            .order('created_at', { ascending: false });
        if (error) throw error;
        set({ quotes: data });
    },

    loadQuote: async (id) => {
        const { data, error } = await supabase.from('quotes').select('*').eq('id', id).single();
        if (error) throw error;
        const quote = quoteFromDb(data);
        set({ quote, lastSavedQuote: JSON.stringify(quote) });
    },

    newQuote: async (client) => {
        const orgId = await getOrganizationId();
        const { data: quoteNumber } = await supabase.rpc('next_quote_number', { org: orgId });
        const quote = { quoteNumber, quoteDate: new Date().toISOString().slice(0, 10), validityDays: 30,
            status: 'draft', currency: 'GBP', client, sections: {}, fees: {}, organizationId: orgId };
        set({ quote, lastSavedQuote: null });
        return quote;
    },

    updateQuote: (changes) => set((state) => ({ quote: { ...state.quote, ...changes } })),
}));

// 1. skip if unchanged, 2. convert with quoteToDb, 3. update by id or look up by quote_number, 4. upsert
export async function syncQuoteToSupabase(quote) {
    const { lastSavedQuote } = useQuoteStore.getState();
    if (!quote || JSON.stringify(quote) === lastSavedQuote) return { skipped: true };

    useQuoteStore.setState({ syncStatus: 'syncing' });
    const row = quoteToDb({ ...quote, organizationId: quote.organizationId || (await getOrganizationId()) });

    let result;
    if (quote.id) {
        result = await supabase.from('quotes').update(row).eq('id', quote.id).select().single();
    } else {
        const { data: existing } = await supabase
            .from('quotes')
            .select('id')
            .eq('quote_number', quote.quoteNumber)
            .maybeSingle();
        result = await supabase
            .from('quotes')
            .upsert({ ...row, id: existing?.id }, { onConflict: 'quote_number' })
            .select()
            .single();
    }

    if (result.error) {
        useQuoteStore.setState({ syncStatus: 'error', syncError: result.error.message });
        return { error: result.error };
    }
    await saveVersion(result.data);
    if (NORMALIZED_LINE_ITEMS) await saveLineItems(result.data.id, quote.sections);
    useQuoteStore.setState({ syncStatus: 'success', lastSavedQuote: JSON.stringify(quote) });
    return { data: result.data };
}

async function saveVersion(row) {
    const { count } = await supabase
        .from('quote_versions')
        .select('id', { count: 'exact', head: true })
        .eq('quote_id', row.id);
    await supabase.from('quote_versions').insert({
        organization_id: row.organization_id,
        quote_id: row.id,
        version_number: (count || 0) + 1,
        total_charge: row.total_charge,
        change_summary: 'auto-save',
    });
}

// Normalised line items (audit recommendation 13.3): behind a flag until the table exists everywhere.
async function saveLineItems(quoteId, sections) {
    const rows = [];
    for (const [section, { subsections = {} }] of Object.entries(sections || {})) {
        for (const [subsection, items] of Object.entries(subsections)) {
            items.forEach((item, index) => rows.push({
                ...lineItemToDb(item), quote_id: quoteId, section, subsection, sort_order: index,
            }));
        }
    }
    await supabase.from('quote_line_items').delete().eq('quote_id', quoteId);
    if (rows.length) await supabase.from('quote_line_items').insert(rows);
}

setInterval(() => {
    const { quote } = useQuoteStore.getState();
    syncQuoteToSupabase(quote);
}, AUTO_SAVE_MS);
