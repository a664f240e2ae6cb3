//! Operations: every change of a job's status, progress or message is announced on the
//! `job_runs` channel (so progress streams need not poll), and admin actions leave an
//! audit trail.

const UP: &str = r#"
CREATE FUNCTION job_runs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT'
       OR NEW.status IS DISTINCT FROM OLD.status
       OR NEW.progress IS DISTINCT FROM OLD.progress
       OR NEW.message IS DISTINCT FROM OLD.message THEN
        PERFORM pg_notify('job_runs', json_build_object(
            'id', NEW.id, 'workspace_id', NEW.workspace_id, 'kind', NEW.kind, 'status', NEW.status)::text);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER job_runs_notify AFTER INSERT OR UPDATE ON job_runs
    FOR EACH ROW EXECUTE FUNCTION job_runs_notify();

CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- user:<id>, api_key:<id> or local (auth.disabled)
    actor        text NOT NULL,
    -- what was done, e.g. user.role_changed, api_key.created, integration.disconnected
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    text,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    ip           text,
    request_id   text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_by_time ON audit_log (workspace_id, created_at DESC, id DESC);
"#;

const DOWN: &str = r#"
DROP TABLE audit_log;
DROP TRIGGER job_runs_notify ON job_runs;
DROP FUNCTION job_runs_notify();
"#;

sql_migration!("m20261202_000014_operations", UP, DOWN);
