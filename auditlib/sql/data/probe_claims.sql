-- One row: the impersonated user's JWT claims set for the rest of the transaction, the way PostgREST sets them
-- (request.jwt.claims as JSON, and the older one-setting-per-claim names that older Supabase helpers read).
SELECT pg_catalog.set_config('request.jwt.claims', CAST(:claims AS text), true) AS claims,
       pg_catalog.set_config('request.jwt.claim.sub', CAST(:sub AS text), true) AS sub,
       pg_catalog.set_config('request.jwt.claim.role', CAST(:role AS text), true) AS role,
       pg_catalog.set_config('request.jwt.claim.email', CAST(:email AS text), true) AS email
