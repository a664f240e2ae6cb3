//! The AI configuration plus lazily created clients, shared by one process.

use std::{path::PathBuf, sync::Arc};

use tokio::sync::OnceCell;

use super::{AiError, embeddings::Embedder};
use crate::{
    ai_config::{AiConfig, AiConfigError},
    config::Settings,
};

pub struct AiServices {
    pub config: AiConfig,
    /// Folder relative paths in `ai_config.yaml` are resolved against.
    base_dir: PathBuf,
    embedder: OnceCell<Arc<dyn Embedder>>,
    /// Where model calls are logged (`ai_runs`); None in tools that keep no log.
    pub(crate) run_log: Option<sea_orm::DatabaseConnection>,
}

impl AiServices {
    pub fn load(settings: &Settings) -> Result<Self, AiConfigError> {
        let path = &settings.ai.config_path;
        let mut config = AiConfig::load(path)?;
        config.apply_llm_settings(&settings.ai);
        let base_dir = path.parent().map(PathBuf::from).unwrap_or_default();
        Ok(Self::new(config, base_dir))
    }

    pub fn new(config: AiConfig, base_dir: PathBuf) -> Self {
        Self {
            config,
            base_dir,
            embedder: OnceCell::new(),
            run_log: None,
        }
    }

    /// Logs every model call made through these services to `ai_runs` in `db`.
    pub fn with_run_log(mut self, db: sea_orm::DatabaseConnection) -> Self {
        self.run_log = Some(db);
        self
    }

    /// The configured embedder for work done on behalf of `ctx`: a remote provider's calls
    /// are then logged as `embeddings` runs of that workspace and caller.
    pub async fn embedder_for(
        &self,
        ctx: &super::runs::RunContext,
    ) -> Result<Arc<dyn Embedder>, AiError> {
        let inner = self.embedder().await?;
        Ok(match super::runs::RunLog::for_embeddings(self) {
            Some(log) => Arc::new(super::embeddings::Logged {
                inner,
                log,
                ctx: ctx.clone(),
            }),
            None => inner,
        })
    }

    /// Which embedder this process will use, without loading it.
    pub fn embedder_status(&self) -> super::embeddings::EmbedderStatus {
        super::embeddings::status(&self.config, &self.base_dir)
    }

    /// Why a process of `environment` must not start with its embedder, if it must not:
    /// production refuses the silent lexical fallback (development keeps it, with a warning).
    pub fn start_refusal(&self, environment: &str) -> Option<String> {
        if environment != "production" {
            return None;
        }
        let dir = self.base_dir.join(&self.config.embeddings.model_dir);
        super::embeddings::production_refusal(&self.embedder_status(), &dir)
    }

    /// The configured embedder, loaded on first use (the local model reads ~90 MB).
    pub async fn embedder(&self) -> Result<Arc<dyn Embedder>, AiError> {
        self.embedder
            .get_or_try_init(|| async {
                let config = self.config.clone();
                let base = self.base_dir.clone();
                tokio::task::spawn_blocking(move || super::embeddings::from_config(&config, &base))
                    .await
                    .map_err(|e| AiError::Transient(format!("loading the embedder: {e}")))?
            })
            .await
            .cloned()
    }
}
