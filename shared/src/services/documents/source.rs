//! Everything a document says about an insight, read once: the card (customers, ACV,
//! feedback count), the theme's label and 30-day frequency, and the key quotes with the
//! customer behind each. Competitive insights (no theme) load too, without evidence.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    DomainError,
    db::statement as raw,
    services::{insight_card::InsightCard, themes::board::CustomerRef},
};

#[derive(serde::Serialize)]
pub struct DocQuote {
    pub feedback_id: Uuid,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub customer: Option<CustomerRef>,
}

#[derive(serde::Serialize)]
pub struct DocInsight {
    pub id: Uuid,
    /// When the insight's text or score last changed.
    pub updated_at: DateTime<Utc>,
    pub category: String,
    #[serde(flatten)]
    pub card: InsightCard,
    pub theme_label: Option<String>,
    pub freq_30d: i32,
    pub feedback_count: i32,
    /// Largest ACV first.
    pub customers: Vec<CustomerRef>,
    pub total_acv: f64,
    /// In the insight's chosen order, most relevant first.
    pub key_quotes: Vec<DocQuote>,
}

fn customer(v: &Value) -> Option<CustomerRef> {
    Some(CustomerRef {
        id: v["id"].as_str()?.parse().ok()?,
        name: v["name"].as_str()?.to_owned(),
        segment: v["segment"].as_str()?.to_owned(),
        acv: v["acv"].as_f64().unwrap_or(0.0),
    })
}

/// The insight's own columns as `load` selects them.
#[derive(FromQueryResult)]
struct InsightRow {
    id: Uuid,
    updated_at: DateTime<Utc>,
    category: String,
    #[sea_orm(nested)]
    card: InsightCard,
    theme_label: Option<String>,
    freq_30d: i32,
    feedback_count: i32,
    customers: Value,
    total_acv: f64,
    key_quote_ids: Value,
}

/// A key quote with the customer behind it (`c_` columns, absent for an anonymous one).
#[derive(FromQueryResult)]
struct QuoteRow {
    id: Uuid,
    text: String,
    created_at: DateTime<Utc>,
    #[sea_orm(nested(prefix = "c_"))]
    customer: Option<CustomerRef>,
}

pub async fn load(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    insight_id: Uuid,
) -> Result<DocInsight, DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT i.id, i.updated_at, i.category, i.title, i.description, i.impact, i.recommendation, i.severity, i.effort, \
                    i.priority_score, i.feedback_count, i.customers, i.total_acv, i.key_quote_ids, \
                    t.label AS theme_label, coalesce(m.freq_30d, 0) AS freq_30d \
             FROM insights i LEFT JOIN themes t ON t.id = i.theme_id LEFT JOIN theme_metrics m ON m.theme_id = t.id \
             WHERE i.workspace_id = $1 AND i.id = $2",
            vec![workspace_id.into(), insight_id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("insight"))?;
    let insight = InsightRow::from_query_result(&row, "")?;
    let quotes = db
        .query_all_raw(raw(
            "SELECT f.id, f.text, f.created_at, c.id AS c_id, c.name AS c_name, c.segment AS c_segment, c.acv AS c_acv \
             FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS k(id, pos) \
             JOIN feedback f ON f.id = k.id::uuid LEFT JOIN customers c ON c.id = f.customer_id \
             WHERE f.workspace_id = $2 ORDER BY k.pos",
            vec![insight.key_quote_ids.into(), workspace_id.into()],
        ))
        .await?;
    let key_quotes = quotes
        .iter()
        .map(|q| {
            QuoteRow::from_query_result(q, "").map(|q| DocQuote {
                feedback_id: q.id,
                text: q.text,
                created_at: q.created_at,
                customer: q.customer,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(DocInsight {
        id: insight.id,
        updated_at: insight.updated_at,
        category: insight.category,
        card: insight.card,
        theme_label: insight.theme_label,
        freq_30d: insight.freq_30d,
        feedback_count: insight.feedback_count,
        customers: insight
            .customers
            .as_array()
            .map(|a| a.iter().filter_map(customer).collect())
            .unwrap_or_default(),
        total_acv: insight.total_acv,
        key_quotes,
    })
}
