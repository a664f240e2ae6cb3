//! Research sessions: created with their job in one transaction, finished by that job in
//! another that writes every card at once, so a session is running, completed with all its
//! cards, or failed with none — and a repeated run of a finished session writes nothing.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, FromQueryResult, QueryResult, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Card, Research};
use crate::{
    DomainError,
    config::JobSettings,
    db::statement as raw,
    jobs::JobQueue,
    services::{
        Page,
        jobs::{
            self, NewJob, StartOutcome,
            contract::{Research as ResearchJob, ResearchParams},
        },
    },
};

pub mod status {
    pub const RUNNING: &str = "running";
    pub const COMPLETED: &str = "completed";
    pub const FAILED: &str = "failed";
}

/// The seed's research session, plus how it ran.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Session {
    pub id: Uuid,
    pub company_name: String,
    pub market_scope: String,
    pub target_personas: Vec<String>,
    pub geo_segments: Vec<String>,
    pub time_window_months: String,
    pub competitors_researched: Vec<String>,
    /// Ids of the competitive insights written (empty until completed).
    pub insights_generated: Vec<Uuid>,
    /// running, completed or failed.
    pub status: String,
    pub error_message: Option<String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// manual or auto.
    pub mode: String,
    /// llm or fallback (the documented rules) once completed.
    pub generated_by: Option<String>,
    /// Why the rules wrote the cards although a model is configured.
    pub fallback_reason: Option<String>,
    /// Cards the model returned that failed validation and were not stored.
    pub cards_dropped: i32,
    /// The job running the research; `GET /jobs/{job_id}` shows its progress.
    pub job_id: Option<Uuid>,
    #[serde(skip)]
    #[schemars(skip)]
    pub request: Value,
}

impl Session {
    pub fn research(&self) -> Result<Research, DomainError> {
        serde_json::from_value(self.request.clone())
            .map_err(|e| DomainError::Other(anyhow::anyhow!("stored research request: {e}")))
    }
}

fn strings(v: Value) -> Vec<String> {
    serde_json::from_value(v).unwrap_or_default()
}

/// A session as stored; its JSON lists are read leniently.
#[derive(FromQueryResult)]
struct Row {
    id: Uuid,
    company_name: String,
    market_scope: String,
    target_personas: Value,
    geo_segments: Value,
    time_window_months: String,
    competitors_researched: Value,
    insights_generated: Value,
    status: String,
    error_message: Option<String>,
    started_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    mode: String,
    generated_by: Option<String>,
    fallback_reason: Option<String>,
    cards_dropped: i32,
    job_id: Option<Uuid>,
    request: Value,
}

impl From<Row> for Session {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            company_name: r.company_name,
            market_scope: r.market_scope,
            target_personas: strings(r.target_personas),
            geo_segments: strings(r.geo_segments),
            time_window_months: r.time_window_months,
            competitors_researched: strings(r.competitors_researched),
            insights_generated: serde_json::from_value(r.insights_generated).unwrap_or_default(),
            status: r.status,
            error_message: r.error_message,
            started_at: r.started_at,
            completed_at: r.completed_at,
            mode: r.mode,
            generated_by: r.generated_by,
            fallback_reason: r.fallback_reason,
            cards_dropped: r.cards_dropped,
            job_id: r.job_id,
            request: r.request,
        }
    }
}

fn from_row(r: &QueryResult) -> Result<Session, DomainError> {
    Ok(Row::from_query_result(r, "")?.into())
}

/// A session whose job died without finishing it (out of attempts, cancelled) reads as
/// failed with the job's reason.
const SELECT: &str = "SELECT s.id, s.company_name, s.market_scope, s.target_personas, s.geo_segments, \
        s.time_window_months, s.competitors_researched, s.insights_generated, s.mode, s.generated_by, \
        s.fallback_reason, s.cards_dropped, s.job_id, s.request, s.started_at, \
        CASE WHEN s.status = 'running' AND j.status IN ('failed', 'cancelled') THEN 'failed' ELSE s.status END AS status, \
        CASE WHEN s.status = 'running' AND j.status IN ('failed', 'cancelled') THEN coalesce(j.error, 'the research job ' || j.status) \
             ELSE s.error_message END AS error_message, \
        CASE WHEN s.status = 'running' AND j.status IN ('failed', 'cancelled') THEN j.finished_at ELSE s.completed_at END AS completed_at \
     FROM research_sessions s LEFT JOIN job_runs j ON j.id = s.job_id";

