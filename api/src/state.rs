//! Shared application state handed to every handler.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use sea_orm::DatabaseConnection;
use shared::{
    auth::tokens::TokenKeys, config::Settings, jobs::JobQueue, services::rate_limit::WindowLimiter,
};
use uuid::Uuid;

/// Cloned by every extractor and middleware of every request, so it is one pointer.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }

    /// Text a route just stored (feedback, tickets) is embedded by the workspace's embed job.
    pub async fn embed_new_text(&self, workspace_id: Uuid) -> Result<(), shared::DomainError> {
        shared::services::jobs::request_embedding(
            &self.db,
            &self.queue,
            &self.settings.jobs,
            workspace_id,
        )
        .await
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub db: DatabaseConnection,
    pub redis: ConnectionManager,
    pub queue: JobQueue,
    pub settings: Arc<Settings>,
    pub keys: TokenKeys,
    pub login_limiter: WindowLimiter,
    /// Copilot questions per caller per minute.
    pub chat_limiter: WindowLimiter,
    /// Requests per minute per caller, by class.
    pub limiter: shared::services::request_limits::RequestLimiter,
    pub default_workspace_id: Uuid,
    /// AI configuration and the lazily loaded embedder (ticket scoring, documents).
    pub ai: Arc<shared::ai::AiServices>,
    /// Encrypts and decrypts stored OAuth tokens.
    pub tokens: shared::services::integrations::crypto::TokenCipher,
    /// The job kinds of this build, reported as queue gauges even while idle.
    pub job_kinds: Arc<Vec<String>>,
    /// Rendered board pages, valid while the workspace's board version holds.
    pub board_cache: crate::cached_json::RenderCache,
    /// Wakes progress streams when a job changes.
    pub job_events: shared::services::job_events::JobEvents,
}
