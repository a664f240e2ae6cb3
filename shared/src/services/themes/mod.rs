//! Turning a workspace's embedded feedback into themes with metrics and one insight each.
//! A run builds the new state in memory and swaps it in one transaction; theme and insight
//! ids survive re-runs when a new cluster's centroid matches an old theme.

pub mod board;
pub mod cards;
mod evidence;
pub(crate) mod fallback;
mod llm;
mod load;
mod lock;
pub mod map;
mod recommend;
mod refresh;
mod run;
mod store;
pub mod timeline;
pub mod title;
mod weights;

use sea_orm::{DbBackend, Statement};

use evidence::{evidence, score_drafts};
use fallback::{InsightText, fallback_insights};
use llm::improve_with_llm;
use load::{Customer, Item, load_customers, load_items};
pub(crate) use lock::lock_workspace_themes;
use run::ThemeDraft;
use store::write;

pub use refresh::{after_evidence_changed, attach_new, preview_scoring, refresh_metrics};
pub use run::{ClusterSummary, InsightWriter, run_clustering};
pub use weights::{save_scoring_config, scoring_config};

/// Cosine similarity at which a new cluster inherits an old theme's id.
pub const STABLE_ID_THRESHOLD: f32 = 0.80;

fn raw(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}
