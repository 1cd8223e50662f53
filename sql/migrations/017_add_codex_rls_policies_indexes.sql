-- =============================================================================================
-- Migration 017: Codex RLS policies and indexes (Week 2, DevOps Dev)
-- =============================================================================================
--
-- The last Week 2 migration. It creates no table: it secures and indexes the 25 Codex tables
-- 013-016 created, so it must run after them (it fails, and rolls back whole, if one is missing).
--
-- 1. Row level security. Every Codex table carries workspace_id; a signed-in user (role
--    `authenticated`) sees and writes only rows of the workspaces they are a member of, exactly
--    as the existing tables' policies do (workspace_members, auth.uid()). service_role bypasses
--    RLS, as on Supabase, so the backend's server-side jobs are unaffected. anon sees nothing.
--    The policies are written in one loop because they are identical but for the table; each is
--    dropped first so a second run replaces it instead of failing.
--
-- 2. Indexes. Every foreign key column leads an index (the schema's convention, checked by the
--    tests): deleting a workspace, user or parent row then never scans a whole child table, and
--    the RLS check on workspace_id is an index lookup. Two more serve the dashboards' queries.
--
-- ONE transaction (the wizard wraps it; no BEGIN/COMMIT here). CREATE INDEX (not CONCURRENTLY):
-- the tables are new and empty, so the brief lock costs nothing and keeps the file atomic.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- 1. RLS: enable, and one workspace-members policy per table
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'codex_achievement_criteria', 'codex_achievements', 'codex_agent_capabilities',
    'codex_agent_deployments', 'codex_agent_handoffs', 'codex_agent_invocations',
    'codex_agent_registry', 'codex_agent_versions', 'codex_alert_acknowledgements',
    'codex_alert_rules', 'codex_alerts', 'codex_audience_segments',
    'codex_campaign_move_links', 'codex_campaign_plans', 'codex_campaign_stages',
    'codex_intel_digests', 'codex_intel_signals', 'codex_intel_sources',
    'codex_leaderboard_snapshots', 'codex_messaging_pillars', 'codex_positioning_frameworks',
    'codex_streaks', 'codex_user_achievements', 'codex_value_propositions', 'codex_xp_ledger'
  ] LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON public.%I', t || '_workspace_members', t);
    EXECUTE format(
      'CREATE POLICY %I ON public.%I FOR ALL TO authenticated '
      'USING (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid())) '
      'WITH CHECK (workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid()))',
      t || '_workspace_members', t);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- 2. Indexes: every foreign key column leads one
