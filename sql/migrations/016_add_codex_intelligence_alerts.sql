-- =============================================================================================
-- Migration 016: Codex intelligence and alerts (Week 2, Backend Dev 2)
-- =============================================================================================
--
-- Adds 6 tables: where market intelligence comes from (sources), what was observed (signals,
-- optionally about an existing competitor), periodic digests of signals, the rules that turn
-- signals into alerts, the alerts themselves, and who acknowledged them.
--
-- The existing competitors, competitor_signals and market_insights tables stay: intelligence
-- signals may point at a competitor, and nothing existing is altered, so core counts and Week 1's
-- tables are untouched.
--
-- Conventions: uuid ids, created_at, NOT NULL workspace_id on every table (017 adds RLS and the
-- foreign-key indexes). ONE transaction, no BEGIN/COMMIT; IF NOT EXISTS for a safe second run.
-- =============================================================================================

CREATE TABLE IF NOT EXISTS codex_intel_sources (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('rss', 'web', 'social', 'manual', 'agent')),
  url           text,
  is_enabled    boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_intel_signals (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  source_id      uuid NOT NULL REFERENCES codex_intel_sources (id) ON DELETE CASCADE,
  competitor_id  uuid REFERENCES competitors (id) ON DELETE SET NULL,
  observed_at    timestamptz NOT NULL DEFAULT now(),
  summary        text NOT NULL,
  score          numeric(4, 3) CHECK (score BETWEEN 0 AND 1),
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_intel_digests (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  period_start  timestamptz NOT NULL,
  period_end    timestamptz NOT NULL,
  signal_ids    uuid[] NOT NULL DEFAULT '{}',
  body          text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (period_end > period_start)
);

CREATE TABLE IF NOT EXISTS codex_alert_rules (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  -- evaluated by the backend against each new signal, e.g. {"min_score": 0.8}
  condition     jsonb NOT NULL,
  severity      text NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'critical')),
  created_by    uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_alerts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  rule_id       uuid NOT NULL REFERENCES codex_alert_rules (id) ON DELETE CASCADE,
  signal_id     uuid REFERENCES codex_intel_signals (id) ON DELETE SET NULL,
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
  raised_at     timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_alert_acknowledgements (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  alert_id      uuid NOT NULL REFERENCES codex_alerts (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  note          text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (alert_id, user_id)
);
