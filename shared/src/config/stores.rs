//! PostgreSQL and Redis.

use schemars::JsonSchema;
use secrecy::SecretString;
use serde::Deserialize;

use super::{ConfigError, check_url, fail_if};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// PostgreSQL connection URL (`DATABASE_URL` also sets it). For a database on another host
    /// add `?sslmode=require` (or `verify-full`).
    #[schemars(with = "String", extend("x-secret" = true))]
    pub url: SecretString,
    /// Connection pool size per process.
    pub max_connections: u32,
    /// Connections kept open per process when idle.
    pub min_connections: u32,
    /// Give up connecting (and report the database down) after this many seconds.
    pub connect_timeout_secs: u64,
    /// PostgreSQL cancels any single statement running longer (seconds), so no request or job
    /// holds a connection for minutes.
    pub statement_timeout_secs: u64,
    /// Create the database named in `url` when it does not exist (development convenience).
    pub create_if_missing: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// Redis URL (`REDIS_URL` also sets it).
    #[schemars(with = "String", extend("x-secret" = true))]
    pub url: SecretString,
}

impl DatabaseSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        check_url(&self.url, "database.url", &["postgres", "postgresql"])?;
        fail_if(
            self.max_connections == 0 || self.min_connections > self.max_connections,
            "database.max_connections",
            "must be at least 1 and not below database.min_connections",
        )?;
        fail_if(
            self.statement_timeout_secs == 0,
            "database.statement_timeout_secs",
            "must be at least 1",
        )?;
        Ok(())
    }
}

impl RedisSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        check_url(&self.url, "redis.url", &["redis", "rediss"])?;
        Ok(())
    }
}
