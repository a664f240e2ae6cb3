//! Ticket artifacts for the browser extension: the themes behind a ticket with the share of
//! its evidence each holds, quotes from the strongest one, and a short PRD outline.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{normalise_key, raw, tickets::find_by_key};
use crate::DomainError;

const MAX_THEMES: usize = 3;
const MAX_QUOTES: usize = 3;
const QUOTE_CHARS: usize = 200;

#[derive(Debug, Serialize, JsonSchema)]
pub struct ThemeShare {
    /// Theme id.
    pub id: Uuid,
    pub insight_id: Uuid,
    pub label: String,
    /// The theme's ThemeScore on 0-100.
    pub score: f64,
    /// Share of the ticket's distinct feedback that belongs to this theme, 0-1.
    pub coverage: f64,
}

#[derive(Debug, Serialize, JsonSchema, FromQueryResult)]
pub struct TicketQuote {
    pub feedback_id: Uuid,
    /// At most 200 characters, then "...".
    pub text: String,
    pub source: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketScore {
    pub ticket_key: String,
    /// Up to three, highest score first.
    pub themes: Vec<ThemeShare>,
    pub top_quotes: Vec<TicketQuote>,
    /// Mean of score x coverage over `themes`.
    pub overall_score: f64,
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn clip(text: &str) -> String {
    if text.chars().count() <= QUOTE_CHARS {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(QUOTE_CHARS).collect::<String>())
    }
}

/// The ticket's themes from its included matches; an unknown key gives the empty answer.
pub async fn score(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    key: &str,
) -> Result<TicketScore, DomainError> {
    let mut out = TicketScore {
        ticket_key: normalise_key(key),
        themes: Vec::new(),
        top_quotes: Vec::new(),
        overall_score: 0.0,
    };
    let Some(ticket) = find_by_key(db, workspace_id, key).await? else {
        return Ok(out);
    };
    out.ticket_key = ticket.jira_key.clone();
    let rows = db
        .query_all_raw(raw(
            "WITH linked AS ( \
                 SELECT t.id AS theme_id, i.id AS insight_id, t.label, coalesce(tm.score, 0)::float8 AS score, \
                        i.key_quote_ids, ft.feedback_id \
                 FROM jira_insight_matches jm JOIN insights i ON i.id = jm.insight_id \
                 JOIN themes t ON t.id = i.theme_id LEFT JOIN theme_metrics tm ON tm.theme_id = t.id \
                 JOIN feedback_themes ft ON ft.theme_id = t.id \
                 WHERE jm.ticket_id = $1 AND coalesce(jm.is_confirmed, 1) = 1) \
             SELECT theme_id, insight_id, label, score, key_quote_ids, count(*)::float8 AS n, \
                    (SELECT count(DISTINCT feedback_id) FROM linked)::float8 AS total \
             FROM linked GROUP BY theme_id, insight_id, label, score, key_quote_ids \
             ORDER BY score DESC, theme_id LIMIT $2",
            vec![ticket.id.into(), (MAX_THEMES as i64).into()],
        ))
        .await?;
    /// One linked theme: its share `n` of the `total` feedback behind the ticket.
    #[derive(FromQueryResult)]
    struct Linked {
        theme_id: Uuid,
        insight_id: Uuid,
        label: String,
        score: f64,
        key_quote_ids: Value,
        n: f64,
        total: f64,
    }
    let mut top_quote_ids: Option<Value> = None;
    for r in &rows {
        let l = Linked::from_query_result(r, "")?;
        out.themes.push(ThemeShare {
            id: l.theme_id,
            insight_id: l.insight_id,
            label: l.label,
            score: round2(100.0 * l.score),
            coverage: round2(if l.total > 0.0 { l.n / l.total } else { 0.0 }),
        });
        top_quote_ids.get_or_insert(l.key_quote_ids);
    }
    if !out.themes.is_empty() {
        let mean =
            out.themes.iter().map(|t| t.score * t.coverage).sum::<f64>() / out.themes.len() as f64;
        out.overall_score = round2(mean);
    }
    if let Some(ids) = top_quote_ids {
        let quotes = db
            .query_all_raw(raw(
                "SELECT f.id AS feedback_id, f.text, f.source, f.created_at FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS k(id, pos) \
                 JOIN feedback f ON f.id = k.id::uuid WHERE f.workspace_id = $2 ORDER BY k.pos LIMIT $3",
                vec![ids.into(), workspace_id.into(), (MAX_QUOTES as i64).into()],
            ))
            .await?;
        for q in &quotes {
            let mut quote = TicketQuote::from_query_result(q, "")?;
            quote.text = clip(&quote.text);
            out.top_quotes.push(quote);
        }
    }
    Ok(out)
}

/// A short PRD outline built from the ticket's score.
pub fn draft_prd(score: &TicketScore) -> String {
    let mut md = format!("# PRD: {}\n\n## Problem Statement\n", score.ticket_key);
    let n = score.themes.len();
    md.push_str(&format!(
        "This ticket addresses {n} key theme{} identified from customer feedback.\n\n## Related Themes\n\n",
        if n == 1 { "" } else { "s" }
    ));
    if score.themes.is_empty() {
        md.push_str(
            "No customer theme matches this ticket yet; run VOC scoring or confirm a match.\n\n",
        );
    }
    for t in &score.themes {
        md.push_str(&format!(
            "### {} (Score: {:.2})\n\nCoverage: {:.0}% of the ticket's customer evidence.\n\n",
            t.label,
            t.score,
            100.0 * t.coverage
        ));
    }
    md.push_str("## Customer Quotes\n\n");
    if score.top_quotes.is_empty() {
        md.push_str("No quotes yet.\n");
    }
    for (i, q) in score.top_quotes.iter().enumerate() {
        md.push_str(&format!(
            "{}. \"{}\" - {} ({}) [feedback {}]\n",
            i + 1,
            q.text,
            q.source,
            q.created_at.format("%Y-%m-%dT%H:%M:%S"),
            q.feedback_id
        ));
    }
    md.push_str(
        "\n## Next Steps\n- Define requirements\n- Create technical design\n- Estimate effort\n",
    );
    md
}
