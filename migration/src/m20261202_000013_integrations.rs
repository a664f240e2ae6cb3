//! OAuth flows in progress (single-use states bound to a workspace and caller) and the
//! workspace's connections to Google, Zoom, Slack and Jira, their tokens encrypted, and the
//! Slack events already handled.

const UP: &str = r#"
CREATE TABLE oauth_states (
    -- SHA-256 of the state handed to the browser; the state itself is not kept
    state_hash     text PRIMARY KEY,
    provider       text NOT NULL,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    owner          text NOT NULL,
    -- the PKCE verifier, encrypted like the tokens
    code_verifier  text NOT NULL,
    redirect_uri   text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX oauth_states_expiry_idx ON oauth_states (expires_at);

CREATE TABLE integration_connections (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider          text NOT NULL CHECK (provider IN ('google', 'zoom', 'slack', 'jira')),
    account_email     text,
    scopes            text,
    -- AES-256-GCM envelopes (v1.<key id>.<data>); null once disconnected
    access_token      text,
    refresh_token     text,
    expires_at        timestamptz,
    status            text NOT NULL CHECK (status IN ('active', 'expired', 'error', 'disconnected')),
    connected_by      text,
    last_sync_at      timestamptz,
    last_sync_status  text,
    last_error        text,
    last_success_at   timestamptz,
    -- where the next incremental sync starts; written only after its items are committed
    sync_cursor       jsonb,
    -- the vendor's id for the connected account (Slack team id), to route pushed events
    external_id       text,
    -- what to sync (Slack channels and their accounts)
    settings          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, provider)
);
CREATE INDEX integration_connections_external_idx ON integration_connections (provider, external_id);

-- Slack events already handled (Slack retries deliveries), per event id
CREATE TABLE slack_events (
    event_id      text PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    received_at   timestamptz NOT NULL DEFAULT now()
);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS slack_events;
DROP TABLE IF EXISTS integration_connections;
DROP TABLE IF EXISTS oauth_states;
"#;

sql_migration!("m20261202_000013_integrations", UP, DOWN);
