-- =============================================================================================
-- Migration 011: fix migration conflicts
-- =============================================================================================
--
-- Three tables were defined twice by earlier migrations, and the database ended up with
-- whichever definition ran first. This migration settles each one on the definition the
-- application expects. It runs as ONE transaction (the wizard wraps it; there is no BEGIN or
-- COMMIT in this file), and it is idempotent: every change checks the catalog first, so a
-- second run changes nothing and fails nothing.
--
-- CONFLICT 1: agent_recommendations (07 vs 08 schema)
--   Migration 07 created agent_recommendations without a workspace: rows hung off an agent
--   only, and the columns were named confidence / status, with a free-text recommendation.
--   Migration 08 redefined it as a workspace-scoped table:
--     id, workspace_id, agent_id, recommendation_type, confidence_score, evidence,
--     outcome_status, created_at
--   but used CREATE TABLE IF NOT EXISTS, so on databases where 07 had run, 08 did nothing.
--   Fix: build the 08 table beside the 07 one, copy every row (workspace_id comes from the
--   recommending agent's workspace, confidence -> confidence_score, status -> outcome_status),
--   then swap the tables. Column order matters to the application's exports, which is why the
--   table is rebuilt instead of altered. RLS is re-enabled with a workspace policy.
--
-- CONFLICT 2: agent_trust_scores (07 vs 08 schema)
--   Migration 08 added workspace_id to agent_trust_scores, again guarded by IF NOT EXISTS on
--   the table, so it never applied. Every trust score belongs to an agent, and every agent
--   belongs to a workspace, so the column can be backfilled exactly.
--   Fix: add workspace_id, backfill it from agents.workspace_id, then make it NOT NULL with a
--   foreign key to workspaces and an index.
--
-- CONFLICT 3: competitors (07 vs 09 duplicate)
--   Migration 07 created competitors (id, workspace_id, name, website, created_at).
--   Migration 09 declared CREATE TABLE IF NOT EXISTS competitors again, with the analysis
--   columns positioning, strengths, weaknesses, threat_level and last_analyzed_at. Because the
--   table existed, 09's definition silently never applied: two definitions in the history, one
--   (incomplete) table in the database.
--   Fix: add 09's columns to the one existing table, so exactly one definition holds. No table
--   is created or dropped: 011 leaves the number of tables unchanged.
-- =============================================================================================


-- ---------------------------------------------------------------------------------------------
-- Conflict 1: agent_recommendations -> 08 schema
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
  -- Already on the 08 schema (workspace_id present): nothing to do.
  IF EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = 'agent_recommendations' AND column_name = 'workspace_id'
  ) THEN
    RAISE NOTICE '011: agent_recommendations already has the 08 schema, skipped';
    RETURN;
  END IF;

  CREATE TABLE public.agent_recommendations_08 (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id        uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
    agent_id            uuid NOT NULL REFERENCES public.agents (id) ON DELETE CASCADE,
    recommendation_type text NOT NULL,
    confidence_score    numeric(4, 3) CHECK (confidence_score BETWEEN 0 AND 1),
    evidence            jsonb NOT NULL DEFAULT '{}',
    outcome_status      text NOT NULL DEFAULT 'pending'
                        CHECK (outcome_status IN ('pending', 'accepted', 'rejected', 'expired')),
    created_at          timestamptz NOT NULL DEFAULT now()
  );

  -- Carry every 07 row over; the 07 free-text recommendation is kept inside evidence.
  INSERT INTO public.agent_recommendations_08
    (id, workspace_id, agent_id, recommendation_type, confidence_score, evidence, outcome_status, created_at)
  SELECT r.id, a.workspace_id, r.agent_id, r.recommendation_type, r.confidence,
         r.evidence || jsonb_build_object('recommendation', r.recommendation),
         r.status, r.created_at
  FROM public.agent_recommendations r
  JOIN public.agents a ON a.id = r.agent_id;

  DROP TABLE public.agent_recommendations;
  ALTER TABLE public.agent_recommendations_08 RENAME TO agent_recommendations;
  ALTER TABLE public.agent_recommendations
    RENAME CONSTRAINT agent_recommendations_08_pkey TO agent_recommendations_pkey;
  ALTER TABLE public.agent_recommendations
    RENAME CONSTRAINT agent_recommendations_08_workspace_id_fkey TO agent_recommendations_workspace_id_fkey;
  ALTER TABLE public.agent_recommendations
    RENAME CONSTRAINT agent_recommendations_08_agent_id_fkey TO agent_recommendations_agent_id_fkey;

  CREATE INDEX agent_recommendations_workspace_idx ON public.agent_recommendations (workspace_id, created_at DESC);
  CREATE INDEX agent_recommendations_agent_idx ON public.agent_recommendations (agent_id);

  ALTER TABLE public.agent_recommendations ENABLE ROW LEVEL SECURITY;
  CREATE POLICY agent_recommendations_workspace_members ON public.agent_recommendations
    FOR ALL TO authenticated
    USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));
  GRANT SELECT, INSERT, UPDATE, DELETE ON public.agent_recommendations TO authenticated, service_role;

  RAISE NOTICE '011: agent_recommendations rebuilt on the 08 schema';
