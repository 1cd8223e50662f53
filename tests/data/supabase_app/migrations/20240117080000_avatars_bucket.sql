-- An avatars bucket: anyone can read, a user writes only in the folder named after their id.
insert into storage.buckets (id, name, public)
values ('avatars', 'avatars', true);

create policy "Avatar images are publicly accessible." on storage.objects
  for select using (bucket_id = 'avatars');

create policy "Users upload into their own folder." on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'avatars'
    and (storage.foldername(name))[1] = (select auth.uid()::text)
    and storage.extension(name) in ('png', 'jpg', 'webp')
  );

create policy "Users update their own avatars." on storage.objects
  for update to authenticated
  using ((select auth.uid()) = owner)
  with check (bucket_id = 'avatars');
