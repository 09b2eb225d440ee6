-- One row for one table with a tenant column: its rows (total), those whose tenant column is NULL (nulls), and up to
-- five keys of such rows spread over their sorted order (duplicates possible). The total is a plain count(*) (the
-- server picks its cheapest index) and the NULL rows are found on their own, through the tenant column's index
-- when it has one, so a large table with an indexed tenant is never read whole.
SELECT (SELECT count(*) FROM {table} AS a) AS total,
       n.nulls, n.sample_keys
FROM (SELECT count(*) AS nulls,
             percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY {key_text})
                 AS sample_keys
      FROM {table} AS t
      WHERE t.{tenant} IS NULL) AS n
