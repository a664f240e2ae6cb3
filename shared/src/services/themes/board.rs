//! The insights board: one insight per theme with its metrics and customers, filtered and
//! sorted, the quick-filter counts, and one insight with its quotes. Every query the board
//! runs lives here; the routes only validate and serialise.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, QueryResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::db::statement as raw;
use crate::services::insight_card::InsightCard;
use crate::services::theme_scores::RISING_MOMENTUM;
use crate::{DomainError, entities::feedback, services::Page};

/// Evidence behind a theme.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MetricsView {
    /// Distinct accounts in the last 30 / 90 days.
    pub freq_30d: i32,
    pub freq_90d: i32,
    /// ACV of the distinct customers behind the theme.
    pub acv_sum: f64,
    /// Average sentiment of the feedback, -1..1.
    pub sentiment: f32,
    /// Weekly trend momentum, -0.5..0.5.
    pub trend: f32,
    /// ThemeScore, 0..1.
    pub score: f32,
    pub dup_penalty: f32,
    /// Mentions per week over the 12 weeks before the metrics were computed, oldest first
    /// (for sparklines; `GET /themes/{id}/timeline` has the full weekly detail).
    pub weekly_counts: Vec<f64>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, Clone, FromQueryResult)]
pub struct CustomerRef {
    pub id: Uuid,
    pub name: String,
    pub segment: String,
    pub acv: f64,
}

/// An insight and the evidence behind it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InsightView {
    pub id: Uuid,
    pub theme_id: Option<Uuid>,
    #[serde(flatten)]
    pub card: InsightCard,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub metrics: Option<MetricsView>,
    pub feedback_count: i64,
    pub customers: Vec<CustomerRef>,
    pub total_acv: f64,
    /// Distinctive keywords of the theme.
    pub keywords: Vec<String>,
    /// `fallback` (deterministic text) or `llm`.
    pub generated_by: String,
    #[serde(flatten)]
    pub curation: CurationView,
}

/// What a PM did to an insight and its theme.
#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct CurationView {
    /// A PM shaped this theme (edited, merged, split, moved items, hid or pinned it):
    /// clustering runs keep it and its members; new feedback may still join it.
    pub curated: bool,
    /// Left off the board unless asked for (`include_hidden=true`).
    pub hidden: bool,
    /// Listed first on the board, whatever the sort.
    pub pinned: bool,
    /// Who last edited the text; null while it is as the writer left it.
    pub edited_by: Option<String>,
    pub edited_at: Option<DateTime<Utc>>,
}

/// How the board is narrowed and ordered; values are already validated.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    pub filter: Option<String>,
    pub priority_min: Option<i32>,
    pub priority_max: Option<i32>,
    pub severity: Option<Vec<String>>,
    pub effort: Option<Vec<String>>,
    pub segments: Option<Vec<String>>,
    /// priority, score, trend or created_at.
    pub sort_by: String,
    pub page: Option<Page>,
    /// Hidden insights are left out unless this is set.
    pub include_hidden: bool,
}

/// How many insights each quick filter would show.
#[derive(Debug, Serialize, JsonSchema, FromQueryResult)]
pub struct FilterCounts {
    pub enterprise_blockers: i64,
    pub high_priority: i64,
    pub trending: i64,
    /// Momentum above 0.05: mentions clearly climbing week on week.
    pub rising: i64,
    /// Insights whose theme first appeared in the last 7 days.
    pub new_this_week: i64,
}

/// One insight with the feedback quoted as its evidence and similarity to the theme.
pub struct InsightDetail {
    pub insight: InsightView,
    pub key_quotes: Vec<(feedback::Model, f32)>,
    pub supporting: Vec<(feedback::Model, f32)>,
}

/// One indexed read of the stored cards (see `cards`); nothing is aggregated per request,
/// and the JSON columns come pre-rendered as text.
fn base_sql(extra_columns: &str, extra_where: &str) -> String {
    format!(
        "SELECT i.id, i.theme_id, i.title, i.description, i.impact, i.recommendation, i.severity, i.effort, \
                i.priority_score, i.created_at, i.updated_at, i.generated_by, t.keywords_text AS keywords, \
                m.freq_30d, m.freq_90d, m.acv_sum, m.sentiment, m.trend, m.score, m.dup_penalty, \
                m.weekly_counts::text AS weekly_counts, \
                i.feedback_count::int8 AS feedback_count, i.customers_text AS customers, i.total_acv, \
                t.curated_at IS NOT NULL AS curated, i.hidden_at IS NOT NULL AS hidden, i.pinned_at IS NOT NULL AS pinned, \
                i.edited_by, i.edited_at{extra_columns} \
         FROM insights i JOIN themes t ON t.id = i.theme_id LEFT JOIN theme_metrics m ON m.theme_id = t.id \
         WHERE i.workspace_id = $1 {extra_where}"
    )
}

