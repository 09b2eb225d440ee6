-- What the apply pass's session holds that a new session would have to take over, in one row:
--   settings: every setting a session may change (SET, set_config), as [name, value] pairs in the units
--             set_config reads them in: what a new session differs in is set there (a new session also starts
--             with the database's and role's defaults that ALTER DATABASE/ROLE ... SET changed since);
--   session_user, current_user: who the session is (SET SESSION AUTHORIZATION, SET ROLE);
--   pinned: whether it holds what cannot be taken over (temporary objects, prepared statements, open cursors,
--           LISTEN, session advisory locks).
SELECT
    coalesce((SELECT json_agg(json_build_array(name, setting) ORDER BY name)
              FROM pg_catalog.pg_settings
              WHERE context IN ('user', 'superuser') AND name NOT IN ('session_authorization', 'role')),
             '[]') AS settings,
    session_user::text AS session_user,
    current_user::text AS current_user,
    EXISTS (SELECT FROM pg_catalog.pg_class WHERE relnamespace = pg_catalog.pg_my_temp_schema())
        OR EXISTS (SELECT FROM pg_catalog.pg_prepared_statements)
        OR EXISTS (SELECT FROM pg_catalog.pg_cursors)
        OR EXISTS (SELECT FROM pg_catalog.pg_listening_channels())
        OR EXISTS (SELECT FROM pg_catalog.pg_locks
                   WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'advisory') AS pinned
