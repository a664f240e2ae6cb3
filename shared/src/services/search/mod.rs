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

pub async fn search(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    q: &str,
    limit: u64,
) -> Result<Vec<Hit>, DomainError> {
    // Rank first and cut to `limit`. For a very common term the feedback ranked is bounded:
    // the first `FEEDBACK_CANDIDATES` term matches, plus (for several words) every exact
    // phrase match, so an exact phrase still ranks first while the rank work stays the same
    // at any size. Each candidate carries the text its hit shows, so the cut needs no joins;
    // snippets are highlighted here for the rows returned (`snippet.rs`).
    let phrase_branch = if q.split_whitespace().count() > 1 {
        "UNION SELECT f.id, f.search, f.text, f.source, f.account FROM feedback f \
         WHERE f.workspace_id = $1 AND f.search @@ phraseto_tsquery('english', $2)"
    } else {
        ""
    };
    let sql = format!(
        r#"
WITH query AS (SELECT websearch_to_tsquery('english', $2) AS q),
candidates AS (
    (SELECT f.id, f.search, f.text, f.source, f.account FROM feedback f
     WHERE f.workspace_id = $1 AND f.search @@ websearch_to_tsquery('english', $2) LIMIT $4)
    {phrase_branch}
),
ranked AS (
    SELECT 'feedback' AS kind, c.id, ts_rank_cd(c.search, query.q)::float8 AS score,
           c.source || ' feedback' || coalesce(' from ' || c.account, '') AS title, c.text AS body
    FROM candidates c, query
    UNION ALL
    SELECT 'insight', i.id, ts_rank_cd(i.search, query.q)::float8 * 2, i.title,
           i.description || ' ' || i.impact
    FROM insights i, query WHERE i.workspace_id = $1 AND i.search @@ query.q
    UNION ALL
    SELECT 'theme', t.id, ts_rank_cd(t.search, query.q)::float8 * 2, t.label, NULL
    FROM themes t, query WHERE t.workspace_id = $1 AND t.search @@ query.q
)
SELECT ranked.*, query.q::text AS terms FROM ranked, query
ORDER BY score DESC, kind, id LIMIT $3
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
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let terms = snippet::lexemes(&first.try_get::<String, _>("terms").map_err(query_err)?);
    rows.iter()
        .map(|r| {
            let title: String = r.try_get("title")?;
            // A theme's label is its own snippet.
            let snippet = match r.try_get::<Option<String>, _>("body")? {
                Some(body) => snippet::highlight(&body, &terms),
                None => title.clone(),
            };
            Ok(Hit {
                kind: r.try_get("kind")?,
                id: r.try_get("id")?,
                title,
                snippet,
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
