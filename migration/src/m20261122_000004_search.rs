//! Full-text search over themes and insights (feedback has its own tsvector already).

const UP: &str = r#"
ALTER TABLE insights ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', description || ' ' || impact || ' ' || recommendation), 'B')
) STORED;
CREATE INDEX insights_search_idx ON insights USING gin (search);
ALTER TABLE themes ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', label)) STORED;
CREATE INDEX themes_search_idx ON themes USING gin (search);
"#;

const DOWN: &str = r#"
ALTER TABLE themes DROP COLUMN IF EXISTS search;
ALTER TABLE insights DROP COLUMN IF EXISTS search;
"#;

sql_migration!("m20261122_000004_search", UP, DOWN);
