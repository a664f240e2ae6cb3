//! Job plumbing shared by the API (which enqueues) and the worker (which runs).
//! `job_runs` in Postgres is the record; Redis (apalis) only carries `JobMessage`s.

mod cancel;
mod queue;
pub mod wake;

pub use cancel::{CancelFlag, Cancelled};

pub use queue::{JobMessage, JobQueue, apalis_config, new_task_id};

/// Job kinds the product itself defines. Test harnesses register more kinds of their own.
pub mod kinds {
    /// Deletes expired refresh tokens, prunes old job runs, vacuums apalis data. Hourly.
    pub const MAINTENANCE: &str = "maintenance";
    /// Parses one uploaded file and stores its feedback.
    pub const PROCESS_FILE: &str = "process_file";
    /// Transcribes an uploaded recording, then stores it like a transcript.
    pub const TRANSCRIBE: &str = "transcribe";
    /// Embeds a workspace's feedback that has no vector from the current model.
    pub const EMBED: &str = "embed";
    /// Loads one source's demo data set. (Stored as `sync`, its name before the vendor pulls
    /// existed; those are `sync:<vendor>`.)
    pub const DEMO_LOAD: &str = "sync";
    /// Clusters a workspace's feedback into themes and writes insights (one at a time).
    pub const CLUSTER: &str = "cluster";
    /// Re-scores themes after the scoring weights change (Jira tickets are scored by `VOC`).
    pub const THEME_RESCORE: &str = "rescore";
    /// Matches a workspace's Jira tickets to its customer insights and scores them (one at
    /// a time; also queued after every clustering run).
    pub const VOC: &str = "voc";
    /// Turns a research session's competitor moves into scored competitive insights.
    pub const COMPETITIVE: &str = "competitive";
    /// Pulls a workspace's Zoom cloud-recording transcripts (one at a time per workspace).
    pub const SYNC_ZOOM: &str = "sync:zoom";
    /// Pulls a workspace's opted-in Slack channels (one at a time per workspace).
    pub const SYNC_SLACK: &str = "sync:slack";
    /// Pulls a workspace's Jira feedback and roadmap issues (one at a time per workspace).
    pub const SYNC_JIRA: &str = "sync:jira";
    /// Names the people behind Slack messages pushed by events (stored with their user id
    /// so the webhook answers within Slack's 3 s), through users.info.
    pub const SLACK_NAMES: &str = "slack:names";
    /// Reads a workspace's configured Google Drive folders (one at a time per workspace);
    /// the job of `Source::Google`.
    pub const SYNC_DRIVE: &str = "sync:gdrive";
    /// Starts the syncs of every workspace's connected sources that are due. Every 5 minutes.
    pub const SYNC_SCHEDULE: &str = "sync_schedule";
    /// Renews OAuth access tokens about to lapse, across workspaces. Every 10 minutes.
    pub const TOKEN_REFRESH: &str = "token_refresh";
    /// Posts the weekly Slack digest of every workspace that wants one (once a week each).
    pub const SLACK_DIGEST: &str = "slack_digest";
    /// Posts one Slack alert about high-priority insights (retried with backoff while
    /// Slack is unreachable or rate limiting).
    pub const SLACK_ALERT: &str = "slack_alert";
    /// Sends one outbound webhook delivery (retried with backoff up to
    /// `webhooks.max_attempts`).
    pub const WEBHOOK_DELIVERY: &str = "webhook_delivery";

    /// Every kind the system runs: the worker registers a handler for each (a test holds
    /// them equal), and the API reports queue metrics for each without knowing the worker.
    pub const ALL: &[&str] = &[
        MAINTENANCE,
        PROCESS_FILE,
        TRANSCRIBE,
        EMBED,
        DEMO_LOAD,
        CLUSTER,
        THEME_RESCORE,
        VOC,
        COMPETITIVE,
        SYNC_ZOOM,
        SYNC_SLACK,
        SYNC_JIRA,
        SLACK_NAMES,
        SYNC_DRIVE,
        SYNC_SCHEDULE,
        TOKEN_REFRESH,
        WEBHOOK_DELIVERY,
        SLACK_DIGEST,
        SLACK_ALERT,
    ];
}

/// Status values of `job_runs.status`.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const COMPLETED: &str = "completed";
    pub const FAILED: &str = "failed";
    pub const CANCELLED: &str = "cancelled";
    pub const ALL: &[&str] = &[QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED];
}
