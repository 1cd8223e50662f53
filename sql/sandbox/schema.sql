-- The pre-clean-up database of the rehearsal sandbox, shaped like a Supabase project:
-- 52 base tables in public (the nine that migration 012 removes among them, and the "before"
-- state of the three conflicts that migration 011 resolves), an auth schema, RLS policies.
-- Loaded once into an empty cluster, then seed.sql.

-- Roles as Supabase has them (cluster-wide, so created only when missing).
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
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

-- ---------------------------------------------------------------------------------------------
-- Workspaces and people
-- ---------------------------------------------------------------------------------------------
CREATE TABLE workspaces (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  slug        text UNIQUE NOT NULL,
  plan        text NOT NULL DEFAULT 'free',
  created_at  timestamptz NOT NULL DEFAULT now()
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
CREATE INDEX workspace_members_user_idx ON workspace_members (user_id);

CREATE TABLE user_preferences (
  user_id       uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  theme         text NOT NULL DEFAULT 'system',
  timezone      text NOT NULL DEFAULT 'UTC',
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Strategy core: cohorts, campaigns, sprints, maneuvers, moves, assets
-- ---------------------------------------------------------------------------------------------
CREATE TABLE cohorts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  description   text,
  size_estimate integer,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cohorts_workspace_idx ON cohorts (workspace_id);

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
CREATE INDEX campaigns_workspace_idx ON campaigns (workspace_id);

CREATE TABLE sprints (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  starts_on     date NOT NULL,
  ends_on       date NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE maneuver_types (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code          text UNIQUE NOT NULL,
  name          text NOT NULL,
  category      text NOT NULL
);

-- Quests were a gamification experiment; moves could belong to one (see quest_id below).
CREATE TABLE quests (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  title         text NOT NULL,
  reward_points integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE moves (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  campaign_id      uuid REFERENCES campaigns (id) ON DELETE SET NULL,
  cohort_id        uuid REFERENCES cohorts (id) ON DELETE SET NULL,
  sprint_id        uuid REFERENCES sprints (id) ON DELETE SET NULL,
  maneuver_type_id uuid REFERENCES maneuver_types (id),
  quest_id         uuid,  -- legacy link to quests; its foreign key is what 012's CASCADE removes
  name             text NOT NULL,
  status           text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT moves_quest_id_fkey FOREIGN KEY (quest_id) REFERENCES quests (id)
);
CREATE INDEX moves_workspace_idx ON moves (workspace_id);
CREATE INDEX moves_campaign_idx ON moves (campaign_id);

CREATE TABLE assets (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  move_id       uuid REFERENCES moves (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('copy', 'image', 'video', 'deck', 'landing_page')),
  title         text NOT NULL,
  storage_path  text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_move_idx ON assets (move_id);

CREATE TABLE tags (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  label         text NOT NULL,
  UNIQUE (workspace_id, label)
);

CREATE TABLE asset_tags (
  asset_id      uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  tag_id        uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (asset_id, tag_id)
);

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
  budget_cents  bigint NOT NULL DEFAULT 0
);

CREATE TABLE campaign_metrics (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  campaign_id   uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  measured_on   date NOT NULL,
  impressions   bigint NOT NULL DEFAULT 0,
  clicks        bigint NOT NULL DEFAULT 0,
  conversions   bigint NOT NULL DEFAULT 0
);
CREATE INDEX campaign_metrics_campaign_idx ON campaign_metrics (campaign_id, measured_on);

CREATE TABLE move_assignments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  assigned_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE move_comments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  author_id     uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  body          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE move_metrics (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  metric        text NOT NULL,
  value         numeric NOT NULL,
  measured_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cohort_members (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  cohort_id     uuid NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
  contact_id    uuid NOT NULL,
  added_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contacts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  email         text NOT NULL,
  full_name     text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, email)
);
ALTER TABLE cohort_members ADD CONSTRAINT cohort_members_contact_id_fkey
  FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE;

CREATE TABLE contact_events (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_id    uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  event_type    text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}',
  occurred_at   timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- The unused features that migration 012 removes
-- ---------------------------------------------------------------------------------------------
CREATE TABLE quest_moves (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  quest_id      uuid NOT NULL REFERENCES quests (id) ON DELETE CASCADE,
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  position      integer NOT NULL DEFAULT 0
);

CREATE TABLE quest_milestones (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  quest_id      uuid NOT NULL REFERENCES quests (id) ON DELETE CASCADE,
  title         text NOT NULL,
  reached_at    timestamptz
);

CREATE TABLE capability_nodes (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  parent_id     uuid REFERENCES capability_nodes (id)
);

CREATE TABLE maneuver_prerequisites (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  maneuver_type_id   uuid NOT NULL REFERENCES maneuver_types (id) ON DELETE CASCADE,
  capability_node_id uuid NOT NULL REFERENCES capability_nodes (id) ON DELETE CASCADE
);

CREATE TABLE quick_wins (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  title         text NOT NULL,
  effort        text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cohort_relations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  from_cohort   uuid NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
  to_cohort     uuid NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
  relation      text NOT NULL
);

CREATE TABLE move_decisions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  decision      text NOT NULL,
  decided_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  body          text NOT NULL,
  read_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Agents, and the two conflicting shapes migration 011 resolves (here in their 07 "before" state)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE agents (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  model         text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- 07 shape: no workspace_id; confidence/status named differently from 08.
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
CREATE INDEX agent_recommendations_agent_idx ON agent_recommendations (agent_id);

-- 07 shape: no workspace_id.
CREATE TABLE agent_trust_scores (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  trust_score   numeric(5, 2) NOT NULL,
  sample_size   integer NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_runs (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  outcome       text
);

CREATE TABLE agent_messages (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  run_id        uuid NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
  role          text NOT NULL,
  content       text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_tools (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  tool_name     text NOT NULL,
  enabled       boolean NOT NULL DEFAULT true
);

-- 07 definition. Migration 09 declared `CREATE TABLE IF NOT EXISTS competitors` again with more
-- columns; because the table existed, 09's definition silently never applied.
CREATE TABLE competitors (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  website       text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE competitor_signals (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  competitor_id uuid NOT NULL REFERENCES competitors (id) ON DELETE CASCADE,
  signal        text NOT NULL,
  observed_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE market_insights (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  title         text NOT NULL,
  body          text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE positioning_statements (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  statement     text NOT NULL,
  is_current    boolean NOT NULL DEFAULT false
);

CREATE TABLE strategy_documents (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  title         text NOT NULL,
  content       jsonb NOT NULL DEFAULT '{}',
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Platform: integrations, keys, events, billing, flags
-- ---------------------------------------------------------------------------------------------
CREATE TABLE integrations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  provider      text NOT NULL,
  config        jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE integration_syncs (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  started_at     timestamptz NOT NULL DEFAULT now(),
  status         text NOT NULL
);

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  prefix        text NOT NULL,
  hashed_key    text NOT NULL,
  revoked_at    timestamptz
);

CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  workspace_id  uuid REFERENCES workspaces (id) ON DELETE SET NULL,
  actor_id      uuid,
  action        text NOT NULL,
  detail        jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  id            bigserial PRIMARY KEY,
  workspace_id  uuid REFERENCES workspaces (id) ON DELETE CASCADE,
  topic         text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_topic_idx ON events (topic, created_at);

CREATE TABLE webhooks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  url           text NOT NULL,
  secret_hint   text
);

CREATE TABLE webhook_deliveries (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id    uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  status_code   integer,
  delivered_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing_accounts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL UNIQUE REFERENCES workspaces (id) ON DELETE CASCADE,
  customer_ref  text NOT NULL
);

CREATE TABLE subscriptions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  billing_account_id uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
  plan               text NOT NULL,
  renews_on          date
);

CREATE TABLE invoices (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  billing_account_id uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
  amount_cents       bigint NOT NULL,
  issued_on          date NOT NULL
);

CREATE TABLE feature_flags (
  key           text PRIMARY KEY,
  enabled       boolean NOT NULL DEFAULT false,
  description   text
);

-- ---------------------------------------------------------------------------------------------
-- Row Level Security, the Supabase way: members see their workspace's rows
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['cohorts', 'campaigns', 'moves', 'assets', 'agents', 'competitors'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR ALL TO authenticated USING (workspace_id IN '
      '(SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))',
      t || '_workspace_members', t);
  END LOOP;
END
$$;

ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY workspaces_members_read ON workspaces FOR SELECT TO authenticated
  USING (id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));

ALTER TABLE agent_recommendations ENABLE ROW LEVEL SECURITY;
CREATE POLICY agent_recommendations_via_agent ON agent_recommendations FOR SELECT TO authenticated
  USING (agent_id IN (SELECT a.id FROM public.agents a JOIN public.workspace_members m
                      ON m.workspace_id = a.workspace_id WHERE m.user_id = auth.uid()));

ALTER TABLE agent_trust_scores ENABLE ROW LEVEL SECURITY;
CREATE POLICY agent_trust_scores_via_agent ON agent_trust_scores FOR SELECT TO authenticated
  USING (agent_id IN (SELECT a.id FROM public.agents a JOIN public.workspace_members m
                      ON m.workspace_id = a.workspace_id WHERE m.user_id = auth.uid()));

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY notifications_own ON notifications FOR SELECT TO authenticated USING (user_id = auth.uid());

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO authenticated, service_role;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO authenticated, service_role;
