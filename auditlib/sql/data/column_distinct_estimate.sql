-- One row for one column of one table: the planner's estimate of the table's rows, and of the column's distinct
-- values (n_distinct: a count when positive, minus a share of the rows when negative; NULL when never analysed).
SELECT CAST(c.reltuples AS bigint) AS row_estimate, s.n_distinct
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stats AS s
       ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = CAST(:column AS name)
WHERE n.nspname = CAST(:schema AS name) AND c.relname = CAST(:table AS name)
ORDER BY s.inherited
LIMIT 1
