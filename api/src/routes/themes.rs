//! `/themes`: insights (one per theme) with their customer evidence, filtered and sorted.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidPath, ValidQuery},
    routes::feedback::FeedbackOut,
    state::AppState,
};

const SORTS: &[&str] = &["priority", "score", "trend", "created_at"];
const FILTERS: &[&str] = &["enterprise_blockers", "high_priority", "trending"];
const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];
const SEGMENTS: &[&str] = &["ENT", "MM", "SMB"];
const EFFORTS: &[&str] = &["low", "medium", "high"];

fn one_of(value: &str, allowed: &[&str]) -> Result<(), ValidationError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        let mut e = ValidationError::new("enum");
        e.message = Some(format!("must be one of {}", allowed.join(", ")).into());
        Err(e)
    }
}

fn list_of(value: &str, allowed: &[&str]) -> Result<(), ValidationError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .try_for_each(|v| one_of(v, allowed))
}

fn valid_sort(v: &str) -> Result<(), ValidationError> {
    one_of(v, SORTS)
}
fn valid_filter(v: &str) -> Result<(), ValidationError> {
    one_of(v, FILTERS)
}
fn valid_severity(v: &str) -> Result<(), ValidationError> {
    list_of(v, SEVERITIES)
}
fn valid_segments(v: &str) -> Result<(), ValidationError> {
    list_of(v, SEGMENTS)
}
fn valid_effort(v: &str) -> Result<(), ValidationError> {
    list_of(v, EFFORTS)
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ThemeQuery {
    /// priority (default), score, trend or created_at; ties are broken by id.
    #[validate(custom(function = "valid_sort"))]
    #[serde(default = "default_sort")]
    pub sort_by: String,
    /// enterprise_blockers, high_priority or trending.
    #[validate(custom(function = "valid_filter"))]
    pub filter: Option<String>,
    /// 1-100, default 20.
    #[validate(range(min = 1, max = 100))]
    #[serde(default = "default_limit")]
    pub limit: u64,
    #[validate(range(max = 1_000_000))]
    #[serde(default)]
    pub offset: u64,
    #[validate(range(min = 0, max = 100))]
    pub priority_min: Option<i32>,
    #[validate(range(min = 0, max = 100))]
    pub priority_max: Option<i32>,
    /// Repeat the parameter or separate with commas: low, medium, high, critical.
    #[validate(custom(function = "valid_severity"))]
    pub severity: Option<String>,
    /// ENT, MM, SMB: insights with feedback from customers in these segments.
    #[validate(custom(function = "valid_segments"))]
    pub segments: Option<String>,
    /// low, medium, high.
    #[validate(custom(function = "valid_effort"))]
    pub effort: Option<String>,
}

fn default_sort() -> String {
    "priority".into()
}
fn default_limit() -> u64 {
    20
}

/// Evidence behind a theme.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MetricsOut {
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
}

#[derive(Debug, Serialize, JsonSchema, Clone)]
pub struct CustomerRefOut {
    pub id: Uuid,
    pub name: String,
    pub segment: String,
    pub acv: f64,
}

/// An insight and the evidence behind it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ThemeOut {
    pub id: Uuid,
    pub theme_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub impact: String,
    pub recommendation: String,
    pub severity: String,
    pub effort: String,
    pub priority_score: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub metrics: Option<MetricsOut>,
    pub feedback_count: i64,
    pub customers: Vec<CustomerRefOut>,
    pub total_acv: f64,
    /// Distinctive keywords of the theme.
    pub keywords: Vec<String>,
    /// `fallback` (deterministic text) or `llm`.
    pub generated_by: String,
}

fn base_sql(extra_where: &str) -> String {
    format!(
        "SELECT i.id, i.theme_id, i.title, i.description, i.impact, i.recommendation, i.severity, i.effort, \
                i.priority_score, i.created_at, i.updated_at, i.generated_by, i.key_quote_ids, t.keywords, \
                m.freq_30d, m.freq_90d, m.acv_sum, m.sentiment, m.trend, m.score, m.dup_penalty, \
                (SELECT count(*) FROM feedback_themes ft WHERE ft.theme_id = i.theme_id) AS feedback_count, \
                (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('id', c.id, 'name', c.name, 'segment', c.segment, 'acv', c.acv)), '[]'::jsonb) \
                   FROM feedback_themes ft JOIN feedback f ON f.id = ft.feedback_id JOIN customers c ON c.id = f.customer_id \
                  WHERE ft.theme_id = i.theme_id) AS customers \
         FROM insights i JOIN themes t ON t.id = i.theme_id LEFT JOIN theme_metrics m ON m.theme_id = t.id \
         WHERE i.workspace_id = $1 {extra_where}"
    )
}

