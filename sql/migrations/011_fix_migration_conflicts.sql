-- =============================================================================================
-- Migration 011: fix migration conflicts
-- =============================================================================================
--
-- Three tables were defined twice by earlier migrations, and each database kept whichever
-- definition ran first. This migration settles each table on the definition the application
-- expects, keeping every row.
--
-- How to run it: as ONE transaction. The wizard (or the Supabase SQL Editor) wraps the whole
-- file; there is deliberately no BEGIN / COMMIT here. If any statement fails, nothing is kept.
-- Idempotent: every change looks at the catalog first, so a second run changes nothing and
-- fails nothing (it only prints NOTICEs saying what was already in place).
--
-- CONFLICT 1: agent_recommendations (07 vs 08 schema)
--   07 created it without a workspace: a row hung off an agent only, with a free-text
--   `recommendation`, and the columns `confidence` and `status`.
--   08 redefined it as a workspace-scoped table, in this column order:
--     id, workspace_id, agent_id, recommendation_type, confidence_score, evidence,
--     outcome_status, created_at
--   but 08 used CREATE TABLE IF NOT EXISTS, so wherever 07 had run, 08 silently did nothing.
--   Fix: build the 08 table beside the 07 one, copy every row (workspace_id from the agent's
--   workspace, confidence -> confidence_score, status -> outcome_status, the 07 free text kept
--   inside evidence as evidence.recommendation), check that no row was lost, drop the 07 table
--   and rename the new one into place. The table is rebuilt rather than altered because column
--   ORDER is part of the 08 contract (exports and `select *` readers rely on it). Row Level
--   Security, the workspace policy, indexes and grants are set on the new table.
--
-- CONFLICT 2: agent_trust_scores (07 vs 08 schema)
--   08 added workspace_id to agent_trust_scores, again behind IF NOT EXISTS on the table, so it
--   never applied. Every trust score belongs to an agent and every agent to a workspace
--   (agents.workspace_id is NOT NULL), so the column can be backfilled exactly.
--   Fix: add workspace_id, backfill it from agents.workspace_id, refuse to continue if any row
--   could not be backfilled, then make it NOT NULL with a foreign key to workspaces and an index.
--
-- CONFLICT 3: competitors (07 vs 09 duplicate)
--   07 created competitors (id, workspace_id, name, website, created_at). 09 declared
--   CREATE TABLE IF NOT EXISTS competitors a second time, with the analysis columns positioning,
--   strengths, weaknesses, threat_level and last_analyzed_at. The table existed, so 09's
--   definition never applied: two definitions in the history, one incomplete table in the
--   database.
--   Fix: add 09's columns to the one existing table (IF NOT EXISTS), so exactly one definition
--   holds. No table is created or dropped for this conflict.
--
-- Net effect on the table count: none (agent_recommendations is replaced, not added).
-- =============================================================================================


-- ---------------------------------------------------------------------------------------------
-- Conflict 1: agent_recommendations -> 08 schema (rebuild, copy, swap)
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
  shape_07 constant text[] := ARRAY['id', 'agent_id', 'recommendation', 'recommendation_type',
                                    'confidence', 'evidence', 'status', 'created_at'];
  shape_08 constant text[] := ARRAY['id', 'workspace_id', 'agent_id', 'recommendation_type',
                                    'confidence_score', 'evidence', 'outcome_status', 'created_at'];
  current_shape text[];
  old_rows bigint := 0;
  copied   bigint := 0;
