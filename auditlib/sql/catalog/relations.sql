-- One row per table, partitioned table, foreign table, view or materialized view in a user schema.
-- Sizes are estimated from pg_class statistics (pages x block size) so that no lock is taken on any table.
WITH locked AS (
    -- Relations another session holds an ACCESS EXCLUSIVE lock on (see columns.sql): flagged, not waited for.
    SELECT COALESCE(array_agg(l.relation), '{}') AS oids
    FROM pg_catalog.pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
      AND l.pid <> pg_catalog.pg_backend_pid()
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
), published AS (
    -- The publications (logical replication, Supabase Realtime) each table is in, whether listed, in a published
    -- schema or under FOR ALL TABLES: pg_publication_tables resolves all three on every version.
    SELECT pt.schemaname, pt.tablename, array_agg(pt.pubname::text ORDER BY pt.pubname) AS publications
    FROM pg_catalog.pg_publication_tables pt
    GROUP BY pt.schemaname, pt.tablename
)
SELECT n.nspname AS schema,
       c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table'
                      WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' END AS kind,
       pn.nspname AS parent_schema,
       pc.relname AS parent_table,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       -- Unknown (NULL) when never vacuumed or analysed: reltuples -1 since PostgreSQL 14; before, 0 rows on 0 pages
       -- (which an analysed empty table also reads, and a partitioned table always: unknown is the safe answer).
       CASE WHEN c.reltuples < 0
              OR (c.reltuples = 0 AND c.relpages = 0
                  AND pg_catalog.current_setting('server_version_num')::int < 140000) THEN NULL
            ELSE c.reltuples::bigint END AS row_estimate,
       ((c.relpages::bigint + COALESCE(tc.relpages, 0)
         + COALESCE((SELECT sum(ic.relpages) FROM pg_catalog.pg_index i
                     JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                     WHERE i.indrelid = c.oid), 0))
        * pg_catalog.current_setting('block_size')::bigint)::bigint AS size_bytes,
       dsc.description AS comment,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       -- Deparsing a view opens the relations it reads too: a view over a locked table is not deparsed either.
       CASE WHEN c.relkind IN ('v', 'm') AND NOT c.oid = ANY (locked.oids)
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite rw
                                 JOIN pg_catalog.pg_depend d
                                   ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid
                                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                 WHERE rw.ev_class = c.oid AND d.refobjid = ANY (locked.oids))
            THEN pg_catalog.pg_get_viewdef(c.oid, true) END AS definition,
       c.oid = ANY (locked.oids) AS locked,
       -- View options (security_invoker exists since PostgreSQL 15; before, every view runs as its owner).
       COALESCE((SELECT o.option_value::boolean FROM pg_catalog.pg_options_to_table(c.reloptions) o
                 WHERE o.option_name = 'security_invoker'), false) AS security_invoker,
       COALESCE((SELECT o.option_value::boolean FROM pg_catalog.pg_options_to_table(c.reloptions) o
                 WHERE o.option_name = 'security_barrier'), false) AS security_barrier,
       -- The tables and views a view or materialized view reads (its rewrite rule's dependencies), schema.name.
       ARRAY(SELECT DISTINCT dn.nspname || '.' || dc.relname
             FROM pg_catalog.pg_rewrite rw
             JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                                        AND d.objid = rw.oid
                                        AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
             JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid
             JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace
             WHERE c.relkind IN ('v', 'm') AND rw.ev_class = c.oid AND d.refobjid <> c.oid
             ORDER BY 1) AS reads,
       -- The parent of an inheritance child (a partition's parent is parent_schema/parent_table).
       (SELECT ipn.nspname || '.' || ipc.relname
        FROM pg_catalog.pg_inherits i
        JOIN pg_catalog.pg_class ipc ON ipc.oid = i.inhparent
        JOIN pg_catalog.pg_namespace ipn ON ipn.oid = ipc.relnamespace
        WHERE i.inhrelid = c.oid AND NOT c.relispartition
        ORDER BY i.inhseqno LIMIT 1) AS inherits_from,
       COALESCE(published.publications, ARRAY[]::text[]) AS publications,
       -- The functions a view or materialized view calls (its rewrite rule's dependencies on pg_proc), as
       -- schema.name(identity arguments); built-in functions of pg_catalog are left out.
       ARRAY(SELECT DISTINCT fn.nspname || '.' || p.proname || '('
                             || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
             FROM pg_catalog.pg_rewrite rw
             JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                                        AND d.objid = rw.oid
                                        AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
             JOIN pg_catalog.pg_proc p ON p.oid = d.refobjid
             JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
             WHERE c.relkind IN ('v', 'm') AND rw.ev_class = c.oid AND fn.nspname <> 'pg_catalog'
             ORDER BY 1) AS calls
FROM locked, pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_catalog.pg_class pc ON pc.oid = inh.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
LEFT JOIN published ON published.schemaname = n.nspname AND published.tablename = c.relname
LEFT JOIN pg_catalog.pg_description dsc ON dsc.objoid = c.oid AND dsc.objsubid = 0
                                      AND dsc.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                    AND d.deptype = 'e')
ORDER BY n.nspname, c.relname
