//! The workspace's connections to its sources. Google and Zoom connect through OAuth
//! (authorization code with PKCE, a single-use state kept in PostgreSQL); their tokens are
//! stored encrypted (`crypto`) and never leave the server.

pub mod connections;
pub mod crypto;
pub mod drive;
pub mod jira;
pub mod jira_issues;
pub mod meeting_transcript;
pub mod oauth;
pub mod refresh;
pub mod slack;
pub mod slack_events;
pub mod slack_notify;
pub mod slack_setup;
pub mod vendor;
pub mod zoom;

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::{IntegrationsSettings, OAuthProviderSettings};

/// A provider that connects through OAuth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OAuthProvider {
    Google,
    Zoom,
}

impl OAuthProvider {
    pub const ALL: [OAuthProvider; 2] = [OAuthProvider::Google, OAuthProvider::Zoom];

    /// The provider a connection row names; `None` for connections without OAuth.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Zoom => "zoom",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Zoom => "Zoom",
        }
    }

    pub fn settings(self, s: &IntegrationsSettings) -> &OAuthProviderSettings {
        match self {
            Self::Google => &s.google,
            Self::Zoom => &s.zoom,
        }
    }
}

/// One HTTP client for the vendors (connection reuse, bounded time per call).
pub fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        crate::ai::init_crypto();
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}
