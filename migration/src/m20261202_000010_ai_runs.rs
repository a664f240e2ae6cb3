//! One row per language-model call, whichever feature made it: who, which agent and model,
//! tokens, latency, outcome and estimated cost.

const UP: &str = r#"
CREATE TABLE ai_runs (
    id                 uuid PRIMARY KEY,
    workspace_id       uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    -- the caller (user:<id>, api_key:<id>, local) or job:<id>
    owner              text,
    agent              text NOT NULL,
    model              text NOT NULL,
    provider           text NOT NULL,
    input_preview      text NOT NULL,
    prompt_tokens      integer NOT NULL DEFAULT 0,
    completion_tokens  integer NOT NULL DEFAULT 0,
    latency_ms         integer NOT NULL,
    status             text NOT NULL CHECK (status IN ('success', 'error')),
    error_code         text,
    cost_usd           double precision NOT NULL DEFAULT 0,
    conversation_id    uuid,
    message_id         uuid,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_runs_workspace_idx ON ai_runs (workspace_id, created_at DESC, id DESC);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS ai_runs;
"#;

sql_migration!("m20261202_000010_ai_runs", UP, DOWN);
