-- auditlib stand-in for pgcrypto: the commonly used functions that core PostgreSQL can provide.
\echo Use "CREATE EXTENSION pgcrypto" to load this file. \quit

CREATE FUNCTION gen_random_uuid() RETURNS uuid VOLATILE PARALLEL SAFE LANGUAGE sql
AS $$ SELECT pg_catalog.gen_random_uuid() $$;

CREATE FUNCTION gen_random_bytes(integer) RETURNS bytea VOLATILE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT substring(pg_catalog.decode(string_agg(replace(pg_catalog.gen_random_uuid()::text, '-', ''), ''), 'hex')
                       FROM 1 FOR $1)
      FROM generate_series(1, ($1 + 15) / 16) $$;

CREATE FUNCTION digest(bytea, text) RETURNS bytea IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
AS $$ BEGIN
  CASE lower($2)
    WHEN 'md5' THEN RETURN decode(md5($1), 'hex');
    WHEN 'sha224' THEN RETURN sha224($1);
    WHEN 'sha256' THEN RETURN sha256($1);
    WHEN 'sha384' THEN RETURN sha384($1);
    WHEN 'sha512' THEN RETURN sha512($1);
    ELSE RAISE EXCEPTION 'digest algorithm % is not available in the auditlib pgcrypto stand-in', $2
           USING ERRCODE = 'feature_not_supported';
  END CASE;
END $$;

CREATE FUNCTION digest(text, text) RETURNS bytea IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT digest(convert_to($1, 'UTF8'), $2) $$;
