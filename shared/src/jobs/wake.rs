//! Wakes idle workers when a job is enqueued, instead of every worker asking Redis every few
//! milliseconds. An enqueue publishes `<kind> <due unix ms>` on `{prefix}:wake`; each worker
//! process holds one subscription and wakes the poller of that kind at once, or when the job
//! falls due. Workers still poll on a slow safety interval, so a lost message (a Redis
//! restart, a dropped subscription) costs at most that interval.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use futures::{StreamExt, task::AtomicWaker};
use secrecy::ExposeSecret;

use crate::config::Settings;

pub fn channel(prefix: &str) -> String {
    format!("{prefix}:wake")
}

pub fn message(kind: &str, due_unix_ms: u64) -> String {
    format!("{kind} {due_unix_ms}")
}

fn parse(message: &str) -> Option<(&str, u64)> {
    let (kind, due) = message.rsplit_once(' ')?;
    Some((kind, due.parse().ok()?))
}

pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One kind's wake-ups: a counter bumped by every announcement, the poller to wake, and the
/// due times of delayed jobs it should wake for later.
#[derive(Default)]
pub struct KindSignal {
    generation: AtomicU64,
    waker: AtomicWaker,
    dues: Mutex<Vec<u64>>,
}

impl KindSignal {
    fn announce(&self, due_unix_ms: u64) {
        if due_unix_ms > unix_ms() {
            self.dues
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(due_unix_ms);
        }
        self.generation.fetch_add(1, Ordering::Release);
        self.waker.wake();
    }

    /// Registers the poller's waker for the next announcement.
    pub fn register(&self, waker: &std::task::Waker) {
        self.waker.register(waker);
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets due times that have passed and returns the earliest one still ahead.
    pub fn next_due(&self, now_unix_ms: u64) -> Option<u64> {
        let mut dues = self.dues.lock().unwrap_or_else(|e| e.into_inner());
        dues.retain(|&d| d > now_unix_ms);
        dues.iter().min().copied()
    }
}

/// The wake-ups of every kind this process runs.
pub struct WakeHub {
    kinds: HashMap<String, Arc<KindSignal>>,
}

impl WakeHub {
    pub fn new(kinds: &[String]) -> Arc<Self> {
        Arc::new(Self {
            kinds: kinds
                .iter()
                .map(|k| (k.clone(), Arc::new(KindSignal::default())))
                .collect(),
        })
    }

    pub fn signal(&self, kind: &str) -> Arc<KindSignal> {
        self.kinds.get(kind).cloned().unwrap_or_default()
    }

    fn deliver(&self, message: &str) {
        if let Some((kind, due)) = parse(message)
            && let Some(signal) = self.kinds.get(kind)
        {
            signal.announce(due);
        }
    }

    fn wake_all(&self) {
        let now = unix_ms();
        for signal in self.kinds.values() {
            signal.announce(now);
        }
    }

    /// Subscribes until the process ends, reconnecting after failures. Every (re)subscription
    /// wakes all pollers once, since announcements made while it was down were missed.
    pub async fn listen(self: Arc<Self>, settings: Arc<Settings>) {
        let channel = channel(&settings.jobs.queue_prefix);
        let mut backoff = Duration::from_millis(200);
        loop {
            match self.subscribe_once(&settings, &channel).await {
                Ok(()) => backoff = Duration::from_millis(200),
                Err(e) => {
                    tracing::warn!(error = %e, "job wake-up subscription failed; safety polling covers it until it is back");
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
            tokio::time::sleep(backoff).await;
        }
    }

    async fn subscribe_once(&self, settings: &Settings, channel: &str) -> redis::RedisResult<()> {
        let client = redis::Client::open(settings.redis.url.expose_secret())?;
        let mut pubsub = tokio::time::timeout(Duration::from_secs(5), client.get_async_pubsub())
            .await
            .map_err(|_| redis::RedisError::from(std::io::Error::other("connect timed out")))??;
        pubsub.subscribe(channel).await?;
        self.wake_all();
        let mut messages = pubsub.into_on_message();
        while let Some(msg) = messages.next().await {
            if let Ok(text) = msg.get_payload::<String>() {
                self.deliver(&text);
            }
        }
        Err(std::io::Error::other("subscription closed").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_kind_and_when_it_is_due() {
        assert_eq!(parse(&message("sync:zoom", 42)), Some(("sync:zoom", 42)));
        assert_eq!(parse("embed"), None);
        assert_eq!(parse("embed soon"), None);
    }

    #[test]
    fn an_announcement_bumps_the_kind_and_remembers_a_later_due_time() {
        let hub = WakeHub::new(&["embed".to_owned(), "cluster".to_owned()]);
        let embed = hub.signal("embed");
        let later = unix_ms() + 60_000;
        hub.deliver(&message("embed", later));
        hub.deliver(&message("unknown", 0));
        assert_eq!(embed.generation(), 1);
        assert_eq!(hub.signal("cluster").generation(), 0);
        assert_eq!(embed.next_due(unix_ms()), Some(later));
        assert_eq!(
            embed.next_due(later),
            None,
            "a passed due time is forgotten"
        );
    }
}
