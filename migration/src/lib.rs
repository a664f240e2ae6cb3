//! The schema's single source of truth: every migration, in order.

pub use sea_orm_migration::prelude::*;

/// A migration written as plain SQL: `sql_migration!("m2026..._name", UP_SQL, DOWN_SQL);`
/// defines `Migration` running `UP_SQL` forward and `DOWN_SQL` back.
macro_rules! sql_migration {
    ($name:literal, $up:expr, $down:expr) => {
        pub struct Migration;

        impl sea_orm_migration::prelude::MigrationName for Migration {
            fn name(&self) -> &str {
                $name
            }
        }

        #[sea_orm_migration::async_trait::async_trait]
        impl sea_orm_migration::prelude::MigrationTrait for Migration {
            async fn up(
                &self,
                manager: &sea_orm_migration::prelude::SchemaManager,
            ) -> Result<(), sea_orm_migration::prelude::DbErr> {
                use sea_orm_migration::sea_orm::ConnectionTrait;
                manager
                    .get_connection()
                    .execute_unprepared($up)
                    .await
                    .map(|_| ())
            }

            async fn down(
                &self,
                manager: &sea_orm_migration::prelude::SchemaManager,
            ) -> Result<(), sea_orm_migration::prelude::DbErr> {
                use sea_orm_migration::sea_orm::ConnectionTrait;
                manager
                    .get_connection()
                    .execute_unprepared($down)
                    .await
                    .map(|_| ())
            }
        }
    };
}

mod m20261122_000001_foundation;
mod m20261122_000002_feedback;
mod m20261122_000003_themes;
mod m20261122_000004_search;
mod m20261122_000005_trim_indexes;
mod m20261201_000006_reliability;
mod m20261201_000007_insight_cards;
mod m20261202_000008_jira_voc;
mod m20261202_000009_chat;
mod m20261202_000010_ai_runs;
mod m20261202_000011_competitive;
mod m20261202_000012_chat_streaming;
mod m20261202_000013_integrations;
mod m20261202_000014_operations;
mod m20261203_000015_board_text;
mod m20261203_000016_board_version;
mod m20261206_000017_feedback_vectors;
mod m20261206_000018_slack_team_owner;
mod m20261206_000019_generated_documents;
mod m20261206_000020_api_key_lineage;
mod m20261206_000021_oauth_binding;
mod m20261206_000022_browser_sessions;
mod m20261207_000023_curation;
mod m20261207_000024_webhooks;
mod m20261207_000025_jira_pushes;
mod m20261207_000026_slack_notifications;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_feedback::Migration),
            Box::new(m20261122_000003_themes::Migration),
            Box::new(m20261122_000004_search::Migration),
            Box::new(m20261122_000005_trim_indexes::Migration),
            Box::new(m20261201_000006_reliability::Migration),
            Box::new(m20261201_000007_insight_cards::Migration),
            Box::new(m20261202_000008_jira_voc::Migration),
            Box::new(m20261202_000009_chat::Migration),
            Box::new(m20261202_000010_ai_runs::Migration),
            Box::new(m20261202_000011_competitive::Migration),
            Box::new(m20261202_000012_chat_streaming::Migration),
            Box::new(m20261202_000013_integrations::Migration),
            Box::new(m20261202_000014_operations::Migration),
            Box::new(m20261203_000015_board_text::Migration),
            Box::new(m20261203_000016_board_version::Migration),
            Box::new(m20261206_000017_feedback_vectors::Migration),
            Box::new(m20261206_000018_slack_team_owner::Migration),
            Box::new(m20261206_000019_generated_documents::Migration),
            Box::new(m20261206_000020_api_key_lineage::Migration),
            Box::new(m20261206_000021_oauth_binding::Migration),
            Box::new(m20261206_000022_browser_sessions::Migration),
            Box::new(m20261207_000023_curation::Migration),
            Box::new(m20261207_000024_webhooks::Migration),
            Box::new(m20261207_000025_jira_pushes::Migration),
            Box::new(m20261207_000026_slack_notifications::Migration),
        ]
    }
}
