-- Verification queries for Week 1 (runbook task 1.3; run on Tuesday on staging, Thursday on
-- production). Each query is marked `-- @query name: description`; the wizard runs them one by
-- one and judges each against its expectation. Every query reads the catalog first, so all of
-- them run both before and after migrations 011 and 012.

-- @section 1. Duplicate conflicts fixed (agent_recommendations, agent_trust_scores, competitors)

-- @query agent_recommendations_columns: agent_recommendations columns in order (08 schema: workspace_id NOT NULL)
SELECT column_name, data_type, is_nullable
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'agent_recommendations'
ORDER BY ordinal_position;

-- @query agent_trust_scores_columns: agent_trust_scores columns (workspace_id present, NOT NULL)
SELECT column_name, data_type, is_nullable
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'agent_trust_scores'
ORDER BY ordinal_position;

-- @query competitors_count: competitors is one readable table
SELECT COUNT(*) AS competitor_rows FROM competitors;

-- @section 2. Unused tables removed

-- @query table_count: base tables in public (43 after 012: 52 - 9)
SELECT COUNT(*) AS active_table_count
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE';

-- @query removed_tables_present: tables 012 removes that still exist (0 rows after 012)
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN ('quests', 'quest_moves', 'quest_milestones',
                     'capability_nodes', 'maneuver_prerequisites',
                     'quick_wins', 'cohort_relations', 'move_decisions', 'notifications')
ORDER BY table_name;

-- @section 3. Core tables remain

-- @query core_row_counts: row counts of the core tables (must match the counts before the migrations)
SELECT 'moves' AS table_name, COUNT(*) AS row_count FROM moves
UNION ALL
SELECT 'cohorts', COUNT(*) FROM cohorts
UNION ALL
SELECT 'campaigns', COUNT(*) FROM campaigns
UNION ALL
SELECT 'assets', COUNT(*) FROM assets;

-- @section 4. Foreign key integrity

-- @query orphaned_rows: rows whose parent is missing, per relationship (all 0)
SELECT 'moves.campaign_id' AS relationship, COUNT(*) AS orphans
FROM moves m LEFT JOIN campaigns c ON c.id = m.campaign_id
WHERE m.campaign_id IS NOT NULL AND c.id IS NULL
UNION ALL
SELECT 'moves.cohort_id', COUNT(*)
FROM moves m LEFT JOIN cohorts c ON c.id = m.cohort_id
WHERE m.cohort_id IS NOT NULL AND c.id IS NULL
UNION ALL
SELECT 'assets.move_id', COUNT(*)
FROM assets a LEFT JOIN moves m ON m.id = a.move_id
WHERE a.move_id IS NOT NULL AND m.id IS NULL
UNION ALL
SELECT 'campaigns.workspace_id', COUNT(*)
FROM campaigns c LEFT JOIN workspaces w ON w.id = c.workspace_id
WHERE w.id IS NULL;

-- @query foreign_keys_to_removed_tables: constraints that still point at a table 012 removes (0 rows after 012)
SELECT conrelid::regclass::text AS from_table, conname AS constraint_name, confrelid::regclass::text AS to_table
FROM pg_constraint
WHERE contype = 'f'
  AND connamespace = 'public'::regnamespace
  AND confrelid::regclass::text IN ('quests', 'quest_moves', 'quest_milestones',
                                    'capability_nodes', 'maneuver_prerequisites',
                                    'quick_wins', 'cohort_relations', 'move_decisions', 'notifications')
ORDER BY 1, 2;

-- @query invalid_constraints: foreign keys not validated (0 rows)
SELECT conrelid::regclass::text AS table_name, conname AS constraint_name
FROM pg_constraint
WHERE contype = 'f' AND NOT convalidated AND connamespace = 'public'::regnamespace;

-- @section 5. RLS policies still work

-- @query rls_policies: policies in public (several listed)
SELECT schemaname, tablename, policyname, permissive
FROM pg_policies
WHERE schemaname = 'public'
ORDER BY tablename, policyname;

-- @query rls_enabled_tables: tables with row level security enabled
SELECT relname AS table_name, relrowsecurity AS rls_enabled
FROM pg_class
WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relrowsecurity
ORDER BY relname;
