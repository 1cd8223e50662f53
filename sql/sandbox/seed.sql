-- Deterministic seed data for the rehearsal sandbox. Identifiers are derived from md5() of a
-- label so every load gives the same rows: moves 15, cohorts 8, campaigns 5, assets 42, and
-- rows in the tables 012 removes so that "removed tables" is a real check.

INSERT INTO auth.users (id, email, created_at)
SELECT md5('user-' || g)::uuid, 'operator' || g || '@raptorflow.test', timestamptz '2024-01-02 09:00+00' + g * interval '1 hour'
FROM generate_series(1, 3) g;

INSERT INTO profiles (id, full_name)
SELECT md5('user-' || g)::uuid, (ARRAY['Ada Lovelace', 'Grace Hopper', 'Edsger Dijkstra'])[g]
FROM generate_series(1, 3) g;

INSERT INTO user_preferences (user_id, theme, timezone)
SELECT md5('user-' || g)::uuid, 'dark', 'Europe/London' FROM generate_series(1, 3) g;

INSERT INTO workspaces (id, name, slug, plan, created_at) VALUES
  (md5('ws-1')::uuid, 'RaptorFlow Marketing', 'raptorflow', 'pro', '2024-01-01 08:00+00'),
  (md5('ws-2')::uuid, 'Acme Growth', 'acme', 'free', '2024-01-01 08:30+00');

INSERT INTO workspace_members (workspace_id, user_id, role) VALUES
  (md5('ws-1')::uuid, md5('user-1')::uuid, 'owner'),
  (md5('ws-1')::uuid, md5('user-2')::uuid, 'member'),
  (md5('ws-2')::uuid, md5('user-3')::uuid, 'owner');

INSERT INTO maneuver_types (id, code, name, category)
SELECT md5('mt-' || g)::uuid, code, name, category
FROM (VALUES (1, 'flank', 'Flanking move', 'offense'), (2, 'frontal', 'Frontal assault', 'offense'),
             (3, 'guerrilla', 'Guerrilla campaign', 'offense'), (4, 'fortify', 'Fortify position', 'defense'))
     AS v(g, code, name, category);

INSERT INTO sprints (id, workspace_id, name, starts_on, ends_on)
SELECT md5('sprint-' || g)::uuid, md5('ws-' || (1 + (g > 2)::int))::uuid, 'Sprint ' || g,
       date '2024-01-01' + (g - 1) * 14, date '2024-01-14' + (g - 1) * 14
FROM generate_series(1, 3) g;

INSERT INTO cohorts (id, workspace_id, name, description, size_estimate)
SELECT md5('cohort-' || g)::uuid, md5('ws-' || (1 + (g > 6)::int))::uuid,
       (ARRAY['Founders', 'CMOs', 'Growth leads', 'Agencies', 'Solo marketers', 'Enterprise', 'Students', 'Churned'])[g],
       'Seed cohort ' || g, g * 120
FROM generate_series(1, 8) g;

INSERT INTO campaigns (id, workspace_id, name, objective, status, starts_on, ends_on)
SELECT md5('campaign-' || g)::uuid, md5('ws-' || (1 + (g > 4)::int))::uuid,
       (ARRAY['Q1 launch', 'Partner push', 'Webinar series', 'Retargeting', 'Brand refresh'])[g],
       'Objective ' || g, (ARRAY['active', 'active', 'draft', 'paused', 'done'])[g],
       date '2024-01-01' + g * 7, date '2024-03-01' + g * 7
FROM generate_series(1, 5) g;

INSERT INTO quests (id, workspace_id, title, reward_points)
SELECT md5('quest-' || g)::uuid, md5('ws-1')::uuid, 'Quest ' || g, g * 50 FROM generate_series(1, 3) g;

INSERT INTO moves (id, workspace_id, campaign_id, cohort_id, sprint_id, maneuver_type_id, quest_id, name, status)
SELECT md5('move-' || g)::uuid,
       md5('ws-' || (1 + (g > 12)::int))::uuid,
       md5('campaign-' || (CASE WHEN g > 12 THEN 5 ELSE 1 + (g - 1) % 4 END))::uuid,
       md5('cohort-' || (CASE WHEN g > 12 THEN 7 ELSE 1 + (g - 1) % 6 END))::uuid,
       md5('sprint-' || (CASE WHEN g > 12 THEN 3 ELSE 1 + (g - 1) % 2 END))::uuid,
       md5('mt-' || (1 + (g - 1) % 4))::uuid,
       CASE WHEN g <= 2 THEN md5('quest-' || g)::uuid END,
       'Move ' || g, (ARRAY['planned', 'in_progress', 'done'])[1 + (g - 1) % 3]
