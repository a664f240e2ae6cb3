//! A PM's hand on the themes: a curated theme is kept by later clustering runs with the
//! members a PM gave it; its insight may be hidden, pinned to the top of the board, or have
//! its text edited (a run then keeps the text). Themes merged into another leave their
//! centroids behind as aliases, so a later cluster that looks like one of them joins the
//! survivor instead of coming back.

const UP: &str = r#"
ALTER TABLE themes ADD COLUMN curated_at timestamptz;
ALTER TABLE insights
    ADD COLUMN hidden_at timestamptz,
    ADD COLUMN pinned_at timestamptz,
    ADD COLUMN edited_by text,
    ADD COLUMN edited_at timestamptz;

-- The board lists pinned insights first and leaves hidden ones out.
CREATE INDEX insights_board_idx ON insights (workspace_id, (pinned_at IS NULL), priority_score DESC, id)
    WHERE hidden_at IS NULL;

CREATE TABLE theme_aliases (
    theme_id    uuid NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    centroid    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX theme_aliases_theme_idx ON theme_aliases (theme_id);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS theme_aliases;
DROP INDEX IF EXISTS insights_board_idx;
ALTER TABLE insights DROP COLUMN IF EXISTS hidden_at, DROP COLUMN IF EXISTS pinned_at,
    DROP COLUMN IF EXISTS edited_by, DROP COLUMN IF EXISTS edited_at;
ALTER TABLE themes DROP COLUMN IF EXISTS curated_at;
"#;

sql_migration!("m20261207_000023_curation", UP, DOWN);
