//! Fixed-window counters in Redis: failed logins per account and per client IP, copilot
//! questions per caller. Shared by every API replica because the counters live in Redis.

use redis::aio::ConnectionManager;

use crate::DomainError;

#[derive(Clone)]
pub struct WindowLimiter {
    conn: ConnectionManager,
    prefix: String,
    max_attempts: u32,
    window_secs: u64,
}

impl WindowLimiter {
    pub fn new(conn: ConnectionManager, prefix: &str, max_attempts: u32, window_secs: u64) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}:ratelimit"),
            max_attempts,
            window_secs,
        }
    }

    fn key(&self, scope: &str, subject: &str) -> String {
        format!("{}:{scope}:{}", self.prefix, subject.to_lowercase())
    }

    /// Counts an attempt against every subject first, then refuses with `RateLimited` when
    /// any of them is over its allowance: parallel attempts cannot all pass a check made
    /// before any of them was counted. Call `succeeded` when the attempt turns out good.
    pub async fn attempt(&self, subjects: &[(&str, &str)]) -> Result<(), DomainError> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        for (scope, subject) in subjects {
            let key = self.key(scope, subject);
            // NX: the window starts at the first attempt and is not extended by later ones.
            pipe.incr(&key, 1)
                .cmd("EXPIRE")
                .arg(&key)
                .arg(self.window_secs)
                .arg("NX")
                .ignore()
                .ttl(&key);
        }
        let replies: Vec<i64> = pipe.query_async(&mut conn).await?;
        for pair in replies.chunks(2) {
            let (count, ttl) = (pair[0], pair.get(1).copied().unwrap_or(-1));
            if count > i64::from(self.max_attempts) {
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

    /// A good attempt: the account starts afresh, and the attempt no longer counts against
    /// the other subjects (an office behind one address logs in all day).
    pub async fn succeeded(
        &self,
        account: (&str, &str),
        others: &[(&str, &str)],
    ) -> Result<(), DomainError> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(self.key(account.0, account.1)).ignore();
        for (scope, subject) in others {
            pipe.cmd("DECR").arg(self.key(scope, subject)).ignore();
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
