-- =============================================================================================
-- Migration 014: Codex gamification and achievements (Week 2, Backend Dev 1)
-- =============================================================================================
--
-- Adds 6 tables: achievements a workspace defines and the criteria that unlock them, what each
-- user has unlocked, an append-only XP ledger, streaks, and periodic leaderboard snapshots.
--
-- Why a ledger rather than an XP counter: totals are derived (sum over the ledger), so a replayed
-- or corrected event is a new row, never a lost update; snapshots freeze a leaderboard for
-- display without locking the ledger.
--
-- This replaces nothing: the quest tables 012 removed were a different, abandoned feature, and
-- no column here refers to them.
--
-- Conventions: uuid ids, created_at, NOT NULL workspace_id on every table (017 adds RLS and the
-- foreign-key indexes). ONE transaction, no BEGIN/COMMIT; IF NOT EXISTS for a safe second run.
-- =============================================================================================

CREATE TABLE IF NOT EXISTS codex_achievements (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  slug          text NOT NULL,
  title         text NOT NULL,
  xp_reward     integer NOT NULL DEFAULT 0 CHECK (xp_reward >= 0),
  is_secret     boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, slug)
);

-- A criterion is data the backend evaluates (e.g. {"moves_completed": 10}); all of an
-- achievement's criteria must hold.
CREATE TABLE IF NOT EXISTS codex_achievement_criteria (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  achievement_id  uuid NOT NULL REFERENCES codex_achievements (id) ON DELETE CASCADE,
  metric          text NOT NULL,
  threshold       numeric NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_user_achievements (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  achievement_id  uuid NOT NULL REFERENCES codex_achievements (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  unlocked_at     timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (achievement_id, user_id)  -- unlocked once
);

CREATE TABLE IF NOT EXISTS codex_xp_ledger (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  -- what earned it: a completed move, an unlocked achievement, or a manual correction
  move_id       uuid REFERENCES moves (id) ON DELETE SET NULL,
  achievement_id uuid REFERENCES codex_achievements (id) ON DELETE SET NULL,
  delta         integer NOT NULL CHECK (delta <> 0),
  reason        text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS codex_streaks (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id        uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  current_days   integer NOT NULL DEFAULT 0 CHECK (current_days >= 0),
  longest_days   integer NOT NULL DEFAULT 0 CHECK (longest_days >= current_days),
  last_active_on date,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, user_id)
);

CREATE TABLE IF NOT EXISTS codex_leaderboard_snapshots (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  period        text NOT NULL CHECK (period IN ('week', 'month', 'all_time')),
  taken_at      timestamptz NOT NULL DEFAULT now(),
  -- [{"user_id": ..., "xp": ..., "rank": ...}], ranked when taken
  standings     jsonb NOT NULL DEFAULT '[]',
  created_at    timestamptz NOT NULL DEFAULT now()
);
