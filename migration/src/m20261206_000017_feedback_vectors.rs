//! Feedback vectors move to their own table. Inline, each 1.5 kB vector made a feedback row
//! 2.3 kB, so every scan of feedback (search, the list, filters) read four times the pages
//! it needed, and a workspace of 100 000 items no longer fit PostgreSQL's default cache.
//! `feedback.embedding_model` stays: it names the model of the item's current vector and is
//! NULL while the item waits to be embedded (an edited item's old vector stays until it is
//! embedded again; nothing reads it meanwhile). Existing tables keep their old size until
//! rewritten (`VACUUM FULL feedback` reclaims it).

const UP: &str = r#"
CREATE TABLE feedback_vectors (
    feedback_id uuid PRIMARY KEY REFERENCES feedback(id) ON DELETE CASCADE,
    embedding   bytea NOT NULL
);
INSERT INTO feedback_vectors (feedback_id, embedding)
    SELECT id, embedding FROM feedback WHERE embedding IS NOT NULL;
UPDATE feedback SET embedding_model = NULL WHERE embedding IS NULL AND embedding_model IS NOT NULL;
DROP INDEX IF EXISTS feedback_unembedded_idx;
ALTER TABLE feedback DROP COLUMN embedding;
CREATE INDEX feedback_unembedded_idx ON feedback (workspace_id) WHERE embedding_model IS NULL;
"#;

const DOWN: &str = r#"
DROP INDEX IF EXISTS feedback_unembedded_idx;
ALTER TABLE feedback ADD COLUMN embedding bytea;
UPDATE feedback f SET embedding = v.embedding FROM feedback_vectors v WHERE v.feedback_id = f.id;
UPDATE feedback SET embedding_model = NULL WHERE embedding IS NULL;
DROP TABLE feedback_vectors;
CREATE INDEX feedback_unembedded_idx ON feedback (workspace_id) WHERE embedding IS NULL;
"#;

sql_migration!("m20261206_000017_feedback_vectors", UP, DOWN);
