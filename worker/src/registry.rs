//! Job kinds and their handlers. The binary registers the product's kinds; tests register
//! kinds of their own without touching production code.

use std::{collections::BTreeMap, future::Future, sync::Arc};

use futures::future::BoxFuture;
use serde_json::Value;
use shared::services::jobs::{
    self, JobSpec,
    contract::{params_of, to_column},
};

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
        use shared::services::jobs::contract as spec;
        Self::empty()
            .handle::<spec::Maintenance, _, _>(handlers::maintenance::run)
            .handle::<spec::ProcessFile, _, _>(handlers::process_file::run)
            .handle::<spec::Transcribe, _, _>(handlers::transcribe::run)
            .handle::<spec::Embed, _, _>(handlers::embed::run)
            .handle::<spec::DemoLoad, _, _>(handlers::demo_load::run)
            .handle::<spec::Cluster, _, _>(handlers::cluster::run)
            .handle::<spec::ThemeRescore, _, _>(handlers::cluster::rescore)
            .handle::<spec::VocScoring, _, _>(handlers::voc::run)
            .handle::<spec::Research, _, _>(handlers::competitive::run)
            .handle::<spec::TokenRefresh, _, _>(handlers::token_refresh::run)
            .handle::<spec::ZoomSync, _, _>(handlers::live_sync::zoom)
            .handle::<spec::SlackSync, _, _>(handlers::live_sync::slack)
            .handle::<spec::SlackNames, _, _>(handlers::live_sync::slack_names)
            .handle::<spec::JiraSync, _, _>(handlers::live_sync::jira)
            .handle::<spec::DriveSync, _, _>(handlers::live_sync::drive)
            .handle::<spec::SyncSchedule, _, _>(handlers::sync_schedule::run)
            .handle::<spec::WebhookDelivery, _, _>(handlers::webhook::run)
            .handle::<spec::SlackDigest, _, _>(handlers::slack_digest::run)
            .handle::<spec::SlackAlert, _, _>(handlers::slack_alert::run)
    }

    /// Registers the handler of kind `S`: it gets the run's params as `S::Params` (params
    /// that do not read as such fail the run for good) and its `S::Output` is the result.
    pub fn handle<S, F, Fut>(self, handler: F) -> Self
    where
        S: JobSpec,
        F: Fn(JobContext, S::Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S::Output, JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.register(S::KIND, move |ctx: JobContext| {
            let handler = handler.clone();
            async move {
                let params = params_of::<S>(&ctx.job).map_err(JobError::permanent)?;
                let output = handler(ctx.clone(), params).await?;
                if S::LANDS_TEXT {
                    // New text is embedded (and joins its themes) by the embed job.
                    let ws = ctx.workspace_id()?;
                    jobs::request_embedding(ctx.db(), ctx.queue(), &ctx.settings().jobs, ws)
                        .await?;
                }
                Ok(to_column(&output))
            }
        })
    }

    /// Registers an untyped handler (test harnesses define kinds of their own this way).
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
