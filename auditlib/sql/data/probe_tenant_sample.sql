-- One row: a tenant id (the smallest key of the tenant root, as text) and a user id (the smallest member of the
-- membership table, as text), to pass to functions the anonymous probe calls; NULL when there is none.
SELECT (SELECT CAST(r.{root_key} AS text) FROM {root} AS r ORDER BY 1 LIMIT 1) AS tenant_id,
       (SELECT CAST(m.{user} AS text) FROM {membership} AS m WHERE m.{user} IS NOT NULL ORDER BY 1 LIMIT 1) AS user_id
