//! Outbound webhooks: an admin registers endpoints with the events they want; each event is
//! stored as one delivery per endpoint and sent from the job queue, signed the Standard
//! Webhooks way, retried with backoff, logged with its status and response time, and an
//! endpoint that keeps failing is disabled with the admins told (audit trail and endpoint).

pub mod deliver;
pub mod events;
pub mod signing;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    DomainError,
    config::Settings,
    db::statement as raw,
    jobs::JobQueue,
    services::{
        Page,
        integrations::crypto::TokenCipher,
        jobs::{self, NewJob, contract::WebhookDelivery},
    },
};

/// The events an endpoint may subscribe to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, JsonSchema,
)]
pub enum WebhookEvent {
    /// A clustering run produced an insight that was not there before.
    #[serde(rename = "insight.created")]
    InsightCreated,
    /// An insight's priority crossed `webhooks.priority_threshold`, up or down.
    #[serde(rename = "insight.priority_changed")]
    InsightPriorityChanged,
    /// A ticket's priority newly sits two or more levels from what its evidence recommends.
    #[serde(rename = "ticket.priority_gap")]
    TicketPriorityGap,
    /// A clustering run completed.
    #[serde(rename = "cluster.completed")]
    ClusterCompleted,
    /// A sync of a connected source failed and will not be retried.
    #[serde(rename = "sync.failed")]
    SyncFailed,
}

/// The events by name, as deliveries and subscriptions spell them.
pub const EVENTS: [&str; 5] = [
    "insight.created",
    "insight.priority_changed",
    "ticket.priority_gap",
    "cluster.completed",
    "sync.failed",
];

/// The event `POST /webhooks/{id}/test` sends (to that endpoint only).
pub const TEST_EVENT: &str = "webhook.test";

/// An endpoint as admins see it (never its secret).
#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    #[schemars(with = "Vec<String>")]
    pub events: Value,
    /// Null while deliveries go out.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled (by an admin, or after repeated failures).
    pub disabled_reason: Option<String>,
    /// Failed deliveries in a row (a success resets it).
    pub consecutive_failures: i32,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One delivery and how its attempts went.
#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct Delivery {
    /// The message id (the `webhook-id` header, the same on every attempt).
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event: String,
    /// `pending`, `retrying`, `delivered`, `failed` (gave up) or `refused` (the address is
    /// not public, or the endpoint was disabled).
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// How long the receiver took to answer the last attempt (milliseconds).
    pub last_response_ms: Option<i32>,
    #[schemars(with = "serde_json::Value")]
    pub payload: Value,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

const ENDPOINT_COLUMNS: &str = "id, url, description, events, disabled_at, disabled_reason, consecutive_failures, \
                                created_by, created_at, updated_at";

/// A target that passed the address guard: public https, or an allow-listed host.
#[derive(Debug, Clone)]
pub struct CheckedUrl(String);

/// Checks a target before it is stored; the refusal says why (the address is checked again
/// at every attempt).
pub async fn check_target(settings: &Settings, url: &str) -> Result<CheckedUrl, String> {
    crate::net::check_public_url(url, "the endpoint", &settings.webhooks.allowed_hosts).await?;
    Ok(CheckedUrl(url.trim().to_owned()))
}

/// The subscription as stored: each event once, in a stable order.
fn subscription(events: &[WebhookEvent]) -> Value {
    let set: std::collections::BTreeSet<&WebhookEvent> = events.iter().collect();
    json!(set)
}

/// What creating an endpoint answers: the endpoint and its secret, shown this once.
pub struct Created {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// An endpoint to register.
pub struct NewEndpoint<'a> {
    pub url: CheckedUrl,
    pub events: &'a [WebhookEvent],
    pub description: &'a str,
}

