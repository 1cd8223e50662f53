-- A blank Supabase project, part 2: the `extensions` schema and the extensions a new project has.
--
-- Supabase keeps extensions out of `public` (so they never show up as application objects) in a
-- schema of their own that is on everyone's search_path: `uuid_generate_v4()` and
-- `gen_random_bytes()` work unqualified in migrations. A new project has uuid-ossp, pgcrypto and
-- pg_stat_statements installed; the rest (pg_trgm, citext, ...) are available to CREATE EXTENSION.

CREATE SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO postgres, anon, authenticated, service_role, dashboard_user;
ALTER DEFAULT PRIVILEGES IN SCHEMA extensions GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA extensions;

-- New sessions (every connection after this one) find extensions without qualifying them.
ALTER DATABASE postgres SET search_path = "$user", public, extensions;
ALTER ROLE authenticator SET search_path = "$user", public, extensions;
