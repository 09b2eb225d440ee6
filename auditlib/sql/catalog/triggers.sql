-- One row per user-defined trigger on a user table or view (internal FK triggers and partition clones left out).
SELECT n.nspname AS schema,
       c.relname AS table,
       tg.tgname AS name,
       fn.nspname AS function_schema,
       p.proname AS function_name,
       CASE WHEN tg.tgtype & 2 = 2 THEN 'BEFORE' WHEN tg.tgtype & 64 = 64 THEN 'INSTEAD OF'
            ELSE 'AFTER' END AS timing,
       array_remove(ARRAY[CASE WHEN tg.tgtype & 4 = 4 THEN 'INSERT' END,
                          CASE WHEN tg.tgtype & 16 = 16 THEN 'UPDATE' END,
                          CASE WHEN tg.tgtype & 8 = 8 THEN 'DELETE' END,
                          CASE WHEN tg.tgtype & 32 = 32 THEN 'TRUNCATE' END], NULL) AS events,
       CASE WHEN tg.tgtype & 1 = 1 THEN 'ROW' ELSE 'STATEMENT' END AS level,
       CASE tg.tgenabled WHEN 'O' THEN 'enabled' WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica'
                         WHEN 'A' THEN 'always' END AS enabled,
       ARRAY(SELECT a.attname::text
             FROM unnest(tg.tgattr::int2[]) AS k(attnum)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = tg.tgrelid AND a.attnum = k.attnum) AS update_columns,
       pg_catalog.pg_get_triggerdef(tg.oid, true) AS definition
FROM pg_catalog.pg_trigger tg
JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
WHERE NOT tg.tgisinternal
  AND tg.tgparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
ORDER BY n.nspname, c.relname, tg.tgname