fn filter_sql(filter: &str) -> String {
    let sql = match filter {
        "enterprise_blockers" => {
            " AND (i.severity = 'critical' OR (i.severity = 'high' AND coalesce(m.acv_sum, 0) >= 50000))"
        }
        "high_priority" => " AND (i.priority_score >= 70 OR i.severity IN ('high', 'critical'))",
        "trending" => " AND coalesce(m.trend, 0) > 0 AND coalesce(m.freq_30d, 0) >= 3",
        // The momentum from which an insight's text says "rising".
        "rising" => return format!(" AND coalesce(m.trend, 0) > {RISING_MOMENTUM}"),
        "new_this_week" => " AND i.created_at >= now() - interval '7 days'",
        _ => "",
    };
    sql.to_owned()
}

/// A card as `base_sql` selects it. The JSON columns come as text and are parsed straight
/// into the view (the board's hottest path skips an intermediate JSON tree).
#[derive(FromQueryResult)]
struct BoardRow {
    id: Uuid,
    theme_id: Option<Uuid>,
    #[sea_orm(nested)]
    card: InsightCard,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    total_acv: f64,
    feedback_count: i64,
    /// Stored in display order (largest ACV first) by `cards`.
    customers: String,
    keywords: String,
    generated_by: String,
    /// Absent until the theme's metrics are computed (a null score).
    #[sea_orm(nested)]
    metrics: Option<MetricsRow>,
    #[sea_orm(nested)]
    curation: CurationView,
}

#[derive(FromQueryResult)]
struct MetricsRow {
    freq_30d: i32,
    freq_90d: i32,
    acv_sum: f64,
    sentiment: f32,
    trend: f32,
    score: f32,
    dup_penalty: f32,
    weekly_counts: Option<String>,
}

impl From<BoardRow> for InsightView {
    fn from(r: BoardRow) -> Self {
        Self {
            id: r.id,
            theme_id: r.theme_id,
            card: r.card,
            created_at: r.created_at,
            updated_at: r.updated_at,
            total_acv: r.total_acv,
            customers: serde_json::from_str(&r.customers).unwrap_or_default(),
            metrics: r.metrics.map(|m| MetricsView {
                freq_30d: m.freq_30d,
                freq_90d: m.freq_90d,
                acv_sum: m.acv_sum,
                sentiment: m.sentiment,
                trend: m.trend,
                score: m.score,
                dup_penalty: m.dup_penalty,
                weekly_counts: serde_json::from_str(&m.weekly_counts.unwrap_or_default())
                    .unwrap_or_default(),
            }),
            feedback_count: r.feedback_count,
            keywords: serde_json::from_str(&r.keywords).unwrap_or_default(),
            generated_by: r.generated_by,
            curation: r.curation,
        }
    }
}

fn to_view(r: &QueryResult) -> Result<InsightView, sea_orm::DbErr> {
    BoardRow::from_query_result(r, "").map(InsightView::from)
}

/// The board's insights in the requested order (ties by id).
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    q: &BoardQuery,
) -> Result<Vec<InsightView>, DomainError> {
    let mut values: Vec<sea_orm::Value> = vec![workspace_id.into()];
    let mut clause = q.filter.as_deref().map(filter_sql).unwrap_or_default();
    if !q.include_hidden {
        clause.push_str(" AND i.hidden_at IS NULL");
    }
    let mut bind = |v: sea_orm::Value, sql: &str, clause: &mut String| {
        values.push(v);
        clause.push_str(&sql.replace('?', &format!("${}", values.len())));
    };
    if let Some(lo) = q.priority_min {
        bind(lo.into(), " AND i.priority_score >= ?", &mut clause);
    }
    if let Some(hi) = q.priority_max {
        bind(hi.into(), " AND i.priority_score <= ?", &mut clause);
    }
    for (list, column) in [(&q.severity, "severity"), (&q.effort, "effort")] {
        if let Some(list) = list {
            let sql = format!(" AND i.{column} IN (SELECT jsonb_array_elements_text(?::jsonb))");
            bind(serde_json::json!(list).into(), &sql, &mut clause);
        }
    }
    if let Some(list) = &q.segments {
        bind(
            serde_json::json!(list).into(),
            " AND EXISTS (SELECT 1 FROM jsonb_array_elements(i.customers) c \
               WHERE c->>'segment' IN (SELECT jsonb_array_elements_text(?::jsonb)))",
            &mut clause,
        );
    }
    let order = match q.sort_by.as_str() {
        "score" => "coalesce(m.score, 0) DESC",
        "trend" => "coalesce(m.trend, 0) DESC",
        "created_at" => "i.created_at DESC",
        _ => "i.priority_score DESC",
    };
    let page = q.page.map_or(String::new(), |p| {
        format!(" LIMIT {} OFFSET {}", p.limit, p.offset)
    });
    let sql = format!(
        "{} ORDER BY i.pinned_at IS NULL, {order}, i.id{page}",
        base_sql("", &clause)
    );
    let rows = db.query_all_raw(raw(&sql, values)).await?;
    Ok(rows.iter().map(to_view).collect::<Result<_, _>>()?)
}

