-- One row per parent key given in :keys (text) and tenant it leads to, read as the auditing role: the reference chain
-- is followed to the table that carries the tenant (or to the membership table, for a users table). The tenant is
-- NULL when the chain ends at a missing row or at a row without a tenant; a user in several organisations gives
-- several rows.
SELECT k.key AS parent_key, CAST({tenant} AS text) AS tenant
FROM pg_catalog.unnest(CAST(:keys AS text[])) AS k(key)
{joins}
ORDER BY 1, 2
