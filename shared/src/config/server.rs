//! The HTTP side: the listener, per-caller rate limits and who may read `/metrics`.

use std::net::IpAddr;

use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, fail_if, is_header_name};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address the API binds (`0.0.0.0` in production). `auth.disabled` is refused unless this
    /// is a loopback address.
    pub host: IpAddr,
    /// TCP port of the API (`PORT` also sets it).
    pub port: u16,
    /// Browser origins of other web UIs allowed to call the API with credentials (never `*`);
    /// the built-in console needs none. From the environment as a JSON list.
    pub cors_origins: Vec<String>,
    /// Requests running longer answer 503 (seconds; uploads have their own limit).
    pub request_timeout_secs: u64,
    /// Largest JSON request body, in bytes (uploads set their own limits).
    pub body_limit_bytes: usize,
    /// Where the web UI lives; documents link to its insight pages.
    pub web_ui_base_url: String,
    /// The header a trusted reverse proxy sets to the client's address (`x-real-ip`,
    /// `x-forwarded-for`); without one the TCP peer is the client.
    #[serde(default)]
    pub client_ip_header: Option<String>,
    /// Serve the MCP server for AI assistants at `/mcp` (authenticated like the API).
    pub mcp_enabled: bool,
}

/// Requests per minute per caller (API key or session; the client address when
/// unauthenticated), by class. 0 turns a class off.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// GET and HEAD requests.
    pub reads_per_minute: u32,
    /// POST, PUT, PATCH and DELETE, other than uploads and chat.
    pub writes_per_minute: u32,
    /// File uploads and imports (`/upload/*`, `/jira/tickets/import`).
    pub uploads_per_minute: u32,
    /// Changes under `/chat` (questions also count against `chat.questions_per_minute`).
    pub chat_per_minute: u32,
}

/// Who may read `/metrics` (the API's and the worker's listener alike).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token a scraper sends; without one, only loopback clients are answered.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub token: Option<SecretString>,
}

impl ServerSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        fail_if(
            self.request_timeout_secs == 0,
            "server.request_timeout_secs",
            "must be at least 1",
        )?;
        let ui = url::Url::parse(&self.web_ui_base_url)
            .map_err(|e| ConfigError::new("server.web_ui_base_url", e.to_string()))?;
        fail_if(
            !["http", "https"].contains(&ui.scheme()),
            "server.web_ui_base_url",
            "must be an http(s) URL",
        )?;
        for origin in &self.cors_origins {
            if origin == "*" {
                return Err(ConfigError::new(
                    "server.cors_origins",
                    "a wildcard is not allowed: list the web UI origins explicitly",
                ));
            }
            let parsed = url::Url::parse(origin)
                .map_err(|e| ConfigError::new("server.cors_origins", format!("{origin:?}: {e}")))?;
            if parsed.path() != "/" || parsed.query().is_some() {
                return Err(ConfigError::new(
                    "server.cors_origins",
                    format!("{origin:?} must be an origin (scheme://host[:port]) without a path"),
                ));
            }
        }
        if let Some(name) = &self.client_ip_header
            && !is_header_name(name)
        {
            return Err(ConfigError::new(
                "server.client_ip_header",
                format!("{name:?} is not a valid HTTP header name"),
            ));
        }
        Ok(())
    }
}

impl MetricsSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(token) = &self.token
            && token.expose_secret().len() < 16
        {
            return Err(ConfigError::new(
                "metrics.token",
                "must be at least 16 characters",
            ));
        }
        Ok(())
    }
}