/// The workspace's board version: it moves with every committed change to what the board
/// shows (migration `board_version`). Read it before the board to cache a rendering.
pub async fn version(db: &impl ConnectionTrait, workspace_id: Uuid) -> Result<i64, DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT board_version FROM workspaces WHERE id = $1",
            vec![workspace_id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("workspace"))?;
    Ok(row.try_get_by_index(0)?)
}

pub async fn filter_counts(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<FilterCounts, DomainError> {
    let count = |f: &str| format!("count(*) FILTER (WHERE true{})", filter_sql(f));
    let sql = format!(
        "SELECT {} AS enterprise_blockers, {} AS high_priority, {} AS trending, {} AS rising, {} AS new_this_week \
         FROM insights i JOIN themes t ON t.id = i.theme_id \
         LEFT JOIN theme_metrics m ON m.theme_id = t.id WHERE i.workspace_id = $1 AND i.hidden_at IS NULL",
        count("enterprise_blockers"),
        count("high_priority"),
        count("trending"),
        count("rising"),
        count("new_this_week")
    );
    let row = db
        .query_one_raw(raw(&sql, vec![workspace_id.into()]))
        .await?
        .ok_or(DomainError::not_found("insights"))?;
    Ok(FilterCounts::from_query_result(&row, "")?)
}

/// Feedback of a theme with its similarity, narrowed by `where_sql` ($2 onwards).
async fn quotes(
    db: &impl ConnectionTrait,
    theme_id: Uuid,
    where_sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<(feedback::Model, f32)>, DomainError> {
    let sql = format!(
        "SELECT f.*, ft.confidence AS theme_confidence FROM feedback_themes ft JOIN feedback f ON f.id = ft.feedback_id \
         WHERE ft.theme_id = $1 {where_sql}"
    );
    let mut all = vec![theme_id.into()];
    all.extend(values);
    let rows = db.query_all_raw(raw(&sql, all)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let model = <feedback::Entity as EntityTrait>::Model::from_query_result(&r, "")?;
        out.push((model, r.try_get("", "theme_confidence")?));
    }
    Ok(out)
}

/// One insight of the workspace with its key quotes (in their chosen order) and a page of
/// the other supporting feedback, most similar first.
/// One insight of the workspace as the board shows it (hidden ones too).
pub async fn insight(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    insight_id: Uuid,
) -> Result<InsightView, DomainError> {
    let row = db
        .query_one_raw(raw(
            &base_sql("", " AND i.id = $2"),
            vec![workspace_id.into(), insight_id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("insight"))?;
    Ok(to_view(&row)?)
}

pub async fn detail(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    insight_id: Uuid,
    supporting: Page,
) -> Result<InsightDetail, DomainError> {
    let row = db
        .query_one_raw(raw(
            &base_sql(", i.key_quote_ids", " AND i.id = $2"),
            vec![workspace_id.into(), insight_id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("insight"))?;
    let key_ids: Value = row.try_get("", "key_quote_ids")?;
    let insight = to_view(&row)?;
    let theme_id = insight.theme_id.ok_or(DomainError::not_found("insight"))?;
    let mut key_quotes = quotes(
        db,
        theme_id,
        "AND f.id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)",
        vec![key_ids.clone().into()],
    )
    .await?;
    let order: Vec<String> = serde_json::from_value(key_ids.clone()).unwrap_or_default();
    key_quotes.sort_by_key(|(f, _)| {
        order
            .iter()
            .position(|id| *id == f.id.to_string())
            .unwrap_or(usize::MAX)
    });
    let supporting = quotes(
        db,
        theme_id,
        &format!(
            "AND NOT (f.id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)) \
             ORDER BY ft.confidence DESC, f.id LIMIT {} OFFSET {}",
            supporting.limit, supporting.offset
        ),
        vec![key_ids.into()],
    )
    .await?;
    Ok(InsightDetail {
        insight,
        key_quotes,
        supporting,
    })
}

/// An insight's place on the board as it stands.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Ranked {
    pub theme_id: Uuid,
    pub insight_id: Uuid,
    pub title: String,
    pub priority: i32,
}

/// Every customer insight in board order (priority, then id), for comparing a re-ranking.
pub async fn current_ranking(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<Vec<Ranked>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT theme_id, id AS insight_id, title, priority_score AS priority FROM insights \
             WHERE workspace_id = $1 AND theme_id IS NOT NULL ORDER BY priority_score DESC, id",
            vec![workspace_id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| Ranked::from_query_result(r, ""))
        .collect::<Result<_, _>>()?)
}
