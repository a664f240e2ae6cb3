//! What every job kind takes and returns. `job_runs.params` is written from a kind's
//! `Params` and read back as it by the worker; `job_runs.result` is written from its
//! `Output` and read back as it by the API. Nothing else reads either column by key.
//!
//! The shapes are those the rows have always had, so runs queued before an upgrade are
//! still read, and `GET /jobs/{id}` shows the same `params` and `result` as before.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::{
    entities::job_run,
    jobs::kinds,
    services::{
        integrations::{
            drive::DriveSyncStats,
            jira::JiraSyncStats,
            refresh::RefreshReport,
            slack::SlackSyncStats,
            slack_notify::{Alert, AlertReport, DigestReport},
            zoom::ZoomSyncStats,
        },
        jira::ticket_scores::ScoreStats,
        source::{self, Source},
        themes::ClusterSummary,
    },
};

/// One job kind: its name on the queue, what its producer hands it and what it returns.
pub trait JobSpec: 'static {
    const KIND: &'static str;
    /// Its runs store new text (feedback, tickets): after each success the worker asks for
    /// that text to be embedded, so no handler has to remember to.
    const LANDS_TEXT: bool = false;
    type Params: Serialize + DeserializeOwned + Send + Sync;
    type Output: Serialize + DeserializeOwned + Send;
}

/// The JSON stored for a job's params or result.
pub fn to_column<T: Serialize>(value: &T) -> serde_json::Value {
    // Our own plain structs always serialize; Null would only hide a programming error.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// The run's params as its kind declares them.
pub fn params_of<S: JobSpec>(job: &job_run::Model) -> Result<S::Params, String> {
    serde_json::from_value(job.params.clone())
        .map_err(|e| format!("the {} job's params are malformed: {e}", S::KIND))
}

/// The run's result as its kind declares it; `None` until it completed.
pub fn result_of<S: JobSpec>(job: &job_run::Model) -> Option<S::Output> {
    read_result(job)
}

/// A vendor sync's result read without knowing the vendor: its counters as reported.
pub fn vendor_sync_result(job: &job_run::Model) -> Option<VendorSyncOutcome<serde_json::Value>> {
    read_result(job)
}

fn read_result<T: DeserializeOwned>(job: &job_run::Model) -> Option<T> {
    let value = job.result.clone()?;
    match serde_json::from_value(value) {
        Ok(out) => Some(out),
        Err(e) => {
            tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "job result does not match its kind");
            None
        }
    }
}

/// Kinds that take nothing.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct NoParams {}

/// Kinds started by the cluster-wide schedule: the tick that started them (none when a
/// test or an operator starts one by hand).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Tick {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick: Option<u64>,
}

macro_rules! job_specs {
    (@lands text) => {
        true
    };
    (@lands) => {
        false
    };
    ($($(#[$doc:meta])* $name:ident = $kind:expr, $params:ty => $output:ty $(, lands $text:ident)?;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl JobSpec for $name {
                const KIND: &'static str = $kind;
                const LANDS_TEXT: bool = job_specs!(@lands $($text)?);
                type Params = $params;
                type Output = $output;
            }
        )*
    };
}

