//! Competitive intelligence: research sessions (one per manual or auto run) and the
//! competitor details of the insights they write (category `competitive_intel`, no theme).

const UP: &str = r#"
CREATE TABLE research_sessions (
    id                      uuid PRIMARY KEY,
    workspace_id            uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    mode                    text NOT NULL CHECK (mode IN ('manual', 'auto')),
    company_name            text NOT NULL,
    market_scope            text NOT NULL,
    target_personas         jsonb NOT NULL,
    geo_segments            jsonb NOT NULL,
    time_window_months      text NOT NULL,
    competitors_researched  jsonb NOT NULL,
    -- the request as given (competitors and their moves): what the job works from
    request                 jsonb NOT NULL,
    insights_generated      jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- cards a model returned that failed validation and were not stored
    cards_dropped           integer NOT NULL DEFAULT 0,
    -- 'llm' or 'fallback' once completed
    generated_by            text,
    -- why the rule-based cards were written although a model is configured
    fallback_reason         text,
    status                  text NOT NULL DEFAULT 'running'
                            CHECK (status IN ('running', 'completed', 'failed')),
    error_message           text,
    job_id                  uuid,
    requested_by            text,
    started_at              timestamptz NOT NULL DEFAULT now(),
    completed_at            timestamptz
);
CREATE INDEX research_sessions_workspace_idx ON research_sessions (workspace_id, started_at DESC, id DESC);

CREATE TABLE competitive_insights (
    insight_id        uuid PRIMARY KEY REFERENCES insights (id) ON DELETE CASCADE,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    session_id        uuid REFERENCES research_sessions (id) ON DELETE SET NULL,
    competitor_name   text NOT NULL,
    competitor_moves  jsonb NOT NULL,
    evidence_count    text NOT NULL,
    mentions_30d      text NOT NULL,
    impacted_acv_usd  text,
    est_method        text NOT NULL,
    -- the rubric's inputs, each 0-1; priority_score on the insight is computed from them
    severity_weight   real NOT NULL,
    urgency_score     real NOT NULL,
    reach_score       real NOT NULL,
    confidence_score  real NOT NULL,
    effort_inverse    real NOT NULL,
    citations         jsonb NOT NULL,
    -- the workspace's customer insight this move matches, if any: {insight_id, title, similarity, ...}
    customer_evidence jsonb,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX competitive_insights_competitor_idx ON competitive_insights (workspace_id, competitor_name);
"#;

const DOWN: &str = r#"
DELETE FROM insights WHERE category = 'competitive_intel';
DROP TABLE IF EXISTS competitive_insights;
DROP TABLE IF EXISTS research_sessions;
"#;

sql_migration!("m20261202_000011_competitive", UP, DOWN);
