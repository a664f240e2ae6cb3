//! Full-text search over feedback, themes and insights (PostgreSQL `websearch_to_tsquery`,
//! `ts_rank_cd`, highlighted snippets), merged by score.

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

pub async fn search(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    q: &str,
    limit: u64,
) -> Result<Vec<Hit>, DomainError> {
    // Rank first and cut to `limit`; snippets are built only for the rows returned. For a
    // very common term the feedback ranked is bounded: the first `FEEDBACK_CANDIDATES` term
    // matches, plus (for several words) every exact phrase match, so an exact phrase still
    // ranks first while the rank work stays the same at any size.
    let phrase_branch = if q.split_whitespace().count() > 1 {
        "UNION SELECT f.id, f.search FROM feedback f \
         WHERE f.workspace_id = $1 AND f.search @@ phraseto_tsquery('english', $2)"
    } else {
        ""
    };
    let sql = format!(
        r#"
WITH query AS (SELECT websearch_to_tsquery('english', $2) AS q),
candidates AS (
    (SELECT f.id, f.search FROM feedback f
     WHERE f.workspace_id = $1 AND f.search @@ websearch_to_tsquery('english', $2) LIMIT $4)
    {phrase_branch}
),
ranked AS (
    SELECT 'feedback' AS kind, c.id, ts_rank_cd(c.search, query.q)::float8 AS score
    FROM candidates c, query
    UNION ALL
    SELECT 'insight', i.id, ts_rank_cd(i.search, query.q)::float8 * 2
    FROM insights i, query WHERE i.workspace_id = $1 AND i.search @@ query.q
    UNION ALL
    SELECT 'theme', t.id, ts_rank_cd(t.search, query.q)::float8 * 2
    FROM themes t, query WHERE t.workspace_id = $1 AND t.search @@ query.q
),
top AS (SELECT * FROM ranked ORDER BY score DESC, kind, id LIMIT $3)
SELECT top.kind, top.id, top.score,
       CASE top.kind
           WHEN 'feedback' THEN f.source || ' feedback' || coalesce(' from ' || f.account, '')
           WHEN 'insight' THEN i.title
           ELSE t.label END AS title,
       CASE top.kind
           WHEN 'feedback' THEN ts_headline('english', f.text, query.q, 'StartSel=**, StopSel=**, MaxWords=30, MinWords=10')
           WHEN 'insight' THEN ts_headline('english', i.description || ' ' || i.impact, query.q, 'StartSel=**, StopSel=**, MaxWords=30, MinWords=10')
           ELSE t.label END AS snippet
FROM top CROSS JOIN query
LEFT JOIN feedback f ON top.kind = 'feedback' AND f.id = top.id
LEFT JOIN insights i ON top.kind = 'insight' AND i.id = top.id
LEFT JOIN themes t ON top.kind = 'theme' AND t.id = top.id
ORDER BY top.score DESC, top.kind, top.id
"#
    );
    // How often a term occurs decides the plan (stop after the first matches of a common
    // term; use the full-text index for a rare one), so the plan is made for this query's
    // words: an unnamed statement is planned with its values every time, with no
    // transaction around it (the SET LOCAL that did this cost two more round trips).
    let rows: Vec<PgRow> = sqlx::query(AssertSqlSafe(sql))
        .bind(workspace_id)
        .bind(q)
        .bind(limit as i64)
        .bind(FEEDBACK_CANDIDATES)
        .persistent(false)
        .fetch_all(db.get_postgres_connection_pool())
        .await
        .map_err(query_err)?;
    rows.iter()
        .map(|r| {
            Ok(Hit {
                kind: r.try_get("kind")?,
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                snippet: r.try_get("snippet")?,
                score: r.try_get("score")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(|e| query_err(e).into())
}

/// The error sea-orm would give, so outages still answer 503.
fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}
