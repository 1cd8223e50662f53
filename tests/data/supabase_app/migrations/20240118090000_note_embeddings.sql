-- Semantic search over notes, as Supabase's pgvector guide writes it: the extension in the
-- extensions schema, an embedding column, an HNSW index, and a match function callable over RPC.
create extension if not exists vector with schema extensions;

create table public.note_embeddings (
  note_id uuid primary key references public.notes (id) on delete cascade,
  embedding extensions.vector(3) not null
);
alter table public.note_embeddings enable row level security;

create policy "members read their team's embeddings" on public.note_embeddings
  for select to authenticated
  using (exists (select 1 from public.notes n where n.id = note_id));

create index note_embeddings_hnsw on public.note_embeddings using hnsw (embedding extensions.vector_cosine_ops);

create or replace function public.match_notes(query extensions.vector(3), match_count int default 5)
returns table (note_id uuid, similarity float)
language sql stable
as $$
  select e.note_id, 1 - (e.embedding operator(extensions.<=>) query) as similarity
  from public.note_embeddings e
  order by e.embedding operator(extensions.<=>) query
  limit match_count;
$$;
