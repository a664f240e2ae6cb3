//! Turning a workspace's embedded feedback into themes with metrics and one insight each.
//! A run builds the new state in memory and swaps it in one transaction; theme and insight
//! ids survive re-runs when a new cluster's centroid matches an old theme.

pub mod board;
pub mod cards;
mod curated;
pub mod curation;
mod draft;
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
pub(crate) mod wording;

pub(crate) use lock::lock_workspace_themes;

pub use refresh::{after_evidence_changed, attach_new, preview_scoring, refresh_metrics};
pub use run::{ClusterSummary, InsightWriter, run_clustering};
pub use weights::{save_scoring_config, scoring_config};

/// Cosine similarity at which a new cluster inherits an old theme's id.
pub const STABLE_ID_THRESHOLD: f32 = 0.80;
