//! Zoom cloud recordings: `GET /users/me/recordings` in 30-day windows (Zoom's limit) with
//! `next_page_token`, each meeting's VTT transcript downloaded with the access token and cut
//! into 90-second chunks with speakers; the meeting topic names the account. Each meeting's
//! chunks are stored in one transaction, upserted by `<meeting uuid>_chunk_<n>`, so a re-run
//! stores nothing twice. The cursor moves after each window read through; a meeting Zoom
//! refuses alone (403, 404, too large, a download off Zoom's hosts) is recorded and skipped;
//! a run stops at its page and time budget and the next one continues (status `partial`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{
    OAuthProvider,
    crypto::TokenCipher,
    meeting_transcript::{Transcript, account_from_topic},
    vendor::{self, Session, SyncError},
};
use crate::{
    ai::{AiServices, runs::RunContext},
    config::{IngestSettings, IntegrationsSettings},
    db::statement as raw,
    ingest::transcript,
    services::{
        feedback::{self, IngestReport},
        workspaces,
    },
};

/// Zoom lists at most 30 days of recordings per request.
const WINDOW_DAYS: i64 = 30;
const PAGE_SIZE: u32 = 300;

#[derive(Debug, Deserialize)]
struct RecordingsPage {
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    meetings: Vec<Meeting>,
}

#[derive(Debug, Deserialize)]
struct Meeting {
    uuid: String,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    topic: String,
    start_time: DateTime<Utc>,
    #[serde(default)]
    share_url: Option<String>,
    #[serde(default)]
    recording_files: Vec<RecordingFile>,
}

#[derive(Debug, Deserialize)]
struct RecordingFile {
    #[serde(default)]
    file_type: String,
    #[serde(default)]
    download_url: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

impl RecordingFile {
    fn ready(&self) -> bool {
        self.status.as_deref().is_none_or(|s| s == "completed") && self.download_url.is_some()
    }
}

/// What a sync did, under the seed's names and the original web UI's.
#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct ZoomSyncStats {
    pub recordings_fetched: usize,
    pub transcripts_processed: usize,
    pub feedback_items_created: usize,
    pub feedback_items_updated: usize,
    /// Meetings recorded without a transcript whose audio was transcribed by the
    /// `transcriber` agent.
    pub recordings_transcribed: usize,
    /// Meetings without a transcript left as they are: no transcriber is configured, the
    /// audio is larger than `ingest.max_file_bytes`, or the provider refused it.
    pub recordings_without_transcript: usize,
    pub recordings_found: usize,
    pub transcripts_found: usize,
    pub feedback_created: usize,
    pub feedback_updated: usize,
    /// Meetings whose transcript or recording Zoom refused (also in `GET /integrations`).
    pub meetings_skipped: Vec<SkippedMeeting>,
    /// The run spent its budget (integrations.max_sync_pages / max_sync_secs) with windows
    /// left: it continues at the next schedule tick.
    pub partial: bool,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SkippedMeeting {
    pub meeting: String,
    pub topic: String,
    pub error: String,
}

/// Where this sync starts: where a run that stopped partway left off, else `days_back` ago
/// or the day before the newest meeting already synced, whichever is later (transcripts
/// can appear hours after a meeting).
async fn start_day(
    db: &impl ConnectionTrait,
    connection_id: Uuid,
    today: NaiveDate,
    days_back: u32,
) -> Result<NaiveDate, SyncError> {
    let from = today - Duration::days(i64::from(days_back));
    let row = db
        .query_one_raw(raw(
            "SELECT sync_cursor->>'newest_meeting' AS newest, sync_cursor->>'resume_from' AS resume \
             FROM integration_connections WHERE id = $1",
            vec![connection_id.into()],
        ))
        .await?;
    let text = |column: &str| {
        row.as_ref()
            .and_then(|r| r.try_get::<Option<String>>("", column).ok().flatten())
    };
    if let Some(resume) = text("resume").and_then(|s| s.parse::<NaiveDate>().ok()) {
        return Ok(resume.min(today));
    }
    let newest = text("newest")
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&Utc).date_naive() - Duration::days(1));
    Ok(newest.map_or(from, |n| n.max(from)))
}

/// `ai` transcribes meetings recorded without a transcript, when its `transcriber` agent
/// has a provider; `run` is who the transcriptions are logged for.
pub async fn sync(
    db: &(impl ConnectionTrait + TransactionTrait),
    (settings, ingest): (&IntegrationsSettings, &IngestSettings),
    cipher: &TokenCipher,
    ai: &AiServices,
    run_ctx: &RunContext,
    workspace_id: Uuid,
    days_back: u32,
) -> Result<ZoomSyncStats, SyncError> {
    let mut session =
        Session::open(db, settings, cipher, workspace_id, OAuthProvider::Zoom).await?;
    let connection = session.connection_id;
    let transcriber = Transcriber { ai, run: run_ctx };
    let outcome = run(
        db,
        (settings, ingest),
        &mut session,
        &transcriber,
        workspace_id,
        days_back,
    )
    .await;
    // The cursor moved with each window read through.
    let partial = outcome.as_ref().is_ok_and(|s| s.partial);
    vendor::record_run(db, connection, outcome.as_ref().map(|_| None), partial).await?;
    outcome
}

