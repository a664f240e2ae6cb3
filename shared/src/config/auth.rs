//! Sign-in, tokens, sessions and the first workspace.

use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, fail_if};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Every request acts as the default workspace's admin, without credentials (for the
    /// original web UI on a single-user machine). Refused unless `server.host` is a loopback
    /// address.
    pub disabled: bool,
    /// HMAC key of access tokens, 32+ characters (`openssl rand -hex 32`). Required unless
    /// `auth.disabled`.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub jwt_secret: Option<SecretString>,
    /// Lifetime of an access token (seconds, 60 to 86 400).
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token (seconds); each use rotates it.
    pub refresh_token_ttl_secs: u64,
    /// Lifetime of a console sign-in (the HttpOnly session cookie), from sign-in (seconds).
    pub session_ttl_secs: u64,
    /// When set, an admin API key with exactly this value is ensured in the default workspace
    /// at every start (16+ characters), for scripts and CI.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub bootstrap_api_key: Option<SecretString>,
    /// Name of the workspace created at first start, where the first admin and `auth.disabled`
    /// act.
    pub default_workspace: String,
    /// Failed sign-ins allowed per account and client address (and per address) within the
    /// window before 429.
    pub login_max_failures: u32,
    /// The window of `login_max_failures` (seconds).
    pub login_window_secs: u64,
    /// Password hashes computed at once per process (each ~50 ms of a core); more sign-ins wait
    /// their turn.
    pub max_concurrent_hashes: usize,
}

impl AuthSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !self.disabled {
            match &self.jwt_secret {
                Some(secret) if secret.expose_secret().len() >= 32 => {}
                Some(_) => {
                    return Err(ConfigError::new(
                        "auth.jwt_secret",
                        "must be at least 32 characters",
                    ));
                }
                None => {
                    return Err(ConfigError::new(
                        "auth.jwt_secret",
                        "is required unless auth.disabled is true (set PRODUCK__AUTH__JWT_SECRET)",
                    ));
                }
            }
        }
        fail_if(
            self.access_token_ttl_secs < 60 || self.access_token_ttl_secs > 86_400,
            "auth.access_token_ttl_secs",
            "must be between 60 and 86400",
        )?;
        fail_if(
            self.refresh_token_ttl_secs < self.access_token_ttl_secs,
            "auth.refresh_token_ttl_secs",
            "must not be shorter than auth.access_token_ttl_secs",
        )?;
        fail_if(
            !(300..=31_536_000).contains(&self.session_ttl_secs),
            "auth.session_ttl_secs",
            "must be between 300 and 31536000",
        )?;
        if let Some(key) = &self.bootstrap_api_key
            && key.expose_secret().len() < 16
        {
            return Err(ConfigError::new(
                "auth.bootstrap_api_key",
                "must be at least 16 characters",
            ));
        }
        fail_if(
            self.default_workspace.trim().is_empty(),
            "auth.default_workspace",
            "must not be empty",
        )?;
        fail_if(
            self.login_max_failures == 0,
            "auth.login_max_failures",
            "must be at least 1",
        )?;
        fail_if(
            !(1..=64).contains(&self.max_concurrent_hashes),
            "auth.max_concurrent_hashes",
            "must be between 1 and 64",
        )?;
        Ok(())
    }
}
