//! Console sign-ins: a browser holds an opaque session secret in an HttpOnly cookie; only
//! its SHA-256 is kept here, so a database read does not yield a usable session. Signing
//! out (or an admin deactivating the member) ends it at once.

const UP: &str = r#"
CREATE TABLE browser_sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX browser_sessions_user ON browser_sessions (user_id, workspace_id);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS browser_sessions;
"#;

sql_migration!("m20261206_000022_browser_sessions", UP, DOWN);
