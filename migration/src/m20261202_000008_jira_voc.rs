//! Jira tickets with their embedding, their matches to customer insights (with a PM's
//! confirmation or rejection) and their VOC score.

const UP: &str = r#"
CREATE TABLE jira_tickets (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    jira_key         text NOT NULL,
    title            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    status           text NOT NULL CHECK (status IN ('OPEN', 'IN_PROGRESS', 'DONE', 'CLOSED', 'BACKLOG')),
    priority         text NOT NULL CHECK (priority IN ('LOWEST', 'LOW', 'MEDIUM', 'HIGH', 'HIGHEST')),
    assignee         text,
    reporter         text,
    labels           jsonb NOT NULL DEFAULT '[]'::jsonb,
    epic_key         text,
    story_points     integer,
    jira_created_at  timestamptz,
    jira_updated_at  timestamptz,
    -- little-endian f32 vector of "<title>. <description>" and the model that made it;
    -- cleared whenever the text changes
    embedding        bytea,
    embedding_model  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, jira_key)
);
CREATE INDEX jira_tickets_unembedded_idx ON jira_tickets (workspace_id) WHERE embedding IS NULL;

CREATE TABLE jira_insight_matches (
    ticket_id     uuid NOT NULL REFERENCES jira_tickets (id) ON DELETE CASCADE,
    insight_id    uuid NOT NULL REFERENCES insights (id) ON DELETE CASCADE,
    similarity    real NOT NULL,
    confidence    text NOT NULL CHECK (confidence IN ('high', 'medium', 'low')),
    -- a PM's decision: 1 confirmed, 0 rejected, NULL proposed by similarity only
    is_confirmed  smallint CHECK (is_confirmed IN (0, 1)),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, insight_id)
);
CREATE INDEX jira_insight_matches_insight_idx ON jira_insight_matches (insight_id);

CREATE TABLE jira_voc_scores (
    ticket_id             uuid PRIMARY KEY REFERENCES jira_tickets (id) ON DELETE CASCADE,
    customer_count        integer NOT NULL,
    total_acv             double precision NOT NULL,
    feedback_volume       integer NOT NULL,
    ent_customer_count    integer NOT NULL,
    mm_customer_count     integer NOT NULL,
    smb_customer_count    integer NOT NULL,
    customer_score        double precision NOT NULL,
    acv_score             double precision NOT NULL,
    segment_score         double precision NOT NULL,
    volume_score          double precision NOT NULL,
    voc_score             double precision NOT NULL,
    recommended_priority  text NOT NULL CHECK (recommended_priority IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
    -- the threshold the matches were proposed with; follow-up re-scores reuse it
    similarity_threshold  real NOT NULL,
    calculated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jira_voc_scores_score_idx ON jira_voc_scores (voc_score DESC);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS jira_voc_scores;
DROP TABLE IF EXISTS jira_insight_matches;
DROP TABLE IF EXISTS jira_tickets;
"#;

sql_migration!("m20261202_000008_jira_voc", UP, DOWN);