/// Turns audio-only recordings into transcripts.
struct Transcriber<'a> {
    ai: &'a AiServices,
    run: &'a RunContext,
}

impl Transcriber<'_> {
    fn available(&self) -> bool {
        crate::ai::chat::configured(&self.ai.config, "transcriber").is_some()
    }

    /// The audio's transcript as VTT; None when it cannot be had (logged).
    async fn transcribe(
        &self,
        meeting: &Meeting,
        audio: &RecordingFile,
        bytes: Vec<u8>,
    ) -> Result<Option<String>, SyncError> {
        let name = format!("{}.{}", meeting.uuid, audio.file_type.to_ascii_lowercase());
        match crate::ai::transcribe::transcribe(self.ai, self.run, &name, bytes).await {
            Ok(cues) => Ok(Some(transcript::to_vtt(&cues))),
            Err(crate::ai::AiError::Transient(m)) => Err(SyncError::Unavailable(m)),
            Err(crate::ai::AiError::Permanent(m)) => {
                tracing::warn!(meeting = ?meeting.id, error = %m, "the transcriber refused a Zoom recording");
                Ok(None)
            }
        }
    }
}

async fn run<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    (settings, ingest): (&IntegrationsSettings, &IngestSettings),
    session: &mut Session<'_, C>,
    transcriber: &Transcriber<'_>,
    workspace_id: Uuid,
    days_back: u32,
) -> Result<ZoomSyncStats, SyncError> {
    let workspace = workspaces::get(db, workspace_id).await?;
    let base = settings.zoom.api_base_url.trim_end_matches('/').to_owned();
    let hosts = DownloadHosts::new(&base);
    let today = Utc::now().date_naive();
    let mut from = start_day(db, session.connection_id, today, days_back).await?;
    let mut stats = ZoomSyncStats::default();
    let mut newest: Option<DateTime<Utc>> = None;
    let mut budget = vendor::RunBudget::new(settings);
    'windows: while from <= today {
        let to = (from + Duration::days(WINDOW_DAYS - 1)).min(today);
        let mut token: Option<String> = None;
        loop {
            if !budget.take_page() {
                // This window is read again from its start next time (stored meetings are
                // upserted, so nothing is stored twice).
                break 'windows;
            }
            let mut url =
                format!("{base}/users/me/recordings?from={from}&to={to}&page_size={PAGE_SIZE}");
            if let Some(t) = token.as_deref().filter(|t| !t.is_empty()) {
                url.push_str(&format!("&next_page_token={}", urlencode(t)));
            }
            let page: RecordingsPage = vendor::read_json("Zoom", session.get(&url).await?).await?;
            for meeting in &page.meetings {
                stats.recordings_fetched += 1;
                newest = newest.max(Some(meeting.start_time));
                let stored = Meeting::store(
                    meeting,
                    MeetingStore {
                        db,
                        transcriber,
                        workspace: &workspace,
                        hosts: &hosts,
                        max_bytes: ingest.max_file_bytes,
                    },
                    session,
                    &mut stats,
                )
                .await?;
                stats.feedback_items_created += stored.created;
                stats.feedback_items_updated += stored.updated;
            }
            token = page.next_page_token.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
        // The window is read through: a run that fails or stops partway after it continues
        // with the next window; a run that reaches today starts from the newest meeting.
        let next = to + Duration::days(1);
        vendor::update_cursor(db, session.connection_id, |c| {
            if let Some(n) = newest {
                let newer = c
                    .get("newest_meeting")
                    .and_then(|v| v.as_str())
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .is_none_or(|stored| stored.with_timezone(&Utc) < n);
                if newer {
                    c.insert("newest_meeting".into(), json!(n));
                }
            }
            if next > today {
                c.remove("resume_from");
            } else {
                c.insert("resume_from".into(), json!(next.to_string()));
            }
        })
        .await?;
        from = next;
    }
    stats.partial = budget.exhausted;
    stats.recordings_found = stats.recordings_fetched;
    stats.transcripts_found = stats.transcripts_processed;
    stats.feedback_created = stats.feedback_items_created;
    stats.feedback_updated = stats.feedback_items_updated;
    Ok(stats)
}

/// The hosts a recording's download URL may name to receive the access token: Zoom's own
/// (and the configured API host, which is Zoom's in production and a stand-in in tests).
struct DownloadHosts {
    api_host: Option<String>,
}

