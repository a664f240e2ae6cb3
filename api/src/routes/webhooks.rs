//! `/webhooks`: outbound webhook endpoints and their delivery log. Admins only; every change
//! is audited.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{Json, extract::State, http::StatusCode};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        webhooks::{self, Delivery, Endpoint, EndpointPatch, NewEndpoint, WebhookEvent},
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidJson, ValidPath, ValidQuery},
    origin::AuditOrigin,
    paging::PageQuery,
    state::AppState,
};

crate::id_path!(EndpointPath, "Webhook endpoint id.");

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    /// Where deliveries are POSTed: https on a public address (or a host in
    /// `webhooks.allowed_hosts`). Redirects are not followed.
    #[validate(length(min = 8, max = 2048), url)]
    #[schemars(url)]
    pub url: String,
    /// insight.created, insight.priority_changed, ticket.priority_gap, cluster.completed,
    /// sync.failed.
    #[validate(length(min = 1, max = 5))]
    pub events: Vec<WebhookEvent>,
    #[validate(length(max = 200))]
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatchIn {
    #[validate(length(min = 8, max = 2048), url)]
    #[schemars(url)]
    pub url: Option<String>,
    #[validate(length(min = 1, max = 5))]
    pub events: Option<Vec<WebhookEvent>>,
    #[validate(length(max = 200))]
    pub description: Option<String>,
    /// false stops deliveries; true resumes them (after repeated failures too) and resets the
    /// failure count.
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedEndpointOut {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// The signing secret (Standard Webhooks, `whsec_…`): shown only now. Verify each
    /// delivery's `webhook-signature` with it.
    pub secret: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SecretOut {
    /// The new signing secret, shown only now; the old one no longer signs.
    pub secret: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TestOut {
    /// The delivery of the test event; follow it in the endpoint's deliveries.
    pub delivery_id: Uuid,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeliveriesOut {
    pub items: Vec<Delivery>,
    pub total: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EndpointsOut {
    pub items: Vec<Endpoint>,
    /// The events an endpoint may subscribe to.
    pub events: Vec<&'static str>,
}

/// The address guard's refusal: 400 `webhook_target_refused`, saying why.
async fn checked(state: &AppState, url: &str) -> Result<webhooks::CheckedUrl, ApiError> {
    webhooks::check_target(&state.settings, url)
        .await
        .map_err(|why| ApiError {
            code: "webhook_target_refused",
            ..ApiError::bad_request(why)
        })
}

async fn list(State(state): State<AppState>, auth: Auth) -> Result<Json<EndpointsOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    Ok(Json(EndpointsOut {
        items: webhooks::list(&state.db, p.workspace_id).await?,
        events: webhooks::EVENTS.to_vec(),
    }))
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidJson(body): ValidJson<EndpointIn>,
) -> Result<(StatusCode, Json<CreatedEndpointOut>), ApiError> {
    let p = auth.require(Role::Admin)?;
    let url = checked(&state, &body.url).await?;
    let txn = state.db.begin().await?;
    let created = webhooks::create(
        &txn,
        &state.tokens,
        p.workspace_id,
        &p.display_name(),
        NewEndpoint {
            url,
            events: &body.events,
            description: &body.description,
        },
    )
    .await?;
    let event = Event::new("webhook.created", "webhook_endpoint", created.endpoint.id).details(
        serde_json::json!({ "url": created.endpoint.url, "events": created.endpoint.events }),
    );
    audit::commit(txn, p, &origin, event).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpointOut {
            endpoint: created.endpoint,
            secret: created.secret,
        }),
    ))
}

async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<EndpointPath>,
) -> Result<Json<Endpoint>, ApiError> {
    let p = auth.require(Role::Admin)?;
    Ok(Json(
        webhooks::get(&state.db, p.workspace_id, path.id).await?,
    ))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<EndpointPath>,
    ValidJson(body): ValidJson<EndpointPatchIn>,
) -> Result<Json<Endpoint>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let changed =
        serde_json::json!({ "url": body.url, "events": body.events, "enabled": body.enabled });
    let url = match &body.url {
        Some(u) => Some(checked(&state, u).await?),
        None => None,
    };
    let patch = EndpointPatch {
        url,
        events: body.events,
        description: body.description,
        enabled: body.enabled,
    };
    let txn = state.db.begin().await?;
    let endpoint =
        webhooks::update(&txn, p.workspace_id, path.id, patch, &p.display_name()).await?;
    let event = Event::new("webhook.updated", "webhook_endpoint", endpoint.id).details(changed);
    audit::commit(txn, p, &origin, event).await?;
    Ok(Json(endpoint))
}

