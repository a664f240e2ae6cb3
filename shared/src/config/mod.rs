//! Layered settings: `config/default.yaml` → `config/{PRODUCK_ENV}.yaml` → `PRODUCK__SECTION__KEY`
//! environment variables, plus the conventional `DATABASE_URL`, `REDIS_URL` and `PORT`.

mod ai;
mod analysis;
mod auth;
mod ingest;
mod integrations;
mod jobs;
mod server;
mod stores;
mod telemetry;
mod webhooks;

use std::path::{Path, PathBuf};

use figment::{
    Figment,
    providers::{Format, Serialized},
};
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_saphyr::figment::Yaml;

pub use ai::{AiSettings, ChatSettings};
pub use analysis::{ClusteringSettings, CompetitiveSettings, JiraSettings};
pub use auth::AuthSettings;
pub use ingest::IngestSettings;
pub use integrations::{
    IntegrationsSettings, JiraSiteSettings, OAuthProviderSettings, SlackSettings, decode_token_key,
};
pub use jobs::{JobKindLimits, JobKindSettings, JobSettings, WorkerSettings};
pub use server::{MetricsSettings, RateLimitSettings, ServerSettings};
pub use stores::{DatabaseSettings, RedisSettings};
pub use telemetry::{LogFormat, TelemetrySettings};
pub use webhooks::WebhookSettings;

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
    /// Outbound webhooks: the addresses deliveries may reach, attempts, and when an endpoint
    /// is disabled.
    pub webhooks: WebhookSettings,
}

/// A setting that failed to load or validate. The message names the key and why.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

/// `Err` naming `key` and `reason` when `broken` holds: one line per rule in the sections'
/// `validate()`.
fn fail_if(
    broken: bool,
    key: impl Into<String>,
    reason: impl Into<String>,
) -> Result<(), ConfigError> {
    if broken {
        Err(ConfigError::new(key, reason))
    } else {
        Ok(())
    }
}

impl ConfigError {
    fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
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
        fail_if(
            !matches!(env, "development" | "test" | "production"),
            "PRODUCK_ENV",
            format!("must be development, test or production, got {env:?}"),
        )?;
        let default_file = config_dir.join("default.yaml");
        fail_if(
            !default_file.exists(),
            "config_dir",
            format!(
                "{} not found (set PRODUCK_CONFIG_DIR)",
                default_file.display()
            ),
        )?;
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
        self.database.validate()?;
        self.redis.validate()?;
        self.server.validate()?;
        self.auth.validate()?;
        self.jobs.validate()?;
        self.worker.validate()?;
        self.ingest.validate()?;
        self.integrations.validate()?;
        self.webhooks.validate()?;
        self.metrics.validate()?;
        self.ai.validate()?;
        self.clustering.validate()?;
        self.jira.validate()?;
        self.competitive.validate()?;
        // Rules that span sections.
        let s = self;
        let exposed = !s.server.host.is_loopback() || s.environment == "production";
        let committed_secret = |v: &Option<SecretString>| {
            v.as_ref()
                .is_some_and(|v| COMMITTED_SECRETS.contains(&v.expose_secret()))
        };
        fail_if(
            exposed && !s.auth.disabled && committed_secret(&s.auth.jwt_secret),
            "auth.jwt_secret",
            "is the committed development/test value; set a secret of your own (PRODUCK__AUTH__JWT_SECRET) \
             before binding a non-loopback address or running in production",
        )?;
        fail_if(
            exposed && committed_secret(&s.auth.bootstrap_api_key),
            "auth.bootstrap_api_key",
            "is the published development key; choose another before binding a non-loopback address",
        )?;
        fail_if(
            s.auth.disabled && !s.server.host.is_loopback(),
            "auth.disabled",
            format!(
                "is only allowed with a loopback server.host (127.0.0.1 or ::1), not {}",
                s.server.host
            ),
        )?;
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
        fail_if(
            s.ingest.upload_timeout_secs < s.jobs.sync_wait_secs + 5,
            "ingest.upload_timeout_secs",
            "must exceed jobs.sync_wait_secs by at least 5 seconds",
        )?;
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

pub(crate) fn check_url(
    secret: &SecretString,
    key: &str,
    schemes: &[&str],
) -> Result<(), ConfigError> {
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
    fn each_section_refuses_its_out_of_range_values_by_key() {
        for (var, value, key) in [
            (
                "PRODUCK__DATABASE__MAX_CONNECTIONS",
                "0",
                "database.max_connections",
            ),
            ("PRODUCK__REDIS__URL", "http://127.0.0.1:6379", "redis.url"),
            (
                "PRODUCK__SERVER__REQUEST_TIMEOUT_SECS",
                "0",
                "server.request_timeout_secs",
            ),
            (
                "PRODUCK__AUTH__SESSION_TTL_SECS",
                "10",
                "auth.session_ttl_secs",
            ),
            ("PRODUCK__JOBS__MAX_ATTEMPTS", "26", "jobs.max_attempts"),
            (
                "PRODUCK__WORKER__POLL_INTERVAL_MS",
                "0",
                "worker.poll_interval_ms",
            ),
            (
                "PRODUCK__INGEST__MAX_UPLOAD_BYTES",
                "1",
                "ingest.max_upload_bytes",
            ),
            (
                "PRODUCK__INTEGRATIONS__SYNC_INTERVAL_SECS",
                "59",
                "integrations.sync_interval_secs",
            ),
            ("PRODUCK__METRICS__TOKEN", "short", "metrics.token"),
            ("PRODUCK__CLUSTERING__DIMS", "1", "clustering.dims"),
            (
                "PRODUCK__JIRA__SIMILARITY_THRESHOLD",
                "1.5",
                "jira.similarity_threshold",
            ),
            (
                "PRODUCK__COMPETITIVE__EVIDENCE_THRESHOLD",
                "-0.1",
                "competitive.evidence_threshold",
            ),
            (
                "PRODUCK__INGEST__UPLOAD_TIMEOUT_SECS",
                "6",
                "ingest.upload_timeout_secs",
            ),
        ] {
            let e = load(&[(var, value)]).unwrap_err();
            assert_eq!(e.key, key, "{var}={value}: {e}");
        }
        // In range, the same keys load.
        let ok = load(&[
            ("PRODUCK__JOBS__MAX_ATTEMPTS", "25"),
            ("PRODUCK__CLUSTERING__DIMS", "50"),
            ("PRODUCK__INTEGRATIONS__SYNC_INTERVAL_SECS", "60"),
        ]);
        assert!(ok.is_ok(), "{:?}", ok.err());
    }

    #[test]
    fn a_non_numeric_port_is_rejected() {
        let e = load(&[("PRODUCK__SERVER__PORT", "eighty")]).unwrap_err();
        assert_eq!(e.key, "server.port", "{e}");
    }
}