fn filter_sql(filter: &str) -> &'static str {
    match filter {
        "enterprise_blockers" => {
            " AND (i.severity = 'critical' OR (i.severity = 'high' AND coalesce(m.acv_sum, 0) >= 50000))"
        }
        "high_priority" => " AND (i.priority_score >= 70 OR i.severity IN ('high', 'critical'))",
        "trending" => " AND coalesce(m.trend, 0) > 0 AND coalesce(m.freq_30d, 0) >= 3",
        _ => "",
    }
}

fn split(v: &Option<String>) -> Option<Vec<String>> {
    v.as_ref().map(|s| {
        s.split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect()
    })
}

fn to_out(r: &QueryResult) -> Result<ThemeOut, sea_orm::DbErr> {
    let customers: Vec<CustomerRefOut> =
        serde_json::from_value::<Vec<Value>>(r.try_get("", "customers")?)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| {
                Some(CustomerRefOut {
                    id: c["id"].as_str()?.parse().ok()?,
                    name: c["name"].as_str()?.to_owned(),
                    segment: c["segment"].as_str()?.to_owned(),
                    acv: c["acv"].as_f64().unwrap_or(0.0),
                })
            })
            .collect();
    let mut customers = customers;
    customers.sort_by(|a, b| b.acv.total_cmp(&a.acv).then(a.name.cmp(&b.name)));
    let metrics = match r.try_get::<Option<f32>>("", "score")? {
        Some(score) => Some(MetricsOut {
            freq_30d: r.try_get("", "freq_30d")?,
            freq_90d: r.try_get("", "freq_90d")?,
            acv_sum: r.try_get("", "acv_sum")?,
            sentiment: r.try_get("", "sentiment")?,
            trend: r.try_get("", "trend")?,
            score,
            dup_penalty: r.try_get("", "dup_penalty")?,
        }),
        None => None,
    };
    Ok(ThemeOut {
        id: r.try_get("", "id")?,
        theme_id: r.try_get("", "theme_id")?,
        title: r.try_get("", "title")?,
        description: r.try_get("", "description")?,
        impact: r.try_get("", "impact")?,
        recommendation: r.try_get("", "recommendation")?,
        severity: r.try_get("", "severity")?,
        effort: r.try_get("", "effort")?,
        priority_score: r.try_get("", "priority_score")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        total_acv: customers.iter().map(|c| c.acv).sum(),
        customers,
        metrics,
        feedback_count: r.try_get("", "feedback_count")?,
        keywords: serde_json::from_value(r.try_get("", "keywords")?).unwrap_or_default(),
        generated_by: r.try_get("", "generated_by")?,
    })
}

