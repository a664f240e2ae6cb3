//! The one error type of domain services. The API maps it to problem+json; the worker maps
//! it to retry or abort.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The object does not exist in the caller's workspace.
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A uniqueness rule or a state rule refused the change.
    #[error("{0}")]
    Conflict(String),
    /// The caller's input breaks a rule the types could not express.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("too many attempts, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (Redis, a vendor API) is unreachable; safe to retry.
    #[error("{service} is unavailable")]
    Unavailable {
        service: &'static str,
        #[source]
        source: Option<anyhow::Error>,
    },
    #[error("database error")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl DomainError {
    pub fn not_found(entity: &'static str) -> Self {
        Self::NotFound { entity }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// True for a unique-constraint violation (SQLSTATE 23505).
    pub fn is_unique_violation(err: &DbErr) -> bool {
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
    }

    /// True when retrying can succeed: the database could not be reached, timed out or is
    /// restarting, or the transaction lost a serialization conflict or a deadlock.
    pub fn is_transient_db(err: &DbErr) -> bool {
        match err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                if let Some(code) = e.as_database_error().and_then(|d| d.code()) {
                    return TRANSIENT_SQLSTATES.contains(&code.as_ref());
                }
                // A pooled connection the server dropped (a restart) fails its next query
                // with an I/O error; the pool replaces it, so the retry can succeed.
                if matches!(
                    e.as_ref(),
                    sea_orm::sqlx::Error::Io(_)
                        | sea_orm::sqlx::Error::Tls(_)
                        | sea_orm::sqlx::Error::PoolTimedOut
                        | sea_orm::sqlx::Error::PoolClosed
                        | sea_orm::sqlx::Error::WorkerCrashed
                ) {
                    return true;
                }
                e.to_string().contains("connection")
            }
            _ => false,
        }
    }
}

/// Serialization failure and deadlock: the transaction can simply run again; the server
/// shutting down or starting (a restart ends every pooled connection with 57P01): a new
/// connection can succeed.
const TRANSIENT_SQLSTATES: [&str; 5] = ["40001", "40P01", "57P01", "57P02", "57P03"];

impl From<redis::RedisError> for DomainError {
    fn from(e: redis::RedisError) -> Self {
        Self::Unavailable {
            service: "redis",
            source: Some(e.into()),
        }
    }
}
