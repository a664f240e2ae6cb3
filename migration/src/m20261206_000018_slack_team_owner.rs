//! One workspace per Slack team: pushed events are routed by team id, so two workspaces
//! holding the same team would each see (or miss) the other's channels. Where duplicates
//! exist, the most recently updated connection keeps the team and the others are put in
//! `error` with a reason an admin sees in `GET /integrations`.

const UP: &str = r#"
UPDATE integration_connections c
   SET status = 'error',
       last_error = 'another workspace connected this Slack team; disconnect it there and connect again here',
       updated_at = now()
 WHERE provider = 'slack' AND status = 'active' AND external_id IS NOT NULL
   AND EXISTS (SELECT 1 FROM integration_connections n
                WHERE n.provider = 'slack' AND n.status = 'active' AND n.external_id = c.external_id
                  AND (n.updated_at, n.id) > (c.updated_at, c.id));
CREATE UNIQUE INDEX integration_connections_slack_team_idx
    ON integration_connections (external_id)
    WHERE provider = 'slack' AND status = 'active';
"#;

const DOWN: &str = r#"
DROP INDEX IF EXISTS integration_connections_slack_team_idx;
"#;

sql_migration!("m20261206_000018_slack_team_owner", UP, DOWN);
