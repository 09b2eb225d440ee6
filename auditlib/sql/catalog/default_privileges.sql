-- One row per (role, schema, object type, grantee, privilege) of ALTER DEFAULT PRIVILEGES: what objects that role
-- creates later are granted automatically. schema is NULL for defaults that apply in every schema; 'public' as
-- grantee stands for PUBLIC.
SELECT pg_catalog.pg_get_userbyid(da.defaclrole) AS role,
       n.nspname AS schema,
       CASE da.defaclobjtype WHEN 'r' THEN 'table' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'function'
                             WHEN 'T' THEN 'type' WHEN 'n' THEN 'schema' END AS object_type,
       CASE WHEN acl.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(acl.grantee) END AS grantee,
       acl.privilege_type AS privilege
FROM pg_catalog.pg_default_acl da
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = da.defaclnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(da.defaclacl) AS acl
-- The privileges every supported version knows (MAINTAIN, PostgreSQL 17+, is left out like in privileges.sql).
WHERE acl.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'EXECUTE', 'USAGE')
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
ORDER BY 1, 2 NULLS FIRST, 3, 4, 5
