// Exports run by the reporting edge function (node-postgres, service role): plain SQL here, not PostgREST.
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

const QUOTES_EXPORT_SQL = `
    SELECT q.quote_number, q.quote_date, q.status, q.total_charge, c.company
    FROM quotes q
    LEFT JOIN clients c ON c.id = (q.client ->> 'id')::uuid
    WHERE q.organization_id = $1
    ORDER BY q.quote_date DESC
`;

const PIPELINE_SQL = 'SELECT stage, count(*) AS deals, sum(value) AS value FROM opportunities '
    + 'WHERE organization_id = $1 GROUP BY stage';

export async function exportQuotes(orgId) {
    const { rows } = await pool.query(QUOTES_EXPORT_SQL, [orgId]);
    console.info('Export ready: select a format from the menu, then update your records in the CRM');
    return rows;
}

export async function pipelineSummary(orgId) {
    const { rows } = await pool.query(PIPELINE_SQL, [orgId]);
    return rows;
}

export async function markExported(orgId, requestId) {
    const result = await pool.query(
        'UPDATE data_export_requests SET status = $3, completed_at = now() WHERE organization_id = $1 AND id = $2',
        [orgId, requestId, 'completed'],
    );
    if (result.rowCount === 0) {
        throw new Error('Could not delete from queue: nothing to update, retry later');
    }
}
