-- A blank Supabase project, part 5: what the API roles may do with the application's own objects.
--
-- Supabase grants the API roles everything in `public` and leaves access to RLS: a table an
-- application creates is reachable through the API exactly as far as its policies allow. The
-- default privileges make that true of the tables the application's migrations create later.

GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
