-- One row per index on a user table; key columns in index order (expressions as their SQL text).
WITH locked AS (
    -- Relations another session holds an ACCESS EXCLUSIVE lock on: deparsing their expressions would wait for
    -- that lock, so their definitions are read as NULL (and the relation is flagged) instead of blocking.
    SELECT COALESCE(array_agg(l.relation), '{}') AS oids
    FROM pg_catalog.pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
      AND l.pid <> pg_catalog.pg_backend_pid()
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
)
SELECT n.nspname AS schema,
       t.relname AS table,
       i.relname AS name,
       ARRAY(SELECT CASE WHEN k.attnum = 0
                         THEN CASE WHEN t.oid = ANY (locked.oids) THEN NULL ELSE pg_catalog.pg_get_indexdef(ix.indexrelid, k.ord::int, true) END
                         ELSE a.attname::text END
             FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= ix.indnkeyatts
             ORDER BY k.ord) AS columns,
       ARRAY(SELECT a.attname::text
             FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
             WHERE k.ord > ix.indnkeyatts
             ORDER BY k.ord) AS include_columns,
       ix.indisunique AS is_unique,
       ix.indisprimary AS is_primary,
       ix.indisvalid AS is_valid,
       CASE WHEN t.oid = ANY (locked.oids) THEN NULL ELSE pg_catalog.pg_get_expr(ix.indpred, ix.indrelid, true) END AS predicate,
       am.amname AS method,
       CASE WHEN t.oid = ANY (locked.oids) THEN NULL ELSE pg_catalog.pg_get_indexdef(ix.indexrelid) END AS definition
FROM locked, pg_catalog.pg_index ix
JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = i.relam
WHERE t.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = t.oid
                    AND d.deptype = 'e')
ORDER BY n.nspname, t.relname, i.relname