END
$$;


-- ---------------------------------------------------------------------------------------------
-- Conflict 2: agent_trust_scores gains workspace_id (08), backfilled from agents
-- ---------------------------------------------------------------------------------------------
ALTER TABLE public.agent_trust_scores ADD COLUMN IF NOT EXISTS workspace_id uuid;

UPDATE public.agent_trust_scores t
SET workspace_id = a.workspace_id
FROM public.agents a
WHERE a.id = t.agent_id
  AND t.workspace_id IS NULL;

DO $$
BEGIN
  -- A trust score whose agent is gone cannot be backfilled: stop rather than guess.
  IF EXISTS (SELECT 1 FROM public.agent_trust_scores WHERE workspace_id IS NULL) THEN
    RAISE EXCEPTION '011: % agent_trust_scores rows have no agent to take a workspace from',
      (SELECT count(*) FROM public.agent_trust_scores WHERE workspace_id IS NULL);
  END IF;

  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint
    WHERE conname = 'agent_trust_scores_workspace_id_fkey' AND conrelid = 'public.agent_trust_scores'::regclass
  ) THEN
    ALTER TABLE public.agent_trust_scores
      ADD CONSTRAINT agent_trust_scores_workspace_id_fkey
      FOREIGN KEY (workspace_id) REFERENCES public.workspaces (id) ON DELETE CASCADE;
  END IF;
END
$$;

ALTER TABLE public.agent_trust_scores ALTER COLUMN workspace_id SET NOT NULL;
CREATE INDEX IF NOT EXISTS agent_trust_scores_workspace_idx ON public.agent_trust_scores (workspace_id);


-- ---------------------------------------------------------------------------------------------
-- Conflict 3: competitors, one definition (07's table completed with 09's columns)
-- ---------------------------------------------------------------------------------------------
ALTER TABLE public.competitors ADD COLUMN IF NOT EXISTS positioning text;
ALTER TABLE public.competitors ADD COLUMN IF NOT EXISTS strengths jsonb NOT NULL DEFAULT '[]';
ALTER TABLE public.competitors ADD COLUMN IF NOT EXISTS weaknesses jsonb NOT NULL DEFAULT '[]';
ALTER TABLE public.competitors ADD COLUMN IF NOT EXISTS threat_level text;
ALTER TABLE public.competitors ADD COLUMN IF NOT EXISTS last_analyzed_at timestamptz;

DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint
    WHERE conname = 'competitors_threat_level_check' AND conrelid = 'public.competitors'::regclass
  ) THEN
    ALTER TABLE public.competitors
      ADD CONSTRAINT competitors_threat_level_check
      CHECK (threat_level IS NULL OR threat_level IN ('low', 'medium', 'high'));
  END IF;
END
$$;

-- 09 looked competitors up by workspace and name; keep one row per name per workspace.
CREATE UNIQUE INDEX IF NOT EXISTS competitors_workspace_name_key ON public.competitors (workspace_id, name);