job_specs! {
    /// Hourly housekeeping.
    Maintenance = kinds::MAINTENANCE, Tick => MaintenanceOutcome;
    /// One uploaded file parsed and stored.
    ProcessFile = kinds::PROCESS_FILE, UploadJob => FileOutcome, lands text;
    /// One uploaded recording transcribed, then stored like a transcript.
    Transcribe = kinds::TRANSCRIBE, UploadJob => FileOutcome, lands text;
    /// The workspace's new feedback and tickets embedded.
    Embed = kinds::EMBED, NoParams => EmbedOutcome;
    /// The built-in demo data of one source loaded.
    DemoLoad = kinds::DEMO_LOAD, DemoLoadParams => DemoLoadOutcome, lands text;
    /// The workspace clustered into themes and insights.
    Cluster = kinds::CLUSTER, NoParams => ClusterOutcome;
    /// Theme scores recomputed after the weights changed.
    ThemeRescore = kinds::THEME_RESCORE, NoParams => ThemeRescoreOutcome;
    /// Jira tickets matched to customer insights and given VOC scores.
    VocScoring = kinds::VOC, VocParams => VocOutcome;
    /// One competitive research session turned into scored insights.
    Research = kinds::COMPETITIVE, ResearchParams => ResearchOutcome;
    /// Zoom cloud-recording transcripts pulled.
    ZoomSync = kinds::SYNC_ZOOM, ZoomSyncParams => VendorSyncOutcome<ZoomSyncStats>, lands text;
    /// The opted-in Slack channels pulled.
    SlackSync = kinds::SYNC_SLACK, NoParams => VendorSyncOutcome<SlackSyncStats>, lands text;
    /// Jira feedback and roadmap issues pulled.
    JiraSync = kinds::SYNC_JIRA, NoParams => VendorSyncOutcome<JiraSyncStats>, lands text;
    /// The chosen Google Drive folders read.
    DriveSync = kinds::SYNC_DRIVE, NoParams => VendorSyncOutcome<DriveSyncStats>, lands text;
    /// The senders of Slack messages pushed by events named.
    SlackNames = kinds::SLACK_NAMES, NoParams => SlackNamesOutcome;
    /// The due syncs of every workspace started.
    SyncSchedule = kinds::SYNC_SCHEDULE, Tick => SyncScheduleOutcome;
    /// OAuth access tokens about to lapse renewed.
    TokenRefresh = kinds::TOKEN_REFRESH, Tick => RefreshReport;
    /// The weekly Slack digests posted.
    SlackDigest = kinds::SLACK_DIGEST, Tick => DigestReport;
    /// One Slack alert about high-priority insights posted.
    SlackAlert = kinds::SLACK_ALERT, Alert => AlertReport;
    /// One outbound webhook delivery sent.
    WebhookDelivery = kinds::WEBHOOK_DELIVERY, DeliveryParams => DeliveryOutcome;
}

/// The webhook delivery to send.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryParams {
    pub delivery_id: Uuid,
}

/// How the delivery ended (`delivered`, or why it was given up).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryOutcome {
    pub delivery_id: Uuid,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the hourly housekeeping deleted.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct MaintenanceReport {
    pub refresh_tokens_deleted: u64,
    pub job_runs_deleted: u64,
    pub uploads_deleted: u64,
    pub worker_heartbeats_deleted: u64,
    /// Handled Slack event ids past Slack's retry horizon.
    pub slack_events_deleted: u64,
    /// Console sessions that ended a day ago or more.
    pub browser_sessions_deleted: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaintenanceOutcome {
    #[serde(flatten)]
    pub pruned: MaintenanceReport,
    pub queue_entries_vacuumed: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadJob {
    pub upload_id: Uuid,
    pub filename: String,
}

/// A stored file: what it added, or (for a redelivered job) what it added the first time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileOutcome {
    pub upload_id: Uuid,
    pub filename: String,
    pub items: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<u64>,
    pub skipped: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbedOutcome {
    pub model: String,
    pub embedded: usize,
    pub tickets_embedded: usize,
    /// The new tickets' scoring, when there were any.
    pub tickets_scored: Option<ScoreStats>,
    pub attached_to_themes: usize,
    pub batches: usize,
    pub seconds: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DemoLoadParams {
    #[serde(with = "source::by_demo_name")]
    pub source: Source,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoLoadOutcome {
    #[serde(with = "source::by_demo_name")]
    pub source: Source,
    /// Always "demo" (the field older clients read).
    pub mode: String,
    pub count: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterOutcome {
    #[serde(flatten)]
    pub summary: ClusterSummary,
    pub embedded_before_clustering: usize,
    /// The ticket re-score queued because the themes changed (none without tickets).
    pub voc_rescore_job: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThemeRescoreOutcome {
    pub themes_rescored: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VocParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity_threshold: Option<f64>,
    /// Why it was queued when not asked for (e.g. "after clustering").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VocOutcome {
    pub message: String,
    pub stats: ScoreStats,
    pub seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ResearchParams {
    pub session_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResearchOutcome {
    pub session_id: Uuid,
    pub status: String,
    pub insights: usize,
    pub cards_dropped: i32,
    pub generated_by: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ZoomSyncParams {
    /// Days of recordings to read (30 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_back: Option<u32>,
}

/// What a vendor sync did, with the vendor's own counters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VendorSyncOutcome<S> {
    pub message: String,
    pub stats: S,
}

/// The counters every vendor's sync reports.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct FeedbackCounts {
    #[serde(default)]
    pub feedback_created: usize,
    #[serde(default)]
    pub feedback_updated: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlackNamesOutcome {
    pub named: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncScheduleOutcome {
    pub due: usize,
    pub started: usize,
    pub already_running: usize,
}
