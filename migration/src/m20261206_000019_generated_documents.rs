//! Documents a language model wrote for an insight, kept while the insight's evidence is
//! unchanged: asking again for the same PRD costs nothing. `evidence_key` digests what the
//! model was given (the insight's text, customers, ACV, quotes and `updated_at`).

const UP: &str = r#"
CREATE TABLE generated_documents (
    insight_id    uuid NOT NULL,
    kind          text NOT NULL,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    evidence_key  text NOT NULL,
    content       text NOT NULL,
    created_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (insight_id, kind)
);
CREATE INDEX generated_documents_workspace_idx ON generated_documents (workspace_id);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS generated_documents;
"#;

sql_migration!("m20261206_000019_generated_documents", UP, DOWN);