/// Stores the session and its `competitive` job in one transaction, then queues the job.
pub async fn start(
    db: &DatabaseConnection,
    queue: &JobQueue,
    jobs_settings: &JobSettings,
    workspace_id: Uuid,
    research: &Research,
    requested_by: &str,
) -> Result<Session, DomainError> {
    let id = Uuid::now_v7();
    let txn = db.begin().await?;
    let params = ResearchParams { session_id: id };
    let new =
        NewJob::of::<ResearchJob>(jobs_settings, workspace_id, &params).requested_by(requested_by);
    let StartOutcome::Started(job) = jobs::create(&txn, new).await? else {
        return Err(DomainError::Conflict(
            "the research job could not be created".into(),
        ));
    };
    txn.execute_raw(raw(
        "INSERT INTO research_sessions (id, workspace_id, mode, company_name, market_scope, target_personas, \
                                        geo_segments, time_window_months, competitors_researched, request, job_id, requested_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        vec![
            id.into(),
            workspace_id.into(),
            research.mode.as_str().into(),
            research.company_name.clone().into(),
            research.market_scope.clone().into(),
            json!(research.target_personas).into(),
            json!(research.geo_segments).into(),
            research.window_months.to_string().into(),
            json!(research.competitor_names()).into(),
            serde_json::to_value(research).map_err(anyhow::Error::from)?.into(),
            job.id.into(),
            requested_by.into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    jobs::enqueue(queue, &job).await;
    get(db, workspace_id, id).await
}

pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<Session, DomainError> {
    let row = db
        .query_one_raw(raw(
            &format!("{SELECT} WHERE s.workspace_id = $1 AND s.id = $2"),
            vec![workspace_id.into(), id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("research session"))?;
    from_row(&row)
}

/// Newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    page: Page,
) -> Result<Vec<Session>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            &format!("{SELECT} WHERE s.workspace_id = $1 ORDER BY s.started_at DESC, s.id DESC LIMIT $2 OFFSET $3"),
            vec![
                workspace_id.into(),
                (page.limit as i64).into(),
                (page.offset as i64).into(),
            ],
        ))
        .await?;
    rows.iter().map(from_row).collect()
}

/// How a research ended.
pub struct Outcome {
    pub cards: Vec<Card>,
    pub dropped: usize,
    /// llm or fallback.
    pub generated_by: &'static str,
    pub fallback_reason: Option<String>,
}

/// Writes every card and completes the session in one transaction; a session that is no
/// longer running is returned as it is (a retried job writes nothing twice).
pub async fn complete(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
    outcome: Outcome,
) -> Result<Session, DomainError> {
    let txn = db.begin().await?;
    let current = txn
        .query_one_raw(raw(
            "SELECT status, competitors_researched FROM research_sessions \
             WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
            vec![workspace_id.into(), id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("research session"))?;
    if current.try_get::<String>("", "status")? != status::RUNNING {
        txn.commit().await?;
        return get(db, workspace_id, id).await;
    }
    let mut researched = strings(current.try_get("", "competitors_researched")?);
    // Auto research without names lists the competitors the model chose.
    let named = !researched.is_empty();
    let mut ids = Vec::with_capacity(outcome.cards.len());
    for card in &outcome.cards {
        ids.push(insert_card(&txn, workspace_id, id, card, outcome.generated_by).await?);
        if !named && !researched.contains(&card.competitor_name) {
            researched.push(card.competitor_name.clone());
        }
    }
    txn.execute_raw(raw(
        "UPDATE research_sessions SET status = 'completed', insights_generated = $3, cards_dropped = $4, \
                generated_by = $5, fallback_reason = $6, competitors_researched = $7, completed_at = now() \
         WHERE workspace_id = $1 AND id = $2",
        vec![
            workspace_id.into(),
            id.into(),
            json!(ids).into(),
            (outcome.dropped as i32).into(),
            outcome.generated_by.into(),
            outcome.fallback_reason.into(),
            json!(researched).into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    get(db, workspace_id, id).await
}

async fn insert_card(
    txn: &impl ConnectionTrait,
    workspace_id: Uuid,
    session_id: Uuid,
    card: &Card,
    generated_by: &str,
) -> Result<Uuid, DomainError> {
    let id = Uuid::now_v7();
    txn.execute_raw(raw(
        "INSERT INTO insights (id, workspace_id, theme_id, category, title, description, impact, recommendation, \
                               severity, effort, priority_score, generated_by) \
         VALUES ($1, $2, NULL, 'competitive_intel', $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            id.into(),
            workspace_id.into(),
            card.title.clone().into(),
            card.summary.clone().into(),
            card.impact.clone().into(),
            card.recommendation.clone().into(),
            card.severity.as_str().into(),
            card.effort.as_str().into(),
            card.priority_score().into(),
            generated_by.into(),
        ],
    ))
    .await?;
    let s = &card.scores;
    txn.execute_raw(raw(
        "INSERT INTO competitive_insights (insight_id, workspace_id, session_id, competitor_name, competitor_moves, \
                evidence_count, mentions_30d, impacted_acv_usd, est_method, severity_weight, urgency_score, \
                reach_score, confidence_score, effort_inverse, citations, customer_evidence) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        vec![
            id.into(),
            workspace_id.into(),
            session_id.into(),
            card.competitor_name.clone().into(),
            json!(card.moves).into(),
            card.evidence_count.clone().into(),
            card.mentions_30d.clone().into(),
            card.impacted_acv_usd.clone().into(),
            card.est_method.clone().into(),
            s.severity_weight.into(),
            s.urgency_score.into(),
            s.reach_score.into(),
            s.confidence_score.into(),
            s.effort_inverse.into(),
            json!(card.citations).into(),
            card.customer_evidence.as_ref().map(|e| json!(e)).into(),
        ],
    ))
    .await?;
    Ok(id)
}

/// Marks a running session failed; nothing was written for it.
pub async fn fail(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
    message: &str,
) -> Result<(), DomainError> {
    db.execute_raw(raw(
        "UPDATE research_sessions SET status = 'failed', error_message = $3, completed_at = now() \
         WHERE workspace_id = $1 AND id = $2 AND status = 'running'",
        vec![workspace_id.into(), id.into(), message.into()],
    ))
    .await?;
    Ok(())
}