BEGIN
  SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO current_shape
  FROM pg_attribute a
  WHERE a.attrelid = to_regclass('public.agent_recommendations') AND a.attnum > 0 AND NOT a.attisdropped;

  IF current_shape = shape_08 THEN
    RAISE NOTICE '011: agent_recommendations already has the 08 schema; nothing to do';
    RETURN;
  END IF;
  IF current_shape IS DISTINCT FROM shape_07 AND current_shape IS NOT NULL THEN
    -- Neither 07 nor 08: copying would risk dropping columns we do not know about.
    RAISE EXCEPTION '011: agent_recommendations has an unexpected shape: %', current_shape
      USING HINT = 'Compare it with migrations 07 and 08 by hand; 011 converts only the 07 shape.';
  END IF;

  IF current_shape IS NOT NULL THEN
    -- Rows the 08 constraints would reject stop the migration here, with a readable message.
    IF EXISTS (SELECT 1 FROM public.agent_recommendations
               WHERE status NOT IN ('pending', 'accepted', 'rejected', 'expired')
                  OR confidence NOT BETWEEN 0 AND 1) THEN
      RAISE EXCEPTION '011: agent_recommendations has rows with a status or confidence the 08 schema rejects'
        USING HINT = 'status must be pending/accepted/rejected/expired and confidence 0..1; fix those rows first.';
    END IF;
  END IF;

  -- The 08 table, under a temporary name. Foreign keys and checks get their final names now
  -- (such names only have to be unique per table); the primary key is renamed after the swap.
  CREATE TABLE public.agent_recommendations_08 (
    id                  uuid NOT NULL DEFAULT gen_random_uuid(),
    workspace_id        uuid NOT NULL,
    agent_id            uuid NOT NULL,
    recommendation_type text NOT NULL,
    confidence_score    numeric(4, 3),
    evidence            jsonb NOT NULL DEFAULT '{}'::jsonb,
    outcome_status      text NOT NULL DEFAULT 'pending',
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agent_recommendations_08_pkey PRIMARY KEY (id),
    CONSTRAINT agent_recommendations_workspace_id_fkey
      FOREIGN KEY (workspace_id) REFERENCES public.workspaces (id) ON DELETE CASCADE,
    CONSTRAINT agent_recommendations_agent_id_fkey
      FOREIGN KEY (agent_id) REFERENCES public.agents (id) ON DELETE CASCADE,
    CONSTRAINT agent_recommendations_confidence_score_check
      CHECK (confidence_score BETWEEN 0 AND 1),
    CONSTRAINT agent_recommendations_outcome_status_check
      CHECK (outcome_status IN ('pending', 'accepted', 'rejected', 'expired'))
  );

  IF current_shape IS NOT NULL THEN
    -- Carry every 07 row over. The 07 free text has no 08 column: it is kept in evidence.
    INSERT INTO public.agent_recommendations_08
      (id, workspace_id, agent_id, recommendation_type, confidence_score, evidence, outcome_status, created_at)
    SELECT r.id, a.workspace_id, r.agent_id, r.recommendation_type, r.confidence,
           coalesce(r.evidence, '{}'::jsonb) || jsonb_build_object('recommendation', r.recommendation),
           r.status, r.created_at
    FROM public.agent_recommendations r
    JOIN public.agents a ON a.id = r.agent_id;
    GET DIAGNOSTICS copied = ROW_COUNT;

    SELECT count(*) INTO old_rows FROM public.agent_recommendations;
    IF copied <> old_rows THEN
      RAISE EXCEPTION '011: copied % of % agent_recommendations rows; refusing to drop the 07 table', copied, old_rows;
    END IF;

    -- No CASCADE: if a view or a foreign key depends on the 07 table, stop and say so.
    DROP TABLE public.agent_recommendations;
  END IF;

  ALTER TABLE public.agent_recommendations_08 RENAME TO agent_recommendations;
  ALTER TABLE public.agent_recommendations
    RENAME CONSTRAINT agent_recommendations_08_pkey TO agent_recommendations_pkey;

  CREATE INDEX agent_recommendations_workspace_id_idx
    ON public.agent_recommendations (workspace_id, created_at DESC);
  CREATE INDEX agent_recommendations_agent_id_idx ON public.agent_recommendations (agent_id);

  -- RLS as before, now scoped by the table's own workspace_id (the Supabase way).
  ALTER TABLE public.agent_recommendations ENABLE ROW LEVEL SECURITY;
  CREATE POLICY agent_recommendations_workspace_members ON public.agent_recommendations
    FOR ALL TO authenticated
    USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))
    WITH CHECK (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()));
  GRANT SELECT, INSERT, UPDATE, DELETE ON public.agent_recommendations TO authenticated, service_role;
  COMMENT ON TABLE public.agent_recommendations IS 'Agent recommendations, 08 schema (settled by migration 011).';

  RAISE NOTICE '011: agent_recommendations rebuilt on the 08 schema (% rows carried over)', copied;
END
$$;


