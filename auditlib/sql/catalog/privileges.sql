-- One row per (table, role, privilege) granted on a user table or view; 'public' stands for PUBLIC.
SELECT n.nspname AS schema,
       c.relname AS table,
       CASE WHEN acl.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(acl.grantee) END AS grantee,
       acl.privilege_type AS privilege
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) AS acl
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND acl.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
ORDER BY n.nspname, c.relname, 3, 4
