-- Supabase platform stub: the roles, schemas, extensions and auth/storage/realtime/vault/net/cron objects that
-- Supabase migrations and policies expect, so that a Supabase schema can be created on a plain PostgreSQL server.
-- What it covers comes from what real migration folders call (storage.foldername() in storage policies, auth.uid()
-- and auth.jwt() in RLS, net.http_post() in cron jobs, vault.decrypted_secrets in functions, the supabase_realtime
-- publication). Functions that reach outside the database (net.http_post, cron.schedule) only record the call.
--
-- Idempotent: safe to run twice in one database, and in a second database of the same server (roles are
-- cluster-wide, so they are created in DO blocks that tolerate an existing role, even one created concurrently).
-- Contains no psql meta-commands: it runs as one multi-statement script through any driver.

-- Roles ----------------------------------------------------------------------------------------------------
DO $stub$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN
        BEGIN
            CREATE ROLE anon NOLOGIN NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
        BEGIN
            CREATE ROLE authenticated NOLOGIN NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
        BEGIN
            CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
END
$stub$;

-- The platform's own roles, which migrations name in GRANT, ALTER ... OWNER TO and ALTER DEFAULT PRIVILEGES FOR
-- ROLE. Here they log in to nothing and hold no special attributes (on Supabase supabase_admin is a superuser).
DO $stub$
DECLARE
    platform_role text;
BEGIN
    FOREACH platform_role IN ARRAY ARRAY['authenticator', 'supabase_admin', 'supabase_auth_admin',
                                         'supabase_storage_admin', 'supabase_realtime_admin', 'dashboard_user',
                                         'pgsodium_keyholder'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = platform_role) THEN
            BEGIN
                EXECUTE 'CREATE ROLE ' || quote_ident(platform_role) || ' NOLOGIN NOINHERIT';
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
        END IF;
    END LOOP;
END
$stub$;

-- Schemas and extensions -----------------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS storage;
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE SCHEMA IF NOT EXISTS graphql;
CREATE SCHEMA IF NOT EXISTS graphql_public;
CREATE SCHEMA IF NOT EXISTS vault;
CREATE SCHEMA IF NOT EXISTS net;
CREATE SCHEMA IF NOT EXISTS cron;
CREATE SCHEMA IF NOT EXISTS supabase_functions;

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;

