//! Redis connection shared by queues, rate limits and health checks.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;

use crate::config::RedisSettings;

/// Connects with bounded timeouts so a dead Redis is reported quickly instead of hanging.
pub async fn connect(settings: &RedisSettings) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(settings.url.expose_secret())?;
    ConnectionManager::new_with_config(client, manager_config()).await
}

/// Connects on first use, so a process can start while Redis is down.
pub fn connect_lazy(settings: &RedisSettings) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(settings.url.expose_secret())?;
    ConnectionManager::new_lazy_with_config(client, manager_config())
}

fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2)
}

/// PING with an overall bound; used by `/healthz`. The first command after a Redis restart
/// fails on the dead connection and makes the manager reconnect, so a failure is retried
/// while the bound allows.
pub async fn ping(conn: &mut ConnectionManager, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, redis::cmd("PING").query_async::<String>(conn)).await {
            Ok(Ok(pong)) => return pong == "PONG",
            Ok(Err(_)) if left > Duration::from_millis(100) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => return false,
        }
    }
}
