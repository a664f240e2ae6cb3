//! Where a workspace hears from ProduckAI in Slack: the channel, the priority from which an
//! insight is announced, and the weekly digest with the time of the last one (claimed before
//! posting, so a week's digest goes out once).

const UP: &str = r#"
CREATE TABLE slack_notifications (
    workspace_id    uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id      text NOT NULL,
    min_priority    integer NOT NULL DEFAULT 70 CHECK (min_priority BETWEEN 0 AND 100),
    weekly_digest   boolean NOT NULL DEFAULT true,
    last_digest_at  timestamptz,
    updated_by      text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS slack_notifications;
"#;

sql_migration!("m20261207_000026_slack_notifications", UP, DOWN);