-- Supabase puts extensions on the search path of every connection.
DO $stub$
BEGIN
    -- quote_ident rather than format(): the script holds no percent sign, so drivers that scan for
    -- placeholders (psycopg through SQLAlchemy's exec_driver_sql) can run it unchanged.
    EXECUTE 'ALTER DATABASE ' || quote_ident(current_database()) || ' SET search_path = "$user", public, extensions';
END
$stub$;
SET search_path = "$user", public, extensions;

-- auth -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS auth.users (
    instance_id uuid,
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    aud varchar(255) DEFAULT 'authenticated',
    role varchar(255) DEFAULT 'authenticated',
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    email_change_token_current varchar(255) DEFAULT '',
    email_change_confirm_status smallint DEFAULT 0,
    reauthentication_token varchar(255) DEFAULT '',
    reauthentication_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb DEFAULT '{}'::jsonb,
    raw_user_meta_data jsonb DEFAULT '{}'::jsonb,
    is_super_admin boolean,
    phone text UNIQUE,
    phone_confirmed_at timestamptz,
    phone_change text DEFAULT '',
    phone_change_token varchar(255) DEFAULT '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
    banned_until timestamptz,
    is_sso_user boolean NOT NULL DEFAULT false,
    is_anonymous boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_partial_key ON auth.users (email) WHERE is_sso_user = false;

CREATE TABLE IF NOT EXISTS auth.identities (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    provider text NOT NULL,
    provider_id text NOT NULL,
    identity_data jsonb NOT NULL DEFAULT '{}'::jsonb,
    last_sign_in_at timestamptz,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    UNIQUE (provider_id, provider)
);
CREATE INDEX IF NOT EXISTS identities_user_id_idx ON auth.identities (user_id);

CREATE TABLE IF NOT EXISTS auth.sessions (
    id uuid NOT NULL PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    created_at timestamptz,
    updated_at timestamptz,
    not_after timestamptz,
    refreshed_at timestamp,
    user_agent text,
    ip inet
);
CREATE INDEX IF NOT EXISTS sessions_user_id_idx ON auth.sessions (user_id);

-- The JWT helpers read the claims PostgREST puts in the transaction settings (old and new setting names).
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
$$;

CREATE OR REPLACE FUNCTION auth.email() RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
    )::text
$$;

CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

-- storage --------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS storage.buckets (
    id text NOT NULL PRIMARY KEY,
    name text NOT NULL UNIQUE,
    owner uuid,
    public boolean DEFAULT false,
    owner_id text,
    file_size_limit bigint,
    allowed_mime_types text[],
    avif_autodetection boolean DEFAULT false,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS storage.objects (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    bucket_id text REFERENCES storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    metadata jsonb,
    user_metadata jsonb,
    path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
    version text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    last_accessed_at timestamptz DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS bucketid_objname ON storage.objects (bucket_id, name);
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;

-- The path helpers storage policies are written with: (storage.foldername(name))[1] = auth.uid()::text.
CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    _parts text[];
BEGIN
    _parts := string_to_array(name, '/');
    RETURN _parts[1:array_length(_parts, 1) - 1];
END
$$;

CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    _parts text[];
BEGIN
    _parts := string_to_array(name, '/');
    RETURN _parts[array_length(_parts, 1)];
END
$$;

CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    _parts text[];
BEGIN
    _parts := string_to_array(name, '/');
    RETURN reverse(split_part(reverse(_parts[array_length(_parts, 1)]), '.', 1));
END
$$;

CREATE OR REPLACE FUNCTION storage.get_size_by_bucket() RETURNS TABLE (size bigint, bucket_id text)
    LANGUAGE sql STABLE
AS $$
    SELECT sum((metadata ->> 'size')::bigint)::bigint, bucket_id FROM storage.objects GROUP BY bucket_id
$$;

CREATE OR REPLACE FUNCTION storage.search(prefix text, bucketname text, limits int DEFAULT 100, levels int DEFAULT 1,
                                          offsets int DEFAULT 0, search text DEFAULT '', sortcolumn text DEFAULT 'name',
                                          sortorder text DEFAULT 'asc')
    RETURNS TABLE (name text, id uuid, updated_at timestamptz, created_at timestamptz,
                   last_accessed_at timestamptz, metadata jsonb)
    LANGUAGE sql STABLE
AS $$
    SELECT o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata
    FROM storage.objects o
    WHERE o.bucket_id = bucketname AND starts_with(o.name, coalesce(prefix, ''))
      AND strpos(lower(o.name), lower(coalesce(search, ''))) > 0
    ORDER BY o.name
    LIMIT limits OFFSET offsets
$$;

-- realtime -------------------------------------------------------------------------------------------------
-- Tables join it with ALTER PUBLICATION supabase_realtime ADD TABLE ...
DO $stub$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = 'supabase_realtime') THEN
        CREATE PUBLICATION supabase_realtime;
    END IF;
END
$stub$;

CREATE TABLE IF NOT EXISTS realtime.messages (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    topic text NOT NULL,
    extension text NOT NULL,
    payload jsonb,
    event text,
    private boolean DEFAULT false,
    inserted_at timestamp NOT NULL DEFAULT now(),
    updated_at timestamp NOT NULL DEFAULT now()
);
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;

CREATE OR REPLACE FUNCTION realtime.topic() RETURNS text
    LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('realtime.topic', true), '')::text $$;

CREATE OR REPLACE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true)
    RETURNS void
    LANGUAGE sql
AS $$
    INSERT INTO realtime.messages (payload, event, topic, private, extension)
    VALUES (payload, event, topic, private, 'broadcast')
$$;

CREATE OR REPLACE FUNCTION realtime.broadcast_changes(topic_name text, event_name text, operation text,
                                                      table_name text, table_schema text, new record, old record,
                                                      level text DEFAULT 'ROW') RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM realtime.send(jsonb_build_object('operation', operation, 'table', table_name,
                                             'schema', table_schema), event_name, topic_name, true);
END
$$;

-- vault (supabase_vault) -------------------------------------------------------------------------------------
-- Secrets are stored in clear here: the stub holds no data worth hiding.
CREATE TABLE IF NOT EXISTS vault.secrets (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    name text UNIQUE,
    description text NOT NULL DEFAULT '',
    secret text NOT NULL,
    key_id uuid,
    nonce bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE VIEW vault.decrypted_secrets AS
    SELECT id, name, description, secret, secret AS decrypted_secret, key_id, nonce, created_at, updated_at
    FROM vault.secrets;

CREATE OR REPLACE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL,
                                               new_description text DEFAULT '', new_key_id uuid DEFAULT NULL)
    RETURNS uuid
    LANGUAGE sql
AS $$
    INSERT INTO vault.secrets (secret, name, description, key_id)
    VALUES (new_secret, new_name, coalesce(new_description, ''), new_key_id)
    RETURNING id
$$;

CREATE OR REPLACE FUNCTION vault.update_secret(secret_id uuid, new_secret text DEFAULT NULL, new_name text DEFAULT NULL,
                                               new_description text DEFAULT NULL, new_key_id uuid DEFAULT NULL)
    RETURNS void
    LANGUAGE sql
AS $$
    UPDATE vault.secrets
    SET secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
        description = coalesce(new_description, description), key_id = coalesce(new_key_id, key_id),
        updated_at = now()
    WHERE id = secret_id
$$;

-- net (pg_net): requests are queued and never sent ----------------------------------------------------------
CREATE TABLE IF NOT EXISTS net.http_request_queue (
    id bigserial PRIMARY KEY,
    method text NOT NULL,
    url text NOT NULL,
    headers jsonb NOT NULL DEFAULT '{}'::jsonb,
    body bytea,
    timeout_milliseconds integer NOT NULL DEFAULT 5000
);

