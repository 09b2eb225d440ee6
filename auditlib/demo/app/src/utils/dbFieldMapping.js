// Centralised mapping between the camelCase objects of the stores and the snake_case rows of the database.
// Created 2024-12-31 as part of the relationship fixes: rateCardItemId was not being converted before.

export const FIELD_MAP = {
    quoteNumber: 'quote_number',
    quoteDate: 'quote_date',
    validityDays: 'validity_days',
    preparedBy: 'prepared_by',
    rateCardItemId: 'rate_card_item_id',
    kitItemId: 'kit_item_id',
    clientId: 'client_id',
    organizationId: 'organization_id',
};

const toSnake = (key) => FIELD_MAP[key] || key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (key) => key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

// Line items live inside quotes.sections (JSONB): convert their keys too.
export function lineItemToDb(item) {
    return {
        id: item.id,
        name: item.name,
        quantity: item.quantity,
        days: item.days,
        cost: item.cost,
        charge: item.charge,
        rate_card_item_id: item.rateCardItemId ?? null,
        kit_item_id: item.kitItemId ?? null,
        notes: item.notes || '',
    };
}

export function lineItemFromDb(row) {
    return {
        id: row.id,
        name: row.name,
        quantity: Number(row.quantity) || 0,
        days: Number(row.days) || 0,
        cost: Number(row.cost) || 0,
        charge: Number(row.charge) || 0,
        rateCardItemId: row.rate_card_item_id ?? row.rateCardItemId ?? null,
        kitItemId: row.kit_item_id ?? null,
        notes: row.notes || '',
    };
}

function mapSections(sections, mapItem) {
    const out = {};
    for (const [sectionId, section] of Object.entries(sections || {})) {
        const subsections = {};
        for (const [subId, items] of Object.entries(section.subsections || {})) {
            subsections[subId] = (items || []).map(mapItem);
        }
        out[sectionId] = { ...section, subsections };
    }
    return out;
}

export function quoteToDb(quote) {
    return {
        id: quote.id,
        quote_number: quote.quoteNumber,
        quote_date: quote.quoteDate,
        validity_days: quote.validityDays,
        status: quote.status,
        currency: quote.currency,
        region: quote.region,
        prepared_by: quote.preparedBy,
        client: quote.client || {},
        project: quote.project || {},
        sections: mapSections(quote.sections, lineItemToDb),
        fees: quote.fees || {},
        proposal: quote.proposal || {},
        organization_id: quote.organizationId,
    };
}

export function quoteFromDb(row) {
    return {
        id: row.id,
        quoteNumber: row.quote_number,
        quoteDate: row.quote_date,
        validityDays: row.validity_days,
        status: row.status,
        currency: row.currency,
        region: row.region,
        preparedBy: row.prepared_by,
        client: row.client || {},
        project: row.project || {},
        sections: mapSections(row.sections, lineItemFromDb),
        fees: row.fees || {},
        proposal: row.proposal || {},
        organizationId: row.organization_id,
        updatedAt: row.updated_at,
    };
}

export function contactToDb(contact) {
    const row = {};
    for (const [key, value] of Object.entries(contact)) {
        if (value !== undefined) row[toSnake(key)] = value;
    }
    return row;
}

export function contactFromDb(row) {
    return Object.fromEntries(Object.entries(row).map(([key, value]) => [toCamel(key), value]));
}

export const invoiceToDb = (invoice) => ({
    ...contactToDb({ ...invoice, lineItems: undefined }),
    line_items: (invoice.lineItems || []).map(lineItemToDb),
});

export const invoiceFromDb = (row) => ({
    ...contactFromDb(row),
    lineItems: (row.line_items || []).map(lineItemFromDb),
});
