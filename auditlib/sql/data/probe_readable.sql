-- One row per table given as parallel arrays :schemas and :tables: whether the role :role may read it (USAGE on the
-- schema and SELECT on the table).
SELECT t.schema_name, t.table_name,
       pg_catalog.has_schema_privilege(CAST(:role AS name), t.schema_name, 'USAGE')
       AND pg_catalog.has_table_privilege(CAST(:role AS name),
                                          pg_catalog.quote_ident(t.schema_name) || '.' ||
                                          pg_catalog.quote_ident(t.table_name), 'SELECT') AS readable
FROM ROWS FROM (pg_catalog.unnest(CAST(:schemas AS text[])), pg_catalog.unnest(CAST(:tables AS text[])))
     AS t(schema_name, table_name)
ORDER BY 1, 2
