//! Themes (clusters of feedback), their metrics, insights and per-workspace scoring weights.

const UP: &str = r#"
CREATE TABLE themes (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    label            text NOT NULL,
    keywords         jsonb NOT NULL DEFAULT '[]'::jsonb,
    centroid         bytea NOT NULL,
    embedding_model  text NOT NULL,
    size             integer NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX themes_workspace_idx ON themes (workspace_id);

CREATE TABLE feedback_themes (
    feedback_id  uuid NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    theme_id     uuid NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    -- cosine similarity of the item to its theme's centroid
    confidence   real NOT NULL,
    PRIMARY KEY (feedback_id, theme_id)
);
CREATE INDEX feedback_themes_theme_idx ON feedback_themes (theme_id, confidence DESC);

CREATE TABLE theme_metrics (
    theme_id        uuid PRIMARY KEY REFERENCES themes (id) ON DELETE CASCADE,
    freq_30d        integer NOT NULL,
    freq_90d        integer NOT NULL,
    acv_sum         double precision NOT NULL,
    sentiment       real NOT NULL,
    trend           real NOT NULL,
    dup_penalty     real NOT NULL,
    score           real NOT NULL,
    segment_counts  jsonb NOT NULL,
    weekly_counts   jsonb NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE insights (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    theme_id        uuid UNIQUE REFERENCES themes (id) ON DELETE SET NULL,
    category        text NOT NULL DEFAULT 'customer_feedback'
                    CHECK (category IN ('customer_feedback', 'competitive_intel')),
    title           text NOT NULL,
    description     text NOT NULL,
    impact          text NOT NULL,
    recommendation  text NOT NULL,
    severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    effort          text NOT NULL CHECK (effort IN ('low', 'medium', 'high')),
    priority_score  integer NOT NULL CHECK (priority_score BETWEEN 0 AND 100),
    key_quote_ids   jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- 'llm' or 'fallback': which path wrote the text
    generated_by    text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX insights_workspace_priority_idx ON insights (workspace_id, priority_score DESC, id);

CREATE TABLE workspace_settings (
    workspace_id        uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    weights             jsonb NOT NULL,
    segment_priorities  jsonb NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS workspace_settings;
DROP TABLE IF EXISTS insights;
DROP TABLE IF EXISTS theme_metrics;
DROP TABLE IF EXISTS feedback_themes;
DROP TABLE IF EXISTS themes;
"#;

sql_migration!("m20261122_000003_themes", UP, DOWN);