-- ---------------------------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS codex_achievement_criteria_achievement_id_idx ON codex_achievement_criteria (achievement_id);
CREATE INDEX IF NOT EXISTS codex_achievement_criteria_workspace_id_idx ON codex_achievement_criteria (workspace_id);
CREATE INDEX IF NOT EXISTS codex_agent_capabilities_workspace_id_idx ON codex_agent_capabilities (workspace_id);
CREATE INDEX IF NOT EXISTS codex_agent_deployments_version_id_idx ON codex_agent_deployments (version_id);
CREATE INDEX IF NOT EXISTS codex_agent_deployments_workspace_id_idx ON codex_agent_deployments (workspace_id);
CREATE INDEX IF NOT EXISTS codex_agent_handoffs_invocation_id_idx ON codex_agent_handoffs (invocation_id);
CREATE INDEX IF NOT EXISTS codex_agent_handoffs_to_agent_id_idx ON codex_agent_handoffs (to_agent_id);
CREATE INDEX IF NOT EXISTS codex_agent_handoffs_workspace_id_idx ON codex_agent_handoffs (workspace_id);
CREATE INDEX IF NOT EXISTS codex_agent_invocations_deployment_id_idx ON codex_agent_invocations (deployment_id);
CREATE INDEX IF NOT EXISTS codex_agent_invocations_invoked_by_idx ON codex_agent_invocations (invoked_by);
CREATE INDEX IF NOT EXISTS codex_agent_invocations_workspace_id_idx ON codex_agent_invocations (workspace_id);
CREATE INDEX IF NOT EXISTS codex_agent_registry_legacy_agent_id_idx ON codex_agent_registry (legacy_agent_id);
CREATE INDEX IF NOT EXISTS codex_agent_registry_owner_id_idx ON codex_agent_registry (owner_id);
CREATE INDEX IF NOT EXISTS codex_agent_versions_workspace_id_idx ON codex_agent_versions (workspace_id);
CREATE INDEX IF NOT EXISTS codex_alert_acknowledgements_user_id_idx ON codex_alert_acknowledgements (user_id);
CREATE INDEX IF NOT EXISTS codex_alert_acknowledgements_workspace_id_idx ON codex_alert_acknowledgements (workspace_id);
CREATE INDEX IF NOT EXISTS codex_alert_rules_created_by_idx ON codex_alert_rules (created_by);
CREATE INDEX IF NOT EXISTS codex_alert_rules_workspace_id_idx ON codex_alert_rules (workspace_id);
CREATE INDEX IF NOT EXISTS codex_alerts_rule_id_idx ON codex_alerts (rule_id);
CREATE INDEX IF NOT EXISTS codex_alerts_signal_id_idx ON codex_alerts (signal_id);
CREATE INDEX IF NOT EXISTS codex_alerts_workspace_id_idx ON codex_alerts (workspace_id);
CREATE INDEX IF NOT EXISTS codex_audience_segments_cohort_id_idx ON codex_audience_segments (cohort_id);
CREATE INDEX IF NOT EXISTS codex_audience_segments_framework_id_idx ON codex_audience_segments (framework_id);
CREATE INDEX IF NOT EXISTS codex_audience_segments_workspace_id_idx ON codex_audience_segments (workspace_id);
CREATE INDEX IF NOT EXISTS codex_campaign_move_links_move_id_idx ON codex_campaign_move_links (move_id);
CREATE INDEX IF NOT EXISTS codex_campaign_move_links_workspace_id_idx ON codex_campaign_move_links (workspace_id);
CREATE INDEX IF NOT EXISTS codex_campaign_plans_campaign_id_idx ON codex_campaign_plans (campaign_id);
CREATE INDEX IF NOT EXISTS codex_campaign_plans_framework_id_idx ON codex_campaign_plans (framework_id);
CREATE INDEX IF NOT EXISTS codex_campaign_plans_workspace_id_idx ON codex_campaign_plans (workspace_id);
CREATE INDEX IF NOT EXISTS codex_campaign_stages_segment_id_idx ON codex_campaign_stages (segment_id);
CREATE INDEX IF NOT EXISTS codex_campaign_stages_workspace_id_idx ON codex_campaign_stages (workspace_id);
CREATE INDEX IF NOT EXISTS codex_intel_digests_workspace_id_idx ON codex_intel_digests (workspace_id);
CREATE INDEX IF NOT EXISTS codex_intel_signals_competitor_id_idx ON codex_intel_signals (competitor_id);
CREATE INDEX IF NOT EXISTS codex_intel_signals_source_id_idx ON codex_intel_signals (source_id);
CREATE INDEX IF NOT EXISTS codex_intel_signals_workspace_id_idx ON codex_intel_signals (workspace_id);
CREATE INDEX IF NOT EXISTS codex_intel_sources_workspace_id_idx ON codex_intel_sources (workspace_id);
CREATE INDEX IF NOT EXISTS codex_leaderboard_snapshots_workspace_id_idx ON codex_leaderboard_snapshots (workspace_id);
CREATE INDEX IF NOT EXISTS codex_messaging_pillars_framework_id_idx ON codex_messaging_pillars (framework_id);
CREATE INDEX IF NOT EXISTS codex_messaging_pillars_workspace_id_idx ON codex_messaging_pillars (workspace_id);
CREATE INDEX IF NOT EXISTS codex_streaks_user_id_idx ON codex_streaks (user_id);
CREATE INDEX IF NOT EXISTS codex_user_achievements_user_id_idx ON codex_user_achievements (user_id);
CREATE INDEX IF NOT EXISTS codex_user_achievements_workspace_id_idx ON codex_user_achievements (workspace_id);
CREATE INDEX IF NOT EXISTS codex_value_propositions_segment_id_idx ON codex_value_propositions (segment_id);
CREATE INDEX IF NOT EXISTS codex_value_propositions_workspace_id_idx ON codex_value_propositions (workspace_id);
CREATE INDEX IF NOT EXISTS codex_xp_ledger_achievement_id_idx ON codex_xp_ledger (achievement_id);
CREATE INDEX IF NOT EXISTS codex_xp_ledger_move_id_idx ON codex_xp_ledger (move_id);
CREATE INDEX IF NOT EXISTS codex_xp_ledger_user_id_idx ON codex_xp_ledger (user_id);
CREATE INDEX IF NOT EXISTS codex_xp_ledger_workspace_id_idx ON codex_xp_ledger (workspace_id);

-- ---------------------------------------------------------------------------------------------
-- 2b. Query indexes: open alerts per workspace (the alert inbox), latest leaderboard per period
-- ---------------------------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS codex_alerts_open_idx ON codex_alerts (workspace_id, raised_at DESC) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS codex_leaderboard_snapshots_latest_idx
  ON codex_leaderboard_snapshots (workspace_id, period, taken_at DESC);
