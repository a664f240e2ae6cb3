//! Customers, feedback (with embeddings and a full-text index) and uploaded files.

const UP: &str = r#"
ALTER TABLE workspaces ADD COLUMN pii_redaction boolean NOT NULL DEFAULT true;

CREATE TABLE customers (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name            text NOT NULL,
    -- lower-case, punctuation-free form: "Acme Corp." and "acme corp" are one customer
    name_key        text NOT NULL,
    email_domain    text,
    acv             double precision NOT NULL DEFAULT 0 CHECK (acv >= 0),
    segment         text NOT NULL CHECK (segment IN ('ENT', 'MM', 'SMB')),
    -- true when the segment was set explicitly rather than derived from ACV
    segment_locked  boolean NOT NULL DEFAULT false,
    meta            jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name_key)
);

CREATE TABLE feedback (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source           text NOT NULL CHECK (source IN ('slack', 'jira', 'gdoc', 'zoom', 'upload', 'api')),
    source_id        text NOT NULL,
    text             text NOT NULL,
    account          text,
    customer_id      uuid REFERENCES customers (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL,
    ingested_at      timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    meta             jsonb NOT NULL DEFAULT '{}'::jsonb,
    doc_url          text,
    speaker          text,
    started_at       timestamptz,
    ended_at         timestamptz,
    sentiment        real NOT NULL DEFAULT 0 CHECK (sentiment BETWEEN -1 AND 1),
    -- little-endian f32 vector and the model that made it; NULL until embedded
    embedding        bytea,
    embedding_model  text,
    search           tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    UNIQUE (workspace_id, source, source_id)
);
CREATE INDEX feedback_workspace_created_idx ON feedback (workspace_id, created_at DESC, id DESC);
CREATE INDEX feedback_workspace_source_idx ON feedback (workspace_id, source);
CREATE INDEX feedback_customer_idx ON feedback (customer_id);
CREATE INDEX feedback_unembedded_idx ON feedback (workspace_id) WHERE embedding IS NULL;
CREATE INDEX feedback_search_idx ON feedback USING gin (search);

CREATE TABLE uploads (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    job_id        uuid,
    filename      text NOT NULL,
    content_type  text,
    kind          text NOT NULL,
    size_bytes    bigint NOT NULL,
    sha256        text NOT NULL,
    -- the file itself, kept until processed so any worker can read it
    data          bytea,
    status        text NOT NULL DEFAULT 'stored' CHECK (status IN ('stored', 'processed', 'failed')),
    items         integer NOT NULL DEFAULT 0,
    skipped       integer NOT NULL DEFAULT 0,
    error         text,
    requested_by  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz
);
CREATE INDEX uploads_workspace_idx ON uploads (workspace_id, created_at DESC);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS uploads;
DROP TABLE IF EXISTS feedback;
DROP TABLE IF EXISTS customers;
ALTER TABLE workspaces DROP COLUMN IF EXISTS pii_redaction;
"#;

sql_migration!("m20261122_000002_feedback", UP, DOWN);
