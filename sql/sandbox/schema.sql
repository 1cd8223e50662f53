-- =============================================================================================
-- RaptorFlow: the PRE-clean-up database of the rehearsal sandbox, shaped like a Supabase project
-- =============================================================================================
--
-- What this file builds (on an empty database; then seed.sql loads the data):
--   * the Supabase roles anon / authenticated / service_role (cluster-wide: created only when
--     missing), an auth schema with auth.users, auth.uid() and auth.role();
--   * EXACTLY 52 base tables in public, among them
--       - the nine unused tables migration 012 removes (quests, quest_moves, quest_milestones,
--         capability_nodes, maneuver_prerequisites, quick_wins, cohort_relations,
--         move_decisions, notifications), and one legacy foreign key from a surviving table
--         into them (moves.quest_id -> quests), which 012's DROP ... CASCADE removes;
--       - the "before" state of the three conflicts migration 011 resolves:
--         agent_recommendations and agent_trust_scores in their 07 shape (no workspace_id),
--         competitors as 07 defined it (09's columns never applied);
--   * Row Level Security on the core tables, with policies written the Supabase way.
--
-- Conventions: every table has `id uuid PRIMARY KEY DEFAULT gen_random_uuid()` (profiles.id is
-- auth.users.id, as Supabase does it) and `created_at timestamptz NOT NULL DEFAULT now()`
-- (agent_trust_scores keeps its 07 columns exactly: it has updated_at only); every foreign key
-- column leads an index.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Supabase roles, auth schema, grants
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.users (
  id          uuid PRIMARY KEY,
  email       text UNIQUE NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Supabase reads the caller's identity from the request's JWT claims.
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claim.role', true), '')::text $$;

GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
-- Tables created later by this role (e.g. migration 011's rebuild) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Workspaces and people (4)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE workspaces (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  slug          text UNIQUE NOT NULL,
  plan          text NOT NULL DEFAULT 'free',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE profiles (
  id            uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  full_name     text,
  avatar_url    text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_members (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  role          text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_id_idx ON workspace_members (user_id);

CREATE TABLE user_preferences (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL UNIQUE REFERENCES auth.users (id) ON DELETE CASCADE,
  theme         text NOT NULL DEFAULT 'system',
  timezone      text NOT NULL DEFAULT 'UTC',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Strategy core: cohorts, campaigns, sprints, maneuvers, moves, assets, contacts (18)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE cohorts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  description   text,
  size_estimate integer,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cohorts_workspace_id_idx ON cohorts (workspace_id);

CREATE TABLE campaigns (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  objective     text,
  status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'done')),
  starts_on     date,
  ends_on       date,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_workspace_id_idx ON campaigns (workspace_id);

CREATE TABLE sprints (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  starts_on     date NOT NULL,
  ends_on       date NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_on >= starts_on)
);
CREATE INDEX sprints_workspace_id_idx ON sprints (workspace_id);

CREATE TABLE maneuver_types (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code          text UNIQUE NOT NULL,
  name          text NOT NULL,
  category      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Quests were a gamification experiment (removed by 012); moves could belong to one.
CREATE TABLE quests (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  title         text NOT NULL,
  reward_points integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quests_workspace_id_idx ON quests (workspace_id);

CREATE TABLE moves (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  campaign_id      uuid REFERENCES campaigns (id) ON DELETE SET NULL,
  cohort_id        uuid REFERENCES cohorts (id) ON DELETE SET NULL,
  sprint_id        uuid REFERENCES sprints (id) ON DELETE SET NULL,
  maneuver_type_id uuid REFERENCES maneuver_types (id),
  -- Legacy link to the quests experiment. This foreign key is the dependent object that
  -- 012's DROP TABLE quests CASCADE removes (the column and its values stay).
  quest_id         uuid CONSTRAINT moves_quest_id_fkey REFERENCES quests (id),
  name             text NOT NULL,
  status           text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moves_workspace_id_idx ON moves (workspace_id);
CREATE INDEX moves_campaign_id_idx ON moves (campaign_id);
CREATE INDEX moves_cohort_id_idx ON moves (cohort_id);
CREATE INDEX moves_sprint_id_idx ON moves (sprint_id);
CREATE INDEX moves_maneuver_type_id_idx ON moves (maneuver_type_id);
CREATE INDEX moves_quest_id_idx ON moves (quest_id);

CREATE TABLE assets (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  move_id       uuid REFERENCES moves (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('copy', 'image', 'video', 'deck', 'landing_page')),
  title         text NOT NULL,
  storage_path  text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_workspace_id_idx ON assets (workspace_id);
CREATE INDEX assets_move_id_idx ON assets (move_id);

CREATE TABLE tags (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  label         text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, label)
);

CREATE TABLE asset_tags (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  asset_id      uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  tag_id        uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (asset_id, tag_id)
);
CREATE INDEX asset_tags_tag_id_idx ON asset_tags (tag_id);

CREATE TABLE asset_versions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  asset_id      uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  version       integer NOT NULL,
  storage_path  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (asset_id, version)
);

CREATE TABLE campaign_channels (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  campaign_id   uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  channel       text NOT NULL,
  budget_cents  bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_channels_campaign_id_idx ON campaign_channels (campaign_id);

CREATE TABLE campaign_metrics (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  campaign_id   uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  measured_on   date NOT NULL,
  impressions   bigint NOT NULL DEFAULT 0,
  clicks        bigint NOT NULL DEFAULT 0,
  conversions   bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_metrics_campaign_id_idx ON campaign_metrics (campaign_id, measured_on);

CREATE TABLE move_assignments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (move_id, user_id)
);
CREATE INDEX move_assignments_user_id_idx ON move_assignments (user_id);

CREATE TABLE move_comments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  author_id     uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  body          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX move_comments_move_id_idx ON move_comments (move_id, created_at);
CREATE INDEX move_comments_author_id_idx ON move_comments (author_id);

CREATE TABLE move_metrics (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  metric        text NOT NULL,
  value         numeric NOT NULL,
  measured_at   timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX move_metrics_move_id_idx ON move_metrics (move_id, metric);

CREATE TABLE contacts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  email         text NOT NULL,
  full_name     text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, email)
);

CREATE TABLE cohort_members (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  cohort_id     uuid NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
  contact_id    uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (cohort_id, contact_id)
);
CREATE INDEX cohort_members_contact_id_idx ON cohort_members (contact_id);

CREATE TABLE contact_events (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_id    uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  event_type    text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}',
  occurred_at   timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_events_contact_id_idx ON contact_events (contact_id, occurred_at);

-- ---------------------------------------------------------------------------------------------
-- The unused features that migration 012 removes (8 here, plus quests above = 9)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE quest_moves (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  quest_id      uuid NOT NULL REFERENCES quests (id) ON DELETE CASCADE,
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  position      integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (quest_id, move_id)
);
CREATE INDEX quest_moves_move_id_idx ON quest_moves (move_id);

CREATE TABLE quest_milestones (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  quest_id      uuid NOT NULL REFERENCES quests (id) ON DELETE CASCADE,
  title         text NOT NULL,
  reached_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quest_milestones_quest_id_idx ON quest_milestones (quest_id);

CREATE TABLE capability_nodes (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  parent_id     uuid REFERENCES capability_nodes (id) ON DELETE CASCADE,
  name          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX capability_nodes_workspace_id_idx ON capability_nodes (workspace_id);
CREATE INDEX capability_nodes_parent_id_idx ON capability_nodes (parent_id);

CREATE TABLE maneuver_prerequisites (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  maneuver_type_id   uuid NOT NULL REFERENCES maneuver_types (id) ON DELETE CASCADE,
  capability_node_id uuid NOT NULL REFERENCES capability_nodes (id) ON DELETE CASCADE,
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (maneuver_type_id, capability_node_id)
);
CREATE INDEX maneuver_prerequisites_capability_node_id_idx ON maneuver_prerequisites (capability_node_id);

CREATE TABLE quick_wins (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  move_id       uuid REFERENCES moves (id) ON DELETE SET NULL,
  title         text NOT NULL,
  effort        text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quick_wins_workspace_id_idx ON quick_wins (workspace_id);
CREATE INDEX quick_wins_move_id_idx ON quick_wins (move_id);

CREATE TABLE cohort_relations (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  from_cohort_id uuid NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
  to_cohort_id   uuid NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
  relation       text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (from_cohort_id, to_cohort_id, relation),
  CHECK (from_cohort_id <> to_cohort_id)
);
CREATE INDEX cohort_relations_to_cohort_id_idx ON cohort_relations (to_cohort_id);

CREATE TABLE move_decisions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  decided_by    uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  decision      text NOT NULL CHECK (decision IN ('go', 'no_go', 'defer')),
  rationale     text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX move_decisions_move_id_idx ON move_decisions (move_id);
CREATE INDEX move_decisions_decided_by_idx ON move_decisions (decided_by);

CREATE TABLE notifications (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  workspace_id  uuid REFERENCES workspaces (id) ON DELETE CASCADE,
  body          text NOT NULL,
  read_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_id_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_workspace_id_idx ON notifications (workspace_id);

-- ---------------------------------------------------------------------------------------------
-- Agents and intelligence (11); two conflict tables in their 07 "before" state
-- ---------------------------------------------------------------------------------------------
CREATE TABLE agents (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  model         text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_workspace_id_idx ON agents (workspace_id);

-- 07 shape: no workspace_id; a free-text recommendation; confidence / status (08 renamed them).
CREATE TABLE agent_recommendations (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id            uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  recommendation      text NOT NULL,
  recommendation_type text NOT NULL,
  confidence          numeric(4, 3),
  evidence            jsonb NOT NULL DEFAULT '{}',
  status              text NOT NULL DEFAULT 'pending',
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_recommendations_agent_id_idx ON agent_recommendations (agent_id);

-- 07 shape, exactly these five columns: no workspace_id (08 added it; see 011).
CREATE TABLE agent_trust_scores (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  trust_score   numeric(5, 2) NOT NULL,
  sample_size   integer NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_trust_scores_agent_id_idx ON agent_trust_scores (agent_id);

CREATE TABLE agent_runs (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  outcome       text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_runs_agent_id_idx ON agent_runs (agent_id, started_at DESC);

CREATE TABLE agent_messages (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  run_id        uuid NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
  role          text NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content       text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_messages_run_id_idx ON agent_messages (run_id, created_at);

CREATE TABLE agent_tools (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  tool_name     text NOT NULL,
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, tool_name)
);

-- 07 definition. Migration 09 declared `CREATE TABLE IF NOT EXISTS competitors` again, with
-- positioning, strengths, weaknesses, threat_level and last_analyzed_at; because the table
-- already existed, 09's definition silently never applied. 011 adds those columns.
CREATE TABLE competitors (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  website       text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX competitors_workspace_id_idx ON competitors (workspace_id);

CREATE TABLE competitor_signals (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  competitor_id uuid NOT NULL REFERENCES competitors (id) ON DELETE CASCADE,
  signal        text NOT NULL,
  observed_at   timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX competitor_signals_competitor_id_idx ON competitor_signals (competitor_id, observed_at DESC);

CREATE TABLE market_insights (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  title         text NOT NULL,
  body          text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX market_insights_workspace_id_idx ON market_insights (workspace_id);

CREATE TABLE positioning_statements (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  statement     text NOT NULL,
  is_current    boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX positioning_statements_workspace_id_idx ON positioning_statements (workspace_id);

CREATE TABLE strategy_documents (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  title         text NOT NULL,
  content       jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX strategy_documents_workspace_id_idx ON strategy_documents (workspace_id);

-- ---------------------------------------------------------------------------------------------
-- Platform: integrations, keys, audit, events, webhooks, billing, flags (11)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE integrations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  provider      text NOT NULL,
  config        jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, provider)
);

CREATE TABLE integration_syncs (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  started_at     timestamptz NOT NULL DEFAULT now(),
  status         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integration_syncs_integration_id_idx ON integration_syncs (integration_id, started_at DESC);

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  prefix        text NOT NULL,
  hashed_key    text NOT NULL UNIQUE,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_workspace_id_idx ON api_keys (workspace_id);

CREATE TABLE audit_log (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid REFERENCES workspaces (id) ON DELETE SET NULL,
  actor_id      uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  action        text NOT NULL,
  detail        jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_workspace_id_idx ON audit_log (workspace_id, created_at DESC);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id);

CREATE TABLE events (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid REFERENCES workspaces (id) ON DELETE CASCADE,
  topic         text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_workspace_id_idx ON events (workspace_id, created_at DESC);
CREATE INDEX events_topic_idx ON events (topic, created_at);

CREATE TABLE webhooks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  url           text NOT NULL,
  secret_hint   text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_workspace_id_idx ON webhooks (workspace_id);

CREATE TABLE webhook_deliveries (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id    uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  status_code   integer,
  delivered_at  timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_webhook_id_idx ON webhook_deliveries (webhook_id, delivered_at DESC);

CREATE TABLE billing_accounts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL UNIQUE REFERENCES workspaces (id) ON DELETE CASCADE,
  customer_ref  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  billing_account_id uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
  plan               text NOT NULL,
  renews_on          date,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_billing_account_id_idx ON subscriptions (billing_account_id);

CREATE TABLE invoices (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  billing_account_id uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
  amount_cents       bigint NOT NULL CHECK (amount_cents >= 0),
  issued_on          date NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_billing_account_id_idx ON invoices (billing_account_id, issued_on DESC);

CREATE TABLE feature_flags (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key           text NOT NULL UNIQUE,
  enabled       boolean NOT NULL DEFAULT false,
  description   text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Row Level Security, the Supabase way: a member sees the rows of the workspaces they belong to.
-- (workspace_members itself has no RLS: the policies below read it.)
-- ---------------------------------------------------------------------------------------------
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY workspaces_members_read ON workspaces FOR SELECT TO authenticated
  USING (id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));

ALTER TABLE cohorts ENABLE ROW LEVEL SECURITY;
CREATE POLICY cohorts_workspace_members ON cohorts FOR ALL TO authenticated
  USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))
  WITH CHECK (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));

ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
CREATE POLICY campaigns_workspace_members ON campaigns FOR ALL TO authenticated
  USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))
  WITH CHECK (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));

ALTER TABLE moves ENABLE ROW LEVEL SECURITY;
CREATE POLICY moves_workspace_members ON moves FOR ALL TO authenticated
  USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))
  WITH CHECK (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));

ALTER TABLE assets ENABLE ROW LEVEL SECURITY;
CREATE POLICY assets_workspace_members ON assets FOR ALL TO authenticated
  USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))
  WITH CHECK (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));

ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
CREATE POLICY agents_workspace_members ON agents FOR ALL TO authenticated
  USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))
  WITH CHECK (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));

ALTER TABLE competitors ENABLE ROW LEVEL SECURITY;
CREATE POLICY competitors_workspace_members ON competitors FOR ALL TO authenticated
  USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))
  WITH CHECK (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));

-- The two 07-shaped agent tables have no workspace_id yet: they reach the workspace via agents.
ALTER TABLE agent_recommendations ENABLE ROW LEVEL SECURITY;
CREATE POLICY agent_recommendations_via_agent ON agent_recommendations FOR SELECT TO authenticated
  USING (agent_id IN (SELECT a.id FROM public.agents a
                      JOIN public.workspace_members m ON m.workspace_id = a.workspace_id
                      WHERE m.user_id = auth.uid()));

ALTER TABLE agent_trust_scores ENABLE ROW LEVEL SECURITY;
CREATE POLICY agent_trust_scores_via_agent ON agent_trust_scores FOR SELECT TO authenticated
  USING (agent_id IN (SELECT a.id FROM public.agents a
                      JOIN public.workspace_members m ON m.workspace_id = a.workspace_id
                      WHERE m.user_id = auth.uid()));

-- One of the tables 012 removes has a policy too: it goes with the table.
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY notifications_own ON notifications FOR SELECT TO authenticated
  USING (user_id = auth.uid());

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO authenticated, service_role;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO authenticated, service_role;
