//! Insights (or their PRDs) a PM pushed to Jira: the issue created, so the insight links to
//! it and the same thing is not pushed twice.

const UP: &str = r#"
CREATE TABLE jira_pushes (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    insight_id    uuid NOT NULL REFERENCES insights (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('insight', 'prd')),
    jira_key      text NOT NULL,
    url           text NOT NULL,
    ticket_id     uuid REFERENCES jira_tickets (id) ON DELETE SET NULL,
    pushed_by     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (insight_id, kind)
);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS jira_pushes;
"#;

sql_migration!("m20261207_000025_jira_pushes", UP, DOWN);