async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<EndpointPath>,
) -> Result<StatusCode, ApiError> {
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    let endpoint = webhooks::delete(&txn, p.workspace_id, path.id).await?;
    let event = Event::new("webhook.deleted", "webhook_endpoint", endpoint.id)
        .details(serde_json::json!({ "url": endpoint.url }));
    audit::commit(txn, p, &origin, event).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rotate(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<EndpointPath>,
) -> Result<Json<SecretOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    let secret = webhooks::rotate_secret(&txn, &state.tokens, p.workspace_id, path.id).await?;
    audit::commit(
        txn,
        p,
        &origin,
        Event::new("webhook.secret_rotated", "webhook_endpoint", path.id),
    )
    .await?;
    Ok(Json(SecretOut { secret }))
}

async fn test(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<EndpointPath>,
) -> Result<(StatusCode, Json<TestOut>), ApiError> {
    let p = auth.require(Role::Admin)?;
    let delivery_id = webhooks::send_test(
        &state.db,
        &state.queue,
        &state.settings,
        p.workspace_id,
        path.id,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(TestOut { delivery_id })))
}

async fn deliveries(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<EndpointPath>,
    ValidQuery(page): ValidQuery<PageQuery<20, 100>>,
) -> Result<Json<DeliveriesOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let (items, total) =
        webhooks::deliveries(&state.db, p.workspace_id, path.id, page.into()).await?;
    Ok(Json(DeliveriesOut { items, total }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/webhooks",
            get_with(list, |op| {
                op.summary("List webhook endpoints")
                    .description("The workspace's endpoints (never their secrets) and the events one may subscribe to. Admins only.")
                    .tag("webhooks")
            })
            .post_with(create, |op| {
                op.summary("Register a webhook endpoint")
                    .description(
                        "Deliveries of the chosen events are POSTed as JSON `{type, timestamp, data}`, signed as the \
                         Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`, `webhook-signature` \
                         with the secret answered here, once). The URL must be https on a public address (no \
                         loopback, private, link-local or metadata addresses; redirects are not followed) unless its \
                         host is in `webhooks.allowed_hosts`; otherwise 400 `webhook_target_refused` says why. Admins \
                         only; audited.",
                    )
                    .tag("webhooks")
                    .response::<201, Json<CreatedEndpointOut>>()
            }),
        )
        .api_route(
            "/webhooks/{id}",
            get_with(get, |op| op.summary("Get a webhook endpoint").tag("webhooks"))
                .patch_with(update, |op| {
                    op.summary("Change a webhook endpoint")
                        .description("URL, events, description, or `enabled` (true resumes an endpoint disabled after failures).")
                        .tag("webhooks")
                })
                .delete_with(remove, |op| {
                    op.summary("Delete a webhook endpoint").tag("webhooks").response::<204, ()>()
                }),
        )
        .api_route(
            "/webhooks/{id}/rotate-secret",
            post_with(rotate, |op| {
                op.summary("Rotate an endpoint's signing secret").description("Answers the new secret once.").tag("webhooks")
            }),
        )
        .api_route(
            "/webhooks/{id}/test",
            post_with(test, |op| {
                op.summary("Send a test delivery")
                    .description("A `webhook.test` event to this endpoint, through the same queue, signing and log as every delivery.")
                    .tag("webhooks")
                    .response::<202, Json<TestOut>>()
            }),
        )
        .api_route(
            "/webhooks/{id}/deliveries",
            get_with(deliveries, |op| {
                op.summary("An endpoint's delivery log")
                    .description(
                        "Newest first: event, status (pending, retrying, delivered, failed, refused), attempts, the \
                         last HTTP status, response time and error, and the payload.",
                    )
                    .tag("webhooks")
            }),
        )
}
