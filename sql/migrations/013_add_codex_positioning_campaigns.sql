-- =============================================================================================
-- Migration 013: Codex positioning and campaigns (Week 2, Backend Dev 1)
-- =============================================================================================
--
-- The first of the five Week 2 migrations that build the Codex schema on top of the 43 tables
-- Week 1 left behind. It adds 7 tables: how a workspace positions itself (framework, audience
-- segments, value propositions, messaging pillars) and how that becomes a campaign plan (plan,
-- stages, and the moves each stage runs).
--
-- Conventions, as in the rest of the schema:
--   * every table has `id uuid PRIMARY KEY DEFAULT gen_random_uuid()` and `created_at`;
--   * every table carries a NOT NULL workspace_id, so 017 can scope it with RLS to the caller's
--     workspaces (017 also adds the indexes every foreign key needs);
--   * it only creates: no existing table is changed, so core row counts cannot move.
--
-- It runs as ONE transaction (the wizard wraps it; no BEGIN/COMMIT here). IF NOT EXISTS makes
-- a second run a no-op.
-- =============================================================================================

-- Positioning: one framework per workspace and version, the segments it speaks to, and what it
-- promises each of them.
CREATE TABLE IF NOT EXISTS codex_positioning_frameworks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  category      text,
  version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
  is_active     boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name, version)
);

CREATE TABLE IF NOT EXISTS codex_audience_segments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  framework_id  uuid NOT NULL REFERENCES codex_positioning_frameworks (id) ON DELETE CASCADE,
  -- a segment can be backed by an existing cohort; the cohort outlives the segment
  cohort_id     uuid REFERENCES cohorts (id) ON DELETE SET NULL,
  name          text NOT NULL,
  pains         text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_value_propositions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  segment_id    uuid NOT NULL REFERENCES codex_audience_segments (id) ON DELETE CASCADE,
  headline      text NOT NULL,
  proof_points  jsonb NOT NULL DEFAULT '[]',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_messaging_pillars (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  framework_id  uuid NOT NULL REFERENCES codex_positioning_frameworks (id) ON DELETE CASCADE,
  title         text NOT NULL,
  body          text NOT NULL DEFAULT '',
  position      smallint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Campaign plans: a plan ties an existing campaign to the framework it expresses; stages run in
-- order and each schedules moves (the existing moves table) for a segment.
CREATE TABLE IF NOT EXISTS codex_campaign_plans (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  campaign_id   uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  framework_id  uuid REFERENCES codex_positioning_frameworks (id) ON DELETE SET NULL,
  objective     text NOT NULL,
  status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'done', 'archived')),
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_campaign_stages (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  plan_id       uuid NOT NULL REFERENCES codex_campaign_plans (id) ON DELETE CASCADE,
  segment_id    uuid REFERENCES codex_audience_segments (id) ON DELETE SET NULL,
  name          text NOT NULL,
  position      smallint NOT NULL,
  starts_on     date,
  ends_on       date,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on),
  UNIQUE (plan_id, position)
);

CREATE TABLE IF NOT EXISTS codex_campaign_move_links (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  stage_id      uuid NOT NULL REFERENCES codex_campaign_stages (id) ON DELETE CASCADE,
  move_id       uuid NOT NULL REFERENCES moves (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stage_id, move_id)
);
