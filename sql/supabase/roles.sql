-- A blank Supabase project, part 1: the roles every Supabase database has.
--
-- Written for the rehearsal sandbox (`migration-wizard sandbox reset NAME --empty`): the roles a
-- Supabase project's migrations grant to and name in policies. The API roles cannot log in;
-- PostgREST logs in as authenticator and switches to one of them per request, which is why
-- authenticator is NOINHERIT: it gets a role's rights only by SET ROLE.

CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;  -- the server-side key: RLS does not apply
CREATE ROLE authenticator LOGIN NOINHERIT;
GRANT anon, authenticated, service_role TO authenticator;

-- The Auth (GoTrue) and Storage services own their schemas and log in as these.
CREATE ROLE supabase_auth_admin LOGIN NOINHERIT CREATEROLE;
CREATE ROLE supabase_storage_admin LOGIN NOINHERIT CREATEROLE;
-- The dashboard's SQL editor and table editor.
CREATE ROLE dashboard_user NOLOGIN CREATEROLE CREATEDB REPLICATION;

-- Requests run with a short statement timeout, as Supabase sets them.
ALTER ROLE anon SET statement_timeout = '3s';
ALTER ROLE authenticated SET statement_timeout = '8s';
ALTER ROLE authenticator SET statement_timeout = '8s';
