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

/// A cause the viewer of a job should not see (SQL, internal state): its message is
/// replaced by a generic one in `job_runs.error`, and the whole chain goes to the log.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
struct InternalCause(anyhow::Error);

impl JobError {
    fn cause(&self) -> &anyhow::Error {
        match self {
            Self::Transient(e) | Self::Permanent(e) => e,
        }
    }

    /// What `GET /jobs/{id}` and the upload answers show: the handler's own message, or a
    /// generic one for internal causes.
    pub fn public_message(&self) -> String {
        if self.cause().downcast_ref::<InternalCause>().is_some() {
            match self {
                Self::Transient(_) => {
                    "a temporary internal error interrupted this job; it is retried".to_owned()
                }
                Self::Permanent(_) => {
                    "the job stopped on an internal error; the worker log has the details"
                        .to_owned()
                }
            }
        } else {
            format!("{:#}", self.cause())
        }
    }

    /// Everything, for the log.
    pub fn log_detail(&self) -> String {
        format!("{:#}", self.cause())
    }
}

impl From<shared::jobs::Cancelled> for JobError {
    fn from(e: shared::jobs::Cancelled) -> Self {
        Self::transient(e)
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
        let internal = matches!(e, DomainError::Db(_) | DomainError::Other(_));
        let transient = match &e {
            DomainError::Unavailable { .. } | DomainError::RateLimited { .. } => true,
            DomainError::Db(db) => DomainError::is_transient_db(db),
            _ => false,
        };
        let cause = if internal {
            anyhow::Error::new(InternalCause(e.into()))
        } else {
            e.into()
        };
        if transient {
            Self::Transient(cause)
        } else {
            Self::Permanent(cause)
        }
    }
}
