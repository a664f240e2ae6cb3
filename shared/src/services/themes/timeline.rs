//! An insight's mentions over time: per week, how many feedback items, from how many
//! accounts, carrying how much ACV, and in what mood. Weeks without a mention are listed
//! with zeros so a chart's x-axis is continuous.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use uuid::Uuid;

use crate::DomainError;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, FromQueryResult)]
pub struct TimelineWeek {
    /// Monday 00:00 UTC of the week.
    pub week_start: DateTime<Utc>,
    /// Feedback items of the theme created that week.
    pub mentions: i64,
    /// Distinct accounts among them.
    pub accounts: i64,
    /// Sum of those accounts' ACV (each account once per week).
    pub acv: f64,
    /// Mean sentiment of the week's items (-1..1); null without mentions.
    pub sentiment: Option<f64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Timeline {
    pub insight_id: Uuid,
    /// Oldest week first, ending with the current week.
    pub weeks: Vec<TimelineWeek>,
    /// Mentions before the first week listed.
    pub earlier_mentions: i64,
}

/// The last `weeks` weeks of an insight of the workspace (404 for another's).
pub async fn timeline(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    insight_id: Uuid,
    weeks: u32,
) -> Result<Timeline, DomainError> {
    let theme: Option<Option<Uuid>> = db
        .query_one_raw(crate::db::statement(
            "SELECT theme_id FROM insights WHERE id = $1 AND workspace_id = $2",
            [insight_id.into(), workspace_id.into()],
        ))
        .await?
        .map(|row| row.try_get_by_index(0))
        .transpose()?;
    let Some(Some(theme_id)) = theme else {
        return Err(DomainError::not_found("insight"));
    };
    let rows = db
        .query_all_raw(crate::db::statement(r#"
            WITH span AS (
                SELECT generate_series(
                    date_trunc('week', now() AT TIME ZONE 'UTC') - ($2::int - 1) * interval '1 week',
                    date_trunc('week', now() AT TIME ZONE 'UTC'),
                    interval '1 week') AS week
            ),
            items AS (
                SELECT date_trunc('week', f.created_at AT TIME ZONE 'UTC') AS week,
                       f.customer_id, f.sentiment
                FROM feedback_themes ft JOIN feedback f ON f.id = ft.feedback_id
                WHERE ft.theme_id = $1
            ),
            per_week AS (
                SELECT week, count(*) AS mentions, count(DISTINCT customer_id) AS accounts,
                       avg(sentiment)::float8 AS sentiment
                FROM items GROUP BY week
            ),
            acv AS (
                SELECT w.week, sum(c.acv)::float8 AS acv
                FROM (SELECT DISTINCT week, customer_id FROM items WHERE customer_id IS NOT NULL) w
                JOIN customers c ON c.id = w.customer_id
                GROUP BY w.week
            )
            SELECT (s.week AT TIME ZONE 'UTC') AS week_start,
                   coalesce(p.mentions, 0) AS mentions,
                   coalesce(p.accounts, 0) AS accounts,
                   coalesce(a.acv, 0)::float8 AS acv,
                   p.sentiment,
                   (SELECT count(*) FROM items WHERE week < (SELECT min(week) FROM span)) AS earlier
            FROM span s
            LEFT JOIN per_week p ON p.week = s.week
            LEFT JOIN acv a ON a.week = s.week
            ORDER BY s.week
            "#,
            [theme_id.into(), (weeks as i32).into()],
        ))
        .await?;
    let mut earlier_mentions = 0;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        earlier_mentions = row.try_get("", "earlier")?;
        out.push(TimelineWeek::from_query_result(row, "")?);
    }
    Ok(Timeline {
        insight_id,
        weeks: out,
        earlier_mentions,
    })
}
