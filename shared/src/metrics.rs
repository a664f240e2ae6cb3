//! Prometheus metrics: one process-wide recorder (the API, an in-process worker and a
//! standalone worker each have one), the names every part records under, and the text a
//! scrape returns. Queue gauges are read from `job_runs` at scrape time, so any replica
//! reports the whole cluster's queues and an autoscaler may scrape whichever answers.

use std::{fmt::Write as _, net::IpAddr, sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use secrecy::{ExposeSecret, SecretString};

use crate::{config::MetricsSettings, db::statement as raw};

/// The Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub const HTTP_REQUESTS: &str = "produck_http_requests_total";
pub const HTTP_DURATION: &str = "produck_http_request_duration_seconds";
pub const JOBS_FINISHED: &str = "produck_jobs_finished_total";
pub const JOB_DURATION: &str = "produck_job_duration_seconds";
pub const JOB_QUEUE_WAIT: &str = "produck_job_queue_wait_seconds";
pub const EMBEDDED_TEXTS: &str = "produck_embedded_texts_total";
pub const AI_CALLS: &str = "produck_ai_calls_total";
pub const AI_TOKENS: &str = "produck_ai_tokens_total";
pub const AI_FALLBACKS: &str = "produck_ai_fallback_answers_total";
pub const RATE_LIMITED: &str = "produck_rate_limited_total";
pub const MCP_TOOL_CALLS: &str = "produck_mcp_tool_calls_total";

/// Seconds: from a cached read (1 ms) to a long clustering run (15 min).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    300.0, 900.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder once per process (later calls return the same handle). Inside a
/// Tokio runtime it also starts the upkeep that drains histogram samples between scrapes.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .map(PrometheusBuilder::install_recorder)
            .and_then(|installed| installed)
            // Another recorder owns the process (a test harness): keep a private one so
            // rendering still works.
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle());
        describe();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let upkeep = handle.clone();
            rt.spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(5));
                loop {
                    tick.tick().await;
                    upkeep.run_upkeep();
                }
            });
        }
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by method, route template and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency by method and route template."
    );
    describe_counter!(
        JOBS_FINISHED,
        "Job attempts this process finished, by kind and outcome (completed, failed, retried, taken_over)."
    );
    describe_histogram!(
        JOB_DURATION,
        metrics::Unit::Seconds,
        "Run time of one job attempt, by kind and outcome."
    );
    describe_histogram!(
        JOB_QUEUE_WAIT,
        metrics::Unit::Seconds,
        "Time from a job being due to a worker claiming it, by kind."
    );
    describe_counter!(
        EMBEDDED_TEXTS,
        "Feedback texts embedded (rate() gives embeddings per second)."
    );
    describe_counter!(
        AI_CALLS,
        "Model calls by agent and status (success, error, cancelled)."
    );
    describe_counter!(
        AI_TOKENS,
        "Model tokens by agent and type (prompt, completion)."
    );
    describe_counter!(
        AI_FALLBACKS,
        "Answers made by the deterministic fallback instead of a model, by agent."
    );
    describe_counter!(RATE_LIMITED, "Requests refused with 429, by limit class.");
    describe_counter!(
        MCP_TOOL_CALLS,
        "MCP tool calls, by tool and result (ok or error)."
    );
}

/// `n` answers written by the rule-based path for `agent` (no provider, or the provider failed).
pub fn fallback_answers(agent: &'static str, n: u64) {
    metrics::counter!(AI_FALLBACKS, "agent" => agent).increment(n);
}

/// The text of one scrape: this process's counters and histograms, then the cluster's queue
/// gauges from the database (omitted, with a comment, when it cannot be read).
pub async fn render(db: &DatabaseConnection, known_kinds: &[String]) -> String {
    let mut out = install().render();
    match queue_gauges(db, known_kinds).await {
        Ok(text) => out.push_str(&text),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: could not read the job queues");
            out.push_str("# produck_jobs_queued unavailable: the database did not answer\n");
        }
    }
    out
}

/// A gauge's name, help text and how to read it off a kind's row.
type GaugeFamily = (&'static str, &'static str, fn(&KindRow) -> f64);

#[derive(FromQueryResult)]
struct KindRow {
    kind: String,
    queued: i64,
    due: i64,
    running: i64,
    oldest_due_secs: f64,
}

