//! An insight's mentions over time: per day, week (Monday 00:00 UTC) or month, how many
//! feedback items, from how many accounts, carrying how much ACV, and in what mood. Periods
//! without a mention are listed with zeros so a chart's x-axis is continuous. Beside them,
//! the trend as the board computes it now (the same weekly counts and momentum), so the
//! chart, the `trend` metric and the trending/rising views tell one story.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use uuid::Uuid;

use crate::DomainError;
use crate::services::theme_scores::{RISING_MOMENTUM, trend_momentum, weekly_counts};

/// How long each period of a timeline is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Day,
    Week,
    Month,
}

impl Bucket {
    fn sql(self) -> &'static str {
        match self {
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
        }
    }

    /// Periods listed when the caller does not say.
    pub fn default_periods(self) -> u32 {
        match self {
            Bucket::Day => 30,
            Bucket::Week => 12,
            Bucket::Month => 12,
        }
    }
}

/// One period's evidence.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, FromQueryResult)]
pub struct Mentions {
    /// Feedback items of the theme created in the period.
    pub mentions: i64,
    /// Distinct accounts among them.
    pub accounts: i64,
    /// Sum of those accounts' ACV (each account once per period).
    pub acv: f64,
    /// Mean sentiment of the period's items (-1..1); null without mentions.
    pub sentiment: Option<f64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TimelineBucket {
    /// The period's first instant (00:00 UTC; weeks start on Monday, months on the 1st).
    pub start: DateTime<Utc>,
    #[serde(flatten)]
    pub mentions: Mentions,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TimelineWeek {
    /// Monday 00:00 UTC of the week.
    pub week_start: DateTime<Utc>,
    #[serde(flatten)]
    pub mentions: Mentions,
}

/// The trend as the board scores it, computed now.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TrendNow {
    /// Mentions in each of the last 12 seven-day windows ending now, oldest first (what the
    /// board's `metrics.weekly_counts` held when it was computed).
    pub weekly_counts: Vec<f64>,
    /// Their momentum, -0.5..0.5 (the board's `metrics.trend`).
    pub momentum: f64,
    /// Momentum above 0.05: the board's `rising` view and the insight text's "rising".
    pub rising: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Timeline {
    pub insight_id: Uuid,
    pub bucket: Bucket,
    /// Oldest period first, ending with the current one.
    pub buckets: Vec<TimelineBucket>,
    /// With `bucket=week`, the same periods as `buckets` under their earlier name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weeks: Option<Vec<TimelineWeek>>,
    /// Mentions before the first period listed.
    pub earlier_mentions: i64,
    pub trend: TrendNow,
}

/// The last `periods` periods of an insight of the workspace (404 for another's).
pub async fn timeline(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    insight_id: Uuid,
    bucket: Bucket,
    periods: u32,
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
            WITH step AS (SELECT ('1 ' || $3::text)::interval AS one),
            span AS (
                SELECT generate_series(
                    date_trunc($3::text, now() AT TIME ZONE 'UTC') - ($2::int - 1) * (SELECT one FROM step),
                    date_trunc($3::text, now() AT TIME ZONE 'UTC'),
                    (SELECT one FROM step)) AS period
            ),
            items AS (
                SELECT date_trunc($3::text, f.created_at AT TIME ZONE 'UTC') AS period,
                       f.customer_id, f.sentiment
                FROM feedback_themes ft JOIN feedback f ON f.id = ft.feedback_id
                WHERE ft.theme_id = $1
            ),
            per_period AS (
                SELECT period, count(*) AS mentions, count(DISTINCT customer_id) AS accounts,
                       avg(sentiment)::float8 AS sentiment
                FROM items GROUP BY period
            ),
            acv AS (
                SELECT w.period, sum(c.acv)::float8 AS acv
                FROM (SELECT DISTINCT period, customer_id FROM items WHERE customer_id IS NOT NULL) w
                JOIN customers c ON c.id = w.customer_id
                GROUP BY w.period
            )
            SELECT (s.period AT TIME ZONE 'UTC') AS start,
                   coalesce(p.mentions, 0) AS mentions,
                   coalesce(p.accounts, 0) AS accounts,
                   coalesce(a.acv, 0)::float8 AS acv,
                   p.sentiment,
                   (SELECT count(*) FROM items WHERE period < (SELECT min(period) FROM span)) AS earlier
            FROM span s
            LEFT JOIN per_period p ON p.period = s.period
            LEFT JOIN acv a ON a.period = s.period
            ORDER BY s.period
            "#,
            [theme_id.into(), (periods as i32).into(), bucket.sql().into()],
        ))
        .await?;
    let mut earlier_mentions = 0;
    let mut buckets = Vec::with_capacity(rows.len());
    for row in &rows {
        earlier_mentions = row.try_get("", "earlier")?;
        buckets.push(TimelineBucket {
            start: row.try_get("", "start")?,
            mentions: Mentions::from_query_result(row, "")?,
        });
    }
    let weeks = (bucket == Bucket::Week).then(|| {
        buckets
            .iter()
            .map(|b| TimelineWeek {
                week_start: b.start,
                mentions: b.mentions.clone(),
            })
            .collect()
    });
    Ok(Timeline {
        insight_id,
        bucket,
        buckets,
        weeks,
        earlier_mentions,
        trend: trend_now(db, theme_id).await?,
    })
}

/// The board's weekly counts and momentum for the theme, as of now (counted by the scorer's
/// own function from the members' dates).
async fn trend_now(db: &impl ConnectionTrait, theme_id: Uuid) -> Result<TrendNow, DomainError> {
    let rows = db
        .query_all_raw(crate::db::statement(
            "SELECT f.created_at FROM feedback_themes ft JOIN feedback f ON f.id = ft.feedback_id \
             WHERE ft.theme_id = $1 AND f.created_at >= now() - interval '85 days'",
            [theme_id.into()],
        ))
        .await?;
    let created = rows
        .iter()
        .map(|r| r.try_get::<DateTime<Utc>>("", "created_at"))
        .collect::<Result<Vec<_>, _>>()?;
    let weekly_counts = weekly_counts(created, Utc::now());
    let momentum = trend_momentum(&weekly_counts);
    Ok(TrendNow {
        rising: momentum > RISING_MOMENTUM,
        momentum,
        weekly_counts,
    })
}
