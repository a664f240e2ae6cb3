//! An OAuth flow is bound to the browser that started it: `/start` sets an HttpOnly cookie
//! whose SHA-256 is kept here, and the callback must present it (or the member who started
//! the flow must finish it through the authenticated endpoint). A forwarded link cannot
//! connect someone else's account into the workspace.

const UP: &str = r#"
ALTER TABLE oauth_states ADD COLUMN binding_hash text;
"#;

const DOWN: &str = r#"
ALTER TABLE oauth_states DROP COLUMN IF EXISTS binding_hash;
"#;

sql_migration!("m20261206_000021_oauth_binding", UP, DOWN);
