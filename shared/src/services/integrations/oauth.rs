//! The OAuth authorization-code flow with PKCE (S256). `start` stores a single-use state
//! bound to the workspace and caller, expiring after `integrations.state_ttl_secs`;
//! `complete` consumes it, exchanges the code (sending the verifier), reads the account's
//! email and stores the tokens encrypted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{OAuthProvider, crypto::TokenCipher, http};
use crate::{
    DomainError,
    auth::secrets::{random_token, sha256_hex},
    config::IntegrationsSettings,
    db::statement as raw,
};

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The config keys that must be set first.
    #[error("{provider} OAuth is not configured: set {}", .keys.join(", "))]
    NotConfigured {
        provider: &'static str,
        keys: Vec<String>,
    },
    /// Unknown, reused, expired or another provider's state; the code says which.
    #[error("{message}")]
    InvalidState { code: &'static str, message: String },
    /// The user declined, or the provider refused the request.
    #[error("{provider} reported {error}{}", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Denied {
        provider: &'static str,
        error: String,
        description: Option<String>,
    },
    /// The provider could not be reached or failed.
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Domain(e.into())
    }
}

impl From<super::crypto::CryptoError> for OAuthError {
    fn from(e: super::crypto::CryptoError) -> Self {
        Self::Domain(DomainError::Unavailable {
            service: "token encryption",
            source: Some(e.into()),
        })
    }
}

/// Where the browser is sent to grant access.
#[derive(Debug)]
pub struct Started {
    pub authorization_url: String,
    pub state: String,
}

fn redirect_uri(settings: &IntegrationsSettings, provider: OAuthProvider) -> String {
    let s = settings;
    provider
        .settings(s)
        .redirect_uri
        .clone()
        .unwrap_or_else(|| {
            format!(
                "{}/auth/{}/callback",
                s.public_url.trim_end_matches('/'),
                provider.as_str()
            )
        })
}

/// The client id and secret, or the keys still to set.
pub(crate) fn client_credentials(
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    provider: OAuthProvider,
) -> Result<(String, SecretString), OAuthError> {
    let ps = provider.settings(settings);
    let name = provider.as_str();
    let mut missing = Vec::new();
    let id = ps.client_id.clone().filter(|v| !v.trim().is_empty());
    let secret = ps
        .client_secret
        .clone()
        .filter(|v| !v.expose_secret().trim().is_empty());
    if id.is_none() {
        missing.push(format!("integrations.{name}.client_id"));
    }
    if secret.is_none() {
        missing.push(format!("integrations.{name}.client_secret"));
    }
    if cipher.current_key_id().is_none() {
        missing.push("integrations.token_keys and integrations.current_token_key".into());
    }
    match (id, secret) {
        (Some(id), Some(secret)) if missing.is_empty() => Ok((id, secret)),
        _ => Err(OAuthError::NotConfigured {
            provider: provider.title(),
            keys: missing,
        }),
    }
}

/// `binding`: a secret the starting browser keeps (an HttpOnly cookie) and the callback must
/// present; None leaves the flow unbound (`auth.disabled`, where one local admin exists).
pub async fn start(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
    owner: &str,
    provider: OAuthProvider,
    binding: Option<&str>,
) -> Result<Started, OAuthError> {
    let (client_id, _) = client_credentials(settings, cipher, provider)?;
    let ps = provider.settings(settings);
    let state = random_token(32);
    let verifier = random_token(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let redirect = redirect_uri(settings, provider);
    let ttl = settings.state_ttl_secs as i64;
    // Flows abandoned long ago are forgotten on the way.
    db.execute_raw(raw(
        "DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'",
        vec![],
    ))
    .await?;
    db.execute_raw(raw(
        "INSERT INTO oauth_states (state_hash, provider, workspace_id, owner, code_verifier, redirect_uri, expires_at, \
                                   binding_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8)",
        vec![
            sha256_hex(&state).into(),
            provider.as_str().into(),
            workspace_id.into(),
            owner.into(),
            cipher.encrypt(&verifier)?.into(),
            redirect.clone().into(),
            (ttl as f64).into(),
            binding.map(sha256_hex).into(),
        ],
    ))
    .await?;
    let mut url = url::Url::parse(&ps.auth_url).map_err(|e| {
        OAuthError::Upstream(format!("integrations.{}.auth_url: {e}", provider.as_str()))
    })?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &client_id)
            .append_pair("redirect_uri", &redirect)
            .append_pair("response_type", "code")
            .append_pair("scope", &ps.scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if provider == OAuthProvider::Google {
            // A refresh token is only issued with offline access, and again only on consent.
            q.append_pair("access_type", "offline")
                .append_pair("prompt", "consent")
                .append_pair("include_granted_scopes", "true");
        }
    }
    Ok(Started {
        authorization_url: url.into(),
        state,
    })
}

