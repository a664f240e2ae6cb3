//! Full-text search over themes and insights (feedback has its own tsvector already).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000004_search"
    }
}

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

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(UP)
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(DOWN)
            .await
            .map(|_| ())
    }
}