CREATE TABLE IF NOT EXISTS net._http_response (
    id bigint,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out boolean,
    error_msg text,
    created timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION net.http_post(url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT '{}'::jsonb,
                                         headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb,
                                         timeout_milliseconds integer DEFAULT 5000) RETURNS bigint
    LANGUAGE sql
AS $$
    INSERT INTO net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    VALUES ('POST', url, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
    RETURNING id
$$;

CREATE OR REPLACE FUNCTION net.http_get(url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb,
                                        timeout_milliseconds integer DEFAULT 5000) RETURNS bigint
    LANGUAGE sql
AS $$
    INSERT INTO net.http_request_queue (method, url, headers, timeout_milliseconds)
    VALUES ('GET', url, headers, timeout_milliseconds)
    RETURNING id
$$;

CREATE OR REPLACE FUNCTION net.http_delete(url text, params jsonb DEFAULT '{}'::jsonb,
                                           headers jsonb DEFAULT '{}'::jsonb,
                                           timeout_milliseconds integer DEFAULT 5000) RETURNS bigint
    LANGUAGE sql
AS $$
    INSERT INTO net.http_request_queue (method, url, headers, timeout_milliseconds)
    VALUES ('DELETE', url, headers, timeout_milliseconds)
    RETURNING id
$$;

-- cron (pg_cron): jobs are recorded and never run ------------------------------------------------------------
CREATE TABLE IF NOT EXISTS cron.job (
    jobid bigserial PRIMARY KEY,
    schedule text NOT NULL,
    command text NOT NULL,
    nodename text NOT NULL DEFAULT 'localhost',
    nodeport integer NOT NULL DEFAULT 5432,
    database text NOT NULL DEFAULT current_database(),
    username text NOT NULL DEFAULT current_user,
    active boolean NOT NULL DEFAULT true,
    jobname text UNIQUE
);

CREATE TABLE IF NOT EXISTS cron.job_run_details (
    jobid bigint,
    runid bigserial PRIMARY KEY,
    job_pid integer,
    database text,
    username text,
    command text,
    status text,
    return_message text,
    start_time timestamptz,
    end_time timestamptz
);

CREATE OR REPLACE FUNCTION cron.schedule(job_name text, schedule text, command text) RETURNS bigint
    LANGUAGE sql
AS $$
    INSERT INTO cron.job (jobname, schedule, command) VALUES (job_name, schedule, command)
    ON CONFLICT (jobname) DO UPDATE SET schedule = EXCLUDED.schedule, command = EXCLUDED.command
    RETURNING jobid
$$;

CREATE OR REPLACE FUNCTION cron.schedule(schedule text, command text) RETURNS bigint
    LANGUAGE sql
AS $$ INSERT INTO cron.job (schedule, command) VALUES (schedule, command) RETURNING jobid $$;

CREATE OR REPLACE FUNCTION cron.unschedule(job_name text) RETURNS boolean
    LANGUAGE sql
AS $$ WITH gone AS (DELETE FROM cron.job WHERE jobname = job_name RETURNING 1) SELECT count(*) > 0 FROM gone $$;

CREATE OR REPLACE FUNCTION cron.unschedule(job_id bigint) RETURNS boolean
    LANGUAGE sql
AS $$ WITH gone AS (DELETE FROM cron.job WHERE jobid = job_id RETURNING 1) SELECT count(*) > 0 FROM gone $$;

-- graphql (pg_graphql): the resolver PostgREST exposes, answering nothing ------------------------------------
CREATE OR REPLACE FUNCTION graphql.resolve("query" text, variables jsonb DEFAULT '{}'::jsonb,
                                           "operationName" text DEFAULT NULL, extensions jsonb DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql STABLE
AS $$ SELECT jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('message', 'stub'))) $$;

CREATE OR REPLACE FUNCTION graphql_public.graphql("operationName" text DEFAULT NULL, "query" text DEFAULT NULL,
                                                  variables jsonb DEFAULT NULL, extensions jsonb DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql STABLE
AS $$ SELECT graphql.resolve("query", coalesce(variables, '{}'), "operationName", extensions) $$;

-- Privileges: what a fresh Supabase project grants to its API roles -----------------------------------------
GRANT USAGE ON SCHEMA public, auth, extensions, storage, realtime, graphql, graphql_public
    TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA vault, net, cron TO service_role;
GRANT ALL ON ALL TABLES IN SCHEMA realtime, vault, net, cron TO service_role;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA storage, realtime, graphql, graphql_public TO anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA storage TO service_role;
GRANT SELECT ON ALL TABLES IN SCHEMA storage TO anon, authenticated;
GRANT ALL ON ALL TABLES IN SCHEMA auth TO service_role;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA auth TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated,
    service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated,
    service_role;