FROM generate_series(1, 15) g;

INSERT INTO assets (id, workspace_id, move_id, kind, title, storage_path)
SELECT md5('asset-' || g)::uuid,
       m.workspace_id, m.id,
       (ARRAY['copy', 'image', 'video', 'deck', 'landing_page'])[1 + (g - 1) % 5],
       'Asset ' || g, 'assets/' || g || '.bin'
FROM generate_series(1, 42) g
JOIN moves m ON m.id = md5('move-' || (1 + (g - 1) % 15))::uuid;

INSERT INTO tags (id, workspace_id, label)
SELECT md5('tag-' || g)::uuid, md5('ws-1')::uuid, 'tag-' || g FROM generate_series(1, 4) g;
INSERT INTO asset_tags (asset_id, tag_id)
SELECT md5('asset-' || g)::uuid, md5('tag-' || (1 + g % 4))::uuid FROM generate_series(1, 10) g;
INSERT INTO asset_versions (asset_id, version, storage_path)
SELECT md5('asset-' || g)::uuid, 1, 'assets/' || g || '.v1.bin' FROM generate_series(1, 6) g;

INSERT INTO campaign_channels (campaign_id, channel, budget_cents)
SELECT md5('campaign-' || g)::uuid, (ARRAY['email', 'linkedin', 'search'])[1 + g % 3], g * 100000
FROM generate_series(1, 5) g;
INSERT INTO campaign_metrics (campaign_id, measured_on, impressions, clicks, conversions)
SELECT md5('campaign-' || (1 + g % 5))::uuid, date '2024-01-15' + g, 1000 * g, 40 * g, 3 * g
FROM generate_series(1, 10) g;

INSERT INTO move_assignments (move_id, user_id)
SELECT md5('move-' || g)::uuid, md5('user-' || (1 + g % 2))::uuid FROM generate_series(1, 8) g;
INSERT INTO move_comments (move_id, author_id, body)
SELECT md5('move-' || g)::uuid, md5('user-1')::uuid, 'Comment on move ' || g FROM generate_series(1, 5) g;
INSERT INTO move_metrics (move_id, metric, value)
SELECT md5('move-' || g)::uuid, 'ctr', g / 100.0 FROM generate_series(1, 5) g;

INSERT INTO contacts (id, workspace_id, email, full_name)
SELECT md5('contact-' || g)::uuid, md5('ws-1')::uuid, 'lead' || g || '@example.test', 'Lead ' || g
FROM generate_series(1, 12) g;
INSERT INTO cohort_members (cohort_id, contact_id)
SELECT md5('cohort-' || (1 + g % 6))::uuid, md5('contact-' || g)::uuid FROM generate_series(1, 12) g;
INSERT INTO contact_events (contact_id, event_type, payload)
SELECT md5('contact-' || g)::uuid, 'page_view', jsonb_build_object('path', '/pricing') FROM generate_series(1, 6) g;

-- The nine tables 012 removes: real rows, so their removal is visible.
INSERT INTO quest_moves (quest_id, move_id, position)
SELECT md5('quest-' || (1 + g % 3))::uuid, md5('move-' || g)::uuid, g FROM generate_series(1, 5) g;
INSERT INTO quest_milestones (quest_id, title)
SELECT md5('quest-' || (1 + g % 3))::uuid, 'Milestone ' || g FROM generate_series(1, 4) g;
INSERT INTO capability_nodes (id, workspace_id, name)
SELECT md5('cap-' || g)::uuid, md5('ws-1')::uuid, 'Capability ' || g FROM generate_series(1, 4) g;
INSERT INTO maneuver_prerequisites (maneuver_type_id, capability_node_id)
SELECT md5('mt-' || g)::uuid, md5('cap-' || g)::uuid FROM generate_series(1, 3) g;
INSERT INTO quick_wins (workspace_id, title, effort)
SELECT md5('ws-1')::uuid, 'Quick win ' || g, 'low' FROM generate_series(1, 4) g;
INSERT INTO cohort_relations (from_cohort, to_cohort, relation)
SELECT md5('cohort-' || g)::uuid, md5('cohort-' || (g + 1))::uuid, 'overlaps' FROM generate_series(1, 3) g;
INSERT INTO move_decisions (move_id, decision)
SELECT md5('move-' || g)::uuid, 'go' FROM generate_series(1, 6) g;
INSERT INTO notifications (user_id, body)
SELECT md5('user-' || (1 + g % 3))::uuid, 'Notification ' || g FROM generate_series(1, 10) g;