impl DownloadHosts {
    fn new(api_base: &str) -> Self {
        Self {
            api_host: url::Url::parse(api_base)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned)),
        }
    }

    fn allows(&self, download_url: &str) -> bool {
        let Ok(url) = url::Url::parse(download_url) else {
            return false;
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        let zoom = ["zoom.us", "zoomgov.com"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")));
        let https_zoom = zoom && url.scheme() == "https";
        https_zoom || self.api_host.as_deref() == Some(host)
    }
}

/// What storing a meeting needs besides the session.
struct MeetingStore<'a, C> {
    db: &'a C,
    transcriber: &'a Transcriber<'a>,
    workspace: &'a crate::entities::workspace::Model,
    hosts: &'a DownloadHosts,
    max_bytes: usize,
}

impl Meeting {
    /// Stores the meeting's transcript chunks in one transaction. A transcript or recording
    /// Zoom refuses for this meeting alone (403, 404, too large, a download URL off Zoom's
    /// hosts) is recorded against the meeting and skipped; the sync goes on.
    async fn store<C: ConnectionTrait + TransactionTrait>(
        &self,
        with: MeetingStore<'_, C>,
        session: &mut Session<'_, C>,
        stats: &mut ZoomSyncStats,
    ) -> Result<IngestReport, SyncError> {
        match self.read(&with, session, stats).await {
            Ok(report) => Ok(report),
            Err(SyncError::Refused(reason)) => {
                tracing::warn!(meeting = %self.uuid, %reason, "a Zoom meeting could not be read; skipped");
                vendor::update_cursor(with.db, session.connection_id, |c| {
                    vendor::set_item_error(c, &self.uuid, Some(&reason));
                })
                .await?;
                stats.meetings_skipped.push(SkippedMeeting {
                    meeting: self.uuid.clone(),
                    topic: self.topic.clone(),
                    error: reason,
                });
                Ok(IngestReport::default())
            }
            Err(e) => Err(e),
        }
    }

    /// A download of this meeting's, with the token only where Zoom serves it.
    async fn download<C: ConnectionTrait + TransactionTrait>(
        &self,
        with: &MeetingStore<'_, C>,
        session: &mut Session<'_, C>,
        file: &RecordingFile,
    ) -> Result<Vec<u8>, SyncError> {
        let url = file.download_url.as_deref().unwrap_or_default();
        if !with.hosts.allows(url) {
            return Err(SyncError::Refused(format!(
                "the {} download is not on a Zoom host; it was not fetched",
                file.file_type
            )));
        }
        vendor::read_capped("Zoom", session.get(url).await?, with.max_bytes).await
    }

    async fn read<C: ConnectionTrait + TransactionTrait>(
        &self,
        with: &MeetingStore<'_, C>,
        session: &mut Session<'_, C>,
        stats: &mut ZoomSyncStats,
    ) -> Result<IngestReport, SyncError> {
        let transcript_file = self
            .recording_files
            .iter()
            .find(|f| f.file_type.eq_ignore_ascii_case("TRANSCRIPT") && f.ready());
        let vtt = match transcript_file {
            Some(file) => {
                String::from_utf8_lossy(&self.download(with, session, file).await?).into_owned()
            }
            None => {
                // The audio alone: M4A (audio_only) preferred, else the MP4.
                let audio = ["M4A", "MP4"].iter().find_map(|kind| {
                    self.recording_files
                        .iter()
                        .find(|f| f.file_type.eq_ignore_ascii_case(kind) && f.ready())
                });
                let Some(audio) = audio else {
                    return Ok(IngestReport::default());
                };
                let vtt = if with.transcriber.available() {
                    let bytes = self.download(with, session, audio).await?;
                    with.transcriber.transcribe(self, audio, bytes).await?
                } else {
                    None
                };
                match vtt {
                    Some(vtt) => {
                        stats.recordings_transcribed += 1;
                        vtt
                    }
                    None => {
                        stats.recordings_without_transcript += 1;
                        return Ok(IngestReport::default());
                    }
                }
            }
        };
        let items = Transcript {
            meeting_id: &self.uuid,
            topic: &self.topic,
            account: account_from_topic(&self.topic),
            started: self.start_time,
            doc_url: self.share_url.clone(),
            vtt: &vtt,
        }
        .items();
        let items = match items {
            Ok(items) if !items.is_empty() => items,
            Ok(_) => return Ok(IngestReport::default()),
            Err(e) => {
                tracing::warn!(meeting = ?self.id, error = %e, "a Zoom transcript could not be read; skipped");
                return Ok(IngestReport::default());
            }
        };
        if transcript_file.is_some() {
            stats.transcripts_processed += 1;
        }
        let txn = with.db.begin().await?;
        let report = feedback::ingest(&txn, with.workspace, items).await?;
        vendor::update_cursor(&txn, session.connection_id, |c| {
            vendor::set_item_error(c, &self.uuid, None);
        })
        .await?;
        txn.commit().await?;
        Ok(report)
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
