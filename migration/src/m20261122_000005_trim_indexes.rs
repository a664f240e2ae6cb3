//! Drops an index the unique (workspace_id, source, source_id) constraint already covers: one
//! less index to maintain on every feedback insert.

const UP: &str = "DROP INDEX IF EXISTS feedback_workspace_source_idx;";

const DOWN: &str =
    "CREATE INDEX IF NOT EXISTS feedback_workspace_source_idx ON feedback (workspace_id, source);";

sql_migration!("m20261122_000005_trim_indexes", UP, DOWN);
