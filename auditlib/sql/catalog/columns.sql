-- One row per column of a table, view or materialized view in a user schema, in table order.
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
       c.relname AS table,
       a.attname AS name,
       a.attnum::int AS position,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
       CASE WHEN t.typtype = 'd' THEN bt.typname
            WHEN t.typcategory = 'A' THEN et.typname
            ELSE t.typname END AS base_type,
       (t.typcategory = 'A') AS is_array,
       NOT a.attnotnull AS nullable,
       CASE WHEN c.oid = ANY (locked.oids) THEN NULL ELSE pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS "default",
       CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END AS identity,
       CASE a.attgenerated WHEN 's' THEN 'stored' WHEN 'v' THEN 'virtual' END AS generated,
       dsc.description AS comment,
       -- Roles granted SELECT on this column alone (GRANT SELECT (col) ON ...); table-wide grants are privileges.
       -- Most columns have no grants of their own: they skip the subquery.
       CASE WHEN a.attacl IS NULL THEN '{}'::text[]
            ELSE ARRAY(SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'public'
                                            ELSE pg_catalog.pg_get_userbyid(acl.grantee)::text END
                       FROM pg_catalog.aclexplode(a.attacl) AS acl
                       WHERE acl.privilege_type = 'SELECT'
                       ORDER BY 1) END AS select_grantees
FROM locked, pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype AND t.typtype = 'd'
LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
-- comments joined as a set (col_description() per column is one lookup per row: 40% of this query's time)
LEFT JOIN pg_catalog.pg_description dsc ON dsc.objoid = c.oid AND dsc.objsubid = a.attnum
                                      AND dsc.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                    AND d.deptype = 'e')
ORDER BY n.nspname, c.relname, a.attnum
