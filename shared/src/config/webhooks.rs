//! Outbound webhooks: where deliveries may go and when an endpoint is given up on.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{ConfigError, fail_if};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Hosts deliveries may reach although they are not public (a receiver on your own
    /// network); every other endpoint must be https on a public address.
    pub allowed_hosts: Vec<String>,
    /// Time limit of one delivery attempt (seconds).
    pub timeout_secs: u64,
    /// Attempts per delivery, with the job queue's backoff between them (at most 25).
    pub max_attempts: u32,
    /// An endpoint whose last this-many deliveries all failed is disabled (the admins are told
    /// in the audit trail and on the endpoint).
    pub disable_after_failures: u32,
    /// `insight.priority_changed` fires when an insight's priority crosses this value.
    pub priority_threshold: i32,
}

impl WebhookSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        fail_if(
            self.timeout_secs == 0 || self.timeout_secs > 60,
            "webhooks.timeout_secs",
            "must be between 1 and 60",
        )?;
        fail_if(
            self.max_attempts == 0 || self.max_attempts > 25,
            "webhooks.max_attempts",
            "must be between 1 and 25",
        )?;
        fail_if(
            self.disable_after_failures == 0,
            "webhooks.disable_after_failures",
            "must be at least 1",
        )?;
        fail_if(
            !(1..=100).contains(&self.priority_threshold),
            "webhooks.priority_threshold",
            "must be between 1 and 100",
        )
    }
}
