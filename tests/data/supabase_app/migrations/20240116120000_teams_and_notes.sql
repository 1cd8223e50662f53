-- Teams with members, and notes readable by a team's members; admins (a custom JWT claim) see all.
create table public.teams (
  id uuid primary key default uuid_generate_v4(),
  name text not null,
  invite_code text not null default encode(gen_random_bytes(12), 'hex'),
  created_at timestamptz not null default now()
);

create table public.team_members (
  team_id uuid not null references public.teams on delete cascade,
  user_id uuid not null references auth.users on delete cascade,
  role text not null default 'member' check (role in ('owner', 'member')),
  primary key (team_id, user_id)
);

create table public.notes (
  id uuid primary key default uuid_generate_v4(),
  team_id uuid not null references public.teams on delete cascade,
  author_id uuid not null default auth.uid() references auth.users,
  body text not null,
  api_secret bytea not null default gen_random_bytes(32),
  created_at timestamptz not null default now()
);

alter table public.teams enable row level security;
alter table public.team_members enable row level security;
alter table public.notes enable row level security;

create or replace function public.is_team_member(_team_id uuid)
returns boolean
language sql
security definer
set search_path = ''
stable
as $$
  select exists (
    select 1 from public.team_members
    where team_id = _team_id and user_id = (select auth.uid())
  );
$$;

create policy "members see their teams" on public.teams
  for select to authenticated using (public.is_team_member(id));

create policy "members see their memberships" on public.team_members
  for select to authenticated using (user_id = (select auth.uid()));

create policy "members read team notes" on public.notes
  for select to authenticated
  using (public.is_team_member(team_id) or (auth.jwt() -> 'app_metadata' ->> 'role') = 'admin');

create policy "members write their own notes" on public.notes
  for insert to authenticated
  with check (author_id = (select auth.uid()) and public.is_team_member(team_id));

create policy "service role manages notes" on public.notes
  for all to service_role using (auth.role() = 'service_role');

create index notes_team_id_idx on public.notes (team_id);
