//! Reliability: which queue entry carries a queued job (so the sweeper re-pushes only lost
//! ones), worker liveness per job kind (so waiting never fails a job while a worker for its
//! kind is alive), and API key expiry.

const UP: &str = r#"
ALTER TABLE job_runs
    ADD COLUMN queue_task text,
    ADD COLUMN repushes integer NOT NULL DEFAULT 0;

CREATE TABLE worker_heartbeats (
    name        text PRIMARY KEY,
    kinds       text[] NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
"#;

const DOWN: &str = r#"
ALTER TABLE api_keys DROP COLUMN IF EXISTS expires_at;
DROP TABLE IF EXISTS worker_heartbeats;
ALTER TABLE job_runs DROP COLUMN IF EXISTS queue_task, DROP COLUMN IF EXISTS repushes;
"#;

sql_migration!("m20261201_000006_reliability", UP, DOWN);
