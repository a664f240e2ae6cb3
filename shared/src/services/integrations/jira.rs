//! Jira Cloud: a site URL, an account email and an API token (HTTP Basic), a feedback JQL
//! whose issues become feedback, and a roadmap JQL whose issues become the scored
//! `jira_tickets`. Searches use the paginated `/rest/api/3/search/jql`; descriptions and
//! comments arrive in Atlassian Document Format and are turned into text.
//!
//! The site must be https and resolve to public addresses only (checked at connect time and
//! again at each sync, with the connection pinned to the checked address), unless its host is
//! in `integrations.jira.allowed_hosts`: the server never calls internal or metadata
//! addresses on a user's say-so.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    connections::{TokenConnection, store_token_connection},
    crypto::TokenCipher,
    vendor::{self, Fetched, SyncError, record_sync},
};
use crate::{
    config::IntegrationsSettings,
    db::statement as raw,
    services::source::Source,
    services::{
        feedback::{self, NewFeedback},
        jira::{
            Priority, Status,
            tickets::{self, TicketInput},
        },
        workspaces,
    },
};

/// Issues read per search page, and pages read per JQL at most (10 000 issues).
const PAGE: u32 = 100;
const MAX_PAGES: usize = 100;
const FIELDS: &str = "summary,description,status,priority,labels,assignee,reporter,created,updated,comment,parent,customfield_10016";

/// What `PUT /integrations/jira` stores (the token encrypted).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JiraSite {
    /// e.g. https://acme.atlassian.net
    pub site_url: String,
    pub email: String,
    /// Issues that are customer feedback, e.g. `project = SUP AND created >= -90d`.
    pub feedback_jql: Option<String>,
    /// The roadmap tickets to score, e.g. `project = PROD AND statusCategory != Done`.
    pub roadmap_jql: Option<String>,
}

fn refused(m: impl Into<String>) -> SyncError {
    SyncError::Refused(m.into())
}

/// A site we may call: its URL, and the checked address to pin the connection to (None for
/// an allow-listed host).
pub async fn check_site(
    settings: &IntegrationsSettings,
    site: &str,
) -> Result<(url::Url, Option<SocketAddr>), SyncError> {
    crate::net::check_public_url(site, "the Jira site", &settings.jira.allowed_hosts)
        .await
        .map_err(|e| {
            refused(if e.contains("only public") {
                format!(
                    "{e} (an operator may list internal hosts in integrations.jira.allowed_hosts)"
                )
            } else {
                e
            })
        })
}

/// Calls the site with Basic auth, pinned to the checked address.
pub(super) struct Client {
    pub(super) base: url::Url,
    http: reqwest::Client,
    email: String,
    token: SecretString,
}

impl Client {
    pub(super) async fn new(
        settings: &IntegrationsSettings,
        site: &JiraSite,
        token: SecretString,
    ) -> Result<Self, SyncError> {
        let (base, pinned) = check_site(settings, &site.site_url).await?;
        Ok(Self {
            http: crate::net::pinned_client(&base, pinned, std::time::Duration::from_secs(30))
                .map_err(|e| SyncError::Unavailable(e.to_string()))?,
            base,
            email: site.email.clone(),
            token,
        })
    }

    fn url(&self, path: &str) -> url::Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        url
    }

    /// POSTs once: a create must not be repeated on a 5xx or a timeout (Jira may have
    /// created it), so the caller sees the failure and decides.
    pub(super) async fn post_once(&self, path: &str, body: &Value) -> Result<Value, SyncError> {
        let res = self
            .http
            .post(self.url(path))
            .basic_auth(&self.email, Some(self.token.expose_secret()))
            .header("accept", "application/json")
            .json(body)
            .send()
            .await
            .map_err(|e| SyncError::Unavailable(format!("Jira is unreachable: {e}")))?;
        let status = res.status();
        if status.is_success() {
            return vendor::read_json("Jira", res).await;
        }
        if status.as_u16() == 401 {
            return Err(SyncError::NotConnected(
                "Jira refused the email and API token; store new ones with PUT /integrations/jira"
                    .into(),
            ));
        }
        let text = res.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<Value>(&text)
            .map(|v| jira_errors(&v))
            .unwrap_or_else(|_| text.chars().take(300).collect());
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(SyncError::Unavailable(format!(
                "Jira answered {status}: {detail}"
            )));
        }
        Err(refused(format!(
            "Jira refused the issue ({status}): {detail}"
        )))
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, SyncError> {
        let mut url = self.url(path);
        url.query_pairs_mut().extend_pairs(query);
        let fetched = vendor::send("Jira", || {
            self.http
                .get(url.clone())
                .basic_auth(&self.email, Some(self.token.expose_secret()))
                .header("accept", "application/json")
        })
        .await?;
        match fetched {
            Fetched::Ok(res) => vendor::read_json("Jira", res).await,
            Fetched::Unauthorized => Err(SyncError::NotConnected(
                "Jira refused the email and API token; store new ones with PUT /integrations/jira"
                    .into(),
            )),
        }
    }

    /// Every issue the JQL finds, page by page (`nextPageToken`).
    async fn search(&self, jql: &str) -> Result<Vec<Value>, SyncError> {
        let mut issues = Vec::new();
        let mut token: Option<String> = None;
        let max = PAGE.to_string();
        for _ in 0..MAX_PAGES {
            let mut q = vec![
                ("jql", jql),
                ("maxResults", max.as_str()),
                ("fields", FIELDS),
            ];
            if let Some(t) = token.as_deref() {
                q.push(("nextPageToken", t));
            }
            let page = self.get("/rest/api/3/search/jql", &q).await?;
            issues.extend(page["issues"].as_array().cloned().unwrap_or_default());
            token = page["nextPageToken"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() || page["isLast"].as_bool() == Some(true) {
                break;
            }
        }
        Ok(issues)
    }
}

