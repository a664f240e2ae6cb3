//! The board reads its JSON columns as text on every request; PostgreSQL rendered jsonb to
//! text each time (half of the list query's cost), so the rendering is stored beside them.

const UP: &str = r#"
ALTER TABLE insights ADD COLUMN customers_text text GENERATED ALWAYS AS (customers::text) STORED;
ALTER TABLE themes ADD COLUMN keywords_text text GENERATED ALWAYS AS (keywords::text) STORED;
"#;

const DOWN: &str = r#"
ALTER TABLE insights DROP COLUMN IF EXISTS customers_text;
ALTER TABLE themes DROP COLUMN IF EXISTS keywords_text;
"#;

sql_migration!("m20261203_000015_board_text", UP, DOWN);
