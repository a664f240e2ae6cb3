//! Streamed answers can stop early: a client that disconnects or a provider that fails
//! mid-stream leaves the text written so far, marked incomplete with the reason. A model call
//! stopped because nobody was listening any more is logged as `cancelled`.

const UP: &str = r#"
ALTER TABLE chat_messages
    ADD COLUMN incomplete  boolean NOT NULL DEFAULT false,
    -- why an incomplete answer stopped: client_disconnected or upstream_failed
    ADD COLUMN stop_reason text;
ALTER TABLE ai_runs DROP CONSTRAINT ai_runs_status_check;
ALTER TABLE ai_runs ADD CONSTRAINT ai_runs_status_check CHECK (status IN ('success', 'error', 'cancelled'));
"#;

const DOWN: &str = r#"
ALTER TABLE ai_runs DROP CONSTRAINT ai_runs_status_check;
UPDATE ai_runs SET status = 'error' WHERE status = 'cancelled';
ALTER TABLE ai_runs ADD CONSTRAINT ai_runs_status_check CHECK (status IN ('success', 'error'));
ALTER TABLE chat_messages DROP COLUMN stop_reason, DROP COLUMN incomplete;
"#;

sql_migration!("m20261202_000012_chat_streaming", UP, DOWN);
