//! A per-workspace counter of board changes: any committed change to the rows the board
//! shows (insights, themes, theme_metrics) moves it, whichever code path made the change,
//! so a rendered board can be reused, and answered with 304, until it moves.
//!
//! The triggers are deferred to commit: the counter row is locked only from the first
//! change's commit-time trigger to the commit itself, after every other lock the
//! transaction takes, so writers cannot deadlock on it; later changes in the same
//! transaction find it already moved by them and write nothing.

const UP: &str = r#"
ALTER TABLE workspaces
    ADD COLUMN board_version bigint NOT NULL DEFAULT 0,
    ADD COLUMN board_changed_by xid8;

CREATE FUNCTION note_board_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ws uuid;
BEGIN
    IF TG_TABLE_NAME = 'theme_metrics' THEN
        SELECT t.workspace_id INTO ws FROM themes t
        WHERE t.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.theme_id ELSE NEW.theme_id END;
    ELSIF TG_OP = 'DELETE' THEN
        ws := OLD.workspace_id;
    ELSE
        ws := NEW.workspace_id;
    END IF;
    IF ws IS NOT NULL THEN
        UPDATE workspaces SET board_version = board_version + 1, board_changed_by = pg_current_xact_id()
        WHERE id = ws AND board_changed_by IS DISTINCT FROM pg_current_xact_id();
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER insights_board_change AFTER INSERT OR UPDATE OR DELETE ON insights
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION note_board_change();
CREATE CONSTRAINT TRIGGER themes_board_change AFTER INSERT OR UPDATE OR DELETE ON themes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION note_board_change();
CREATE CONSTRAINT TRIGGER theme_metrics_board_change AFTER INSERT OR UPDATE OR DELETE ON theme_metrics
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION note_board_change();
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS insights_board_change ON insights;
DROP TRIGGER IF EXISTS themes_board_change ON themes;
DROP TRIGGER IF EXISTS theme_metrics_board_change ON theme_metrics;
DROP FUNCTION IF EXISTS note_board_change();
ALTER TABLE workspaces DROP COLUMN IF EXISTS board_version, DROP COLUMN IF EXISTS board_changed_by;
"#;

sql_migration!("m20261203_000016_board_version", UP, DOWN);
