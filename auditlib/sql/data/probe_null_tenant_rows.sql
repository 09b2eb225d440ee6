-- One row for one large table that carries the tenant column, read as the impersonated user (row level security
-- applies): the visible rows without a tenant, counted exactly. The tenant column's index finds them, so the
-- policy is evaluated on those rows only (the page sample of probe_tenant_rows estimates the rest).
SELECT count(*) AS null_tenant
FROM {table} AS t
WHERE t.{tenant} IS NULL