/// What the provider sent back to the callback.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: String,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// Who finishes the flow: the browser's binding cookie, or the signed-in caller.
    pub finisher: Finisher,
}

/// Proof that the one finishing a bound flow is the one who started it.
#[derive(Debug, Clone, Default)]
pub struct Finisher {
    /// The value of the binding cookie the browser presented.
    pub binding: Option<String>,
    /// The authenticated caller (`user:<id>`, ...), when the flow is finished through the API.
    pub caller: Option<String>,
}

/// A connection just made.
#[derive(Debug, Clone)]
pub struct Connected {
    pub workspace_id: Uuid,
    /// Who started the flow (a principal's label).
    pub connected_by: String,
    pub account_email: Option<String>,
    pub expires_at: DateTime<Utc>,
}

struct Flow {
    workspace_id: Uuid,
    owner: String,
    verifier: SecretString,
    redirect_uri: String,
}

/// Uses the state up (whatever happens next, it cannot be replayed) and returns its flow.
async fn consume(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    provider: OAuthProvider,
    state: &str,
    finisher: &Finisher,
) -> Result<Flow, OAuthError> {
    let hash = sha256_hex(state);
    // A bound flow is finished only by its browser or by the member who started it; a
    // wrong finisher uses nothing up.
    let row = db
        .query_one_raw(raw(
            "UPDATE oauth_states SET used_at = now() \
             WHERE state_hash = $1 AND used_at IS NULL AND provider = $2 AND expires_at > now() \
             AND (binding_hash IS NULL OR binding_hash = $3 OR owner = $4) \
             RETURNING workspace_id, owner, code_verifier, redirect_uri",
            vec![
                hash.clone().into(),
                provider.as_str().into(),
                finisher.binding.as_deref().map(sha256_hex).into(),
                finisher.caller.clone().into(),
            ],
        ))
        .await?;
    if let Some(r) = row {
        return Ok(Flow {
            workspace_id: r.try_get("", "workspace_id")?,
            owner: r.try_get("", "owner")?,
            verifier: cipher.decrypt(&r.try_get::<String>("", "code_verifier")?)?,
            redirect_uri: r.try_get("", "redirect_uri")?,
        });
    }
    // Say why, without using anything up.
    let known = db
        .query_one_raw(raw(
            "SELECT provider, used_at IS NOT NULL AS used, expires_at <= now() AS expired \
             FROM oauth_states WHERE state_hash = $1",
            vec![hash.into()],
        ))
        .await?;
    let invalid = |code, message: String| OAuthError::InvalidState { code, message };
    Err(match known {
        None => invalid(
            "invalid_state",
            "unknown OAuth state; start the connection again".into(),
        ),
        Some(r) if r.try_get::<String>("", "provider")? != provider.as_str() => invalid(
            "invalid_state",
            format!(
                "this state belongs to a {} flow, not {}",
                r.try_get::<String>("", "provider")?,
                provider.as_str()
            ),
        ),
        Some(r) if r.try_get::<bool>("", "used")? => invalid(
            "state_used",
            "this OAuth state was already used; start the connection again".into(),
        ),
        Some(r) if !r.try_get::<bool>("", "expired")? => invalid(
            "oauth_unbound",
            "this connection was started in another browser or by another member; start connecting \
             again from ProduckAI in the browser you sign in with (or finish it with POST \
             /auth/{provider}/complete as the member who started it)"
                .into(),
        ),
        Some(_) => invalid(
            "state_expired",
            "the OAuth flow took too long and its state expired; start the connection again".into(),
        ),
    })
}

/// A token endpoint's answer (RFC 6749 5.1); secrets never print.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: SecretString,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// A token endpoint's error (RFC 6749 5.2).
#[derive(Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    /// Zoom answers `{"reason": ..., "error": ...}`.
    #[serde(default)]
    reason: Option<String>,
}

