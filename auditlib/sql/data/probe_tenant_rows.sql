-- One row for one table that carries the tenant column, read as the impersonated user (row level security applies):
-- the rows the user sees, those of a tenant the user does not belong to (:organizations, text), and those of none.
-- The sample clause is empty (every row) or a page sample of a large table (probe.scan_rows).
SELECT count(*) AS visible,
       count(*) FILTER (WHERE t.{tenant} IS NOT NULL
                          AND NOT CAST(t.{tenant} AS text) = ANY (CAST(:organizations AS text[]))) AS foreign_rows,
       count(*) FILTER (WHERE t.{tenant} IS NULL) AS null_tenant
FROM {table} AS t {sample}
