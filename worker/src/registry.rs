//! Job kinds and their handlers. The binary registers the product's kinds; tests register
//! kinds of their own without touching production code.

use std::{collections::BTreeMap, future::Future, sync::Arc};

use futures::future::BoxFuture;
use serde_json::Value;

use crate::{JobContext, JobError, handlers};

pub type JobResult = Result<Value, JobError>;

pub trait JobHandler: Send + Sync + 'static {
    fn run(&self, ctx: JobContext) -> BoxFuture<'static, JobResult>;
}

impl<F, Fut> JobHandler for F
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = JobResult> + Send + 'static,
{
    fn run(&self, ctx: JobContext) -> BoxFuture<'static, JobResult> {
        Box::pin(self(ctx))
    }
}

#[derive(Clone, Default)]
pub struct JobRegistry {
    handlers: BTreeMap<String, Arc<dyn JobHandler>>,
}

impl JobRegistry {
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every kind the product defines.
    pub fn production() -> Self {
        use shared::jobs::kinds;
        Self::empty()
            .register(kinds::MAINTENANCE, handlers::maintenance::run)
            .register(kinds::PROCESS_FILE, handlers::process_file::run)
            .register(kinds::TRANSCRIBE, handlers::transcribe::run)
            .register(kinds::EMBED, handlers::embed::run)
            .register(kinds::SYNC, handlers::sync::run)
            .register(kinds::CLUSTER, handlers::cluster::run)
            .register(kinds::RESCORE, handlers::cluster::rescore)
            .register(kinds::VOC, handlers::voc::run)
            .register(kinds::COMPETITIVE, handlers::competitive::run)
            .register(kinds::TOKEN_REFRESH, handlers::token_refresh::run)
            .register(kinds::SYNC_ZOOM, handlers::live_sync::zoom)
            .register(kinds::SYNC_SLACK, handlers::live_sync::slack)
            .register(kinds::SLACK_NAMES, handlers::live_sync::slack_names)
            .register(kinds::SYNC_JIRA, handlers::live_sync::jira)
            .register(kinds::SYNC_DRIVE, handlers::live_sync::drive)
            .register(kinds::SYNC_SCHEDULE, handlers::sync_schedule::run)
    }

    pub fn register(mut self, kind: &str, handler: impl JobHandler) -> Self {
        self.handlers.insert(kind.to_owned(), Arc::new(handler));
        self
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }

    pub fn kinds(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn the_worker_runs_exactly_the_kinds_the_domain_declares() {
        let registered: BTreeSet<String> = super::JobRegistry::production()
            .kinds()
            .into_iter()
            .collect();
        let declared: BTreeSet<String> = shared::jobs::kinds::ALL
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
        assert_eq!(registered, declared);
    }
}
