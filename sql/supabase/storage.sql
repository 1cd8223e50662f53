-- A blank Supabase project, part 4: the `storage` schema (the Storage service's buckets and
-- objects) and the path helpers storage policies call.
--
-- Objects are rows; files live elsewhere. Access is RLS on storage.objects, which a new project
-- has enabled with no policies: nothing is readable until the application's migrations say so.

CREATE SCHEMA storage AUTHORIZATION supabase_storage_admin;
GRANT USAGE ON SCHEMA storage TO postgres, anon, authenticated, service_role, dashboard_user;

SET ROLE supabase_storage_admin;

CREATE TABLE storage.buckets (
  id                 text PRIMARY KEY,
  name               text NOT NULL UNIQUE,
  owner              uuid,          -- kept for old clients; owner_id is the current column
  owner_id           text,
  public             boolean DEFAULT false,
  avif_autodetection boolean DEFAULT false,
  file_size_limit    bigint,
  allowed_mime_types text[],
  created_at         timestamptz DEFAULT now(),
  updated_at         timestamptz DEFAULT now()
);

CREATE TABLE storage.objects (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  bucket_id        text REFERENCES storage.buckets (id),
  name             text,
  owner            uuid,
  owner_id         text,
  created_at       timestamptz DEFAULT now(),
  updated_at       timestamptz DEFAULT now(),
  last_accessed_at timestamptz DEFAULT now(),
  metadata         jsonb,
  user_metadata    jsonb,
  version          text,
  path_tokens      text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
  UNIQUE (bucket_id, name)
);
CREATE INDEX objects_bucket_id_name_idx ON storage.objects (bucket_id, name COLLATE "C");

CREATE TABLE storage.migrations (
  id          integer PRIMARY KEY,
  name        varchar(100) NOT NULL UNIQUE,
  hash        varchar(40) NOT NULL,
  executed_at timestamp DEFAULT current_timestamp
);

ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.migrations ENABLE ROW LEVEL SECURITY;

-- 'avatars/u1/me.png' → {avatars,u1}: the folders, outermost first, as policies compare them.
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  parts text[] := string_to_array(name, '/');
BEGIN
  RETURN parts[1 : array_length(parts, 1) - 1];
END
$$;

-- 'avatars/u1/me.png' → 'me.png'
CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  parts text[] := string_to_array(name, '/');
BEGIN
  RETURN parts[array_length(parts, 1)];
END
$$;

-- 'avatars/u1/me.png' → 'png'; a file name without a dot gives its whole name, as Supabase's does.
CREATE FUNCTION storage.extension(name text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  parts text[] := string_to_array(storage.filename(name), '.');
BEGIN
  RETURN parts[array_length(parts, 1)];
END
$$;

RESET ROLE;

GRANT ALL ON storage.buckets, storage.objects TO anon, authenticated, service_role, dashboard_user, postgres;
GRANT EXECUTE ON FUNCTION storage.foldername(text), storage.filename(text), storage.extension(text)
  TO anon, authenticated, service_role, dashboard_user;
