//! Full-text search over feedback, themes and insights (PostgreSQL `websearch_to_tsquery`,
//! `ts_rank_cd`, highlighted snippets), merged by score.

mod snippet;

use std::sync::Arc;

use sea_orm::{
    DatabaseConnection, DbErr, RuntimeErr, sqlx,
    sqlx::{AssertSqlSafe, Row, postgres::PgRow},
};
use serde::Serialize;
use uuid::Uuid;

use crate::DomainError;

/// One search result (also the API's response item).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Hit {
    /// feedback, theme or insight.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Uuid,
    pub title: String,
    /// Matching text with the query terms in **bold**.
    pub snippet: String,
    /// Relevance (ts_rank_cd; themes and insights weigh double).
    pub score: f64,
}

/// Feedback rows ranked per query at most (plus exact phrase matches).
const FEEDBACK_CANDIDATES: i64 = 200;

/// Insights and themes that match: few rows per workspace, so one plan serves every query
/// and the statement stays prepared on its connection.
const SUMMARIES_SQL: &str = r#"
WITH query AS (SELECT websearch_to_tsquery('english', $2) AS q)
SELECT 'insight' AS kind, i.id, ts_rank_cd(i.search, query.q)::float8 * 2 AS score, i.title,
       i.description || ' ' || i.impact AS body, query.q::text AS terms
FROM insights i, query WHERE i.workspace_id = $1 AND i.search @@ query.q
UNION ALL
SELECT 'theme', t.id, ts_rank_cd(t.search, query.q)::float8 * 2, t.label, NULL, query.q::text
FROM themes t, query WHERE t.workspace_id = $1 AND t.search @@ query.q
ORDER BY score DESC, kind, id LIMIT $3
"#;

pub async fn search(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    q: &str,
    limit: u64,
) -> Result<Vec<Hit>, DomainError> {
    // Rank first and cut to `limit`. For a very common term the feedback ranked is bounded:
    // the first `FEEDBACK_CANDIDATES` term matches, plus (for several words) as many exact
    // phrase matches, so an exact phrase still ranks first while the rank work stays the
    // same at any size, however common the phrase. Each row carries the text its hit shows, so the cut needs no joins;
    // snippets are highlighted here for the rows returned (`snippet.rs`).
    let phrase_branch = if q.split_whitespace().count() > 1 {
        "UNION (SELECT f.id, f.search, f.text, f.source, f.account FROM feedback f \
         WHERE f.workspace_id = $1 AND f.search @@ phraseto_tsquery('english', $2) LIMIT $4)"
    } else {
        ""
    };
    let feedback_sql = format!(
        r#"
WITH query AS (SELECT websearch_to_tsquery('english', $2) AS q),
candidates AS (
    (SELECT f.id, f.search, f.text, f.source, f.account FROM feedback f
     WHERE f.workspace_id = $1 AND f.search @@ websearch_to_tsquery('english', $2) LIMIT $4)
    {phrase_branch}
)
SELECT 'feedback' AS kind, c.id, ts_rank_cd(c.search, query.q)::float8 AS score,
       c.source || ' feedback' || coalesce(' from ' || c.account, '') AS title, c.text AS body,
       query.q::text AS terms
FROM candidates c, query ORDER BY score DESC, c.id LIMIT $3
"#
    );
    let pool = db.get_postgres_connection_pool();
    // How often a term occurs decides the feedback plan (stop after the first matches of a
    // common term; use the full-text index for a rare one), so that statement is unnamed and
    // planned with this query's words every time. Planning the whole search that way cost a
    // third of its database time; insights and themes need no such care.
    let feedback = sqlx::query(AssertSqlSafe(feedback_sql))
        .bind(workspace_id)
        .bind(q)
        .bind(limit as i64)
        .bind(FEEDBACK_CANDIDATES)
        .persistent(false)
        .fetch_all(pool);
    let summaries = sqlx::query(SUMMARIES_SQL)
        .bind(workspace_id)
        .bind(q)
        .bind(limit as i64)
        .fetch_all(pool);
    let (feedback, summaries) = futures::try_join!(feedback, summaries).map_err(query_err)?;
    let rows: Vec<PgRow> = feedback.into_iter().chain(summaries).collect();
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let terms = snippet::lexemes(&first.try_get::<String, _>("terms").map_err(query_err)?);
    let mut found = rows
        .iter()
        .map(|r| {
            Ok((
                Hit {
                    kind: r.try_get("kind")?,
                    id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    snippet: String::new(),
                    score: r.try_get("score")?,
                },
                r.try_get::<Option<String>, _>("body")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(query_err)?;
    // The order one statement over both had: best first, then kind and id for ties.
    found.sort_by(|(a, _), (b, _)| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.id.cmp(&b.id))
    });
    found.truncate(limit as usize);
    Ok(found
        .into_iter()
        .map(|(mut hit, body)| {
            // A theme's label is its own snippet.
            hit.snippet = match body {
                Some(body) => snippet::highlight(&body, &terms),
                None => hit.title.clone(),
            };
            hit
        })
        .collect())
}

/// The error sea-orm would give, so outages still answer 503.
fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}
