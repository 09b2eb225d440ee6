-- One row per role of the cluster other than PostgreSQL's predefined pg_* roles.
SELECT r.rolname AS name,
       r.rolsuper AS superuser,
       r.rolcanlogin AS can_login,
       r.rolbypassrls AS bypass_rls,
       ARRAY(SELECT g.rolname::text FROM pg_catalog.pg_auth_members m
             JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
             WHERE m.member = r.oid ORDER BY g.rolname) AS member_of
FROM pg_catalog.pg_roles r
WHERE r.rolname NOT LIKE 'pg\_%'
ORDER BY r.rolname
