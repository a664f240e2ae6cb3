//! `/themes`: insights (one per theme) with their customer evidence, filtered and sorted.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{
    Json,
    body::Bytes,
    extract::{RawQuery, State},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::services::themes::{
    board::{self, BoardQuery, FilterCounts, InsightView},
    map::{self, MapPoint},
    timeline::{self, Bucket, Timeline},
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    cached_json::{CachedJson, IfNoneMatch, etag},
    error::ApiError,
    extract::{ValidPath, ValidQuery},
    paging::{self, Limit, Offset},
    routes::feedback::FeedbackOut,
    state::AppState,
};

const SORTS: &[&str] = &["priority", "score", "trend", "created_at"];
const FILTERS: &[&str] = &[
    "enterprise_blockers",
    "high_priority",
    "trending",
    "rising",
    "new_this_week",
];
const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];
const SEGMENTS: &[&str] = &["ENT", "MM", "SMB"];
const EFFORTS: &[&str] = &["low", "medium", "high"];

crate::allowed!(one_of(SORTS) => valid_sort, sort_schema);
crate::allowed!(one_of(FILTERS) => valid_filter, filter_schema);
crate::allowed!(list_of(SEVERITIES) => valid_severity, severity_schema);
crate::allowed!(list_of(SEGMENTS) => valid_segments, segments_schema);
crate::allowed!(list_of(EFFORTS) => valid_effort, effort_schema);

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ThemeQuery {
    /// priority (default), score, trend or created_at; ties are broken by id.
    #[validate(custom(function = "valid_sort"))]
    #[schemars(schema_with = "sort_schema")]
    #[serde(default = "default_sort")]
    pub sort_by: String,
    /// enterprise_blockers, high_priority, trending (momentum above 0 with at least 3
    /// accounts in 30 days), rising (momentum above 0.05, the insight text's "rising") or
    /// new_this_week (themes that first appeared in the last 7 days).
    #[validate(custom(function = "valid_filter"))]
    #[schemars(schema_with = "filter_schema")]
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub limit: Limit<20, 100>,
    #[serde(default)]
    pub offset: Offset,
    /// With `priority_max`: a window of priority scores (a minimum above the maximum
    /// matches nothing).
    #[validate(range(min = 0, max = 100))]
    pub priority_min: Option<i32>,
    #[validate(range(min = 0, max = 100))]
    pub priority_max: Option<i32>,
    /// Repeat the parameter or separate with commas: low, medium, high, critical.
    #[validate(custom(function = "valid_severity"))]
    #[schemars(schema_with = "severity_schema")]
    #[serde(default)]
    pub severity: Option<String>,
    /// ENT, MM, SMB: insights with feedback from customers in these segments.
    #[validate(custom(function = "valid_segments"))]
    #[schemars(schema_with = "segments_schema")]
    #[serde(default)]
    pub segments: Option<String>,
    /// low, medium, high.
    #[validate(custom(function = "valid_effort"))]
    #[schemars(schema_with = "effort_schema")]
    #[serde(default)]
    pub effort: Option<String>,
    /// Include insights a PM hid (left out by default).
    #[serde(default)]
    pub include_hidden: bool,
}

fn default_sort() -> String {
    "priority".into()
}

fn split(v: &Option<String>) -> Option<Vec<String>> {
    v.as_ref().map(|s| {
        s.split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect()
    })
}

impl ThemeQuery {
    /// The board query this request asks for (the board and its CSV export read the same).
    pub(crate) fn board_query(self) -> BoardQuery {
        BoardQuery {
            severity: split(&self.severity),
            effort: split(&self.effort),
            segments: split(&self.segments),
            filter: self.filter,
            priority_min: self.priority_min,
            priority_max: self.priority_max,
            sort_by: self.sort_by,
            page: Some(paging::page(self.limit, self.offset)),
            include_hidden: self.include_hidden,
        }
    }
}

/// The board page, rendered once per board version and request (the page every user opens
/// first and the UI polls), or `304` when the client's `ETag` is current.
async fn list_themes(
    State(state): State<AppState>,
    auth: Auth,
    if_none_match: IfNoneMatch,
    RawQuery(raw_query): RawQuery,
    ValidQuery(q): ValidQuery<ThemeQuery>,
) -> Result<CachedJson<Vec<InsightView>>, ApiError> {
    let query = q.board_query();
    let ws = auth.0.workspace_id;
    let version = board::version(&state.db, ws).await?;
    let tag = etag(ws, version);
    if if_none_match.matches(&tag) {
        return Ok(CachedJson::not_modified(tag));
    }
    let key = raw_query.unwrap_or_default();
    if let Some(body) = state.board_cache.get(ws, &key, version) {
        return Ok(CachedJson::body(body, tag));
    }
    let page = board::list(&state.db, ws, &query).await?;
    let body = Bytes::from(serde_json::to_vec(&page).map_err(anyhow::Error::from)?);
    state.board_cache.put(ws, key, version, body.clone());
    Ok(CachedJson::body(body, tag))
}

