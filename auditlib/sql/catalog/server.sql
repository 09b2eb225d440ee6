-- One row: the server and session the catalog was read from.
SELECT pg_catalog.current_setting('server_version_num')::int AS server_version_num,
       pg_catalog.current_setting('server_version') AS server_version,
       pg_catalog.current_database() AS database,
       current_user AS current_user,
       (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) AS is_superuser,
       pg_catalog.pg_is_in_recovery() AS in_recovery
