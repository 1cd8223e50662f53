-- =============================================================================================
-- RaptorFlow sandbox: deterministic seed data (load after schema.sql, on the same database)
-- =============================================================================================
--
-- Every identifier is md5('<label>')::uuid and every timestamp is computed from a fixed instant,
-- so two loads give byte-identical rows: no random(), no gen_random_uuid(), no now().
--
-- Counts the runbook checks: moves 15, cohorts 8, campaigns 5, assets 42. Two workspaces
-- (ws-1 "RaptorFlow Marketing", ws-2 "Acme Growth"), three users, three agents; 6
-- agent_recommendations and 4 agent_trust_scores rows in their 07 shape (so 011 has rows to
-- carry over and to backfill), 3 competitors; and rows in most of the nine tables 012 removes
-- (quests 3, quest_moves 5, quest_milestones 4, capability_nodes 4, maneuver_prerequisites 3,
-- quick_wins 4, cohort_relations 3, move_decisions 6, notifications 10).
-- Two moves point at a quest (moves.quest_id): the values stay after 012 drops the constraint.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- People and workspaces
-- ---------------------------------------------------------------------------------------------
INSERT INTO auth.users (id, email, created_at)
SELECT md5('user-' || g)::uuid, 'operator' || g || '@raptorflow.test',
       timestamptz '2024-01-02 09:00+00' + g * interval '1 hour'
FROM generate_series(1, 3) g;

INSERT INTO profiles (id, full_name, avatar_url, created_at)
SELECT md5('user-' || g)::uuid, (ARRAY['Ada Lovelace', 'Grace Hopper', 'Edsger Dijkstra'])[g],
       'avatars/user-' || g || '.png', timestamptz '2024-01-02 09:05+00' + g * interval '1 hour'
FROM generate_series(1, 3) g;

INSERT INTO user_preferences (id, user_id, theme, timezone, created_at, updated_at)
SELECT md5('pref-' || g)::uuid, md5('user-' || g)::uuid, (ARRAY['dark', 'light', 'system'])[g],
       (ARRAY['Europe/London', 'America/New_York', 'Europe/Amsterdam'])[g],
       timestamptz '2024-01-02 09:10+00', timestamptz '2024-01-02 09:10+00'
FROM generate_series(1, 3) g;

INSERT INTO workspaces (id, name, slug, plan, created_at) VALUES
  (md5('ws-1')::uuid, 'RaptorFlow Marketing', 'raptorflow', 'pro',  '2024-01-01 08:00+00'),
  (md5('ws-2')::uuid, 'Acme Growth',          'acme',       'free', '2024-01-01 08:30+00');

INSERT INTO workspace_members (id, workspace_id, user_id, role, created_at) VALUES
  (md5('member-1')::uuid, md5('ws-1')::uuid, md5('user-1')::uuid, 'owner',  '2024-01-02 10:00+00'),
  (md5('member-2')::uuid, md5('ws-1')::uuid, md5('user-2')::uuid, 'member', '2024-01-02 10:05+00'),
  (md5('member-3')::uuid, md5('ws-2')::uuid, md5('user-3')::uuid, 'owner',  '2024-01-02 10:10+00'),
  (md5('member-4')::uuid, md5('ws-2')::uuid, md5('user-1')::uuid, 'admin',  '2024-01-02 10:15+00');

-- ---------------------------------------------------------------------------------------------
-- Strategy core: maneuver types, sprints, cohorts 8, campaigns 5, quests, moves 15, assets 42
-- ---------------------------------------------------------------------------------------------
INSERT INTO maneuver_types (id, code, name, category, created_at)
SELECT md5('mt-' || g)::uuid, code, name, category, timestamptz '2024-01-01 07:00+00'
FROM (VALUES (1, 'flank', 'Flanking move', 'offense'), (2, 'frontal', 'Frontal assault', 'offense'),
             (3, 'guerrilla', 'Guerrilla campaign', 'offense'), (4, 'fortify', 'Fortify position', 'defense'))
     AS v(g, code, name, category);

