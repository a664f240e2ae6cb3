//! One delivery attempt: check the address again, sign, POST, record. Whether to try again
//! is the caller's (the job queue's) decision, from what this answers.

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ConnectionTrait, FromQueryResult};
use secrecy::ExposeSecret;
use serde_json::json;
use uuid::Uuid;

use super::signing;
use crate::{
    DomainError,
    config::Settings,
    db::statement as raw,
    services::{
        audit::{self, Event, Origin},
        integrations::crypto::TokenCipher,
    },
};

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered { status: u16, millis: i32 },
    /// Worth another attempt (a 5xx, 408 or 429, a timeout, a refused connection).
    Retry(String),
    /// Trying again cannot help (a 4xx, a redirect, an address that is not public, a
    /// disabled endpoint); the delivery is over.
    GiveUp(String),
}

#[derive(FromQueryResult)]
struct Target {
    workspace_id: Uuid,
    endpoint_id: Uuid,
    url: String,
    secret_encrypted: String,
    disabled: bool,
    status: String,
    payload: serde_json::Value,
}

/// Attempts delivery `id`. `last` says no attempt follows this one: a failure then is final
/// and counts against the endpoint.
pub async fn attempt(
    db: &impl ConnectionTrait,
    settings: &Settings,
    cipher: &TokenCipher,
    id: Uuid,
    last: bool,
) -> Result<Attempt, DomainError> {
    let target = Target::find_by_statement(raw(
        "SELECT d.workspace_id, d.endpoint_id, e.url, e.secret_encrypted, e.disabled_at IS NOT NULL AS disabled, \
                d.status, d.payload \
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1",
        [id.into()],
    ))
    .one(db)
    .await?
    .ok_or(DomainError::not_found("webhook delivery"))?;
    if matches!(target.status.as_str(), "delivered" | "failed" | "refused") {
        // A retried job whose delivery already ended (the job system may run it again).
        return Ok(Attempt::GiveUp(format!("already {}", target.status)));
    }
    if target.disabled {
        let why = "the endpoint is disabled".to_owned();
        record(db, id, "refused", None, None, Some(&why)).await?;
        return Ok(Attempt::GiveUp(why));
    }
    let (url, pinned) = match crate::net::check_public_url(
        &target.url,
        "the endpoint",
        &settings.webhooks.allowed_hosts,
    )
    .await
    {
        Ok(checked) => checked,
        Err(why) => {
            record(db, id, "refused", None, None, Some(&why)).await?;
            failed(db, settings, &target, &why).await?;
            return Ok(Attempt::GiveUp(why));
        }
    };
    let secret = cipher.decrypt(&target.secret_encrypted).map_err(|e| {
        DomainError::Other(anyhow::anyhow!("the endpoint's secret cannot be read: {e}"))
    })?;
    let body = target.payload.to_string();
    let timestamp = Utc::now().timestamp();
    let signature = signing::sign(secret.expose_secret(), &id.to_string(), timestamp, &body)
        .map_err(|e| DomainError::Other(anyhow::anyhow!(e)))?;
    let client = crate::net::pinned_client(
        &url,
        pinned,
        Duration::from_secs(settings.webhooks.timeout_secs),
    )
    .map_err(|e| DomainError::Other(e.into()))?;
    let started = Instant::now();
    let sent = client
        .post(url.clone())
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("ProduckAI-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header("webhook-id", id.to_string())
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let millis = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let outcome = match sent {
        Ok(res) if res.status().is_success() => Attempt::Delivered {
            status: res.status().as_u16(),
            millis,
        },
        Ok(res) => {
            let status = res.status();
            let text: String = res
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            let why = if status.is_redirection() {
                format!("HTTP {status}: redirects are not followed; give the final address")
            } else {
                format!("HTTP {status}: {}", text.trim())
            };
            if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                Attempt::Retry(why)
            } else {
                Attempt::GiveUp(why)
            }
        }
        Err(e) => Attempt::Retry(if e.is_timeout() {
            format!("no answer within {} s", settings.webhooks.timeout_secs)
        } else {
            format!("could not reach the endpoint: {e}")
        }),
    };
    let code = |a: &Attempt| match a {
        Attempt::Delivered { status, .. } => Some(i32::from(*status)),
        _ => None,
    };
    match &outcome {
        Attempt::Delivered { .. } => {
            record(db, id, "delivered", code(&outcome), Some(millis), None).await?;
            db.execute_raw(raw(
                "UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures <> 0",
                [target.endpoint_id.into()],
            ))
            .await?;
        }
        Attempt::Retry(why) if !last => {
            record(db, id, "retrying", status_of(why), Some(millis), Some(why)).await?;
        }
        Attempt::Retry(why) | Attempt::GiveUp(why) => {
            record(db, id, "failed", status_of(why), Some(millis), Some(why)).await?;
            failed(db, settings, &target, why).await?;
        }
    }
    Ok(outcome)
}

/// The HTTP status a failure message starts with.
fn status_of(why: &str) -> Option<i32> {
    why.strip_prefix("HTTP ")?.get(..3)?.parse().ok()
}

async fn record(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    code: Option<i32>,
    millis: Option<i32>,
    error: Option<&str>,
) -> Result<(), DomainError> {
    let attempted = status != "refused" || code.is_some();
    db.execute_raw(raw(
        "UPDATE webhook_deliveries SET status = $2, attempts = attempts + $6::int, \
         last_status_code = coalesce($3, last_status_code), last_response_ms = coalesce($4, last_response_ms), \
         last_error = $5, last_attempt_at = now(), \
         delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END WHERE id = $1",
        vec![
            id.into(),
            status.into(),
            code.into(),
            millis.into(),
            error.into(),
            i32::from(attempted).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A delivery ended in failure: the endpoint's run of failures grows, and at the limit the
/// endpoint is disabled and the admins told (the audit trail and the endpoint say why).
async fn failed(
    db: &impl ConnectionTrait,
    settings: &Settings,
    target: &Target,
    why: &str,
) -> Result<(), DomainError> {
    let limit = settings.webhooks.disable_after_failures as i32;
    let row = db
        .query_one_raw(raw(
            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
             disabled_at = CASE WHEN disabled_at IS NULL AND consecutive_failures + 1 >= $2 THEN now() ELSE disabled_at END, \
             disabled_reason = CASE WHEN disabled_at IS NULL AND consecutive_failures + 1 >= $2 \
                 THEN 'disabled after ' || (consecutive_failures + 1) || ' failed deliveries in a row; the last: ' || $3 \
                 ELSE disabled_reason END \
             WHERE id = $1 \
             RETURNING consecutive_failures, (disabled_at IS NOT NULL AND consecutive_failures = $2) AS just_disabled, url",
            [target.endpoint_id.into(), limit.into(), why.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(()) };
    if row.try_get::<bool>("", "just_disabled")? {
        let url: String = row.try_get("", "url")?;
        tracing::warn!(endpoint = %target.endpoint_id, %url, "webhook endpoint disabled after repeated failures");
        let event =
            Event::new("webhook.disabled", "webhook_endpoint", target.endpoint_id).details(json!({
                "url": url,
                "failures": limit,
                "last_error": why,
            }));
        audit::record_for(
            db,
            target.workspace_id,
            "webhooks",
            &Origin::default(),
            event,
        )
        .await?;
    }
    Ok(())
}
