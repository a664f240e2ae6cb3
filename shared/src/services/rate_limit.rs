//! Fixed-window failure counters in Redis (failed logins per account and per client IP).
//! Shared by every API replica because the counters live in Redis.

use redis::aio::ConnectionManager;

use crate::DomainError;

#[derive(Clone)]
pub struct FailureLimiter {
    conn: ConnectionManager,
    prefix: String,
    max_failures: u32,
    window_secs: u64,
}

impl FailureLimiter {
    pub fn new(conn: ConnectionManager, prefix: &str, max_failures: u32, window_secs: u64) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}:ratelimit"),
            max_failures,
            window_secs,
        }
    }

    fn key(&self, scope: &str, subject: &str) -> String {
        format!("{}:{scope}:{}", self.prefix, subject.to_lowercase())
    }

    /// Refuses with `RateLimited` when any of the subjects used up its failures.
    pub async fn check(&self, subjects: &[(&str, &str)]) -> Result<(), DomainError> {
        let mut conn = self.conn.clone();
        for (scope, subject) in subjects {
            let key = self.key(scope, subject);
            let (count, ttl): (Option<u32>, i64) = redis::pipe()
                .get(&key)
                .ttl(&key)
                .query_async(&mut conn)
                .await?;
            if count.unwrap_or(0) >= self.max_failures {
                let retry_after_secs = if ttl > 0 {
                    ttl as u64
                } else {
                    self.window_secs
                };
                return Err(DomainError::RateLimited { retry_after_secs });
            }
        }
        Ok(())
    }

    pub async fn record_failure(&self, subjects: &[(&str, &str)]) -> Result<(), DomainError> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        for (scope, subject) in subjects {
            let key = self.key(scope, subject);
            // NX: the window starts at the first failure and is not extended by later ones.
            pipe.incr(&key, 1)
                .ignore()
                .cmd("EXPIRE")
                .arg(&key)
                .arg(self.window_secs)
                .arg("NX")
                .ignore();
        }
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    pub async fn clear(&self, scope: &str, subject: &str) -> Result<(), DomainError> {
        let mut conn = self.conn.clone();
        redis::cmd("DEL")
            .arg(self.key(scope, subject))
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }
}