pub async fn create(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    ws: Uuid,
    who: &str,
    new: NewEndpoint<'_>,
) -> Result<Created, DomainError> {
    let NewEndpoint {
        url,
        events,
        description,
    } = new;
    let secret = signing::new_secret();
    let sealed = seal(cipher, &secret)?;
    let row = db
        .query_one_raw(raw(
            &format!(
                "INSERT INTO webhook_endpoints (id, workspace_id, url, description, events, secret_encrypted, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ENDPOINT_COLUMNS}"
            ),
            vec![
                Uuid::now_v7().into(),
                ws.into(),
                url.0.into(),
                description.into(),
                subscription(events).into(),
                sealed.into(),
                who.into(),
            ],
        ))
        .await?
        .ok_or(DomainError::not_found("webhook endpoint"))?;
    Ok(Created {
        endpoint: Endpoint::from_query_result(&row, "")?,
        secret,
    })
}

fn seal(cipher: &TokenCipher, secret: &str) -> Result<String, DomainError> {
    cipher.encrypt(secret).map_err(|e| {
        DomainError::Conflict(format!(
            "webhook secrets are stored encrypted and no key is configured ({e}); set integrations.token_keys \
             and integrations.current_token_key"
        ))
    })
}

pub async fn list(db: &impl ConnectionTrait, ws: Uuid) -> Result<Vec<Endpoint>, DomainError> {
    Ok(Endpoint::find_by_statement(raw(
        &format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY created_at, id"),
        [ws.into()],
    ))
    .all(db)
    .await?)
}

pub async fn get(db: &impl ConnectionTrait, ws: Uuid, id: Uuid) -> Result<Endpoint, DomainError> {
    Endpoint::find_by_statement(raw(
        &format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2"
        ),
        [ws.into(), id.into()],
    ))
    .one(db)
    .await?
    .ok_or(DomainError::not_found("webhook endpoint"))
}

/// Changes to an endpoint; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub url: Option<CheckedUrl>,
    pub events: Option<Vec<WebhookEvent>>,
    pub description: Option<String>,
    /// false disables it; true enables it again and forgets its failures.
    pub enabled: Option<bool>,
}

pub async fn update(
    db: &impl ConnectionTrait,
    ws: Uuid,
    id: Uuid,
    patch: EndpointPatch,
    who: &str,
) -> Result<Endpoint, DomainError> {
    get(db, ws, id).await?;
    let row = db
        .query_one_raw(raw(
            &format!(
                "UPDATE webhook_endpoints SET url = coalesce($3, url), events = coalesce($4, events), \
                 description = coalesce($5, description), \
                 disabled_at = CASE WHEN $6::bool IS NULL THEN disabled_at WHEN $6 THEN NULL ELSE coalesce(disabled_at, now()) END, \
                 disabled_reason = CASE WHEN $6::bool IS NULL THEN disabled_reason WHEN $6 THEN NULL \
                     ELSE coalesce(disabled_reason, 'disabled by ' || $7) END, \
                 consecutive_failures = CASE WHEN $6::bool THEN 0 ELSE consecutive_failures END, \
                 updated_at = now() \
                 WHERE workspace_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}"
            ),
            vec![
                ws.into(),
                id.into(),
                patch.url.map(|u| u.0).into(),
                patch.events.map(|e| subscription(&e)).into(),
                patch.description.into(),
                patch.enabled.into(),
                who.into(),
            ],
        ))
        .await?
        .ok_or(DomainError::not_found("webhook endpoint"))?;
    Ok(Endpoint::from_query_result(&row, "")?)
}

/// A new secret for the endpoint (the old one stops signing at once), shown this once.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    ws: Uuid,
    id: Uuid,
) -> Result<String, DomainError> {
    let secret = signing::new_secret();
    let sealed = seal(cipher, &secret)?;
    let done = db
        .execute_raw(raw(
            "UPDATE webhook_endpoints SET secret_encrypted = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2",
            [ws.into(), id.into(), sealed.into()],
        ))
        .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::not_found("webhook endpoint"));
    }
    Ok(secret)
}

