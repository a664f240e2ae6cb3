//! Every route of the API. Each resource module exposes `router()`.

pub mod account;
pub mod admin;
pub mod ai_admin;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod chat;
pub mod cluster;
pub mod competitive;
pub mod connections;
pub mod curation;
pub mod customers;
pub mod documents;
pub mod exports;
pub mod feedback;
pub mod health;
pub mod ingest;
pub mod integrations;
pub mod jira;
pub mod jira_push;
pub mod jobs;
pub mod metrics;
pub mod oauth;
pub mod search;
pub mod slack_notifications;
pub mod themes;
pub mod ticket_import;
pub mod tickets;
pub mod upload;
pub mod users;
pub mod voc;
pub mod webhooks;

use aide::axum::ApiRouter;

use crate::state::AppState;

pub fn api_router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(auth::router())
        .merge(account::router())
        .merge(users::router())
        .merge(api_keys::router())
        .merge(jobs::router())
        .merge(feedback::router())
        .merge(ingest::router())
        .merge(upload::router())
        .merge(customers::router())
        .merge(cluster::router())
        .merge(themes::router())
        .merge(curation::router())
        .merge(exports::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(search::router())
        .merge(slack_notifications::router())
        .merge(jira::router())
        .merge(jira_push::router())
        .merge(ticket_import::router())
        .merge(voc::router())
        .merge(webhooks::router())
        .merge(competitive::router())
        .merge(tickets::router())
        .merge(documents::router())
        .merge(chat::router())
        .merge(ai_admin::router())
        .merge(oauth::router())
        .merge(integrations::router())
        .merge(connections::router())
}
