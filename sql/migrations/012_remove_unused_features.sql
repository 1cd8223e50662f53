-- =============================================================================================
-- Migration 012: remove unused features
-- =============================================================================================
--
-- The schema audit found tables that no application code reads or writes. This migration
-- removes the nine that belong to three abandoned features. Before running it:
--   * Monday (task 1.2) the wizard searches backend/ for every table dropped here, with the
--     table names parsed out of THIS file, and expects 0 references outside the tests;
--   * a backup less than 24 hours old must be noted (tasks 1.4 and 4.1).
--
-- It runs as ONE transaction (the wizard wraps it; no BEGIN/COMMIT here), with a lock timeout,
-- so a busy table makes it fail fast and roll back instead of queueing behind live traffic.
-- It is idempotent: DROP TABLE IF EXISTS is a no-op the second time.
--
-- Why CASCADE: these tables reference each other (quest_moves -> quests, maneuver_prerequisites
-- -> capability_nodes, ...), and one surviving table still carries a legacy foreign key into
-- them: moves.quest_id -> quests(id). CASCADE removes such dependent CONSTRAINTS and views; it
-- never drops another table. The moves.quest_id column itself stays (its values are kept, and
-- the column can be removed in a later clean-up once nothing reads it).
--
-- Expected effect: 52 -> 43 tables in public; moves, cohorts, campaigns and assets keep every
-- row (the wizard measures both before and after, inside this transaction).
-- =============================================================================================


-- ---------------------------------------------------------------------------------------------
-- Pre-flight: say how many rows each table holds as it goes, so the migration log records what
-- was discarded (the rows remain in the backup). A second run finds the tables gone and says so.
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
  t text;
  n bigint;
BEGIN
  FOREACH t IN ARRAY ARRAY['quests', 'quest_moves', 'quest_milestones', 'capability_nodes',
                           'maneuver_prerequisites', 'quick_wins', 'cohort_relations',
                           'move_decisions', 'notifications'] LOOP
    IF to_regclass('public.' || t) IS NULL THEN
      RAISE NOTICE '012: % is already gone', t;
    ELSE
      EXECUTE format('SELECT count(*) FROM public.%I', t) INTO n;
      RAISE NOTICE '012: dropping % (% rows)', t, n;
    END IF;
  END LOOP;
END
$$;


-- ---------------------------------------------------------------------------------------------
-- Feature 1: Quests (gamification experiment, never shipped)
--   quests            - a quest per workspace with reward points
--   quest_moves       - moves that counted towards a quest
--   quest_milestones  - progress markers inside a quest
-- Children first, so the intent reads clearly even though CASCADE would cope either way.
-- ---------------------------------------------------------------------------------------------
DROP TABLE IF EXISTS quest_milestones CASCADE;

DROP TABLE IF EXISTS quest_moves CASCADE;

-- Also removes the legacy constraint moves_quest_id_fkey (moves -> quests).
DROP TABLE IF EXISTS quests CASCADE;


-- ---------------------------------------------------------------------------------------------
-- Feature 2: Capability graph (replaced by maneuver_types.category)
--   maneuver_prerequisites - which capabilities a maneuver type needed
--   capability_nodes       - the capability tree itself
-- ---------------------------------------------------------------------------------------------
DROP TABLE IF EXISTS maneuver_prerequisites CASCADE;

DROP TABLE IF EXISTS capability_nodes CASCADE;


-- ---------------------------------------------------------------------------------------------
-- Feature 3: Legacy planning helpers (superseded by campaigns, sprints and events)
--   notifications    - in-app notices, replaced by the events table and email
--   move_decisions   - go/no-go log, replaced by move_comments
--   quick_wins       - a suggestions list nobody opened
--   cohort_relations - overlaps between cohorts, computed on the fly now
-- ---------------------------------------------------------------------------------------------
DROP TABLE IF EXISTS notifications CASCADE;

DROP TABLE IF EXISTS move_decisions CASCADE;

DROP TABLE IF EXISTS quick_wins CASCADE;

DROP TABLE IF EXISTS cohort_relations CASCADE;


-- ---------------------------------------------------------------------------------------------
-- Post-check (reads only): the nine are gone, the core tables are still here, and no foreign key
-- is left pointing at a removed table. A failure rolls the whole migration back.
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['quests', 'quest_moves', 'quest_milestones', 'capability_nodes',
                           'maneuver_prerequisites', 'quick_wins', 'cohort_relations',
                           'move_decisions', 'notifications'] LOOP
    IF to_regclass('public.' || t) IS NOT NULL THEN
      RAISE EXCEPTION '012 post-check: % still exists', t;
    END IF;
  END LOOP;
  FOREACH t IN ARRAY ARRAY['moves', 'cohorts', 'campaigns', 'assets'] LOOP
    IF to_regclass('public.' || t) IS NULL THEN
      RAISE EXCEPTION '012 post-check: core table % is missing', t;
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'moves_quest_id_fkey'
             AND conrelid = 'public.moves'::regclass) THEN
    RAISE EXCEPTION '012 post-check: moves_quest_id_fkey (moves -> quests) survived';
  END IF;
END
$$;


-- ---------------------------------------------------------------------------------------------
-- Not removed here, on purpose
-- ---------------------------------------------------------------------------------------------
-- The audit counted twelve unused tables; three of them (market_insights,
-- positioning_statements, strategy_documents) are read by the Week 2 Codex work and stay.
-- The core tables (moves, cohorts, campaigns, assets) are untouched by this file.
--
-- Rollback: restore from the backup noted on Monday / Thursday (Supabase Dashboard -> Backups),
-- or re-create the nine tables from the schema and reload their rows from that backup
-- (see the runbook's ROLLBACK PROCEDURE).
--
-- Verification (Tuesday 2.5-2.6 on staging, Thursday 4.7 on production):
--   SELECT COUNT(*) FROM information_schema.tables
--   WHERE table_schema = 'public' AND table_type = 'BASE TABLE';
--     -> the count before this migration minus the nine tables above (52 - 9 = 43)
--   SELECT table_name FROM information_schema.tables
--   WHERE table_schema = 'public' AND table_name IN ('quests', 'quest_moves', 'quest_milestones',
--     'capability_nodes', 'maneuver_prerequisites', 'quick_wins', 'cohort_relations',
--     'move_decisions', 'notifications');
--     -> 0 rows
--   Core row counts -> the same as before the migration.
--
-- Notes for operators:
--   * If a DROP waits on a lock, the lock timeout ends the whole migration: nothing is dropped.
--     Find the blocking session (pg_stat_activity / pg_blocking_pids) and retry in a quieter
--     moment.
--   * "table ... does not exist" notices on a second run are expected and harmless.
--   * A "cannot drop table ... because other objects depend on it" error cannot happen with
--     CASCADE; if an old client removed CASCADE, see the runbook's troubleshooting section.
