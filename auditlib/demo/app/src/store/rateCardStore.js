// Rate cards: the price list quotes are built from. Multi-currency since quote builder v2.
import { create } from 'zustand';
import { supabase, getOrganizationId } from '../lib/supabaseClient';

const REGIONAL_DEFAULTS = { UK: 'GBP', EU: 'EUR', US: 'USD', ME: 'AED' };

// OLD: { cost: number, charge: number }
// NEW: { cost: { amount, baseCurrency }, charge: { amount, baseCurrency } } per currency
export const migrateLegacyPricing = (legacyPricing, currencyPricing) => {
    if (currencyPricing && Object.keys(currencyPricing).length) return currencyPricing;
    const base = legacyPricing?.currency || 'GBP';
    return {
        [base]: {
            cost: { amount: Number(legacyPricing?.cost) || 0, baseCurrency: base },
            charge: { amount: Number(legacyPricing?.charge) || 0, baseCurrency: base },
        },
    };
};

export const useRateCardStore = create((set, get) => ({
    items: [],
    sections: [],
    region: 'UK',

    load: async () => {
        const orgId = await getOrganizationId();
        const [{ data: sections }, { data: items }] = await Promise.all([
            supabase.from('rate_card_sections').select('id, section_key, name, sort_order, is_visible')
                .eq('organization_id', orgId).order('sort_order'),
            supabase.from('rate_cards')
                .select('id, name, section, subsection, unit, cost, charge, currency, pricing, section_id, is_active')
                .eq('organization_id', orgId)
                .eq('is_active', true)
                .order('section')
                .order('name'),
        ]);
        set({
            sections: sections || [],
            items: (items || []).map((row) => ({
                ...row,
                sectionId: row.section_id,
                pricing: migrateLegacyPricing(row, row.pricing),
            })),
        });
    },

    priceFor: (itemId, currency) => {
        const item = get().items.find((i) => i.id === itemId);
        const target = currency || REGIONAL_DEFAULTS[get().region];
        return item?.pricing?.[target] || item?.pricing?.[item.currency] || null;
    },

    saveItem: async (item) => {
        const orgId = await getOrganizationId();
        const { error } = await supabase.from('rate_cards').upsert({
            id: item.id,
            name: item.name,
            section: item.section,
            subsection: item.subsection,
            unit: item.unit,
            cost: item.pricing?.[item.currency]?.cost?.amount ?? item.cost,
            charge: item.pricing?.[item.currency]?.charge?.amount ?? item.charge,
            currency: item.currency,
            pricing: item.pricing,
            section_id: item.sectionId,
            organization_id: orgId,
        });
        if (error) throw error;
        await get().load();
    },

    archiveItem: async (id) => {
        await supabase.from('rate_cards').update({ is_active: false }).eq('id', id);
        set({ items: get().items.filter((i) => i.id !== id) });
    },
}));