-- Agents and the data 011 must carry over into the 08 shapes.
INSERT INTO agents (id, workspace_id, name, model)
SELECT md5('agent-' || g)::uuid, md5('ws-' || (1 + (g > 2)::int))::uuid, 'Agent ' || g, 'strategist-v' || g
FROM generate_series(1, 3) g;
INSERT INTO agent_recommendations (id, agent_id, recommendation, recommendation_type, confidence, evidence, status)
SELECT md5('rec-' || g)::uuid, md5('agent-' || (1 + g % 3))::uuid, 'Recommendation ' || g,
       (ARRAY['channel', 'budget', 'message'])[1 + g % 3], round((0.5 + g / 20.0)::numeric, 3),
       jsonb_build_object('source', 'seed', 'n', g), (ARRAY['pending', 'accepted', 'rejected'])[1 + g % 3]
FROM generate_series(1, 6) g;
INSERT INTO agent_trust_scores (id, agent_id, trust_score, sample_size)
SELECT md5('trust-' || g)::uuid, md5('agent-' || (1 + g % 3))::uuid, 60 + g * 5, g * 10 FROM generate_series(1, 4) g;
INSERT INTO agent_runs (id, agent_id, outcome)
SELECT md5('run-' || g)::uuid, md5('agent-' || (1 + g % 3))::uuid, 'ok' FROM generate_series(1, 4) g;
INSERT INTO agent_messages (run_id, role, content)
SELECT md5('run-' || (1 + g % 4))::uuid, 'assistant', 'Message ' || g FROM generate_series(1, 8) g;
INSERT INTO agent_tools (agent_id, tool_name)
SELECT md5('agent-' || g)::uuid, 'web_search' FROM generate_series(1, 3) g;

INSERT INTO competitors (id, workspace_id, name, website)
SELECT md5('competitor-' || g)::uuid, md5('ws-1')::uuid, (ARRAY['HawkMetrics', 'Falconly', 'OwlOps'])[g],
       'https://competitor' || g || '.example'
FROM generate_series(1, 3) g;
INSERT INTO competitor_signals (competitor_id, signal)
SELECT md5('competitor-' || (1 + g % 3))::uuid, 'Pricing change ' || g FROM generate_series(1, 5) g;

INSERT INTO market_insights (workspace_id, title) SELECT md5('ws-1')::uuid, 'Insight ' || g FROM generate_series(1, 3) g;
INSERT INTO positioning_statements (workspace_id, statement, is_current)
VALUES (md5('ws-1')::uuid, 'The strategy OS for lean marketing teams', true);
INSERT INTO strategy_documents (workspace_id, title) VALUES (md5('ws-1')::uuid, 'FY24 plan');
INSERT INTO integrations (id, workspace_id, provider) VALUES (md5('int-1')::uuid, md5('ws-1')::uuid, 'hubspot');
INSERT INTO integration_syncs (integration_id, status) VALUES (md5('int-1')::uuid, 'ok');
INSERT INTO api_keys (workspace_id, prefix, hashed_key) VALUES (md5('ws-1')::uuid, 'rf_live_', md5('not-a-real-key'));
INSERT INTO audit_log (workspace_id, action) SELECT md5('ws-1')::uuid, 'seed.' || g FROM generate_series(1, 5) g;
INSERT INTO events (workspace_id, topic) SELECT md5('ws-1')::uuid, 'move.created' FROM generate_series(1, 5) g;
INSERT INTO webhooks (id, workspace_id, url) VALUES (md5('hook-1')::uuid, md5('ws-1')::uuid, 'https://hooks.example/raptor');
INSERT INTO webhook_deliveries (webhook_id, status_code) VALUES (md5('hook-1')::uuid, 200);
INSERT INTO billing_accounts (id, workspace_id, customer_ref) VALUES (md5('bill-1')::uuid, md5('ws-1')::uuid, 'cus_seed_1');
INSERT INTO subscriptions (billing_account_id, plan, renews_on) VALUES (md5('bill-1')::uuid, 'pro', '2025-01-01');
INSERT INTO invoices (billing_account_id, amount_cents, issued_on) VALUES (md5('bill-1')::uuid, 4900, '2024-01-01');
INSERT INTO feature_flags (key, enabled, description) VALUES
  ('codex_preview', false, 'Week 2: Codex schema'), ('new_onboarding', true, 'Onboarding v2');
