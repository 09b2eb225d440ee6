-- One row for one table with a tenant column: its rows (total), those whose tenant column is NULL (nulls), and up to
-- five keys of such rows spread over their sorted order (duplicates possible). One pass over the table.
SELECT count(*) AS total,
       count(*) FILTER (WHERE t.{tenant} IS NULL) AS nulls,
       percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY {key_text})
           FILTER (WHERE t.{tenant} IS NULL) AS sample_keys
FROM {table} AS t
