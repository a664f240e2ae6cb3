//! Whether this process reaches its dependencies: the API's `/healthz` and `/readyz` and the
//! worker's `/healthz` ask the same question the same way.

use std::time::Duration;

use redis::aio::ConnectionManager;
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// Each check gets this long; a dependency slower than that counts as down.
const CHECK_BUDGET: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reachability {
    pub database: bool,
    pub redis: bool,
}

impl Reachability {
    pub fn all_up(&self) -> bool {
        self.database && self.redis
    }

    /// `connected` or `disconnected`, as health bodies spell it.
    pub fn word(up: bool) -> &'static str {
        if up { "connected" } else { "disconnected" }
    }

    /// e.g. `database and redis unreachable`; None when all are up.
    pub fn problem(&self) -> Option<String> {
        let down: Vec<&str> = [(self.database, "database"), (self.redis, "redis")]
            .into_iter()
            .filter(|(up, _)| !up)
            .map(|(_, name)| name)
            .collect();
        (!down.is_empty()).then(|| format!("{} unreachable", down.join(" and ")))
    }
}

/// Asks PostgreSQL and Redis at once, each within the budget.
pub async fn check(db: &DatabaseConnection, redis: &ConnectionManager) -> Reachability {
    let database = async {
        matches!(
            tokio::time::timeout(CHECK_BUDGET, db.execute_unprepared("SELECT 1")).await,
            Ok(Ok(_))
        )
    };
    let mut redis = redis.clone();
    let redis_up = crate::redis_conn::ping(&mut redis, CHECK_BUDGET);
    let (database, redis) = tokio::join!(database, redis_up);
    Reachability { database, redis }
}