async fn filter_counts(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<FilterCounts>, ApiError> {
    Ok(Json(
        board::filter_counts(&state.db, auth.0.workspace_id).await?,
    ))
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
    /// Supporting feedback page size.
    #[serde(default)]
    pub supporting_limit: Limit<20, 100>,
    /// Supporting feedback to skip.
    #[serde(default)]
    pub supporting_offset: Offset,
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
    pub theme: InsightView,
    /// The most representative items, spread across customers.
    pub key_quotes: Vec<QuoteOut>,
    /// The theme's other feedback, most similar first (paginated).
    pub supporting_feedback: Vec<QuoteOut>,
    /// Jira issues created from this insight or its PRD (`POST /themes/{id}/push-to-jira`).
    pub jira_issues: Vec<shared::services::jira::push::JiraLink>,
}

fn quote_out((feedback, confidence): (shared::entities::feedback::Model, f32)) -> QuoteOut {
    QuoteOut {
        feedback: feedback.into(),
        confidence,
    }
}

async fn get_theme(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<InsightPath>,
    ValidQuery(q): ValidQuery<DetailQuery>,
) -> Result<Json<ThemeDetailOut>, ApiError> {
    let page = paging::page(q.supporting_limit, q.supporting_offset);
    Ok(Json(
        detail(&state, auth.0.workspace_id, path.insight_id, page).await?,
    ))
}

/// One insight with its evidence and the Jira issues made from it (the HTTP route and the
/// MCP `get_insight` tool).
pub(crate) async fn detail(
    state: &AppState,
    workspace_id: Uuid,
    insight_id: Uuid,
    supporting: shared::services::Page,
) -> Result<ThemeDetailOut, ApiError> {
    let detail = board::detail(&state.db, workspace_id, insight_id, supporting).await?;
    let jira_issues =
        shared::services::jira::push::links(&state.db, workspace_id, insight_id).await?;
    Ok(ThemeDetailOut {
        jira_issues,
        theme: detail.insight,
        key_quotes: detail.key_quotes.into_iter().map(quote_out).collect(),
        supporting_feedback: detail.supporting.into_iter().map(quote_out).collect(),
    })
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// day, week (Monday 00:00 UTC; the default) or month.
    #[serde(default = "default_bucket")]
    pub bucket: Bucket,
    /// How many periods to list, ending with the current one, up to 366 (default 30 days,
    /// 12 weeks, 12 months).
    #[validate(range(min = 1, max = 366))]
    pub periods: Option<u32>,
    /// The number of weeks, as earlier clients ask (`periods` with `bucket=week`).
    #[validate(range(min = 1, max = 104))]
    pub weeks: Option<u32>,
}

fn default_bucket() -> Bucket {
    Bucket::Week
}

async fn get_timeline(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<InsightPath>,
    ValidQuery(q): ValidQuery<TimelineQuery>,
) -> Result<Json<Timeline>, ApiError> {
    let periods = q
        .periods
        .or(q.weeks.filter(|_| q.bucket == Bucket::Week))
        .unwrap_or(q.bucket.default_periods());
    let t = timeline::timeline(
        &state.db,
        auth.0.workspace_id,
        path.insight_id,
        q.bucket,
        periods,
    )
    .await?;
    Ok(Json(t))
}

async fn get_map(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<MapPoint>>, ApiError> {
    Ok(Json(map::theme_map(&state.db, auth.0.workspace_id).await?))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/themes",
            get_with(list_themes, |op| {
                op.summary("List insights")
                    .description(
                        "One insight per theme with its metrics and customers. Sort by priority (default), score, \
                         trend or created_at (ties by id); quick filters enterprise_blockers, high_priority, trending, rising, new_this_week; \
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
            "/themes/map",
            get_with(get_map, |op| {
                op.summary("The theme map")
                    .description(
                        "Every insight with a position on a plane (x, y in -1..1): the first two principal \
                         components of the theme centroids, so insights whose feedback is worded alike sit \
                         close together. Only distances mean something; the same board gives the same map.",
                    )
                    .tag("themes")
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
        .api_route(
            "/themes/{insight_id}/timeline",
            get_with(get_timeline, |op| {
                op.summary("An insight's mentions over time")
                    .description(
                        "Per day, week (Monday 00:00 UTC) or month, ending with the current one: the theme's \
                         feedback items, distinct accounts, their ACV (each account once a period) and mean \
                         sentiment. Periods without mentions are listed with zeros; `earlier_mentions` counts \
                         what falls before the first. `trend` is the board's trend computed now: the same \
                         weekly counts and momentum as `metrics.trend`, and whether the insight is rising.",
                    )
                    .tag("themes")
            }),
        )
}
