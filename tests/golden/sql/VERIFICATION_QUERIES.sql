-- Verification queries for Week 1 (runbook task 1.3; run on Tuesday on staging, Thursday on
-- production). Each query is marked `-- @query name: description`; the wizard splits the file
-- on those markers, runs the queries one by one and judges each against its expectation.
-- Every query only reads, and every one runs both before and after migrations 011 and 012:
-- shapes are read from the catalog, and only tables that survive both migrations are selected.

-- @section 1. Duplicate conflicts fixed (agent_recommendations, agent_trust_scores, competitors)

-- @query agent_recommendations_columns: agent_recommendations columns in order (08: id, workspace_id, agent_id, recommendation_type, confidence_score, evidence, outcome_status, created_at; workspace_id NOT NULL)
SELECT column_name, data_type, is_nullable
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'agent_recommendations'
ORDER BY ordinal_position;

-- @query agent_trust_scores_columns: agent_trust_scores columns (workspace_id present and NOT NULL after 011)
SELECT column_name, data_type, is_nullable
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'agent_trust_scores'
ORDER BY ordinal_position;

-- @query competitors_count: competitors is one readable table (returns a number)
SELECT COUNT(*) AS competitor_rows FROM competitors;

-- @query competitors_columns: competitors columns (the 07 columns plus 09's positioning, strengths, weaknesses, threat_level, last_analyzed_at after 011)
SELECT column_name, data_type, is_nullable
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'competitors'
ORDER BY ordinal_position;

-- @section 2. Unused tables removed

-- @query table_count: base tables in public (52 before, 43 after 012: 52 - 9)
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

-- @query core_tables_present: the four core tables exist as base tables (4 rows)
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
  AND table_name IN ('moves', 'cohorts', 'campaigns', 'assets')
ORDER BY table_name;

-- @query core_row_counts: row counts of the core tables (must match the counts before the migrations: 15, 8, 5, 42 on the sandbox)
SELECT 'moves' AS table_name, COUNT(*) AS row_count FROM moves
UNION ALL
SELECT 'cohorts', COUNT(*) FROM cohorts
UNION ALL
SELECT 'campaigns', COUNT(*) FROM campaigns
UNION ALL
SELECT 'assets', COUNT(*) FROM assets;

-- @section 4. Foreign key integrity

-- @query orphaned_rows: rows whose parent row is missing, per relationship (every count 0)
SELECT 'moves.campaign_id -> campaigns' AS relationship, COUNT(*) AS orphans
FROM moves m LEFT JOIN campaigns c ON c.id = m.campaign_id
WHERE m.campaign_id IS NOT NULL AND c.id IS NULL
UNION ALL
SELECT 'moves.cohort_id -> cohorts', COUNT(*)
FROM moves m LEFT JOIN cohorts c ON c.id = m.cohort_id
WHERE m.cohort_id IS NOT NULL AND c.id IS NULL
UNION ALL
SELECT 'moves.sprint_id -> sprints', COUNT(*)
FROM moves m LEFT JOIN sprints s ON s.id = m.sprint_id
WHERE m.sprint_id IS NOT NULL AND s.id IS NULL
UNION ALL
SELECT 'moves.maneuver_type_id -> maneuver_types', COUNT(*)
FROM moves m LEFT JOIN maneuver_types t ON t.id = m.maneuver_type_id
WHERE m.maneuver_type_id IS NOT NULL AND t.id IS NULL
UNION ALL
SELECT 'moves.workspace_id -> workspaces', COUNT(*)
FROM moves m LEFT JOIN workspaces w ON w.id = m.workspace_id
WHERE w.id IS NULL
UNION ALL
SELECT 'assets.move_id -> moves', COUNT(*)
FROM assets a LEFT JOIN moves m ON m.id = a.move_id
WHERE a.move_id IS NOT NULL AND m.id IS NULL
UNION ALL
SELECT 'campaigns.workspace_id -> workspaces', COUNT(*)
FROM campaigns c LEFT JOIN workspaces w ON w.id = c.workspace_id
WHERE w.id IS NULL
UNION ALL
SELECT 'cohorts.workspace_id -> workspaces', COUNT(*)
FROM cohorts c LEFT JOIN workspaces w ON w.id = c.workspace_id
WHERE w.id IS NULL
UNION ALL
SELECT 'agent_recommendations.agent_id -> agents', COUNT(*)
FROM agent_recommendations r LEFT JOIN agents a ON a.id = r.agent_id
WHERE a.id IS NULL
UNION ALL
SELECT 'agent_trust_scores.agent_id -> agents', COUNT(*)
FROM agent_trust_scores s LEFT JOIN agents a ON a.id = s.agent_id
WHERE a.id IS NULL;

-- @query foreign_keys_to_removed_tables: foreign keys that still point at a table 012 removes (before 012: moves_quest_id_fkey among them; 0 rows after)
SELECT src.relname AS from_table, con.conname AS constraint_name, dst.relname AS to_table
FROM pg_constraint con
JOIN pg_class src ON src.oid = con.conrelid
JOIN pg_class dst ON dst.oid = con.confrelid
JOIN pg_namespace ns ON ns.oid = dst.relnamespace
WHERE con.contype = 'f'
  AND ns.nspname = 'public'
  AND dst.relname IN ('quests', 'quest_moves', 'quest_milestones',
                      'capability_nodes', 'maneuver_prerequisites',
                      'quick_wins', 'cohort_relations', 'move_decisions', 'notifications')
ORDER BY 1, 2;

-- @query unvalidated_foreign_keys: foreign keys in public not yet validated (0 rows)
SELECT src.relname AS table_name, con.conname AS constraint_name
FROM pg_constraint con
JOIN pg_class src ON src.oid = con.conrelid
JOIN pg_namespace ns ON ns.oid = src.relnamespace
WHERE con.contype = 'f' AND NOT con.convalidated AND ns.nspname = 'public'
ORDER BY 1, 2;

-- @section 5. RLS policies still work

-- @query rls_policies: policies in public (several listed)
SELECT schemaname, tablename, policyname, permissive, roles, cmd
FROM pg_policies
WHERE schemaname = 'public'
ORDER BY tablename, policyname;

-- @query rls_enabled_tables: tables in public with row level security enabled
SELECT c.relname AS table_name, c.relrowsecurity AS rls_enabled
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity
ORDER BY c.relname;

-- @query core_tables_without_rls: core and conflict tables whose RLS is off or that have no policy (0 rows)
SELECT c.relname AS table_name, c.relrowsecurity AS rls_enabled,
       (SELECT COUNT(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
  AND c.relname IN ('workspaces', 'moves', 'cohorts', 'campaigns', 'assets',
                    'agent_recommendations', 'agent_trust_scores', 'competitors')
  AND (NOT c.relrowsecurity OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))
ORDER BY c.relname;
