//! Workspaces, users, memberships, API keys, refresh tokens and job runs.

const UP: &str = r#"
CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    display_name   text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at  timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    deactivated_at  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL,
    prefix        text NOT NULL,
    key_hash      text NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_prefix_idx ON api_keys (prefix);
CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id);

CREATE TABLE refresh_tokens (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    family_id     uuid NOT NULL,
    token_hash    text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE job_runs (
    id            uuid PRIMARY KEY,
    workspace_id  uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    singleton     boolean NOT NULL DEFAULT false,
    dedupe_key    text,
    progress      smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    message       text,
    params        jsonb NOT NULL DEFAULT '{}'::jsonb,
    result        jsonb,
    error         text,
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL,
    requested_by  text,
    worker        text,
    lease_until   timestamptz,
    enqueued_at   timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- One live run per singleton kind and workspace, whichever API replica is asked.
CREATE UNIQUE INDEX job_runs_singleton_key ON job_runs (workspace_id, kind)
    NULLS NOT DISTINCT WHERE singleton AND status IN ('queued', 'running');
-- Scheduled runs carry their tick as dedupe key, so a tick fires once cluster-wide.
CREATE UNIQUE INDEX job_runs_dedupe_key ON job_runs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX job_runs_workspace_created_idx ON job_runs (workspace_id, created_at DESC, id DESC);
CREATE INDEX job_runs_live_idx ON job_runs (status, lease_until) WHERE status IN ('queued', 'running');
CREATE INDEX job_runs_finished_idx ON job_runs (finished_at) WHERE finished_at IS NOT NULL;
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS job_runs;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS memberships;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS workspaces;
"#;

sql_migration!("m20261122_000001_foundation", UP, DOWN);