/// Posts a grant to the provider's token endpoint: client credentials in the body for
/// Google, as HTTP Basic for Zoom, as each documents.
pub(crate) async fn token_request(
    settings: &IntegrationsSettings,
    provider: OAuthProvider,
    client_id: &str,
    client_secret: &SecretString,
    form: &[(&str, &str)],
) -> Result<TokenResponse, OAuthError> {
    let ps = provider.settings(settings);
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    let mut req = http().post(&ps.token_url);
    match provider {
        OAuthProvider::Google => {
            fields.push(("client_id", client_id));
            fields.push(("client_secret", client_secret.expose_secret()));
        }
        OAuthProvider::Zoom => {
            req = req.basic_auth(client_id, Some(client_secret.expose_secret()));
        }
    }
    let res =
        req.form(&fields).send().await.map_err(|e| {
            OAuthError::Upstream(format!("{} is unreachable: {e}", provider.title()))
        })?;
    let status = res.status();
    if status.is_success() {
        return res.json::<TokenResponse>().await.map_err(|e| {
            OAuthError::Upstream(format!(
                "{}'s token answer is not usable: {e}",
                provider.title()
            ))
        });
    }
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(OAuthError::Upstream(format!(
            "{} answered {status}; try again shortly",
            provider.title()
        )));
    }
    let body: Option<TokenError> = res.json().await.ok();
    Err(OAuthError::Denied {
        provider: provider.title(),
        error: body
            .as_ref()
            .map_or_else(|| status.to_string(), |b| b.error.clone()),
        description: body.and_then(|b| b.error_description.or(b.reason)),
    })
}

/// The account's email, when the provider tells it (never fails the flow).
async fn account_email(
    settings: &IntegrationsSettings,
    provider: OAuthProvider,
    token: &SecretString,
) -> Option<String> {
    let base = provider
        .settings(settings)
        .api_base_url
        .trim_end_matches('/')
        .to_owned();
    let url = match provider {
        OAuthProvider::Google => format!("{base}/oauth2/v2/userinfo"),
        OAuthProvider::Zoom => format!("{base}/users/me"),
    };
    let res = http()
        .get(url)
        .bearer_auth(token.expose_secret())
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => r
            .json::<serde_json::Value>()
            .await
            .ok()?
            .get("email")?
            .as_str()
            .map(str::to_owned),
        Ok(r) => {
            tracing::warn!(provider = provider.as_str(), status = %r.status(), "could not read the account email");
            None
        }
        Err(e) => {
            tracing::warn!(provider = provider.as_str(), error = %e, "could not read the account email");
            None
        }
    }
}

pub async fn complete(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    provider: OAuthProvider,
    callback: &Callback,
) -> Result<Connected, OAuthError> {
    let flow = consume(db, cipher, provider, &callback.state, &callback.finisher).await?;
    if let Some(error) = &callback.error {
        return Err(OAuthError::Denied {
            provider: provider.title(),
            error: error.clone(),
            description: callback.error_description.clone(),
        });
    }
    let Some(code) = callback.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(OAuthError::Denied {
            provider: provider.title(),
            error: "no_code".into(),
            description: Some("the callback carried neither a code nor an error".into()),
        });
    };
    let (client_id, client_secret) = client_credentials(settings, cipher, provider)?;
    let tokens = token_request(
        settings,
        provider,
        &client_id,
        &client_secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &flow.redirect_uri),
            ("code_verifier", flow.verifier.expose_secret()),
        ],
    )
    .await?;
    let email = account_email(settings, provider, &tokens.access_token).await;
    let expires_at = Utc::now() + chrono::Duration::seconds(tokens.expires_in.unwrap_or(3600));
    let scopes = tokens
        .scope
        .clone()
        .unwrap_or_else(|| provider.settings(settings).scopes.join(" "));
    let refresh = tokens
        .refresh_token
        .as_ref()
        .map(|t| cipher.encrypt(t.expose_secret()))
        .transpose()?;
    // A provider that issues no new refresh token leaves the one it gave before.
    db.execute_raw(raw(
        "INSERT INTO integration_connections (id, workspace_id, provider, account_email, scopes, access_token, \
                                              refresh_token, expires_at, status, connected_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9) \
         ON CONFLICT (workspace_id, provider) DO UPDATE SET account_email = EXCLUDED.account_email, \
             scopes = EXCLUDED.scopes, access_token = EXCLUDED.access_token, \
             refresh_token = coalesce(EXCLUDED.refresh_token, integration_connections.refresh_token), \
             expires_at = EXCLUDED.expires_at, status = 'active', connected_by = EXCLUDED.connected_by, \
             last_error = NULL, updated_at = now()",
        vec![
            Uuid::now_v7().into(),
            flow.workspace_id.into(),
            provider.as_str().into(),
            email.clone().into(),
            scopes.into(),
            cipher.encrypt(tokens.access_token.expose_secret())?.into(),
            refresh.into(),
            expires_at.into(),
            flow.owner.clone().into(),
        ],
    ))
    .await?;
    tracing::info!(provider = provider.as_str(), workspace = %flow.workspace_id, "account connected");
    Ok(Connected {
        workspace_id: flow.workspace_id,
        connected_by: flow.owner,
        account_email: email,
        expires_at,
    })
}
