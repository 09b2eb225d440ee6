-- One row per function or procedure in a user schema that no extension owns.
SELECT n.nspname AS schema,
       p.proname AS name,
       -- PostgreSQL 14 gave procedures OUT arguments and since then names the IN mode of their arguments; before,
       -- a procedure's list is built here the way 14 prints it, so the signature reads alike on every version.
       CASE WHEN p.prokind = 'p' AND pg_catalog.current_setting('server_version_num')::int < 140000
            THEN COALESCE((SELECT pg_catalog.string_agg(
                                      CASE a.mode WHEN 'b' THEN 'INOUT ' WHEN 'v' THEN 'VARIADIC ' ELSE 'IN ' END
                                      || CASE WHEN a.name <> '' THEN pg_catalog.quote_ident(a.name) || ' ' ELSE '' END
                                      || pg_catalog.format_type(a.type, NULL), ', ' ORDER BY a.ord)
                           FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[]), p.proargmodes::text[],
                                       p.proargnames) WITH ORDINALITY AS a(type, mode, name, ord)), '')
            ELSE pg_catalog.pg_get_function_identity_arguments(p.oid) END AS arguments,
       pg_catalog.pg_get_function_result(p.oid) AS returns,
       l.lanname AS language,
       CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                      WHEN 'w' THEN 'window' END AS kind,
       p.prosecdef AS security_definer,
       CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END AS volatility,
       COALESCE(p.proconfig, ARRAY[]::text[]) AS config,
       p.prosrc AS source,
       dsc.description AS comment,
       p.proleakproof AS leakproof,
       -- Who may call it: an ACL of NULL means the default, EXECUTE for PUBLIC and the owner.
       ARRAY(SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'public'
                                  ELSE pg_catalog.pg_get_userbyid(acl.grantee)::text END
             FROM pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) AS acl
             WHERE acl.privilege_type = 'EXECUTE'
             ORDER BY 1) AS execute_grantees,
       pg_catalog.pg_get_userbyid(p.proowner) AS owner
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
LEFT JOIN pg_catalog.pg_description dsc ON dsc.objoid = p.oid AND dsc.objsubid = 0
                                      AND dsc.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND (CAST(:schemas AS text[]) IS NULL OR n.nspname = ANY (CAST(:schemas AS text[])))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
                    AND d.deptype = 'e')
ORDER BY n.nspname, p.proname, 3
