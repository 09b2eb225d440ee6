-- One row per function name given in the parallel arrays :schemas (NULL: any schema) and :names: whether any
-- function of that name is VOLATILE (or is missing, so nothing is known of it).
SELECT f.schema_name, f.function_name,
       COALESCE((SELECT bool_or(p.provolatile = 'v')
                 FROM pg_catalog.pg_proc p
                 JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                 WHERE p.proname = f.function_name
                   AND (f.schema_name IS NULL OR n.nspname = f.schema_name)), true) AS volatile
FROM ROWS FROM (pg_catalog.unnest(CAST(:schemas AS text[])), pg_catalog.unnest(CAST(:names AS text[])))
     AS f(schema_name, function_name)
ORDER BY 1, 2
