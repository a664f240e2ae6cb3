//! Layered settings: `config/default.yaml` → `config/{PRODUCK_ENV}.yaml` → `PRODUCK__SECTION__KEY`
//! environment variables, plus the conventional `DATABASE_URL`, `REDIS_URL` and `PORT`.

use std::{
    collections::BTreeMap,
    net::IpAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use figment::{
    Figment,
    providers::{Format, Serialized},
};
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_saphyr::figment::Yaml;

/// Every setting of the system. Field names mirror the keys of `config/default.yaml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `development`, `test` or `production`: set by `PRODUCK_ENV`, which also picks
    /// `config/{PRODUCK_ENV}.yaml`.
    /// Production refuses committed secrets and the lexical embedding fallback.
    pub environment: String,
    /// The HTTP listener.
    pub server: ServerSettings,
    /// PostgreSQL, where everything that matters is kept.
    pub database: DatabaseSettings,
    /// Redis: job queues, wake-ups and rate-limit windows (nothing that is not re-created).
    pub redis: RedisSettings,
    /// Sign-in, tokens, sessions and the first workspace.
    pub auth: AuthSettings,
    /// Background jobs: attempts, backoff, time limits and concurrency.
    pub jobs: JobSettings,
    /// The worker process: polling, heartbeats, shutdown and schedules.
    pub worker: WorkerSettings,
    /// Logs.
    pub telemetry: TelemetrySettings,
    /// AI providers and budgets (the providers themselves are declared in `ai_config.yaml`).
    pub ai: AiSettings,
    /// Uploads, pushes and the parser process.
    pub ingest: IngestSettings,
    /// How feedback is grouped into themes.
    pub clustering: ClusteringSettings,
    /// Matching Jira tickets to customer insights.
    pub jira: JiraSettings,
    /// The copilot's limits.
    pub chat: ChatSettings,
    /// Competitive intelligence.
    pub competitive: CompetitiveSettings,
    /// Connected accounts (Google, Zoom, Slack, Jira) and their syncs.
    pub integrations: IntegrationsSettings,
    /// Who may read `/metrics`.
    pub metrics: MetricsSettings,
    /// Requests per minute per caller (API key or session; the client address when
    /// unauthenticated), shared by every API replica. Past a limit: 429 with `Retry-After`. 0
    /// turns a class off.
    pub rate_limits: RateLimitSettings,
}

/// Requests per minute per caller (API key or session; the client address when
/// unauthenticated), by class. 0 turns a class off.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// GET and HEAD requests.
    pub reads_per_minute: u32,
    /// POST, PUT, PATCH and DELETE, other than uploads and chat.
    pub writes_per_minute: u32,
    /// File uploads and imports (`/upload/*`, `/jira/tickets/import`).
    pub uploads_per_minute: u32,
    /// Changes under `/chat` (questions also count against `chat.questions_per_minute`).
    pub chat_per_minute: u32,
}

/// Who may read `/metrics` (the API's and the worker's listener alike).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token a scraper sends; without one, only loopback clients are answered.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub token: Option<SecretString>,
}

/// Connections to Google, Zoom and the other sources. Every vendor URL can be overridden so
/// tests (and proxies) can stand in for the vendor.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationsSettings {
    /// Where the browser goes back to after connecting; `server.web_ui_base_url` when unset.
    pub web_ui_url: Option<String>,
    /// The API's address as browsers and providers reach it; OAuth redirect URIs default to
    /// `<public_url>/auth/<provider>/callback`.
    pub public_url: String,
    /// Keys (id → base64 of 32 bytes) that encrypt stored tokens; old ones stay for
    /// decryption until `produck-api rotate-keys` has re-encrypted everything.
    #[schemars(with = "BTreeMap<String, String>", extend("x-secret" = true))]
    pub token_keys: BTreeMap<String, SecretString>,
    /// The id in `token_keys` new tokens are encrypted with.
    pub current_token_key: Option<String>,
    /// How long an OAuth flow may take from start to callback (seconds).
    pub state_ttl_secs: u64,
    /// Each connected source syncs this often (seconds); one whose last success is older than
    /// three intervals is reported `stale`.
    pub sync_interval_secs: u64,
    /// One sync run reads at most this many listing pages, and starts no new page after
    /// this many seconds; the rest continues in the next run (status `partial`), so a
    /// first sync larger than a job's time limit still completes.
    pub max_sync_pages: usize,
    /// A sync run starts no new page after this many seconds (see `max_sync_pages`).
    pub max_sync_secs: u64,
    /// Google Drive and Docs (an OAuth client of type "Web application").
    pub google: OAuthProviderSettings,
    /// Zoom cloud recordings (a "General app" with user-managed OAuth).
    pub zoom: OAuthProviderSettings,
    /// Slack events and history.
    pub slack: SlackSettings,
    /// Jira sites.
    pub jira: JiraSiteSettings,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraSiteSettings {
    /// Hosts a Jira site URL may name although they are not public https addresses (a
    /// self-hosted Jira on the private network; tests). Everything else must be https and
    /// resolve to public addresses only.
    pub allowed_hosts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// The Slack app's signing secret; pushed events are refused without it.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub signing_secret: Option<SecretString>,
    /// Slack's Web API (overridable for tests and proxies).
    pub api_base_url: String,
}

