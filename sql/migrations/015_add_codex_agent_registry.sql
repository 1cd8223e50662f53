-- =============================================================================================
-- Migration 015: Codex agent registry (Week 2, Backend Dev 2)
-- =============================================================================================
--
-- Adds 6 tables that register the Codex agents a workspace runs: the registry entry, what each
-- agent can do, its released versions, where a version is deployed, every invocation, and the
-- hand-offs between agents.
--
-- The existing `agents`, `agent_runs` and `agent_recommendations` tables (the last rebuilt by
-- 011) stay as they are: the registry points at an existing agent when there is one
-- (legacy_agent_id) instead of changing those tables, so this migration creates only.
--
-- Conventions: uuid ids, created_at, NOT NULL workspace_id on every table (017 adds RLS and the
-- foreign-key indexes). ONE transaction, no BEGIN/COMMIT; IF NOT EXISTS for a safe second run.
-- =============================================================================================

CREATE TABLE IF NOT EXISTS codex_agent_registry (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  legacy_agent_id  uuid REFERENCES agents (id) ON DELETE SET NULL,
  slug             text NOT NULL,
  display_name     text NOT NULL,
  owner_id         uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  status           text NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'active', 'paused', 'retired')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, slug)
);

CREATE TABLE IF NOT EXISTS codex_agent_capabilities (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  agent_id      uuid NOT NULL REFERENCES codex_agent_registry (id) ON DELETE CASCADE,
  capability    text NOT NULL,
  config        jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, capability)
);

CREATE TABLE IF NOT EXISTS codex_agent_versions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  agent_id      uuid NOT NULL REFERENCES codex_agent_registry (id) ON DELETE CASCADE,
  version       text NOT NULL,
  prompt_sha256 text CHECK (prompt_sha256 ~ '^[0-9a-f]{64}$'),
  released_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, version)
);

CREATE TABLE IF NOT EXISTS codex_agent_deployments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  version_id    uuid NOT NULL REFERENCES codex_agent_versions (id) ON DELETE CASCADE,
  environment   text NOT NULL CHECK (environment IN ('staging', 'production')),
  deployed_at   timestamptz NOT NULL DEFAULT now(),
  retired_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per call; tokens and latency are what the cost and latency dashboards sum.
CREATE TABLE IF NOT EXISTS codex_agent_invocations (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  deployment_id  uuid NOT NULL REFERENCES codex_agent_deployments (id) ON DELETE CASCADE,
  invoked_by     uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  outcome        text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'failed', 'cancelled')),
  tokens_in      integer NOT NULL DEFAULT 0,
  tokens_out     integer NOT NULL DEFAULT 0,
  latency_ms     integer,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_agent_handoffs (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  invocation_id  uuid NOT NULL REFERENCES codex_agent_invocations (id) ON DELETE CASCADE,
  to_agent_id    uuid NOT NULL REFERENCES codex_agent_registry (id) ON DELETE CASCADE,
  payload        jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now()
);