async fn queue_gauges(
    db: &DatabaseConnection,
    known_kinds: &[String],
) -> Result<String, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(raw(
            "SELECT kind, \
                    count(*) FILTER (WHERE status = 'queued') AS queued, \
                    count(*) FILTER (WHERE status = 'queued' AND enqueued_at <= now()) AS due, \
                    count(*) FILTER (WHERE status = 'running') AS running, \
                    coalesce(extract(epoch FROM now() - min(enqueued_at) \
                        FILTER (WHERE status = 'queued' AND enqueued_at <= now())), 0)::float8 AS oldest_due_secs \
             FROM job_runs WHERE status IN ('queued', 'running') GROUP BY kind",
            vec![],
        ))
        .await?;
    let mut by_kind: Vec<KindRow> = rows
        .iter()
        .map(|r| KindRow::from_query_result(r, ""))
        .collect::<Result<_, _>>()?;
    // Idle kinds are reported as 0 rather than missing, so a scaler sees "empty", not "unknown".
    for kind in known_kinds {
        if !by_kind.iter().any(|k| &k.kind == kind) {
            by_kind.push(KindRow {
                kind: kind.clone(),
                queued: 0,
                due: 0,
                running: 0,
                oldest_due_secs: 0.0,
            });
        }
    }
    by_kind.sort_by(|a, b| a.kind.cmp(&b.kind));
    let mut out = String::new();
    let families: [GaugeFamily; 4] = [
        (
            "produck_jobs_queued",
            "Jobs waiting for a worker, by kind, backoff waits included (from job_runs).",
            |k| k.queued as f64,
        ),
        (
            "produck_jobs_due",
            "Queued jobs whose time has come, by kind: the backlog workers should be draining.",
            |k| k.due as f64,
        ),
        (
            "produck_jobs_running",
            "Jobs a worker is running now, by kind.",
            |k| k.running as f64,
        ),
        (
            "produck_jobs_oldest_queued_age_seconds",
            "How long the oldest due job of each kind has waited.",
            |k| k.oldest_due_secs,
        ),
    ];
    for (name, help, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for k in &by_kind {
            let _ = writeln!(
                out,
                "{name}{{kind=\"{}\"}} {}",
                escape_label(&k.kind),
                value(k)
            );
        }
    }
    Ok(out)
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Whether a scrape may be answered: with `metrics.token` set, the request must carry it as a
/// bearer token; without one, only clients on this machine are answered.
pub fn scrape_allowed(
    settings: &MetricsSettings,
    peer: Option<IpAddr>,
    authorization: Option<&str>,
) -> bool {
    match &settings.token {
        Some(token) => authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|given| same_secret(given, token)),
        None => peer.is_some_and(|ip| ip.is_loopback() || ip.to_canonical().is_loopback()),
    }
}

fn same_secret(given: &str, expected: &SecretString) -> bool {
    use subtle::ConstantTimeEq;
    let (a, b) = (given.as_bytes(), expected.expose_secret().as_bytes());
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_token(t: Option<&str>) -> MetricsSettings {
        MetricsSettings {
            token: t.map(|t| SecretString::from(t.to_owned())),
        }
    }

    #[test]
    fn without_a_token_only_loopback_scrapes() {
        let s = with_token(None);
        assert!(scrape_allowed(&s, Some("127.0.0.1".parse().unwrap()), None));
        assert!(scrape_allowed(&s, Some("::1".parse().unwrap()), None));
        assert!(scrape_allowed(
            &s,
            Some("::ffff:127.0.0.1".parse().unwrap()),
            None
        ));
        assert!(!scrape_allowed(&s, Some("10.0.0.7".parse().unwrap()), None));
        assert!(!scrape_allowed(&s, None, Some("Bearer anything")));
    }

    #[test]
    fn with_a_token_every_scrape_must_carry_it() {
        let s = with_token(Some("scrape-secret-0123456789"));
        let remote = Some("10.0.0.7".parse().unwrap());
        assert!(scrape_allowed(
            &s,
            remote,
            Some("Bearer scrape-secret-0123456789")
        ));
        assert!(!scrape_allowed(
            &s,
            remote,
            Some("Bearer scrape-secret-012345678")
        ));
        assert!(!scrape_allowed(
            &s,
            Some("127.0.0.1".parse().unwrap()),
            None
        ));
        assert!(!scrape_allowed(
            &s,
            remote,
            Some("scrape-secret-0123456789")
        ));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
