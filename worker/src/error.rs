//! How a job failed decides what happens next: transient errors are retried with backoff,
//! permanent ones fail the job at once.

use shared::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt: timeouts, unreachable services, 429/5xx from vendors.
    #[error("{0:#}")]
    Transient(anyhow::Error),
    /// Retrying cannot help: bad data, missing objects, 4xx from vendors.
    #[error("{0:#}")]
    Permanent(anyhow::Error),
}

impl JobError {
    pub fn transient(msg: impl std::fmt::Display) -> Self {
        Self::Transient(anyhow::anyhow!("{msg}"))
    }

    pub fn permanent(msg: impl std::fmt::Display) -> Self {
        Self::Permanent(anyhow::anyhow!("{msg}"))
    }
}

impl From<shared::ai::AiError> for JobError {
    fn from(e: shared::ai::AiError) -> Self {
        match e {
            shared::ai::AiError::Transient(m) => Self::transient(m),
            shared::ai::AiError::Permanent(m) => Self::permanent(m),
        }
    }
}

impl From<DomainError> for JobError {
    fn from(e: DomainError) -> Self {
        match &e {
            DomainError::Unavailable { .. } | DomainError::RateLimited { .. } => {
                Self::Transient(e.into())
            }
            DomainError::Db(db) if DomainError::is_transient_db(db) => Self::Transient(e.into()),
            _ => Self::Permanent(e.into()),
        }
    }
}