-- ---------------------------------------------------------------------------------------------
-- Conflict 2: agent_trust_scores gains workspace_id (08), backfilled from agents
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
  filled  bigint := 0;
  missing bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = 'public.agent_trust_scores'::regclass
                   AND attname = 'workspace_id' AND NOT attisdropped) THEN
    ALTER TABLE public.agent_trust_scores ADD COLUMN workspace_id uuid;
  END IF;

  -- Only rows still without a workspace are touched, so a second run updates nothing.
  UPDATE public.agent_trust_scores t
  SET workspace_id = a.workspace_id
  FROM public.agents a
  WHERE a.id = t.agent_id AND t.workspace_id IS NULL;
  GET DIAGNOSTICS filled = ROW_COUNT;

  -- A score whose agent is gone cannot be backfilled: stop rather than guess.
  SELECT count(*) INTO missing FROM public.agent_trust_scores WHERE workspace_id IS NULL;
  IF missing > 0 THEN
    RAISE EXCEPTION '011: % agent_trust_scores rows have no agent to take a workspace from', missing
      USING HINT = 'Delete or re-assign those rows, then run 011 again.';
  END IF;

  IF NOT (SELECT attnotnull FROM pg_attribute
          WHERE attrelid = 'public.agent_trust_scores'::regclass AND attname = 'workspace_id') THEN
    ALTER TABLE public.agent_trust_scores ALTER COLUMN workspace_id SET NOT NULL;
  END IF;

  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                 WHERE conrelid = 'public.agent_trust_scores'::regclass
                   AND conname = 'agent_trust_scores_workspace_id_fkey') THEN
    ALTER TABLE public.agent_trust_scores
      ADD CONSTRAINT agent_trust_scores_workspace_id_fkey
      FOREIGN KEY (workspace_id) REFERENCES public.workspaces (id) ON DELETE CASCADE;
  END IF;

  IF to_regclass('public.agent_trust_scores_workspace_id_idx') IS NULL THEN
    CREATE INDEX agent_trust_scores_workspace_id_idx ON public.agent_trust_scores (workspace_id);
  END IF;

  RAISE NOTICE '011: agent_trust_scores.workspace_id in place (% rows backfilled now)', filled;
END
$$;


-- ---------------------------------------------------------------------------------------------
-- Conflict 3: competitors, one definition (07's table completed with 09's columns)
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
  IF (SELECT count(*) FROM pg_attribute
      WHERE attrelid = 'public.competitors'::regclass AND NOT attisdropped
        AND attname IN ('positioning', 'strengths', 'weaknesses', 'threat_level', 'last_analyzed_at')) < 5 THEN
    ALTER TABLE public.competitors
      ADD COLUMN IF NOT EXISTS positioning      text,
      ADD COLUMN IF NOT EXISTS strengths        jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN IF NOT EXISTS weaknesses       jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN IF NOT EXISTS threat_level     text,
      ADD COLUMN IF NOT EXISTS last_analyzed_at timestamptz;
    RAISE NOTICE '011: competitors completed with the 09 columns';
  END IF;

  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                 WHERE conrelid = 'public.competitors'::regclass
                   AND conname = 'competitors_threat_level_check') THEN
    ALTER TABLE public.competitors
      ADD CONSTRAINT competitors_threat_level_check
      CHECK (threat_level IS NULL OR threat_level IN ('low', 'medium', 'high'));
  END IF;
END
$$;


-- ---------------------------------------------------------------------------------------------
-- Post-check: the three tables are now what the application expects (fails the whole
-- transaction otherwise, so a half-fixed schema is never committed)
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
  IF (SELECT array_agg(column_name::text ORDER BY ordinal_position) FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'agent_recommendations')
     IS DISTINCT FROM ARRAY['id', 'workspace_id', 'agent_id', 'recommendation_type',
                            'confidence_score', 'evidence', 'outcome_status', 'created_at'] THEN
    RAISE EXCEPTION '011 post-check: agent_recommendations does not have the 08 columns';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = 'agent_trust_scores'
                   AND column_name = 'workspace_id' AND is_nullable = 'NO') THEN
    RAISE EXCEPTION '011 post-check: agent_trust_scores.workspace_id is missing or nullable';
  END IF;
  IF (SELECT count(*) FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'competitors'
        AND column_name IN ('positioning', 'strengths', 'weaknesses', 'threat_level', 'last_analyzed_at')) <> 5 THEN
    RAISE EXCEPTION '011 post-check: competitors lacks some of the 09 columns';
  END IF;
END
$$;
