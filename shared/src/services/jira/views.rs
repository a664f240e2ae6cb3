//! Tickets as the API answers them: the ticket, its VOC score and the matches behind it
//! (with similarity and the PM's decision), read in three queries for any number of tickets.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{
    raw,
    tickets::Ticket,
    voc::{PriorityGap, priority_gap},
};
use crate::DomainError;

/// The seed's VOC object.
#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct VocView {
    pub ticket_id: Uuid,
    pub customer_count: i32,
    pub total_acv: f64,
    pub feedback_volume: i32,
    pub ent_customer_count: i32,
    pub mm_customer_count: i32,
    pub smb_customer_count: i32,
    pub customer_score: f64,
    pub acv_score: f64,
    pub segment_score: f64,
    pub volume_score: f64,
    /// 0-100.
    pub voc_score: f64,
    /// CRITICAL (>= 80), HIGH (>= 60), MEDIUM (>= 40) or LOW.
    pub recommended_priority: String,
    /// The similarity threshold the matches were proposed with.
    pub similarity_threshold: f32,
    pub calculated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct MatchView {
    pub insight_id: Uuid,
    pub insight_title: String,
    /// Cosine similarity of the ticket and the insight's theme.
    pub similarity_score: f32,
    /// high (>= 0.8), medium (>= 0.6) or low.
    pub confidence: String,
    /// 1 confirmed, 0 rejected, null proposed by similarity only.
    pub is_confirmed: Option<i16>,
    /// Whether this match counts in the VOC score (everything but rejections).
    pub included: bool,
}

pub struct TicketView {
    pub ticket: Ticket,
    pub voc: Option<VocView>,
    pub matches: Vec<MatchView>,
    pub priority_gap: Option<PriorityGap>,
}

/// Views of `tickets`, in their order.
pub async fn of(
    db: &impl ConnectionTrait,
    tickets: Vec<Ticket>,
) -> Result<Vec<TicketView>, DomainError> {
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let mut scores: HashMap<Uuid, VocView> = HashMap::new();
    for r in db
        .query_all_raw(raw(
            "SELECT ticket_id, customer_count, total_acv, feedback_volume, ent_customer_count, mm_customer_count, \
                    smb_customer_count, customer_score, acv_score, segment_score, volume_score, voc_score, \
                    recommended_priority, similarity_threshold, calculated_at \
             FROM jira_voc_scores WHERE ticket_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
            vec![json!(ids).into()],
        ))
        .await?
    {
        let v = VocView::from_query_result(&r, "")?;
        scores.insert(v.ticket_id, v);
    }
    let mut matches: HashMap<Uuid, Vec<MatchView>> = HashMap::new();
    for r in db
        .query_all_raw(raw(
            "SELECT m.ticket_id, m.insight_id, i.title AS insight_title, m.similarity AS similarity_score, \
                    m.confidence, m.is_confirmed, coalesce(m.is_confirmed, 1) = 1 AS included \
             FROM jira_insight_matches m JOIN insights i ON i.id = m.insight_id \
             WHERE m.ticket_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid) \
             ORDER BY CASE m.is_confirmed WHEN 1 THEN 0 WHEN 0 THEN 2 ELSE 1 END, m.similarity DESC, m.insight_id",
            vec![json!(ids).into()],
        ))
        .await?
    {
        let ticket: Uuid = r.try_get("", "ticket_id")?;
        matches
            .entry(ticket)
            .or_default()
            .push(MatchView::from_query_result(&r, "")?);
    }
    Ok(tickets
        .into_iter()
        .map(|ticket| {
            let voc = scores.remove(&ticket.id);
            let gap = voc
                .as_ref()
                .and_then(|v| priority_gap(ticket.priority(), &v.recommended_priority));
            TicketView {
                matches: matches.remove(&ticket.id).unwrap_or_default(),
                voc,
                priority_gap: gap,
                ticket,
            }
        })
        .collect())
}

pub async fn one(db: &impl ConnectionTrait, ticket: Ticket) -> Result<TicketView, DomainError> {
    Ok(of(db, vec![ticket]).await?.remove(0))
}
