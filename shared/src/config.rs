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
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_saphyr::figment::Yaml;

/// Every setting of the system. Field names mirror the keys of `config/default.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub environment: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub auth: AuthSettings,
    pub jobs: JobSettings,
    pub worker: WorkerSettings,
    pub telemetry: TelemetrySettings,
    pub ai: AiSettings,
    pub ingest: IngestSettings,
    pub clustering: ClusteringSettings,
    pub jira: JiraSettings,
    pub chat: ChatSettings,
    pub competitive: CompetitiveSettings,
    pub integrations: IntegrationsSettings,
    pub metrics: MetricsSettings,
    pub rate_limits: RateLimitSettings,
}

/// Requests per minute per caller (API key or session; the client address when
/// unauthenticated), by class. 0 turns a class off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub reads_per_minute: u32,
    pub writes_per_minute: u32,
    pub uploads_per_minute: u32,
    pub chat_per_minute: u32,
}

/// Who may read `/metrics` (the API's and the worker's listener alike).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token a scraper sends; without one, only loopback clients are answered.
    pub token: Option<SecretString>,
}

/// Connections to Google, Zoom and the other sources. Every vendor URL can be overridden so
/// tests (and proxies) can stand in for the vendor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationsSettings {
    /// Where the browser goes back to after connecting; `server.web_ui_base_url` when unset.
    pub web_ui_url: Option<String>,
    /// The API's address as browsers and providers reach it; OAuth redirect URIs default to
    /// `<public_url>/auth/<provider>/callback`.
    pub public_url: String,
    /// Keys (id → base64 of 32 bytes) that encrypt stored tokens; old ones stay for
    /// decryption until `produck-api rotate-keys` has re-encrypted everything.
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
    pub max_sync_secs: u64,
    pub google: OAuthProviderSettings,
    pub zoom: OAuthProviderSettings,
    pub slack: SlackSettings,
    pub jira: JiraSiteSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraSiteSettings {
    /// Hosts a Jira site URL may name although they are not public https addresses (a
    /// self-hosted Jira on the private network; tests). Everything else must be https and
    /// resolve to public addresses only.
    pub allowed_hosts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// The Slack app's signing secret; pushed events are refused without it.
    pub signing_secret: Option<SecretString>,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthProviderSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// Exactly as registered with the provider; `<public_url>/auth/<provider>/callback` when
    /// unset.
    pub redirect_uri: Option<String>,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    /// Where the account's email is read (Google's userinfo, Zoom's REST API).
    pub api_base_url: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitiveSettings {
    pub evidence_threshold: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    pub max_messages_per_conversation: usize,
    pub max_active_conversations: usize,
    pub questions_per_minute: u32,
    /// The older name of `ai.daily_token_budget`; when set it wins.
    #[serde(default)]
    pub daily_token_budget: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraSettings {
    pub similarity_threshold: f32,
    pub max_matches_per_ticket: usize,
    pub max_import_rows: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusteringSettings {
    pub dims: usize,
    pub min_cluster_size: usize,
    pub min_samples: usize,
    pub attach_threshold: f32,
    pub max_items_clustered: usize,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    pub max_files_per_upload: usize,
    pub max_file_bytes: usize,
    pub max_upload_bytes: usize,
    pub upload_timeout_secs: u64,
    pub max_items_per_file: usize,
    pub max_pdf_inflated_bytes: usize,
    pub keep_uploaded_files: bool,
    pub embed_batch_size: usize,
    /// Items one `POST /feedback` may push.
    pub max_push_items: usize,
    /// The child process that parses untrusted files: its address-space limit, CPU time,
    /// wall-clock deadline, and (optionally) which executable to run in parse mode.
    pub parser_memory_mb: u64,
    pub parser_cpu_secs: u64,
    pub parser_timeout_secs: u64,
    #[serde(default)]
    pub parser_binary: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: IpAddr,
    pub port: u16,
    pub cors_origins: Vec<String>,
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    /// Where the web UI lives; documents link to its insight pages.
    pub web_ui_base_url: String,
    /// The header a trusted reverse proxy sets to the client's address (`x-real-ip`,
    /// `x-forwarded-for`); without one the TCP peer is the client.
    #[serde(default)]
    pub client_ip_header: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub statement_timeout_secs: u64,
    pub create_if_missing: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub url: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub disabled: bool,
    pub jwt_secret: Option<SecretString>,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub session_ttl_secs: u64,
    pub bootstrap_api_key: Option<SecretString>,
    pub default_workspace: String,
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    pub max_concurrent_hashes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    pub queue_prefix: String,
    pub max_attempts: u32,
    pub backoff_base_ms: u64,
    pub backoff_max_secs: u64,
    pub default_timeout_secs: u64,
    pub default_concurrency: usize,
    pub kinds: BTreeMap<String, JobKindSettings>,
    pub queued_timeout_secs: u64,
    pub no_worker_timeout_secs: u64,
    pub lease_secs: u64,
    pub retention_days: u32,
    pub sync_wait_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobKindSettings {
    pub timeout_secs: Option<u64>,
    pub concurrency: Option<usize>,
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub poll_interval_ms: u64,
    pub heartbeat_secs: u64,
    pub missed_heartbeats: usize,
    pub shutdown_grace_secs: u64,
    pub sweep_interval_secs: u64,
    pub maintenance_schedule: String,
    pub token_refresh_schedule: String,
    pub sync_schedule: String,
    pub apalis_retention_secs: u64,
    /// Address of the worker's own `/metrics` and `/healthz` listener; none when unset.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiSettings {
    pub config_path: PathBuf,
    /// LLM tokens a workspace may spend per UTC day, every agent together (0: no budget).
    pub daily_token_budget: u64,
    /// LLM tokens one member (or API key) may spend per UTC day (0: no budget).
    pub member_daily_token_budget: u64,
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
        // An empty variable means "unset": compose files pass `KEY=""` for every optional
        // setting they do not fill.
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let mut figment = Figment::new()
            .merge(Yaml::file(default_file))
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
