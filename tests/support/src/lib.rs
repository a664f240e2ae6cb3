//! What the integration tests (`tests/it`, `tests/processes`, the domain crate's parser tests)
//! and the benchmarks share, compiled once instead of included by path into each target.
//!
//! - the application under test ([`TestApp`], [`TestDb`], workers in-process and as processes,
//!   private PostgreSQL/Redis servers to stop and resume) — the `app` feature;
//! - [`files`]: small files of every supported format, and hostile ones;
//! - [`fixtures`]: vendor bodies (Slack, Jira, Zoom, Google, OpenAI) kept as files under
//!   `tests/fixtures/`;
//! - [`synthetic`]: workspaces of any size with topic-shaped vectors, for the benchmarks;
//! - [`parser_props`]: the properties every parser keeps on any input;
//! - [`rss`]: the process's resident memory, for the benchmarks.

pub mod cli;
pub mod files;
pub mod fixtures;
pub mod parser_props;
pub mod rss;

#[cfg(feature = "app")]
mod app;
#[cfg(feature = "app")]
pub mod corpus;
#[cfg(feature = "app")]
pub mod db;
#[cfg(feature = "app")]
pub mod processes;
#[cfg(feature = "app")]
pub mod synthetic;
#[cfg(feature = "app")]
pub mod workers;

#[cfg(feature = "app")]
pub use app::*;
#[cfg(feature = "app")]
pub use fixtures::{serve, serve_completions};

/// A path inside the checkout (this crate lives two folders below its root).
pub fn repo_path(rel: &str) -> String {
    format!("{}/../../{rel}", env!("CARGO_MANIFEST_DIR"))
}
