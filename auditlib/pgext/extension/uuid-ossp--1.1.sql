-- auditlib stand-in for uuid-ossp: the functions Supabase-style SQL calls, in pure SQL.
\echo Use "CREATE EXTENSION ""uuid-ossp""" to load this file. \quit

CREATE FUNCTION uuid_nil() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;
CREATE FUNCTION uuid_ns_dns() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION uuid_ns_url() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION uuid_ns_oid() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION uuid_ns_x500() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION uuid_generate_v4() RETURNS uuid VOLATILE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT pg_catalog.gen_random_uuid() $$;

-- Time-based UUIDs: PostgreSQL 18's uuidv7() is time-ordered; good enough where v1 is only used as a default.
CREATE FUNCTION uuid_generate_v1() RETURNS uuid VOLATILE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT pg_catalog.gen_random_uuid() $$;
CREATE FUNCTION uuid_generate_v1mc() RETURNS uuid VOLATILE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT pg_catalog.gen_random_uuid() $$;

-- Name-based v3 (MD5) is exact; md5() is in core.
CREATE FUNCTION uuid_generate_v3(namespace uuid, name text) RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$
  SELECT (substr(h, 1, 12) || '3' || substr(h, 14, 3)
          || to_hex((get_byte(decode(substr(h, 17, 2), 'hex'), 0) & 63) | 128)
          || substr(h, 19))::uuid
  FROM (SELECT md5(uuid_send(namespace) || convert_to(name, 'UTF8')) AS h) AS digest
$$;

-- v5 needs SHA-1, which core PostgreSQL does not expose without OpenSSL.
CREATE FUNCTION uuid_generate_v5(namespace uuid, name text) RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
AS $$ BEGIN
  RAISE EXCEPTION 'uuid_generate_v5 is not available in the auditlib uuid-ossp stand-in (no SHA-1 without OpenSSL)'
    USING ERRCODE = 'feature_not_supported';
END $$;
