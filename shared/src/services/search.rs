//! Full-text search over feedback, themes and insights (PostgreSQL `websearch_to_tsquery`,
//! `ts_rank_cd`, highlighted snippets), merged by score.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
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

pub async fn search(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    q: &str,
    limit: u64,
) -> Result<Vec<Hit>, DomainError> {
    let sql = r#"
WITH query AS (SELECT websearch_to_tsquery('english', $2) AS q),
hits AS (
    SELECT 'feedback' AS kind, f.id, f.source || ' feedback' || coalesce(' from ' || f.account, '') AS title,
           ts_headline('english', f.text, query.q, 'StartSel=**, StopSel=**, MaxWords=30, MinWords=10') AS snippet,
           ts_rank_cd(f.search, query.q)::float8 AS score
    FROM feedback f, query WHERE f.workspace_id = $1 AND f.search @@ query.q
    UNION ALL
    SELECT 'insight', i.id, i.title,
           ts_headline('english', i.description || ' ' || i.impact, query.q, 'StartSel=**, StopSel=**, MaxWords=30, MinWords=10'),
           ts_rank_cd(i.search, query.q)::float8 * 2
    FROM insights i, query WHERE i.workspace_id = $1 AND i.search @@ query.q
    UNION ALL
    SELECT 'theme', t.id, t.label, t.label, ts_rank_cd(t.search, query.q)::float8 * 2
    FROM themes t, query WHERE t.workspace_id = $1 AND t.search @@ query.q
)
SELECT * FROM hits ORDER BY score DESC, kind, id LIMIT $3
"#;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [workspace_id.into(), q.into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Hit {
                kind: r.try_get("", "kind")?,
                id: r.try_get("", "id")?,
                title: r.try_get("", "title")?,
                snippet: r.try_get("", "snippet")?,
                score: r.try_get("", "score")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}
