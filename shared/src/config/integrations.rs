//! Connected accounts (Google, Zoom, Slack, Jira), their syncs and the keys that encrypt their tokens.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, fail_if};

/// Connections to Google, Zoom and the other sources. Every vendor URL can be overridden so
/// tests (and proxies) can stand in for the vendor.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationsSettings {
    /// Where the browser goes back to after connecting; `server.web_ui_base_url` when unset.
    pub web_ui_url: Option<String>,
    /// The API's address as browsers and providers reach it; OAuth redirect URIs default to
    /// `<public_url>/auth/<provider>/callback`.
    pub public_url: String,
    /// Keys (id → base64 of 32 bytes) that encrypt stored tokens; old ones stay for
    /// decryption until `produck-api rotate-keys` has re-encrypted everything.
    #[schemars(with = "BTreeMap<String, String>", extend("x-secret" = true))]
    pub token_keys: BTreeMap<String, SecretString>,
    /// The id in `token_keys` new tokens are encrypted with.
    pub current_token_key: Option<String>,
    /// How long an OAuth flow may take from start to callback (seconds).
    pub state_ttl_secs: u64,
    /// Each connected source syncs this often (seconds); one whose last success is older than
    /// three intervals is reported `stale`.
    pub sync_interval_secs: u64,
    /// One sync run reads at most this many listing pages, and starts no new page after
    /// this many seconds; the rest continues in the next run (status `partial`), so a
    /// first sync larger than a job's time limit still completes.
    pub max_sync_pages: usize,
    /// A sync run starts no new page after this many seconds (see `max_sync_pages`).
    pub max_sync_secs: u64,
    /// Google Drive and Docs (an OAuth client of type "Web application").
    pub google: OAuthProviderSettings,
    /// Zoom cloud recordings (a "General app" with user-managed OAuth).
    pub zoom: OAuthProviderSettings,
    /// Slack events and history.
    pub slack: SlackSettings,
    /// Jira sites.
    pub jira: JiraSiteSettings,
}

impl IntegrationsSettings {
    /// Where a browser lands after connecting an account: `integrations.web_ui_url` when set
    /// (e.g. the original web UI), else this API's own console.
    pub fn web_ui_url(&self) -> String {
        match self.web_ui_url.as_deref() {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("{}/app", self.public_url.trim_end_matches('/')),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraSiteSettings {
    /// Hosts a Jira site URL may name although they are not public https addresses (a
    /// self-hosted Jira on the private network; tests). Everything else must be https and
    /// resolve to public addresses only.
    pub allowed_hosts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// The Slack app's signing secret; pushed events are refused without it.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub signing_secret: Option<SecretString>,
    /// Slack's Web API (overridable for tests and proxies).
    pub api_base_url: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthProviderSettings {
    /// The OAuth client id registered with the vendor.
    pub client_id: Option<String>,
    /// The OAuth client secret.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub client_secret: Option<SecretString>,
    /// Exactly as registered with the provider; `<public_url>/auth/<provider>/callback` when
    /// unset.
    pub redirect_uri: Option<String>,
    /// The vendor's authorization endpoint.
    pub auth_url: String,
    /// The vendor's token endpoint.
    pub token_url: String,
    /// The vendor's token revocation endpoint (called on disconnect).
    pub revoke_url: String,
    /// Where the account's email is read (Google's userinfo, Zoom's REST API).
    pub api_base_url: String,
    /// Scopes requested when connecting.
    pub scopes: Vec<String>,
}

impl IntegrationsSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(current) = &self.current_token_key
            && !self.token_keys.contains_key(current)
        {
            return Err(ConfigError::new(
                "integrations.current_token_key",
                format!("names no key of integrations.token_keys ({current:?})"),
            ));
        }
        for (id, key) in &self.token_keys {
            if decode_token_key(key).is_none() {
                return Err(ConfigError::new(
                    format!("integrations.token_keys.{id}"),
                    "must be the base64 encoding of exactly 32 random bytes (openssl rand -base64 32)",
                ));
            }
        }
        fail_if(
            self.max_sync_pages == 0 || self.max_sync_secs == 0,
            "integrations.max_sync_pages",
            "max_sync_pages and max_sync_secs must be at least 1",
        )?;
        fail_if(
            self.sync_interval_secs < 60,
            "integrations.sync_interval_secs",
            "must be at least 60",
        )?;
        Ok(())
    }
}

/// A configured token key's bytes, if it is the base64 of exactly 32 bytes (the format
/// `integrations.token_keys` requires).
pub fn decode_token_key(key: &SecretString) -> Option<[u8; 32]> {
    let bytes = STANDARD.decode(key.expose_secret().trim()).ok()?;
    bytes.try_into().ok()
}