INSERT INTO sprints (id, workspace_id, name, starts_on, ends_on, created_at)
SELECT md5('sprint-' || g)::uuid, md5('ws-' || (1 + (g > 2)::int))::uuid, 'Sprint ' || g,
       date '2024-01-01' + (g - 1) * 14, date '2024-01-14' + (g - 1) * 14,
       timestamptz '2024-01-01 12:00+00' + g * interval '1 minute'
FROM generate_series(1, 3) g;

INSERT INTO cohorts (id, workspace_id, name, description, size_estimate, created_at)
SELECT md5('cohort-' || g)::uuid, md5('ws-' || (1 + (g > 6)::int))::uuid,
       (ARRAY['Founders', 'CMOs', 'Growth leads', 'Agencies', 'Solo marketers', 'Enterprise', 'Students', 'Churned'])[g],
       'Seed cohort ' || g, g * 120, timestamptz '2024-01-03 09:00+00' + g * interval '10 minutes'
FROM generate_series(1, 8) g;

INSERT INTO campaigns (id, workspace_id, name, objective, status, starts_on, ends_on, created_at)
SELECT md5('campaign-' || g)::uuid, md5('ws-' || (1 + (g > 4)::int))::uuid,
       (ARRAY['Q1 launch', 'Partner push', 'Webinar series', 'Retargeting', 'Brand refresh'])[g],
       'Objective ' || g, (ARRAY['active', 'active', 'draft', 'paused', 'done'])[g],
       date '2024-01-01' + g * 7, date '2024-03-01' + g * 7,
       timestamptz '2024-01-04 09:00+00' + g * interval '10 minutes'
FROM generate_series(1, 5) g;

INSERT INTO quests (id, workspace_id, title, reward_points, created_at)
SELECT md5('quest-' || g)::uuid, md5('ws-1')::uuid, 'Quest ' || g, g * 50,
       timestamptz '2024-01-04 12:00+00' + g * interval '10 minutes'
FROM generate_series(1, 3) g;

-- Moves 1-12 belong to ws-1, 13-15 to ws-2; moves 1 and 2 carry the legacy quest link.
INSERT INTO moves (id, workspace_id, campaign_id, cohort_id, sprint_id, maneuver_type_id, quest_id, name, status, created_at)
SELECT md5('move-' || g)::uuid,
       md5('ws-' || (1 + (g > 12)::int))::uuid,
       md5('campaign-' || (CASE WHEN g > 12 THEN 5 ELSE 1 + (g - 1) % 4 END))::uuid,
       md5('cohort-' || (CASE WHEN g > 12 THEN 7 + g % 2 ELSE 1 + (g - 1) % 6 END))::uuid,
       md5('sprint-' || (CASE WHEN g > 12 THEN 3 ELSE 1 + (g - 1) % 2 END))::uuid,
       md5('mt-' || (1 + (g - 1) % 4))::uuid,
       CASE WHEN g <= 2 THEN md5('quest-' || g)::uuid END,
       'Move ' || g, (ARRAY['planned', 'in_progress', 'done'])[1 + (g - 1) % 3],
       timestamptz '2024-01-05 09:00+00' + g * interval '1 hour'
FROM generate_series(1, 15) g;