impl IntegrationsSettings {
    /// Where a browser lands after connecting an account: `integrations.web_ui_url` when set
    /// (e.g. the original web UI), else this API's own console.
    pub fn web_ui_url(&self) -> String {
        match self.web_ui_url.as_deref() {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("{}/app", self.public_url.trim_end_matches('/')),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthProviderSettings {
    /// The OAuth client id registered with the vendor.
    pub client_id: Option<String>,
    /// The OAuth client secret.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub client_secret: Option<SecretString>,
    /// Exactly as registered with the provider; `<public_url>/auth/<provider>/callback` when
    /// unset.
    pub redirect_uri: Option<String>,
    /// The vendor's authorization endpoint.
    pub auth_url: String,
    /// The vendor's token endpoint.
    pub token_url: String,
    /// The vendor's token revocation endpoint (called on disconnect).
    pub revoke_url: String,
    /// Where the account's email is read (Google's userinfo, Zoom's REST API).
    pub api_base_url: String,
    /// Scopes requested when connecting.
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetitiveSettings {
    /// Cosine similarity at which a competitor's move counts as something our customers already
    /// ask for.
    pub evidence_threshold: f32,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// Messages (questions and answers) one conversation may hold; then start a new one.
    pub max_messages_per_conversation: usize,
    /// Active (not archived) conversations per caller.
    pub max_active_conversations: usize,
    /// Copilot questions per caller per minute, across API replicas.
    pub questions_per_minute: u32,
    /// The older name of `ai.daily_token_budget`; when set it wins.
    #[serde(default)]
    pub daily_token_budget: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraSettings {
    /// Cosine similarity at which a ticket matches a customer insight (overridable per VOC
    /// run).
    pub similarity_threshold: f32,
    /// Proposed matches kept per ticket (confirmed matches come on top).
    pub max_matches_per_ticket: usize,
    /// Largest ticket import (JSON array or Jira CSV export), in tickets.
    pub max_import_rows: usize,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusteringSettings {
    /// PCA dimensions before HDBSCAN (2 to 50). Defaults are tuned on Banking77 (`cargo bench
    /// -p shared --bench cluster_quality`).
    pub dims: usize,
    /// HDBSCAN's smallest theme; grows to items/800 in large workspaces so the theme count
    /// follows the topics.
    pub min_cluster_size: usize,
    /// HDBSCAN's `min_samples` (how conservative the density estimate is).
    pub min_samples: usize,
    /// Cosine similarity above which an unclustered item joins its nearest theme.
    pub attach_threshold: f32,
    /// Above this many items an evenly spread sample is clustered and the rest join their
    /// nearest theme.
    pub max_items_clustered: usize,
    /// Clusters whose centroids are at least this similar (cosine) become one theme; 1.0 never
    /// merges.
    pub merge_threshold: f32,
}

impl ClusteringSettings {
    pub fn params(&self) -> crate::cluster::ClusterParams {
        crate::cluster::ClusterParams {
            dims: self.dims,
            min_cluster_size: self.min_cluster_size,
            min_samples: self.min_samples,
            attach_threshold: self.attach_threshold,
            max_clustered: self.max_items_clustered,
            merge_threshold: self.merge_threshold,
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    /// Files one upload request may carry.
    pub max_files_per_upload: usize,
    /// Largest single uploaded file, in bytes (413 while it streams in).
    pub max_file_bytes: usize,
    /// Largest whole upload request, all files together, in bytes.
    pub max_upload_bytes: usize,
    /// Time limit of one upload request, streaming included (seconds); must exceed
    /// `jobs.sync_wait_secs` by 5.
    pub upload_timeout_secs: u64,
    /// Feedback items one file may hold; a larger file fails with a clear message.
    pub max_items_per_file: usize,
    /// Bytes a PDF's compressed streams may inflate to before the file is refused.
    pub max_pdf_inflated_bytes: usize,
    /// Keep uploaded files in the database after processing.
    pub keep_uploaded_files: bool,
    /// Feedback items embedded per model call (1 to 1 024).
    pub embed_batch_size: usize,
    /// Items one `POST /feedback` may push.
    pub max_push_items: usize,
    /// The child process that parses untrusted files: its address-space limit, CPU time,
    /// wall-clock deadline, and (optionally) which executable to run in parse mode.
    pub parser_memory_mb: u64,
    /// CPU time the parser child may use per file (seconds).
    pub parser_cpu_secs: u64,
    /// Wall-clock deadline of the parser child per file (seconds).
    pub parser_timeout_secs: u64,
    /// The executable run in parse mode; unset: the running binary, or a `produck-worker`
    /// beside it.
    #[serde(default)]
    pub parser_binary: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address the API binds (`0.0.0.0` in production). `auth.disabled` is refused unless this
    /// is a loopback address.
    pub host: IpAddr,
    /// TCP port of the API (`PORT` also sets it).
    pub port: u16,
    /// Browser origins of other web UIs allowed to call the API with credentials (never `*`);
    /// the built-in console needs none. From the environment as a JSON list.
    pub cors_origins: Vec<String>,
    /// Requests running longer answer 503 (seconds; uploads have their own limit).
    pub request_timeout_secs: u64,
    /// Largest JSON request body, in bytes (uploads set their own limits).
    pub body_limit_bytes: usize,
    /// Where the web UI lives; documents link to its insight pages.
    pub web_ui_base_url: String,
    /// The header a trusted reverse proxy sets to the client's address (`x-real-ip`,
    /// `x-forwarded-for`); without one the TCP peer is the client.
    #[serde(default)]
    pub client_ip_header: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// PostgreSQL connection URL (`DATABASE_URL` also sets it). For a database on another host
    /// add `?sslmode=require` (or `verify-full`).
    #[schemars(with = "String", extend("x-secret" = true))]
    pub url: SecretString,
    /// Connection pool size per process.
    pub max_connections: u32,
    /// Connections kept open per process when idle.
    pub min_connections: u32,
    /// Give up connecting (and report the database down) after this many seconds.
    pub connect_timeout_secs: u64,
    /// PostgreSQL cancels any single statement running longer (seconds), so no request or job
    /// holds a connection for minutes.
    pub statement_timeout_secs: u64,
    /// Create the database named in `url` when it does not exist (development convenience).
    pub create_if_missing: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// Redis URL (`REDIS_URL` also sets it).
    #[schemars(with = "String", extend("x-secret" = true))]
    pub url: SecretString,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Every request acts as the default workspace's admin, without credentials (for the
    /// original web UI on a single-user machine). Refused unless `server.host` is a loopback
    /// address.
    pub disabled: bool,
    /// HMAC key of access tokens, 32+ characters (`openssl rand -hex 32`). Required unless
    /// `auth.disabled`.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub jwt_secret: Option<SecretString>,
    /// Lifetime of an access token (seconds, 60 to 86 400).
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token (seconds); each use rotates it.
    pub refresh_token_ttl_secs: u64,
    /// Lifetime of a console sign-in (the HttpOnly session cookie), from sign-in (seconds).
    pub session_ttl_secs: u64,
    /// When set, an admin API key with exactly this value is ensured in the default workspace
    /// at every start (16+ characters), for scripts and CI.
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub bootstrap_api_key: Option<SecretString>,
    /// Name of the workspace created at first start, where the first admin and `auth.disabled`
    /// act.
    pub default_workspace: String,
    /// Failed sign-ins allowed per account and client address (and per address) within the
    /// window before 429.
    pub login_max_failures: u32,
    /// The window of `login_max_failures` (seconds).
    pub login_window_secs: u64,
    /// Password hashes computed at once per process (each ~50 ms of a core); more sign-ins wait
    /// their turn.
    pub max_concurrent_hashes: usize,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Namespace of every Redis key of the job queues (letters, digits, `-`, `_`).
    pub queue_prefix: String,
    /// Attempts per job before it fails (transient errors only; at most 25).
    pub max_attempts: u32,
    /// Backoff between attempts: `backoff_base_ms * 2^(attempt-1)`, capped at
    /// `backoff_max_secs`.
    pub backoff_base_ms: u64,
    /// Upper bound of the backoff (seconds).
    pub backoff_max_secs: u64,
    /// Time limit of one attempt (seconds), unless the kind sets its own.
    pub default_timeout_secs: u64,
    /// Jobs of one kind run at once per worker process, unless the kind sets its own.
    pub default_concurrency: usize,
    /// Per job kind (`embed`, `cluster`, `upload`, `sync`, `maintenance`, ...): `timeout_secs`,
    /// `concurrency`, `max_attempts`.
    pub kinds: BTreeMap<String, JobKindSettings>,
    /// A queued job whose queue entry is gone (lost enqueue, Redis restarted) is enqueued again
    /// once it has waited this long (seconds).
    pub queued_timeout_secs: u64,
    /// A queued job fails only when no worker consuming its kind has been alive for this long
    /// (seconds); a backlog or a short outage never fails jobs.
    pub no_worker_timeout_secs: u64,
    /// A running job's lease, renewed by its worker; a dead worker's job is retried once it
    /// lapses (seconds).
    pub lease_secs: u64,
    /// Finished job runs, upload records and old heartbeats are deleted after this many days.
    pub retention_days: u32,
    /// How long endpoints that answer synchronously wait for their job before answering 202
    /// (seconds).
    pub sync_wait_secs: u64,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobKindSettings {
    /// Time limit of one attempt of this kind (seconds).
    pub timeout_secs: Option<u64>,
    /// Jobs of this kind at once per worker process.
    pub concurrency: Option<usize>,
    /// Attempts of this kind before it fails.
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// Safety poll for work a wake-up message missed (milliseconds); idle workers are otherwise
    /// woken on enqueue.
    pub poll_interval_ms: u64,
    /// Heartbeat interval; a worker silent for `heartbeat_secs * missed_heartbeats` is dead and
    /// its tasks are handed to others.
    pub heartbeat_secs: u64,
    /// Heartbeats a worker may miss before it counts as dead.
    pub missed_heartbeats: usize,
    /// On SIGTERM or ctrl-c: stop fetching, let in-flight jobs finish within this many seconds.
    pub shutdown_grace_secs: u64,
    /// How often each worker looks for lost jobs (stuck queued, or with a lapsed lease), in
    /// seconds.
    pub sweep_interval_secs: u64,
    /// Cron expression (seconds first) of the maintenance job; fires once per tick cluster-
    /// wide.
    pub maintenance_schedule: String,
    /// Cron expression of the OAuth token refresh (tokens lapsing within 30 minutes are
    /// renewed).
    pub token_refresh_schedule: String,
    /// Cron expression of the check that starts the syncs that are due
    /// (`integrations.sync_interval_secs`).
    pub sync_schedule: String,
    /// Finished queue data older than this is removed from Redis (seconds).
    pub apalis_retention_secs: u64,
    /// Address of the worker's own `/metrics` and `/healthz` listener; none when unset.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `pretty` (for people) or `json` (one object per line, for log shippers).
    pub format: LogFormat,
    /// tracing filter directives; `RUST_LOG` overrides it.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AiSettings {
    /// The `ai_config.yaml` that declares providers, the embedder and the agents; relative
    /// paths inside it are relative to its folder.
    pub config_path: PathBuf,
    /// LLM tokens a workspace may spend per UTC day, every agent together (0: no budget).
    pub daily_token_budget: u64,
    /// LLM tokens one member (or API key) may spend per UTC day (0: no budget).
    pub member_daily_token_budget: u64,
    /// An OpenAI-compatible endpoint (`https://api.openai.com/v1`, Ollama's
    /// `http://ollama:11434/v1`) every writing agent uses instead of what `ai_config.yaml`
    /// names: insights, labels, PRDs, the copilot, competitive analysis (not transcription).
    #[serde(default)]
    pub llm_base_url: Option<String>,
    /// The model those agents ask `llm_base_url` for (`gpt-4o-mini`, `llama3.2`); unset keeps
    /// each agent's model from `ai_config.yaml`.
    #[serde(default)]
    pub llm_model: Option<String>,
    /// The key sent to `llm_base_url` (none for a local server).
    #[serde(default)]
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub llm_api_key: Option<SecretString>,
}

/// A setting that failed to load or validate. The message names the key and why.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// Resolved timing and limits for one job kind, after defaults are applied.
#[derive(Debug, Clone, Copy)]
pub struct JobKindLimits {
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_attempts: u32,
}

impl JobSettings {
    pub fn limits_for(&self, kind: &str) -> JobKindLimits {
        let specific = self.kinds.get(kind);
        JobKindLimits {
            timeout: Duration::from_secs(
                specific
                    .and_then(|k| k.timeout_secs)
                    .unwrap_or(self.default_timeout_secs),
            ),
            concurrency: specific
                .and_then(|k| k.concurrency)
                .unwrap_or(self.default_concurrency),
            max_attempts: specific
                .and_then(|k| k.max_attempts)
                .unwrap_or(self.max_attempts),
        }
    }
}

impl Settings {
    /// Loads settings from `config_dir` for the environment named by `PRODUCK_ENV`
    /// (default `development`), then validates them.
    pub fn load(config_dir: &Path) -> Result<Self, ConfigError> {
        let env = std::env::var("PRODUCK_ENV").unwrap_or_else(|_| "development".to_owned());
        Self::load_for(config_dir, &env, std::env::vars())
    }

    /// Loads settings for an explicit environment with an explicit variable set (tests use this).
    pub fn load_for(
        config_dir: &Path,
        env: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        if !matches!(env, "development" | "test" | "production") {
            return Err(ConfigError::new(
                "PRODUCK_ENV",
                format!("must be development, test or production, got {env:?}"),
            ));
        }
        let default_file = config_dir.join("default.yaml");
        if !default_file.exists() {
            return Err(ConfigError::new(
                "config_dir",
                format!(
                    "{} not found (set PRODUCK_CONFIG_DIR)",
                    default_file.display()
                ),
            ));
        }
        let figment = layered(config_dir, env, vars);
        // Lossy: values from the environment are strings; let "3" fill a number, "true" a bool.
        let settings: Settings = figment.extract_lossy().map_err(|e| {
            let key = e.path.join(".");
            ConfigError::new(
                if key.is_empty() {
                    "config".to_owned()
                } else {
                    key
                },
                e.kind.to_string(),
            )
        })?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let s = self;
        check_url(&s.database.url, "database.url", &["postgres", "postgresql"])?;
        check_url(&s.redis.url, "redis.url", &["redis", "rediss"])?;
        if s.database.max_connections == 0
            || s.database.min_connections > s.database.max_connections
        {
            return Err(ConfigError::new(
                "database.max_connections",
                "must be at least 1 and not below database.min_connections",
            ));
        }
        if s.server.request_timeout_secs == 0 {
            return Err(ConfigError::new(
                "server.request_timeout_secs",
                "must be at least 1",
            ));
        }
        let ui = url::Url::parse(&s.server.web_ui_base_url)
            .map_err(|e| ConfigError::new("server.web_ui_base_url", e.to_string()))?;
        if !["http", "https"].contains(&ui.scheme()) {
            return Err(ConfigError::new(
                "server.web_ui_base_url",
                "must be an http(s) URL",
            ));
        }
        if let Some(url) = &s.ai.llm_base_url {
            let parsed = url::Url::parse(url)
                .map_err(|e| ConfigError::new("ai.llm_base_url", e.to_string()))?;
            if !["http", "https"].contains(&parsed.scheme()) {
                return Err(ConfigError::new(
                    "ai.llm_base_url",
                    "must be an http(s) URL",
                ));
            }
        }
        if let Some(current) = &s.integrations.current_token_key
            && !s.integrations.token_keys.contains_key(current)
        {
            return Err(ConfigError::new(
                "integrations.current_token_key",
                format!("names no key of integrations.token_keys ({current:?})"),
            ));
        }
        for (id, key) in &s.integrations.token_keys {
            if crate::services::integrations::crypto::decode_key(key).is_none() {
                return Err(ConfigError::new(
                    format!("integrations.token_keys.{id}"),
                    "must be the base64 encoding of exactly 32 random bytes (openssl rand -base64 32)",
                ));
            }
        }
        if let Some(token) = &s.metrics.token
            && token.expose_secret().len() < 16
        {
            return Err(ConfigError::new(
                "metrics.token",
                "must be at least 16 characters",
            ));
        }
        if !(0.0..=1.0).contains(&s.competitive.evidence_threshold) {
            return Err(ConfigError::new(
                "competitive.evidence_threshold",
                "must be between 0 and 1",
            ));
        }
        if !(0.0..=1.0).contains(&s.jira.similarity_threshold) {
            return Err(ConfigError::new(
                "jira.similarity_threshold",
                "must be between 0 and 1",
            ));
        }
        if s.jira.max_matches_per_ticket == 0 || s.jira.max_import_rows == 0 {
            return Err(ConfigError::new(
                "jira.max_matches_per_ticket",
                "jira.max_matches_per_ticket and jira.max_import_rows must be at least 1",
            ));
        }
        for origin in &s.server.cors_origins {
            if origin == "*" {
                return Err(ConfigError::new(
                    "server.cors_origins",
                    "a wildcard is not allowed: list the web UI origins explicitly",
                ));
            }
            let parsed = url::Url::parse(origin)
                .map_err(|e| ConfigError::new("server.cors_origins", format!("{origin:?}: {e}")))?;
            if parsed.path() != "/" || parsed.query().is_some() {
                return Err(ConfigError::new(
                    "server.cors_origins",
                    format!("{origin:?} must be an origin (scheme://host[:port]) without a path"),
                ));
            }
        }
        if let Some(name) = &s.server.client_ip_header
            && !is_header_name(name)
        {
            return Err(ConfigError::new(
                "server.client_ip_header",
                format!("{name:?} is not a valid HTTP header name"),
            ));
        }
        if !s.auth.disabled {
            match &s.auth.jwt_secret {
                Some(secret) if secret.expose_secret().len() >= 32 => {}
                Some(_) => {
                    return Err(ConfigError::new(
                        "auth.jwt_secret",
                        "must be at least 32 characters",
                    ));
                }
                None => {
                    return Err(ConfigError::new(
                        "auth.jwt_secret",
                        "is required unless auth.disabled is true (set PRODUCK__AUTH__JWT_SECRET)",
                    ));
                }
            }
        }
        let exposed = !s.server.host.is_loopback() || s.environment == "production";
        let committed_secret = |v: &Option<SecretString>| {
            v.as_ref()
                .is_some_and(|v| COMMITTED_SECRETS.contains(&v.expose_secret()))
        };
        if exposed && !s.auth.disabled && committed_secret(&s.auth.jwt_secret) {
            return Err(ConfigError::new(
                "auth.jwt_secret",
                "is the committed development/test value; set a secret of your own (PRODUCK__AUTH__JWT_SECRET) \
                 before binding a non-loopback address or running in production",
            ));
        }
        if exposed && committed_secret(&s.auth.bootstrap_api_key) {
            return Err(ConfigError::new(
                "auth.bootstrap_api_key",
                "is the published development key; choose another before binding a non-loopback address",
            ));
        }
        if s.auth.disabled && !s.server.host.is_loopback() {
            return Err(ConfigError::new(
                "auth.disabled",
                format!(
                    "is only allowed with a loopback server.host (127.0.0.1 or ::1), not {}",
                    s.server.host
                ),
            ));
        }
        if exposed
            && let Some(id) = s
                .integrations
                .token_keys
                .iter()
                .find(|(_, k)| committed_secret(&Some((*k).clone())))
                .map(|(id, _)| id)
        {
            return Err(ConfigError::new(
                format!("integrations.token_keys.{id}"),
                "is a committed development/test key; generate your own (openssl rand -base64 32) before binding \
                 a non-loopback address or running in production",
            ));
        }
        if s.auth.access_token_ttl_secs < 60 || s.auth.access_token_ttl_secs > 86_400 {
            return Err(ConfigError::new(
                "auth.access_token_ttl_secs",
                "must be between 60 and 86400",
            ));
        }
        if s.auth.refresh_token_ttl_secs < s.auth.access_token_ttl_secs {
            return Err(ConfigError::new(
                "auth.refresh_token_ttl_secs",
                "must not be shorter than auth.access_token_ttl_secs",
            ));
        }
        if !(300..=31_536_000).contains(&s.auth.session_ttl_secs) {
            return Err(ConfigError::new(
                "auth.session_ttl_secs",
                "must be between 300 and 31536000",
            ));
        }
        if let Some(key) = &s.auth.bootstrap_api_key
            && key.expose_secret().len() < 16
        {
            return Err(ConfigError::new(
                "auth.bootstrap_api_key",
                "must be at least 16 characters",
            ));
        }
        if s.auth.default_workspace.trim().is_empty() {
            return Err(ConfigError::new(
                "auth.default_workspace",
                "must not be empty",
            ));
        }
        if s.auth.login_max_failures == 0 {
            return Err(ConfigError::new(
                "auth.login_max_failures",
                "must be at least 1",
            ));
        }
        let prefix = &s.jobs.queue_prefix;
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConfigError::new(
                "jobs.queue_prefix",
                "must be non-empty and use only letters, digits, '-' and '_'",
            ));
        }
        if s.jobs.max_attempts == 0 || s.jobs.max_attempts > 25 {
            return Err(ConfigError::new(
                "jobs.max_attempts",
                "must be between 1 and 25",
            ));
        }
        if s.jobs.default_concurrency == 0 {
            return Err(ConfigError::new(
                "jobs.default_concurrency",
                "must be at least 1",
            ));
        }
        for (kind, k) in &s.jobs.kinds {
            if k.concurrency == Some(0) {
                return Err(ConfigError::new(
                    format!("jobs.kinds.{kind}.concurrency"),
                    "must be at least 1",
                ));
            }
            if k.timeout_secs == Some(0) {
                return Err(ConfigError::new(
                    format!("jobs.kinds.{kind}.timeout_secs"),
                    "must be at least 1",
                ));
            }
        }
        if !(1..=64).contains(&s.auth.max_concurrent_hashes) {
            return Err(ConfigError::new(
                "auth.max_concurrent_hashes",
                "must be between 1 and 64",
            ));
        }
        if s.database.statement_timeout_secs == 0 {
            return Err(ConfigError::new(
                "database.statement_timeout_secs",
                "must be at least 1",
            ));
        }
        if s.jobs.no_worker_timeout_secs < s.jobs.queued_timeout_secs {
            return Err(ConfigError::new(
                "jobs.no_worker_timeout_secs",
                "must be at least jobs.queued_timeout_secs",
            ));
        }
        if s.jobs.lease_secs < 2 {
            return Err(ConfigError::new("jobs.lease_secs", "must be at least 2"));
        }
        if s.worker.poll_interval_ms == 0 || s.worker.poll_interval_ms > 60_000 {
            return Err(ConfigError::new(
                "worker.poll_interval_ms",
                "must be between 1 and 60000",
            ));
        }
        if s.worker.heartbeat_secs == 0 || s.worker.missed_heartbeats == 0 {
            return Err(ConfigError::new(
                "worker.heartbeat_secs",
                "heartbeat_secs and missed_heartbeats must be at least 1",
            ));
        }
        if s.worker.sweep_interval_secs == 0 {
            return Err(ConfigError::new(
                "worker.sweep_interval_secs",
                "must be at least 1",
            ));
        }
        if s.ingest.max_files_per_upload == 0 || s.ingest.max_file_bytes == 0 {
            return Err(ConfigError::new(
                "ingest.max_files_per_upload",
                "max_files_per_upload and max_file_bytes must be at least 1",
            ));
        }
        if s.ingest.max_upload_bytes < s.ingest.max_file_bytes {
            return Err(ConfigError::new(
                "ingest.max_upload_bytes",
                "must be at least ingest.max_file_bytes",
            ));
        }
        if s.ingest.upload_timeout_secs < s.jobs.sync_wait_secs + 5 {
            return Err(ConfigError::new(
                "ingest.upload_timeout_secs",
                "must exceed jobs.sync_wait_secs by at least 5 seconds",
            ));
        }
        if s.ingest.max_items_per_file == 0 || s.ingest.max_pdf_inflated_bytes == 0 {
            return Err(ConfigError::new(
                "ingest.max_items_per_file",
                "max_items_per_file and max_pdf_inflated_bytes must be at least 1",
            ));
        }
        if s.integrations.max_sync_pages == 0 || s.integrations.max_sync_secs == 0 {
            return Err(ConfigError::new(
                "integrations.max_sync_pages",
                "max_sync_pages and max_sync_secs must be at least 1",
            ));
        }
        if !(64..=65_536).contains(&s.ingest.parser_memory_mb) {
            return Err(ConfigError::new(
                "ingest.parser_memory_mb",
                "must be between 64 and 65536",
            ));
        }
        if s.ingest.parser_cpu_secs == 0 || s.ingest.parser_timeout_secs == 0 {
            return Err(ConfigError::new(
                "ingest.parser_timeout_secs",
                "parser_cpu_secs and parser_timeout_secs must be at least 1",
            ));
        }
        if !(1..=1024).contains(&s.ingest.embed_batch_size) {
            return Err(ConfigError::new(
                "ingest.embed_batch_size",
                "must be between 1 and 1024",
            ));
        }
        let c = &s.clustering;
        if !(2..=50).contains(&c.dims) {
            return Err(ConfigError::new(
                "clustering.dims",
                "must be between 2 and 50",
            ));
        }
        if c.min_cluster_size < 2 || c.min_samples == 0 {
            return Err(ConfigError::new(
                "clustering.min_cluster_size",
                "min_cluster_size must be at least 2 and min_samples at least 1",
            ));
        }
        if !(0.0..=1.0).contains(&c.attach_threshold) {
            return Err(ConfigError::new(
                "clustering.attach_threshold",
                "must be between 0 and 1",
            ));
        }
        if let Err(e) = s.worker.sync_schedule.parse::<CronCheck>() {
            return Err(ConfigError::new("worker.sync_schedule", e));
        }
        if s.integrations.sync_interval_secs < 60 {
            return Err(ConfigError::new(
                "integrations.sync_interval_secs",
                "must be at least 60",
            ));
        }
        if let Err(e) = s.worker.token_refresh_schedule.parse::<CronCheck>() {
            return Err(ConfigError::new("worker.token_refresh_schedule", e));
        }
        if let Err(e) = s.worker.maintenance_schedule.parse::<CronCheck>() {
            return Err(ConfigError::new("worker.maintenance_schedule", e));
        }
        Ok(())
    }

    /// Database name taken from the configured URL (used to create it when missing).
    pub fn database_name(&self) -> Option<String> {
        url::Url::parse(self.database.url.expose_secret())
            .ok()
            .map(|u| u.path().trim_start_matches('/').to_owned())
            .filter(|n| !n.is_empty())
    }
}

/// The configuration files and variables layered in order, before extraction: what
/// `Settings::load_for` validates and `produck-api check-config` prints.
pub fn layered(
    config_dir: &Path,
    env: &str,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Figment {
    // An empty variable means "unset": compose files pass `KEY=""` for every optional
    // setting they do not fill.
    let vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let mut figment = Figment::new()
        .merge(Yaml::file(config_dir.join("default.yaml")))
        .merge(Yaml::file(config_dir.join(format!("{env}.yaml"))))
        .merge(Serialized::default("environment", env));
    // The conventional variables first, so the namespaced ones win when both are set.
    for (key, dotted) in [
        ("DATABASE_URL", "database.url"),
        ("REDIS_URL", "redis.url"),
        ("PORT", "server.port"),
    ] {
        if let Some((_, value)) = vars.iter().rfind(|(k, _)| k == key) {
            figment = figment.merge(Serialized::default(dotted, parse_env_value(value)));
        }
    }
    for (key, value) in &vars {
        if let Some(path) = key.strip_prefix("PRODUCK__") {
            let dotted = path.to_lowercase().replace("__", ".");
            figment = figment.merge(Serialized::default(&dotted, parse_env_value(value)));
        }
    }
    figment
}

/// Validates the field count of a cron expression (seconds first, 6 or 7 fields); the
/// worker parses it fully with the `cron` crate.
struct CronCheck;

impl std::str::FromStr for CronCheck {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fields = s.split_whitespace().count();
        if fields == 6 || fields == 7 {
            Ok(CronCheck)
        } else {
            Err(format!(
                "{s:?} must have 6 or 7 fields (seconds first), found {fields}"
            ))
        }
    }
}

fn check_url(secret: &SecretString, key: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    let parsed = url::Url::parse(secret.expose_secret())
        .map_err(|e| ConfigError::new(key, format!("not a valid URL ({e})")))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(ConfigError::new(
            key,
            format!(
                "scheme must be one of {}, got {:?}",
                schemes.join(", "),
                parsed.scheme()
            ),
        ));
    }
    Ok(())
}

/// Environment values stay strings (figment reads numbers and booleans out of strings when
/// a key is typed so); a JSON array or object is parsed so list keys can be set too.
fn parse_env_value(raw: &str) -> serde_json::Value {
    if (raw.starts_with('[') || raw.starts_with('{'))
        && let Ok(v) = serde_json::from_str(raw)
    {
        return v;
    }
    serde_json::Value::String(raw.to_owned())
}

/// Where the config directory lives: `PRODUCK_CONFIG_DIR`, else `./config`, else the
/// workspace's `config/` next to the crate sources (handy for `cargo run` from a subdirectory).
/// Secrets that are in this repository (config files, scripts): fine on a laptop, never on
/// an address others can reach.
const COMMITTED_SECRETS: [&str; 5] = [
    "development-only-secret-change-me-0123456789",
    "test-only-secret-0123456789-abcdefghijkl",
    "pk_local_development_key",
    DEVELOPMENT_TOKEN_KEY,
    TEST_TOKEN_KEY,
];
/// The token encryption keys committed in config/development.yaml and config/test.yaml.
const DEVELOPMENT_TOKEN_KEY: &str = "onBRH6/kCJFpXZbfrJmQOGGis2JuQ9B2/q/smWrRSqs=";
const TEST_TOKEN_KEY: &str = "ouMdDOyfb5vg/LQbXTPwBg3oGzVeM+pOcgxYlEUfub4=";

pub fn config_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PRODUCK_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("config");
    if local.join("default.yaml").exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
}

/// A header name made of the token characters HTTP allows.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        Settings::load_for(
            &dir,
            "test",
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn environment_variables_override_files_and_the_last_one_wins() {
        let s = load(&[
            ("PRODUCK__SERVER__PORT", "9100"),
            ("REDIS_URL", "redis://a:1/"),
            ("REDIS_URL", "redis://b:2/"),
        ])
        .unwrap();
        assert_eq!(s.server.port, 9100);
        assert_eq!(s.redis.url.expose_secret(), "redis://b:2/");
        let s = load(&[("PORT", "9200")]).unwrap();
        assert_eq!(s.server.port, 9200);
    }

    #[test]
    fn empty_variables_mean_unset() {
        let s = load(&[
            ("PRODUCK__AUTH__BOOTSTRAP_API_KEY", ""),
            ("PORT", ""),
            ("PRODUCK__SERVER__PORT", "  "),
        ])
        .unwrap();
        assert!(s.auth.bootstrap_api_key.is_none());
        assert_eq!(s.server.port, 8000);
    }

    #[test]
    fn committed_secrets_are_refused_off_loopback() {
        let e = load(&[("PRODUCK__SERVER__HOST", "0.0.0.0")]).unwrap_err();
        assert_eq!(e.key, "auth.jwt_secret", "{e}");
        let e = load(&[
            ("PRODUCK__SERVER__HOST", "0.0.0.0"),
            (
                "PRODUCK__AUTH__JWT_SECRET",
                "a-real-secret-of-our-own-0123456789abc",
            ),
            (
                "PRODUCK__AUTH__BOOTSTRAP_API_KEY",
                "pk_local_development_key",
            ),
        ])
        .unwrap_err();
        assert_eq!(e.key, "auth.bootstrap_api_key", "{e}");
        let e = load(&[
            ("PRODUCK__SERVER__HOST", "0.0.0.0"),
            (
                "PRODUCK__AUTH__JWT_SECRET",
                "a-real-secret-of-our-own-0123456789abc",
            ),
        ])
        .unwrap_err();
        assert_eq!(e.key, "integrations.token_keys.test1", "{e}");
        let ok = load(&[
            ("PRODUCK__SERVER__HOST", "0.0.0.0"),
            (
                "PRODUCK__INTEGRATIONS__TOKEN_KEYS__TEST1",
                "q2ZkA0y8B6n8kq1yFhQ9q3mVdJ1x4kR8c0sYwZpL7nA=",
            ),
            (
                "PRODUCK__AUTH__JWT_SECRET",
                "a-real-secret-of-our-own-0123456789abc",
            ),
        ]);
        assert!(ok.is_ok(), "{:?}", ok.err());
        // On loopback the committed test secret is fine.
        assert!(load(&[]).is_ok());
    }

    #[test]
    fn a_non_numeric_port_is_rejected() {
        let e = load(&[("PRODUCK__SERVER__PORT", "eighty")]).unwrap_err();
        assert_eq!(e.key, "server.port", "{e}");
    }
}