/// What Jira's error body says: `errorMessages` and each field's error.
fn jira_errors(body: &Value) -> String {
    let mut parts: Vec<String> = body["errorMessages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    if let Some(fields) = body["errors"].as_object() {
        parts.extend(
            fields
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default())),
        );
    }
    parts.join("; ")
}

/// Atlassian Document Format as plain text: paragraphs and headings on their own lines,
/// list items with "- ", mentions and emoji by their text.
pub fn adf_text(node: &Value) -> String {
    fn walk(n: &Value, out: &mut String) {
        match n["type"].as_str().unwrap_or_default() {
            "text" => out.push_str(n["text"].as_str().unwrap_or_default()),
            "hardBreak" => out.push('\n'),
            "mention" | "emoji" | "status" | "date" => {
                out.push_str(n["attrs"]["text"].as_str().unwrap_or_default())
            }
            "inlineCard" | "blockCard" => {
                out.push_str(n["attrs"]["url"].as_str().unwrap_or_default())
            }
            kind => {
                let block = matches!(
                    kind,
                    "paragraph"
                        | "heading"
                        | "listItem"
                        | "codeBlock"
                        | "blockquote"
                        | "panel"
                        | "rule"
                        | "tableRow"
                );
                if kind == "listItem" {
                    out.push_str("- ");
                }
                for child in n["content"].as_array().into_iter().flatten() {
                    walk(child, out);
                }
                if block && !out.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
    match node {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        n => {
            let mut out = String::new();
            walk(n, &mut out);
            out.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

fn jira_time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn labels(f: &Value) -> Vec<String> {
    f["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_owned))
        .collect()
}

/// The account an issue is about: a `customer:<name>` label (underscores for spaces).
fn account_of(labels: &[String]) -> Option<String> {
    labels
        .iter()
        .find_map(|l| l.strip_prefix("customer:"))
        .map(|n| n.replace('_', " "))
        .filter(|n| !n.trim().is_empty())
}

fn feedback_item(issue: &Value) -> Option<NewFeedback> {
    let key = issue["key"].as_str()?.to_owned();
    let f = &issue["fields"];
    let title = f["summary"].as_str().unwrap_or_default();
    let mut text = format!("{title}. {}", adf_text(&f["description"]));
    for c in f["comment"]["comments"].as_array().into_iter().flatten() {
        let who = c["author"]["displayName"].as_str().unwrap_or("Someone");
        let body = adf_text(&c["body"]);
        if !body.is_empty() {
            text.push_str(&format!("\n{who}: {body}"));
        }
    }
    let labels = labels(f);
    Some(NewFeedback {
        source: Source::Jira.feedback_name(),
        source_id: key.clone(),
        text: text.trim().to_owned(),
        account: account_of(&labels),
        created_at: jira_time(&f["created"]),
        meta: json!({"key": key, "title": title, "status": f["status"]["name"],
                     "priority": f["priority"]["name"], "labels": labels}),
        ..Default::default()
    })
}

fn ticket(issue: &Value) -> Option<TicketInput> {
    let f = &issue["fields"];
    let name = |v: &Value| v.as_str().map(str::to_owned);
    Some(TicketInput {
        jira_key: issue["key"].as_str()?.to_uppercase(),
        title: f["summary"].as_str().unwrap_or_default().to_owned(),
        description: adf_text(&f["description"]),
        status: Status::parse_jira(f["status"]["name"].as_str().unwrap_or_default())
            .unwrap_or(Status::Open),
        priority: Priority::parse_jira(f["priority"]["name"].as_str().unwrap_or_default())
            .unwrap_or(Priority::Medium),
        assignee: name(&f["assignee"]["displayName"]),
        reporter: name(&f["reporter"]["displayName"]),
        labels: labels(f),
        epic_key: name(&f["parent"]["key"]),
        story_points: f["customfield_10016"].as_f64().map(|p| p.round() as i32),
        jira_created_at: jira_time(&f["created"]),
        jira_updated_at: jira_time(&f["updated"]),
    })
}

/// Checks the site and the credentials (`/rest/api/3/myself`), then stores them.
pub async fn connect(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
    owner: &str,
    site: JiraSite,
    api_token: SecretString,
) -> Result<JiraSite, SyncError> {
    let client = Client::new(settings, &site, api_token.clone()).await?;
    let me = client.get("/rest/api/3/myself", &[]).await?;
    let email = me["emailAddress"]
        .as_str()
        .map_or(site.email.clone(), str::to_owned);
    let site = JiraSite {
        site_url: client.base.as_str().trim_end_matches('/').to_owned(),
        ..site
    };
    store_token_connection(
        db,
        cipher,
        workspace_id,
        TokenConnection {
            provider: "jira",
            account: &email,
            token: &api_token,
            owner,
            external_id: client.base.host_str().unwrap_or_default(),
            settings: json!(site),
        },
    )
    .await?;
    Ok(site)
}

#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct JiraSyncStats {
    pub feedback_issues: usize,
    pub feedback_created: usize,
    pub feedback_updated: usize,
    pub roadmap_issues: usize,
    pub tickets_created: usize,
    pub tickets_updated: usize,
    pub tickets_unchanged: usize,
}

/// The workspace's active Jira connection row (id, token, settings).
pub(super) async fn connection_row(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<sea_orm::QueryResult, SyncError> {
    db
        .query_one_raw(raw(
            "SELECT id, access_token, settings FROM integration_connections \
             WHERE workspace_id = $1 AND provider = 'jira' AND status = 'active' AND access_token IS NOT NULL",
            vec![workspace_id.into()],
        ))
        .await?
        .ok_or_else(|| {
            SyncError::NotConnected(
                "no Jira connection for this workspace; an admin stores the site with PUT /integrations/jira".into(),
            )
        })
}

/// The stored site and a client for it, from a connection row.
pub(super) async fn client_of(
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    row: &sea_orm::QueryResult,
) -> Result<(JiraSite, Client), SyncError> {
    let site: JiraSite = serde_json::from_value(row.try_get("", "settings")?)
        .map_err(|e| refused(format!("the stored Jira settings are unusable: {e}")))?;
    let token = cipher
        .decrypt(&row.try_get::<String>("", "access_token")?)
        .map_err(|e| SyncError::NotConnected(e.to_string()))?;
    let client = Client::new(settings, &site, token).await?;
    Ok((site, client))
}

pub async fn sync(
    db: &(impl ConnectionTrait + TransactionTrait),
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
) -> Result<JiraSyncStats, SyncError> {
    let row = connection_row(db, workspace_id).await?;
    let connection: Uuid = row.try_get("", "id")?;
    let outcome = async {
        let (site, client) = client_of(settings, cipher, &row).await?;
        run(db, &client, &site, workspace_id).await
    }
    .await;
    record_sync(db, connection, outcome.as_ref().map(|_| None)).await?;
    outcome
}

async fn run(
    db: &(impl ConnectionTrait + TransactionTrait),
    client: &Client,
    site: &JiraSite,
    workspace_id: Uuid,
) -> Result<JiraSyncStats, SyncError> {
    let mut stats = JiraSyncStats::default();
    if let Some(jql) = site
        .feedback_jql
        .as_deref()
        .filter(|j| !j.trim().is_empty())
    {
        let issues = client.search(jql).await?;
        stats.feedback_issues = issues.len();
        let items: Vec<NewFeedback> = issues.iter().filter_map(feedback_item).collect();
        if !items.is_empty() {
            let workspace = workspaces::get(db, workspace_id).await?;
            let txn = db.begin().await?;
            let report = feedback::ingest(&txn, &workspace, items).await?;
            txn.commit().await?;
            stats.feedback_created = report.created;
            stats.feedback_updated = report.updated;
        }
    }
    if let Some(jql) = site.roadmap_jql.as_deref().filter(|j| !j.trim().is_empty()) {
        let issues = client.search(jql).await?;
        stats.roadmap_issues = issues.len();
        let inputs: Vec<TicketInput> = issues.iter().filter_map(ticket).collect();
        let txn = db.begin().await?;
        let report = tickets::upsert_many(&txn, workspace_id, &inputs).await?;
        txn.commit().await?;
        stats.tickets_created = report.created;
        stats.tickets_updated = report.updated;
        stats.tickets_unchanged = report.unchanged;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adf_becomes_readable_text() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Exports fail for "},
                {"type": "mention", "attrs": {"id": "1", "text": "@Ana"}}, {"type": "text", "text": "."}]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "above 30k rows"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "since Monday"}]}]}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "line one"}, {"type": "hardBreak"}, {"type": "text", "text": "line two"}]}
        ]});
        assert_eq!(
            adf_text(&doc),
            "Exports fail for @Ana.\n- above 30k rows\n- since Monday\nline one\nline two"
        );
        assert_eq!(adf_text(&Value::Null), "");
    }
}
