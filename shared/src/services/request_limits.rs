//! Request rate limits by class (reads, writes, uploads, chat), per caller, shared by every
//! API replica through Redis. GCRA in one Lua script: each caller's state is a single
//! "theoretical arrival time", so a check is one atomic round trip with no race between
//! reading and counting.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use redis::aio::ConnectionManager;

use crate::config::RateLimitSettings;

/// Which allowance a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Reads,
    Writes,
    Uploads,
    Chat,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reads => "reads",
            Self::Writes => "writes",
            Self::Uploads => "uploads",
            Self::Chat => "chat",
        }
    }

    pub fn per_minute(self, limits: &RateLimitSettings) -> u32 {
        match self {
            Self::Reads => limits.reads_per_minute,
            Self::Writes => limits.writes_per_minute,
            Self::Uploads => limits.uploads_per_minute,
            Self::Chat => limits.chat_per_minute,
        }
    }
}

/// What one check decided, with what the RateLimit headers report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests still allowed right now.
    pub remaining: u32,
    /// Seconds until the whole allowance is back.
    pub reset_secs: u64,
    /// Seconds until the next request is allowed (0 when allowed).
    pub retry_after_secs: u64,
}

/// Redis could not be asked.
#[derive(Debug, thiserror::Error)]
#[error("the rate limiter could not reach Redis: {0}")]
pub struct Unreachable(pub String);

/// KEYS[1]: the caller's key; KEYS[2]: a key that must not be exhausted (the client
/// address, for requests that carry a credential), or the same key again. ARGV: the
/// emission interval as whole microseconds and a remainder in `limit`ths of a microsecond,
/// the limit, and the allowance period in microseconds. A state is "<tat µs>:<remainder>",
/// so the interval (period / limit) is exact at any limit: a whole-millisecond interval
/// silently capped every limit above 60 000 a minute at 1 000 a second. Times are kept in
/// integers below 2^53 (exact in Lua's doubles) and written with %.0f, never with Lua's
/// 14-digit number formatting. Returns {allowed, remaining, reset_us, retry_us}.
const SCRIPT: &str = r#"
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local whole = tonumber(ARGV[1])
local rest = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local period = tonumber(ARGV[4])
local function state_of(key)
  local v = redis.call('GET', key)
  if not v then return now, 0 end
  local sep = string.find(v, ':', 1, true)
  if not sep then return now, 0 end
  local tat = tonumber(string.sub(v, 1, sep - 1))
  local rem = tonumber(string.sub(v, sep + 1))
  if tat == nil or rem == nil or tat < now then return now, 0 end
  return tat, rem
end
local function advance(tat, rem)
  tat = tat + whole
  rem = rem + rest
  if rem >= limit then
    tat = tat + 1
    rem = rem - limit
  end
  return tat, rem
end
if KEYS[2] ~= KEYS[1] then
  local guard, guard_rem = state_of(KEYS[2])
  local next_guard = advance(guard, guard_rem)
  if next_guard - now > period then
    return {0, 0, guard - now, next_guard - period - now}
  end
end
local tat, rem = state_of(KEYS[1])
local new_tat, new_rem = advance(tat, rem)
if new_tat - now > period then
  return {0, 0, tat - now, new_tat - period - now}
end
redis.call('SET', KEYS[1], string.format('%.0f:%.0f', new_tat, new_rem), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((period - (new_tat - now)) * limit / period), new_tat - now, 0}
"#;

const PERIOD_US: u64 = 60_000_000;
/// A check that takes longer than this counts as Redis being unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_millis(250);
/// After a failure, checks are skipped for this long instead of waiting on a dead Redis.
const BACKOFF: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct RequestLimiter {
    conn: ConnectionManager,
    prefix: String,
    script: Arc<redis::Script>,
    limits: RateLimitSettings,
    /// Unix millis before which Redis is presumed down.
    skip_until_ms: Arc<AtomicU64>,
}

impl RequestLimiter {
    pub fn new(conn: ConnectionManager, prefix: &str, limits: RateLimitSettings) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}:reqlimit"),
            script: Arc::new(redis::Script::new(SCRIPT)),
            limits,
            skip_until_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The class's allowance per minute (0: not limited).
    pub fn limit(&self, class: Class) -> u32 {
        class.per_minute(&self.limits)
    }

    fn key(&self, class: Class, subject: &str) -> String {
        format!("{}:{}:{subject}", self.prefix, class.as_str())
    }

    /// Counts one request of `subject` against `class`, refusing it when the allowance is
    /// spent or when `guard` (another subject) has spent its own. `Ok(None)` when the class
    /// is off.
    pub async fn check(
        &self,
        class: Class,
        subject: &str,
        guard: Option<&str>,
    ) -> Result<Option<Decision>, Unreachable> {
        let limit = self.limit(class);
        if limit == 0 {
            return Ok(None);
        }
        if now_ms() < self.skip_until_ms.load(Ordering::Relaxed) {
            return Err(Unreachable("skipped after a recent failure".into()));
        }
        let key = self.key(class, subject);
        let guard_key = guard.map_or_else(|| key.clone(), |g| self.key(class, g));
        let limit_u64 = u64::from(limit);
        let mut conn = self.conn.clone();
        let mut invocation = self.script.key(&key);
        invocation
            .key(&guard_key)
            .arg(PERIOD_US / limit_u64)
            .arg(PERIOD_US % limit_u64)
            .arg(limit_u64)
            .arg(PERIOD_US);
        let reply: Result<redis::RedisResult<(i64, i64, i64, i64)>, _> =
            tokio::time::timeout(CHECK_TIMEOUT, invocation.invoke_async(&mut conn)).await;
        let (allowed, remaining, reset_us, retry_us) = match reply {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(self.failed(e.to_string())),
            Err(_) => return Err(self.failed("no answer within 250 ms".into())),
        };
        Ok(Some(Decision {
            allowed: allowed == 1,
            limit,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
            reset_secs: ceil_secs(reset_us),
            retry_after_secs: if allowed == 1 {
                0
            } else {
                ceil_secs(retry_us).max(1)
            },
        }))
    }

    /// Counts a request against `subject` after the fact, ignoring the answer: credentials
    /// that fail authentication are charged to the client address.
    pub async fn charge(&self, class: Class, subject: &str) {
        if let Err(e) = self.check(class, subject, None).await {
            tracing::debug!(error = %e, "could not charge a failed credential");
        }
    }

    fn failed(&self, why: String) -> Unreachable {
        self.skip_until_ms
            .store(now_ms() + BACKOFF.as_millis() as u64, Ordering::Relaxed);
        Unreachable(why)
    }
}

fn ceil_secs(us: i64) -> u64 {
    u64::try_from(us.max(0)).unwrap_or(0).div_ceil(1_000_000)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