pub async fn delete(
    db: &impl ConnectionTrait,
    ws: Uuid,
    id: Uuid,
) -> Result<Endpoint, DomainError> {
    let endpoint = get(db, ws, id).await?;
    db.execute_raw(raw(
        "DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2",
        [ws.into(), id.into()],
    ))
    .await?;
    Ok(endpoint)
}

/// An endpoint's deliveries, newest first, and how many there are.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    ws: Uuid,
    endpoint_id: Uuid,
    page: Page,
) -> Result<(Vec<Delivery>, i64), DomainError> {
    get(db, ws, endpoint_id).await?;
    let items = Delivery::find_by_statement(raw(
        "SELECT id, endpoint_id, event, status, attempts, last_status_code, last_error, last_response_ms, payload, \
                created_at, last_attempt_at, delivered_at \
         FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        [endpoint_id.into(), (page.limit as i64).into(), (page.offset as i64).into()],
    ))
    .all(db)
    .await?;
    let total: i64 = db
        .query_one_raw(raw(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1",
            [endpoint_id.into()],
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok((items, total))
}

/// The message a receiver gets: `{type, timestamp, data}`.
fn message(event: &str, data: Value) -> Value {
    json!({ "type": event, "timestamp": Utc::now(), "data": data })
}

/// Sends `event` to every enabled endpoint of the workspace that subscribed to it: one
/// delivery row and one job each. Answers how many deliveries were queued.
pub async fn emit(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    settings: &Settings,
    ws: Uuid,
    event: &str,
    data: Value,
) -> Result<usize, DomainError> {
    #[derive(FromQueryResult)]
    struct Target {
        id: Uuid,
    }
    let targets = Target::find_by_statement(raw(
        "SELECT id FROM webhook_endpoints WHERE workspace_id = $1 AND disabled_at IS NULL AND events ? $2 ORDER BY id",
        [ws.into(), event.into()],
    ))
    .all(db)
    .await?;
    let payload = message(event, data);
    for t in &targets {
        queue_delivery(db, queue, settings, ws, t.id, event, &payload).await?;
    }
    Ok(targets.len())
}

/// Sends the test event to one endpoint (enabled or not); answers the delivery's id.
pub async fn send_test(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    settings: &Settings,
    ws: Uuid,
    endpoint_id: Uuid,
) -> Result<Uuid, DomainError> {
    get(db, ws, endpoint_id).await?;
    let payload = message(
        TEST_EVENT,
        json!({ "message": "A test delivery from ProduckAI: the endpoint is reachable and the signature verifies." }),
    );
    queue_delivery(db, queue, settings, ws, endpoint_id, TEST_EVENT, &payload).await
}

async fn queue_delivery(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    settings: &Settings,
    ws: Uuid,
    endpoint_id: Uuid,
    event: &str,
    payload: &Value,
) -> Result<Uuid, DomainError> {
    let id = Uuid::now_v7();
    db.execute_raw(raw(
        "INSERT INTO webhook_deliveries (id, endpoint_id, workspace_id, event, payload) VALUES ($1, $2, $3, $4, $5)",
        vec![id.into(), endpoint_id.into(), ws.into(), event.into(), payload.clone().into()],
    ))
    .await?;
    let mut new = NewJob::of::<WebhookDelivery>(
        &settings.jobs,
        ws,
        &jobs::contract::DeliveryParams { delivery_id: id },
    )
    .requested_by("webhooks");
    new.dedupe_key = Some(format!("webhook:{id}"));
    new.max_attempts = settings.webhooks.max_attempts;
    if let Some(job) = jobs::start(db, queue, new).await?.into_job() {
        db.execute_raw(raw(
            "UPDATE webhook_deliveries SET job_id = $2 WHERE id = $1",
            [id.into(), job.id.into()],
        ))
        .await?;
    }
    Ok(id)
}
