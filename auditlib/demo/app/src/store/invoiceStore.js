// Invoices raised from accepted quotes. Not on the centralised field mapping yet.
import { create } from 'zustand';
import { supabase } from '../lib/supabaseClient';

const nextInvoiceNumber = (invoices) => `INV-${String(invoices.length + 1001)}`;

export const useInvoiceStore = create((set, get) => ({
    invoices: [],
    overdue: [],

    fetch: async (projectId) => {
        let query = supabase
            .from('invoices')
            .select('id, invoice_number, status, issue_date, due_date, total, amount_paid, client:clients(company)')
            .order('issue_date', { ascending: false });
        if (projectId) query = query.eq('project_id', projectId);
        const { data, error } = await query;
        if (!error) set({ invoices: data });
    },

    fetchOverdue: async () => {
        const { data } = await supabase
            .from('invoices')
            .select('id, invoice_number, due_date, total, amount_paid')
            .eq('status_code', 'overdue')
            .lt('due_date', new Date().toISOString().slice(0, 10));
        set({ overdue: data || [] });
    },

    createFromQuote: async (quote, projectId) => {
        const items = Object.values(quote.sections || {})
            .flatMap((section) => Object.values(section.subsections || {}).flat());
        const subtotal = items.reduce((sum, item) => sum + item.charge * item.quantity * (item.days || 1), 0);
        const { data, error } = await supabase.from('invoices').insert({
            invoice_number: nextInvoiceNumber(get().invoices),
            quote_id: quote.id,
            client_id: quote.client?.id,
            project_id: projectId,
            issue_date: new Date().toISOString().slice(0, 10),
            due_date: new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10),
            currency: quote.currency,
            subtotal,
            tax_amount: subtotal * 0.2,
            total: subtotal * 1.2,
            line_items: items.map((item) => ({
                description: item.name,
                quantity: item.quantity,
                days: item.days,
                unit_price: item.charge,
                rateCardItemId: item.rateCardItemId,
            })),
        }).select().single();
        if (error) throw error;
        set({ invoices: [data, ...get().invoices] });
        return data;
    },

    recordPayment: async (invoice, amount) => {
        const paid = Number(invoice.amount_paid) + amount;
        await supabase.from('invoices').update({
            amount_paid: paid,
            status: paid >= Number(invoice.total) ? 'paid' : 'partially_paid',
            paid_at: paid >= Number(invoice.total) ? new Date().toISOString() : null,
        }).eq('id', invoice.id);
        await get().fetch();
    },
}));
