-- One row per row-level security policy on a user table.
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
       pol.polname AS name,
       CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE'
                       ELSE 'ALL' END AS command,
       pol.polpermissive AS permissive,
       CASE WHEN pol.polroles = '{0}' THEN ARRAY['public']
            ELSE ARRAY(SELECT r.rolname::text FROM pg_catalog.pg_roles r
                       WHERE r.oid = ANY (pol.polroles) ORDER BY r.rolname) END AS roles,
       CASE WHEN c.oid = ANY (locked.oids) THEN NULL ELSE pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) END AS using_expression,
       CASE WHEN c.oid = ANY (locked.oids) THEN NULL ELSE pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) END AS with_check
FROM locked, pg_catalog.pg_policy pol
JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
ORDER BY n.nspname, c.relname, pol.polname
