-- One row per primary key, unique, foreign key, check or exclusion constraint declared on a user table.
-- NOT NULL constraints (stored here since PostgreSQL 18) are read as column nullability instead, and the
-- copies PostgreSQL makes on partitions (conparentid <> 0) are left out: the parent's constraint stands for them.
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
       con.conname AS name,
       CASE con.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign key'
                        WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' END AS type,
       -- each key's name looked up by (relation, number), not joined with all the table's columns: a fifth of
       -- the query's time at 1,000 tables; a number without a column gives no name, as a join would
       pg_catalog.array_remove(ARRAY(SELECT (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                                             WHERE a.attrelid = con.conrelid AND a.attnum = k.attnum)
                                     FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                                     ORDER BY k.ord), NULL) AS columns,
       rn.nspname AS ref_schema,
       rc.relname AS ref_table,
       pg_catalog.array_remove(ARRAY(SELECT (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                                             WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum)
                                     FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                                     ORDER BY k.ord), NULL) AS ref_columns,
       CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                            WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_delete,
       CASE con.confupdtype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                            WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_update,
       con.condeferrable AS deferrable,
       con.condeferred AS deferred,
       con.convalidated AS validated,
       deparsed.definition,
       -- NOT ENFORCED constraints exist since PostgreSQL 18 (conenforced), and their definition says so at its end;
       -- before, every constraint is enforced. The column is read through to_jsonb (it does not exist before 18)
       -- only when there is no definition: serialising every row, check expressions and all, is a third of the
       -- query's time.
       CASE WHEN deparsed.definition IS NULL
            THEN COALESCE((pg_catalog.to_jsonb(con) ->> 'conenforced')::boolean, true)
            ELSE deparsed.definition !~ ' NOT ENFORCED( NOT VALID)?$' END AS enforced
FROM locked, pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
-- OFFSET 0 keeps the subquery apart, so each definition is deparsed once although it is read twice
CROSS JOIN LATERAL (SELECT CASE WHEN c.oid = ANY (locked.oids) THEN NULL
                                ELSE pg_catalog.pg_get_constraintdef(con.oid, true) END AS definition
                    OFFSET 0) deparsed
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND con.conparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                    AND d.deptype = 'e')
ORDER BY n.nspname, c.relname, con.conname
