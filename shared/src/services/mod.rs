//! Domain operations. Plain async functions over a sea-orm connection; they own their
//! transactions and return `DomainError`. The API and the worker both call them.

pub mod account;
pub mod ai_runs;
pub mod api_keys;
pub mod audit;
pub mod bootstrap;
pub mod chat;
pub mod competitive;
pub mod console_sessions;
pub mod cursor;
pub mod customers;
pub mod demo;
pub mod documents;
pub mod embedding;
pub mod exports;
pub mod feedback;
pub mod insight_card;
pub mod integrations;
pub mod jira;
pub mod job_events;
pub mod jobs;
pub mod maintenance;
pub mod principal;
pub mod rate_limit;
pub mod request_limits;
pub mod search;
pub mod sign_in;
pub mod source;
pub mod theme_scores;
pub mod themes;
pub mod upload_intake;
pub mod uploads;
pub mod users;
pub mod webhooks;
pub mod workspaces;

/// A window of a list: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}
