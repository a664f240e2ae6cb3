//! The schema's single source of truth: every migration, in order.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_feedback;
mod m20261122_000003_themes;
mod m20261122_000004_search;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_feedback::Migration),
            Box::new(m20261122_000003_themes::Migration),
            Box::new(m20261122_000004_search::Migration),
        ]
    }
}