-- 42 assets spread over the 15 moves (each asset in its move's workspace).
INSERT INTO assets (id, workspace_id, move_id, kind, title, storage_path, created_at)
SELECT md5('asset-' || g)::uuid, m.workspace_id, m.id,
       (ARRAY['copy', 'image', 'video', 'deck', 'landing_page'])[1 + (g - 1) % 5],
       'Asset ' || g, 'assets/' || g || '.bin',
       timestamptz '2024-01-08 09:00+00' + g * interval '15 minutes'
FROM generate_series(1, 42) g
JOIN moves m ON m.id = md5('move-' || (1 + (g - 1) % 15))::uuid;

INSERT INTO tags (id, workspace_id, label, created_at)
SELECT md5('tag-' || g)::uuid, md5('ws-1')::uuid, (ARRAY['launch', 'evergreen', 'paid', 'organic'])[g],
       timestamptz '2024-01-08 08:00+00'
FROM generate_series(1, 4) g;

-- Assets 1-10 (moves 1-10, all in ws-1) get one tag each.
INSERT INTO asset_tags (id, asset_id, tag_id, created_at)
SELECT md5('asset-tag-' || g)::uuid, md5('asset-' || g)::uuid, md5('tag-' || (1 + g % 4))::uuid,
       timestamptz '2024-01-08 18:00+00' + g * interval '1 minute'
FROM generate_series(1, 10) g;

INSERT INTO asset_versions (id, asset_id, version, storage_path, created_at)
SELECT md5('asset-version-' || g)::uuid, md5('asset-' || g)::uuid, 1, 'assets/' || g || '.v1.bin',
       timestamptz '2024-01-09 09:00+00' + g * interval '1 minute'
FROM generate_series(1, 6) g;

INSERT INTO campaign_channels (id, campaign_id, channel, budget_cents, created_at)
SELECT md5('channel-' || g)::uuid, md5('campaign-' || g)::uuid,
       (ARRAY['email', 'linkedin', 'search'])[1 + g % 3], g * 100000, timestamptz '2024-01-04 10:00+00'
FROM generate_series(1, 5) g;

INSERT INTO campaign_metrics (id, campaign_id, measured_on, impressions, clicks, conversions, created_at)
SELECT md5('campaign-metric-' || g)::uuid, md5('campaign-' || (1 + g % 5))::uuid, date '2024-01-15' + g,
       1000 * g, 40 * g, 3 * g, timestamptz '2024-01-16 00:00+00' + g * interval '1 day'
FROM generate_series(1, 10) g;

INSERT INTO move_assignments (id, move_id, user_id, created_at)
SELECT md5('assignment-' || g)::uuid, md5('move-' || g)::uuid, md5('user-' || (1 + g % 2))::uuid,
       timestamptz '2024-01-06 09:00+00' + g * interval '5 minutes'
FROM generate_series(1, 8) g;

INSERT INTO move_comments (id, move_id, author_id, body, created_at)
SELECT md5('comment-' || g)::uuid, md5('move-' || g)::uuid, md5('user-1')::uuid, 'Comment on move ' || g,
       timestamptz '2024-01-06 12:00+00' + g * interval '5 minutes'
FROM generate_series(1, 5) g;

INSERT INTO move_metrics (id, move_id, metric, value, measured_at, created_at)
SELECT md5('move-metric-' || g)::uuid, md5('move-' || g)::uuid, 'ctr', g / 100.0,
       timestamptz '2024-01-10 00:00+00' + g * interval '1 hour', timestamptz '2024-01-10 00:00+00' + g * interval '1 hour'
FROM generate_series(1, 5) g;

INSERT INTO contacts (id, workspace_id, email, full_name, created_at)
SELECT md5('contact-' || g)::uuid, md5('ws-1')::uuid, 'lead' || g || '@example.test', 'Lead ' || g,
       timestamptz '2024-01-03 12:00+00' + g * interval '1 minute'
FROM generate_series(1, 12) g;

INSERT INTO cohort_members (id, cohort_id, contact_id, created_at)
SELECT md5('cohort-member-' || g)::uuid, md5('cohort-' || (1 + g % 6))::uuid, md5('contact-' || g)::uuid,
       timestamptz '2024-01-03 13:00+00' + g * interval '1 minute'
FROM generate_series(1, 12) g;

INSERT INTO contact_events (id, contact_id, event_type, payload, occurred_at, created_at)
SELECT md5('contact-event-' || g)::uuid, md5('contact-' || g)::uuid, 'page_view',
       jsonb_build_object('path', '/pricing'), timestamptz '2024-01-11 09:00+00' + g * interval '1 minute',
       timestamptz '2024-01-11 09:00+00' + g * interval '1 minute'
FROM generate_series(1, 6) g;

-- ---------------------------------------------------------------------------------------------
-- The nine tables 012 removes: real rows, so that their removal is visible
-- ---------------------------------------------------------------------------------------------
INSERT INTO quest_moves (id, quest_id, move_id, position, created_at)
SELECT md5('quest-move-' || g)::uuid, md5('quest-' || (1 + g % 3))::uuid, md5('move-' || g)::uuid, g,
       timestamptz '2024-01-05 20:00+00' + g * interval '1 minute'
FROM generate_series(1, 5) g;

INSERT INTO quest_milestones (id, quest_id, title, reached_at, created_at)
SELECT md5('quest-milestone-' || g)::uuid, md5('quest-' || (1 + g % 3))::uuid, 'Milestone ' || g,
       CASE WHEN g <= 2 THEN timestamptz '2024-01-20 09:00+00' + g * interval '1 day' END,
       timestamptz '2024-01-05 21:00+00' + g * interval '1 minute'
FROM generate_series(1, 4) g;

INSERT INTO capability_nodes (id, workspace_id, parent_id, name, created_at)
SELECT md5('cap-' || g)::uuid, md5('ws-1')::uuid, CASE WHEN g > 1 THEN md5('cap-1')::uuid END,
       (ARRAY['Positioning', 'Paid acquisition', 'Content engine', 'Lifecycle email'])[g],
       timestamptz '2024-01-01 07:30+00' + g * interval '1 minute'
FROM generate_series(1, 4) g;

INSERT INTO maneuver_prerequisites (id, maneuver_type_id, capability_node_id, created_at)
SELECT md5('prereq-' || g)::uuid, md5('mt-' || g)::uuid, md5('cap-' || (g + 1))::uuid,
       timestamptz '2024-01-01 07:40+00' + g * interval '1 minute'
FROM generate_series(1, 3) g;

INSERT INTO quick_wins (id, workspace_id, move_id, title, effort, created_at)
SELECT md5('quick-win-' || g)::uuid, md5('ws-1')::uuid, CASE WHEN g <= 2 THEN md5('move-' || g)::uuid END,
       'Quick win ' || g, (ARRAY['low', 'low', 'medium', 'high'])[g],
       timestamptz '2024-01-07 09:00+00' + g * interval '1 minute'
FROM generate_series(1, 4) g;

INSERT INTO cohort_relations (id, from_cohort_id, to_cohort_id, relation, created_at)
SELECT md5('cohort-relation-' || g)::uuid, md5('cohort-' || g)::uuid, md5('cohort-' || (g + 1))::uuid,
       'overlaps', timestamptz '2024-01-03 14:00+00' + g * interval '1 minute'
FROM generate_series(1, 3) g;

INSERT INTO move_decisions (id, move_id, decided_by, decision, rationale, created_at)
SELECT md5('move-decision-' || g)::uuid, md5('move-' || g)::uuid, md5('user-1')::uuid,
       (ARRAY['go', 'go', 'defer', 'go', 'no_go', 'go'])[g], 'Seed decision ' || g,
       timestamptz '2024-01-06 15:00+00' + g * interval '1 minute'
FROM generate_series(1, 6) g;

INSERT INTO notifications (id, user_id, workspace_id, body, read_at, created_at)
SELECT md5('notification-' || g)::uuid, md5('user-' || (1 + g % 3))::uuid,
       md5('ws-' || (CASE WHEN g % 3 = 2 THEN 2 ELSE 1 END))::uuid, 'Notification ' || g,
       CASE WHEN g % 2 = 0 THEN timestamptz '2024-01-12 09:00+00' + g * interval '1 minute' END,
       timestamptz '2024-01-12 08:00+00' + g * interval '1 minute'
FROM generate_series(1, 10) g;

-- ---------------------------------------------------------------------------------------------
-- Agents, and the 07-shaped rows 011 must carry over into the 08 shapes
-- ---------------------------------------------------------------------------------------------
-- Agents 1 and 2 work for ws-1, agent 3 for ws-2.
INSERT INTO agents (id, workspace_id, name, model, created_at)
SELECT md5('agent-' || g)::uuid, md5('ws-' || (1 + (g > 2)::int))::uuid,
       (ARRAY['Scout', 'Strategist', 'Analyst'])[g], 'strategist-v' || g,
       timestamptz '2024-01-02 11:00+00' + g * interval '1 minute'
FROM generate_series(1, 3) g;

INSERT INTO agent_recommendations (id, agent_id, recommendation, recommendation_type, confidence, evidence, status, created_at)
SELECT md5('rec-' || g)::uuid, md5('agent-' || (1 + g % 3))::uuid, 'Recommendation ' || g,
       (ARRAY['channel', 'budget', 'message'])[1 + g % 3], round((0.5 + g / 20.0)::numeric, 3),
       jsonb_build_object('source', 'seed', 'n', g), (ARRAY['pending', 'accepted', 'rejected'])[1 + g % 3],
       timestamptz '2024-01-13 09:00+00' + g * interval '1 hour'
FROM generate_series(1, 6) g;

INSERT INTO agent_trust_scores (id, agent_id, trust_score, sample_size, updated_at)
SELECT md5('trust-' || g)::uuid, md5('agent-' || (1 + g % 3))::uuid, 60 + g * 5, g * 10,
       timestamptz '2024-01-14 09:00+00' + g * interval '1 hour'
FROM generate_series(1, 4) g;

INSERT INTO agent_runs (id, agent_id, started_at, finished_at, outcome, created_at)
SELECT md5('run-' || g)::uuid, md5('agent-' || (1 + g % 3))::uuid,
       timestamptz '2024-01-13 08:00+00' + g * interval '1 hour',
       timestamptz '2024-01-13 08:05+00' + g * interval '1 hour', 'ok',
       timestamptz '2024-01-13 08:00+00' + g * interval '1 hour'
FROM generate_series(1, 4) g;

INSERT INTO agent_messages (id, run_id, role, content, created_at)
SELECT md5('message-' || g)::uuid, md5('run-' || (1 + g % 4))::uuid, (ARRAY['user', 'assistant'])[1 + g % 2],
       'Message ' || g, timestamptz '2024-01-13 08:01+00' + g * interval '1 minute'
FROM generate_series(1, 8) g;

INSERT INTO agent_tools (id, agent_id, tool_name, created_at)
SELECT md5('tool-' || g)::uuid, md5('agent-' || g)::uuid, 'web_search', timestamptz '2024-01-02 11:30+00'
FROM generate_series(1, 3) g;

-- competitors in the 07 shape (09's analysis columns do not exist yet).
INSERT INTO competitors (id, workspace_id, name, website, created_at)
SELECT md5('competitor-' || g)::uuid, md5('ws-1')::uuid, (ARRAY['HawkMetrics', 'Falconly', 'OwlOps'])[g],
       'https://competitor' || g || '.example', timestamptz '2024-01-09 12:00+00' + g * interval '1 minute'
FROM generate_series(1, 3) g;

INSERT INTO competitor_signals (id, competitor_id, signal, observed_at, created_at)
SELECT md5('signal-' || g)::uuid, md5('competitor-' || (1 + g % 3))::uuid, 'Pricing change ' || g,
       timestamptz '2024-01-10 12:00+00' + g * interval '1 day', timestamptz '2024-01-10 12:00+00' + g * interval '1 day'
FROM generate_series(1, 5) g;

INSERT INTO market_insights (id, workspace_id, title, body, created_at)
SELECT md5('insight-' || g)::uuid, md5('ws-1')::uuid, 'Insight ' || g, 'Observed in week ' || g,
       timestamptz '2024-01-09 15:00+00' + g * interval '1 minute'
FROM generate_series(1, 3) g;

INSERT INTO positioning_statements (id, workspace_id, statement, is_current, created_at) VALUES
  (md5('positioning-1')::uuid, md5('ws-1')::uuid, 'The strategy OS for lean marketing teams', true, '2024-01-09 16:00+00');

INSERT INTO strategy_documents (id, workspace_id, title, content, created_at, updated_at) VALUES
  (md5('strategy-doc-1')::uuid, md5('ws-1')::uuid, 'FY24 plan', '{"sections": ["market", "moves"]}',
   '2024-01-09 17:00+00', '2024-01-09 17:00+00');

-- ---------------------------------------------------------------------------------------------
-- Platform
-- ---------------------------------------------------------------------------------------------
INSERT INTO integrations (id, workspace_id, provider, config, created_at) VALUES
  (md5('int-1')::uuid, md5('ws-1')::uuid, 'hubspot', '{"portal": "seed"}', '2024-01-02 12:00+00');
INSERT INTO integration_syncs (id, integration_id, started_at, status, created_at) VALUES
  (md5('int-sync-1')::uuid, md5('int-1')::uuid, '2024-01-15 03:00+00', 'ok', '2024-01-15 03:00+00');
INSERT INTO api_keys (id, workspace_id, prefix, hashed_key, created_at) VALUES
  (md5('api-key-1')::uuid, md5('ws-1')::uuid, 'rf_live_', md5('not-a-real-key'), '2024-01-02 12:30+00');

INSERT INTO audit_log (id, workspace_id, actor_id, action, detail, created_at)
SELECT md5('audit-' || g)::uuid, md5('ws-1')::uuid, md5('user-1')::uuid, 'seed.step_' || g,
       jsonb_build_object('step', g), timestamptz '2024-01-02 13:00+00' + g * interval '1 minute'
FROM generate_series(1, 5) g;

INSERT INTO events (id, workspace_id, topic, payload, created_at)
SELECT md5('event-' || g)::uuid, md5('ws-1')::uuid, 'move.created',
       jsonb_build_object('move_id', md5('move-' || g)::uuid), timestamptz '2024-01-05 09:00+00' + g * interval '1 hour'
FROM generate_series(1, 5) g;

INSERT INTO webhooks (id, workspace_id, url, secret_hint, created_at) VALUES
  (md5('hook-1')::uuid, md5('ws-1')::uuid, 'https://hooks.example/raptor', 'whsec_…a1', '2024-01-02 14:00+00');
INSERT INTO webhook_deliveries (id, webhook_id, status_code, delivered_at, created_at) VALUES
  (md5('hook-delivery-1')::uuid, md5('hook-1')::uuid, 200, '2024-01-05 10:00+00', '2024-01-05 10:00+00');

INSERT INTO billing_accounts (id, workspace_id, customer_ref, created_at) VALUES
  (md5('bill-1')::uuid, md5('ws-1')::uuid, 'cus_seed_1', '2024-01-01 08:05+00');
INSERT INTO subscriptions (id, billing_account_id, plan, renews_on, created_at) VALUES
  (md5('subscription-1')::uuid, md5('bill-1')::uuid, 'pro', '2025-01-01', '2024-01-01 08:06+00');
INSERT INTO invoices (id, billing_account_id, amount_cents, issued_on, created_at) VALUES
  (md5('invoice-1')::uuid, md5('bill-1')::uuid, 4900, '2024-01-01', '2024-01-01 08:07+00');

INSERT INTO feature_flags (id, key, enabled, description, created_at) VALUES
  (md5('flag-1')::uuid, 'codex_preview', false, 'Week 2: Codex schema', '2024-01-01 07:00+00'),
  (md5('flag-2')::uuid, 'new_onboarding', true, 'Onboarding v2', '2024-01-01 07:00+00');