async fn list_themes(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<ThemeQuery>,
) -> Result<Json<Vec<ThemeOut>>, ApiError> {
    if let (Some(lo), Some(hi)) = (q.priority_min, q.priority_max)
        && lo > hi
    {
        return Err(ApiError::field(
            &["query", "priority_max"],
            "must not be below priority_min",
            "value_error",
        ));
    }
    let mut values: Vec<sea_orm::Value> = vec![auth.0.workspace_id.into()];
    let mut clause = q
        .filter
        .as_deref()
        .map(filter_sql)
        .unwrap_or_default()
        .to_owned();
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
    if let Some(list) = split(&q.severity) {
        bind(
            serde_json::json!(list).into(),
            " AND i.severity IN (SELECT jsonb_array_elements_text(?::jsonb))",
            &mut clause,
        );
    }
    if let Some(list) = split(&q.effort) {
        bind(
            serde_json::json!(list).into(),
            " AND i.effort IN (SELECT jsonb_array_elements_text(?::jsonb))",
            &mut clause,
        );
    }
    if let Some(list) = split(&q.segments) {
        bind(
            serde_json::json!(list).into(),
            " AND EXISTS (SELECT 1 FROM feedback_themes ft JOIN feedback f ON f.id = ft.feedback_id \
               JOIN customers c ON c.id = f.customer_id WHERE ft.theme_id = i.theme_id \
               AND c.segment IN (SELECT jsonb_array_elements_text(?::jsonb)))",
            &mut clause,
        );
    }
    let order = match q.sort_by.as_str() {
        "score" => "coalesce(m.score, 0) DESC",
        "trend" => "coalesce(m.trend, 0) DESC",
        "created_at" => "i.created_at DESC",
        _ => "i.priority_score DESC",
    };
    let sql = format!(
        "{} ORDER BY {order}, i.id LIMIT {} OFFSET {}",
        base_sql(&clause),
        q.limit,
        q.offset
    );
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(shared::DomainError::from)?;
    let out = rows
        .iter()
        .map(to_out)
        .collect::<Result<Vec<_>, _>>()
        .map_err(shared::DomainError::from)?;
    Ok(Json(out))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FilterCountsOut {
    pub enterprise_blockers: i64,
    pub high_priority: i64,
    pub trending: i64,
}

async fn filter_counts(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<FilterCountsOut>, ApiError> {
    let count = |f: &str| format!("count(*) FILTER (WHERE true{})", filter_sql(f));
    let sql = format!(
        "SELECT {} AS eb, {} AS hp, {} AS tr FROM insights i JOIN themes t ON t.id = i.theme_id \
         LEFT JOIN theme_metrics m ON m.theme_id = t.id WHERE i.workspace_id = $1",
        count("enterprise_blockers"),
        count("high_priority"),
        count("trending")
    );
    let row = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [auth.0.workspace_id.into()],
        ))
        .await
        .map_err(shared::DomainError::from)?
        .ok_or_else(ApiError::internal)?;
    let get = |c: &str| row.try_get::<i64>("", c).map_err(shared::DomainError::from);
    Ok(Json(FilterCountsOut {
        enterprise_blockers: get("eb")?,
        high_priority: get("hp")?,
        trending: get("tr")?,
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct InsightPath {
    /// Insight id.
    pub insight_id: Uuid,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct DetailQuery {
    /// Supporting feedback page size, 1-100 (default 20).
    #[validate(range(min = 1, max = 100))]
    #[serde(default = "default_limit")]
    pub supporting_limit: u64,
    #[validate(range(max = 1_000_000))]
    #[serde(default)]
    pub supporting_offset: u64,
}

/// A feedback item quoted as evidence, with its similarity to the theme.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuoteOut {
    #[serde(flatten)]
    pub feedback: FeedbackOut,
    /// Cosine similarity to the theme centroid.
    pub confidence: f32,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ThemeDetailOut {
    #[serde(flatten)]
    pub theme: ThemeOut,
    /// The most representative items, spread across customers.
    pub key_quotes: Vec<QuoteOut>,
    /// The theme's other feedback, most similar first (paginated).
    pub supporting_feedback: Vec<QuoteOut>,
}

async fn quotes(
    state: &AppState,
    theme_id: Uuid,
    where_sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<QuoteOut>, ApiError> {
    use sea_orm::{EntityTrait, FromQueryResult};
    let sql = format!(
        "SELECT f.*, ft.confidence AS theme_confidence FROM feedback_themes ft JOIN feedback f ON f.id = ft.feedback_id \
         WHERE ft.theme_id = $1 {where_sql}"
    );
    let mut all = vec![theme_id.into()];
    all.extend(values);
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            all,
        ))
        .await
        .map_err(shared::DomainError::from)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let model =
            <shared::entities::feedback::Entity as EntityTrait>::Model::from_query_result(&r, "")
                .map_err(shared::DomainError::from)?;
        let confidence: f32 = r
            .try_get("", "theme_confidence")
            .map_err(shared::DomainError::from)?;
        out.push(QuoteOut {
            feedback: model.into(),
            confidence,
        });
    }
    Ok(out)
}

async fn get_theme(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<InsightPath>,
    ValidQuery(q): ValidQuery<DetailQuery>,
) -> Result<Json<ThemeDetailOut>, ApiError> {
    let sql = base_sql(" AND i.id = $2");
    let row = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [auth.0.workspace_id.into(), path.insight_id.into()],
        ))
        .await
        .map_err(shared::DomainError::from)?
        .ok_or_else(|| ApiError::not_found("insight not found"))?;
    let key_ids: Value = row
        .try_get("", "key_quote_ids")
        .map_err(shared::DomainError::from)?;
    let theme = to_out(&row).map_err(shared::DomainError::from)?;
    let theme_id = theme
        .theme_id
        .ok_or_else(|| ApiError::not_found("insight not found"))?;
    let mut key_quotes = quotes(
        &state,
        theme_id,
        "AND f.id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)",
        vec![key_ids.clone().into()],
    )
    .await?;
    let order: Vec<String> = serde_json::from_value(key_ids.clone()).unwrap_or_default();
    key_quotes.sort_by_key(|q| {
        order
            .iter()
            .position(|id| *id == q.feedback.id.to_string())
            .unwrap_or(usize::MAX)
    });
    let supporting_feedback = quotes(
        &state,
        theme_id,
        &format!(
            "AND NOT (f.id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)) ORDER BY ft.confidence DESC, f.id LIMIT {} OFFSET {}",
            q.supporting_limit, q.supporting_offset
        ),
        vec![key_ids.into()],
    )
    .await?;
    Ok(Json(ThemeDetailOut {
        theme,
        key_quotes,
        supporting_feedback,
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/themes",
            get_with(list_themes, |op| {
                op.summary("List insights")
                    .description(
                        "One insight per theme with its metrics and customers. Sort by priority (default), score, \
                         trend or created_at (ties by id); quick filters enterprise_blockers, high_priority, trending; \
                         list parameters may repeat or be comma-separated.",
                    )
                    .tag("themes")
            }),
        )
        .api_route(
            "/themes/filter-counts",
            get_with(filter_counts, |op| {
                op.summary("Quick filter counts").description("How many insights each quick filter would show.").tag("themes")
            }),
        )
        .api_route(
            "/themes/{insight_id}",
            get_with(get_theme, |op| {
                op.summary("Get an insight")
                    .description("The insight with its key quotes and paginated supporting feedback.")
                    .tag("themes")
            }),
        )
}
