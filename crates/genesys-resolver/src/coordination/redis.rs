//! Coordination through Redis (feature `redis`): per-name leases and a shared pacing budget.
//!
//! A lease is `SET key token NX PX ttl` with a random token, renewed every ttl/3 by a
//! compare-and-pexpire script while held, and deleted only by a compare-and-delete script, so
//! a holder can never release (or extend) a lease that lapsed and went to someone else. The
//! pacing budget is GCRA: one script reads the theoretical arrival time, reserves the next slot
//! on the Redis server's clock, and answers how long to wait.

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex as SyncMutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisResult, Script};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::local::deadline_after;
use super::{
    CoordinationError, Coordinator, Lease, LeaseBackend, LeaseKey, LocalCoordinator, PaceKey, Pacer,
};

/// Extends the lease by ARGV[2] ms if KEYS[1] still holds our token ARGV[1]; 1 if so, else 0.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then \
           return redis.call('PEXPIRE', KEYS[1], ARGV[2]) \
         else return 0 end",
    )
});

/// Deletes KEYS[1] if it still holds our token ARGV[1]; 1 if so, else 0.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then \
           return redis.call('DEL', KEYS[1]) \
         else return 0 end",
    )
});

/// GCRA: KEYS[1] holds the theoretical arrival time (µs since the epoch, server clock).
/// Reserves the slot at max(tat, now), moves tat one interval (ARGV[1] µs) on, and answers
/// how many µs the caller waits for its slot. The key lapses once the budget is idle.
static PACE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local t = redis.call('TIME') \
         local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) \
         local tat = tonumber(redis.call('GET', KEYS[1]) or 0) or 0 \
         if tat < now then tat = now end \
         local next_tat = tat + tonumber(ARGV[1]) \
         redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', \
           string.format('%d', math.floor((next_tat - now) / 1000) + 1000)) \
         return tat - now",
    )
});

/// Settings of a [`RedisCoordinator`] and its pacers. Checked as a whole by
/// [`RedisCoordinator::connect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    lease_ttl: Duration,
    command_timeout: Duration,
    connect_timeout: Duration,
    lease_prefix: String,
    pace_prefix: String,
    poll_min: Duration,
    poll_max: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            lease_ttl: Duration::from_secs(30),
            command_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(3),
            lease_prefix: LeaseKey::DEFAULT_PREFIX.to_owned(),
            pace_prefix: PaceKey::DEFAULT_PREFIX.to_owned(),
            poll_min: Duration::from_millis(10),
            poll_max: Duration::from_millis(250),
        }
    }
}

impl RedisOptions {
    /// How long a lease lives without renewal (default 30 s, at least 100 ms). A holder that
    /// vanishes (killed process, lost network) blocks its name this long at most; a live
    /// holder renews every ttl/3.
    #[must_use]
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// The longest any one Redis command may take (default 2 s; positive, at most half the
    /// lease ttl). Past it the operation fails with [`CoordinationError::Unavailable`].
    #[must_use]
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// The longest connecting may take (default 3 s, positive).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The prefix of lease keys (default [`LeaseKey::DEFAULT_PREFIX`], not empty).
    #[must_use]
    pub fn lease_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.lease_prefix = prefix.into();
        self
    }

    /// The prefix of pacing keys (default [`PaceKey::DEFAULT_PREFIX`], not empty).
    #[must_use]
    pub fn pace_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.pace_prefix = prefix.into();
        self
    }

    /// The jittered backoff between two tries for a lease someone else holds: starts at
    /// `min`, doubles up to `max` (defaults 10 ms and 250 ms; `0 < min <= max`).
    #[must_use]
    pub fn poll_interval(mut self, min: Duration, max: Duration) -> Self {
        self.poll_min = min;
        self.poll_max = max;
        self
    }

    /// The lease ttl.
    pub fn get_lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    /// The command timeout.
    pub fn get_command_timeout(&self) -> Duration {
        self.command_timeout
    }

    /// Checks every setting; the first broken rule is reported.
    pub fn validate(&self) -> Result<(), CoordinationError> {
        let invalid = |field, reason: &str| {
            Err(CoordinationError::Config {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.lease_ttl < Duration::from_millis(100) {
            return invalid("lease_ttl", "must be at least 100ms");
        }
        if self.lease_ttl.as_millis() > u128::from(u32::MAX) {
            return invalid("lease_ttl", "must be below 49 days");
        }
        if self.command_timeout.is_zero() || self.command_timeout > self.lease_ttl / 2 {
            return invalid(
                "command_timeout",
                "must be positive and at most half the lease ttl",
            );
        }
        if self.connect_timeout.is_zero() {
            return invalid("connect_timeout", "must be positive");
        }
        if self.lease_prefix.is_empty() {
            return invalid("lease_prefix", "must not be empty");
        }
        if self.pace_prefix.is_empty() {
            return invalid("pace_prefix", "must not be empty");
        }
        if self.poll_min.is_zero() || self.poll_min > self.poll_max {
            return invalid("poll_interval", "needs 0 < min <= max");
        }
        Ok(())
    }
}

/// Leases on Redis, shared by every process that uses the same Redis and prefix.
///
/// A caller first takes the in-process turn on the key (a [`LocalCoordinator`] inside), so
/// callers in one process queue locally instead of polling Redis, then the Redis lease. Every
/// Redis command has a timeout; Redis unreachable or failing gives
/// [`CoordinationError::Unavailable`], never an unlocked turn. Cloning shares the connection
/// and the local turns.
#[derive(Clone)]
pub struct RedisCoordinator {
    local: LocalCoordinator,
    store: Store,
    options: Arc<RedisOptions>,
}

impl RedisCoordinator {
    /// Connects to the Redis at `url` (`redis://[user:password@]host:port/db`, `rediss://` is
    /// not built in). [`CoordinationError::Config`] for a bad URL or options,
    /// [`CoordinationError::Unavailable`] when Redis does not answer within the connect
    /// timeout. Afterwards the connection reconnects by itself when Redis comes back.
    pub async fn connect(url: &str, options: RedisOptions) -> Result<Self, CoordinationError> {
        options.validate()?;
        let store = Store::connect(url, &options).await?;
        Ok(Self {
            local: LocalCoordinator::new(),
            store,
            options: Arc::new(options),
        })
    }

    /// The options in use.
    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// A pacer drawing `per_minute` evenly spaced slots from the budget `key`, shared with
    /// every pacer (in any process) on the same Redis, prefix and key. Uses this
    /// coordinator's connection.
    pub fn pacer(&self, key: PaceKey, per_minute: NonZeroU32) -> RedisPacer {
        RedisPacer {
            store: self.store.clone(),
            redis_key: key.render(&self.options.pace_prefix),
            key,
            interval: Duration::from_secs(60) / per_minute.get(),
        }
    }
}

impl fmt::Debug for RedisCoordinator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCoordinator")
            .field("store", &self.store)
            .field("options", &self.options)
            .field("active_local_keys", &self.local.active_keys())
            .finish()
    }
}

#[async_trait]
impl Coordinator for RedisCoordinator {
    async fn acquire(&self, key: &LeaseKey, wait: Duration) -> Result<Lease, CoordinationError> {
        let deadline = deadline_after(wait);
        let turn = self.local.turn_until(key, deadline, wait).await?;
        let redis_key = key.render(&self.options.lease_prefix);
        let token = new_token();
        let ttl = self.options.lease_ttl;
        let mut delay = self.options.poll_min;
        loop {
            let started = Instant::now();
            // Armed while the SET is in flight: if it times out or this future is dropped, a
            // SET that did land is deleted again instead of blocking the name for a ttl.
            let mut pending = PendingSet {
                store: self.store.clone(),
                key: redis_key.clone(),
                token: token.clone(),
                armed: true,
            };
            let mut set = redis::cmd("SET");
            set.arg(&redis_key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl));
            let mut conn = self.store.conn.clone();
            let answer: Option<String> = self
                .store
                .run(async move { set.query_async(&mut conn).await })
                .await?;
            pending.armed = false;
            if answer.is_some() {
                let lease = RedisLease::start(
                    self.store.clone(),
                    redis_key,
                    key.to_string(),
                    token,
                    ttl,
                    started,
                );
                return Ok(Lease::from_parts(
                    key.clone(),
                    Some(turn),
                    Some(Box::new(lease)),
                ));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(CoordinationError::Timeout {
                    key: key.to_string(),
                    waited: wait,
                });
            }
            let jittered = rand::rng().random_range(delay / 2..=delay);
            tokio::time::sleep(jittered.min(deadline - now)).await;
            delay = (delay * 2).min(self.options.poll_max);
        }
    }
}

/// Cleans up a lease SET whose answer never arrived.
struct PendingSet {
    store: Store,
    key: String,
    token: String,
    armed: bool,
}

impl Drop for PendingSet {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (store, key, token) = (
            self.store.clone(),
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.token),
        );
        runtime.spawn(async move {
            let mut conn = store.conn.clone();
            let mut call = RELEASE.prepare_invoke();
            call.key(&key).arg(&token);
            let _: Result<i64, _> = store
                .run(async move { call.invoke_async(&mut conn).await })
                .await;
        });
    }
}

/// A held Redis lease: the key, our token, and the renewal task.
struct RedisLease {
    store: Store,
    redis_key: String,
    shown: String,
    token: String,
    state: Arc<SyncMutex<LeaseState>>,
    renewal: JoinHandle<()>,
}

#[derive(Debug)]
struct LeaseState {
    /// Why the lease is known lost, once it is.
    lost: Option<String>,
    /// Until when the lease is surely ours: the send time of the last confirmed SET or
    /// renewal plus the ttl (Redis counts from later, so this errs on the safe side).
    valid_until: Instant,
}

impl RedisLease {
    fn start(
        store: Store,
        redis_key: String,
        shown: String,
        token: String,
        ttl: Duration,
        set_at: Instant,
    ) -> Self {
        let state = Arc::new(SyncMutex::new(LeaseState {
            lost: None,
            valid_until: set_at + ttl,
        }));
        let renewal = tokio::spawn(renew(
            store.clone(),
            redis_key.clone(),
            shown.clone(),
            token.clone(),
            ttl,
            Arc::clone(&state),
        ));
        Self {
            store,
            redis_key,
            shown,
            token,
            state,
            renewal,
        }
    }

    fn lost(&self, reason: String) -> CoordinationError {
        CoordinationError::LeaseLost {
            key: self.shown.clone(),
            reason,
        }
    }
}

/// Renews the lease every ttl/3 until it is found lost or the task is aborted.
async fn renew(
    store: Store,
    redis_key: String,
    shown: String,
    token: String,
    ttl: Duration,
    state: Arc<SyncMutex<LeaseState>>,
) {
    let period = ttl / 3;
    loop {
        tokio::time::sleep(period).await;
        let sent = Instant::now();
        let mut conn = store.conn.clone();
        let mut call = RENEW.prepare_invoke();
        call.key(&redis_key).arg(&token).arg(millis(ttl));
        let answer: Result<i64, _> = store
            .run(async move { call.invoke_async(&mut conn).await })
            .await;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        match answer {
            Ok(1) => state.valid_until = sent + ttl,
            Ok(_) => {
                tracing::warn!(lease = %shown, "lease lost: the key is gone or held by another holder");
                state.lost = Some("a renewal found the key gone or held by another holder".into());
                return;
            }
            Err(err) if Instant::now() >= state.valid_until => {
                tracing::warn!(lease = %shown, error = %err, "lease lost: not renewed within its ttl");
                state.lost = Some(format!("not renewed within the ttl of {ttl:?}: {err}"));
                return;
            }
            Err(err) => {
                tracing::warn!(lease = %shown, error = %err, "lease renewal failed; retrying");
            }
        }
    }
}

#[async_trait]
impl LeaseBackend for RedisLease {
    fn ensure_held(&self) -> Result<(), CoordinationError> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(reason) = &state.lost {
            return Err(self.lost(reason.clone()));
        }
        if Instant::now() >= state.valid_until {
            return Err(
                self.lost("no renewal confirmed within the ttl (is Redis reachable?)".to_owned())
            );
        }
        Ok(())
    }

    async fn release(self: Box<Self>) -> Result<(), CoordinationError> {
        self.renewal.abort();
        let known = self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .lost
            .clone();
        let mut conn = self.store.conn.clone();
        let mut call = RELEASE.prepare_invoke();
        call.key(&self.redis_key).arg(&self.token);
        let deleted: i64 = self
            .store
            .run(async move { call.invoke_async(&mut conn).await })
            .await?;
        // Only we ever SET our token, so deleting it proves the key never lapsed.
        if deleted == 1 {
            Ok(())
        } else {
            Err(self.lost(known.unwrap_or_else(|| {
                "at release the key was gone or held by another holder".to_owned()
            })))
        }
    }
}

impl Drop for RedisLease {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

impl fmt::Debug for RedisLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLease")
            .field("key", &self.redis_key)
            .field("store", &self.store)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Evenly spaced slots at N per minute from one budget shared through Redis, from
/// [`RedisCoordinator::pacer`].
///
/// Every pacer on the same Redis, prefix and [`PaceKey`] draws from the same budget, so N
/// replicas together keep N per minute in total. The slot is reserved by one atomic script on
/// the Redis server's clock (GCRA), so the replicas' clocks do not matter. Redis unreachable
/// gives [`CoordinationError::Unavailable`] and no slot, never an unpaced call.
#[derive(Clone)]
pub struct RedisPacer {
    store: Store,
    key: PaceKey,
    redis_key: String,
    interval: Duration,
}

impl RedisPacer {
    /// The spacing between two slots of the shared budget.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The budget drawn from.
    pub fn key(&self) -> &PaceKey {
        &self.key
    }
}

impl fmt::Debug for RedisPacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPacer")
            .field("store", &self.store)
            .field("key", &self.redis_key)
            .field("interval", &self.interval)
            .finish()
    }
}

#[async_trait]
impl Pacer for RedisPacer {
    async fn acquire(&self) -> Result<(), CoordinationError> {
        let interval_us = u64::try_from(self.interval.as_micros()).unwrap_or(u64::MAX);
        let mut conn = self.store.conn.clone();
        let mut call = PACE.prepare_invoke();
        call.key(&self.redis_key).arg(interval_us);
        let wait_us: i64 = self
            .store
            .run(async move { call.invoke_async(&mut conn).await })
            .await?;
        if let Ok(wait_us) = u64::try_from(wait_us)
            && wait_us > 0
        {
            tokio::time::sleep(Duration::from_micros(wait_us)).await;
        }
        Ok(())
    }
}

/// The connection, how to show it, and the command timeout.
#[derive(Clone)]
struct Store {
    conn: ConnectionManager,
    /// The URL without user information or query.
    shown: Arc<str>,
    /// Credentials to scrub from Redis' own messages.
    secrets: Arc<[String]>,
    command_timeout: Duration,
}

impl Store {
    async fn connect(url: &str, options: &RedisOptions) -> Result<Self, CoordinationError> {
        let (shown, secrets) = redact(url).ok_or_else(|| CoordinationError::Config {
            field: "redis_url",
            reason: "not a valid URL".to_owned(),
        })?;
        let client = redis::Client::open(url).map_err(|e| CoordinationError::Config {
            field: "redis_url",
            reason: scrub(&e.to_string(), &secrets),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.command_timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let store_unavailable = |message: String| CoordinationError::Unavailable {
            store: shown.clone(),
            message: scrub(&message, &secrets),
        };
        let conn = match tokio::time::timeout(
            options.connect_timeout,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(store_unavailable(e.to_string())),
            Err(_) => {
                return Err(store_unavailable(format!(
                    "no connection within {:?}",
                    options.connect_timeout
                )));
            }
        };
        Ok(Self {
            conn,
            shown: shown.into(),
            secrets: secrets.into(),
            command_timeout: options.command_timeout,
        })
    }

    /// Runs one command under the command timeout; any failure is `Unavailable`.
    async fn run<T>(
        &self,
        command: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, CoordinationError> {
        match tokio::time::timeout(self.command_timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.unavailable(&e.to_string())),
            Err(_) => {
                Err(self.unavailable(&format!("no answer within {:?}", self.command_timeout)))
            }
        }
    }

    fn unavailable(&self, message: &str) -> CoordinationError {
        CoordinationError::Unavailable {
            store: self.shown.to_string(),
            message: scrub(message, &self.secrets),
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.shown)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}

/// The URL without user information (`[redacted]@` instead) and without its query (which may
/// carry `pass=`), and the credentials it held. `None` if it does not parse.
fn redact(url: &str) -> Option<(String, Vec<String>)> {
    let mut parsed = url::Url::parse(url).ok()?;
    let mut secrets = Vec::new();
    let had_userinfo = !parsed.username().is_empty() || parsed.password().is_some();
    if let Some(password) = parsed.password() {
        secrets.push(password.to_owned());
        if let Ok(decoded) = urlencoding_decode(password) {
            secrets.push(decoded);
        }
    }
    let had_query = parsed.query().is_some();
    for (name, value) in parsed.query_pairs() {
        if name == "pass" || name == "password" {
            secrets.push(value.into_owned());
        }
    }
    // Cannot fail for URLs with a host; for others (unix sockets) there is no userinfo.
    let _ = parsed.set_password(None);
    let _ = parsed.set_username("");
    parsed.set_query(None);
    parsed.set_fragment(None);
    let mut shown = parsed.to_string();
    if had_userinfo && let Some(at) = shown.find("://") {
        shown.insert_str(at + 3, "[redacted]@");
    }
    if had_query {
        shown.push_str("?[redacted]");
    }
    secrets.retain(|s| !s.is_empty());
    Some((shown, secrets))
}

/// Percent-decodes `s` as UTF-8.
fn urlencoding_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits always fit a byte.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
}

/// `message` with every secret replaced by `[redacted]`.
fn scrub(message: &str, secrets: &[String]) -> String {
    secrets.iter().fold(message.to_owned(), |m, s| {
        if s.is_empty() {
            m
        } else {
            m.replace(s.as_str(), "[redacted]")
        }
    })
}

/// A fresh random lease token (128 bits, hex).
fn new_token() -> String {
    let value: u128 = rand::rng().random();
    format!("{value:032x}")
}

/// `d` in whole milliseconds, at least 1 (options cap the ttl far below `u64::MAX`).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_and_query() {
        let (shown, secrets) = redact("redis://user:s%40cret@127.0.0.1:6379/0").unwrap();
        assert_eq!(shown, "redis://[redacted]@127.0.0.1:6379/0");
        assert!(secrets.contains(&"s@cret".to_owned()));
        assert!(secrets.contains(&"s%40cret".to_owned()));
        let (shown, secrets) = redact("redis+unix:///run/redis.sock?db=1&pass=hunter2").unwrap();
        assert_eq!(shown, "redis+unix:///run/redis.sock?[redacted]");
        assert_eq!(secrets, ["hunter2"]);
        let (shown, secrets) = redact("redis://127.0.0.1:6379").unwrap();
        assert_eq!(shown, "redis://127.0.0.1:6379");
        assert!(secrets.is_empty());
        assert!(redact("not a url").is_none());
        assert_eq!(
            scrub("WRONGPASS hunter2 x", &["hunter2".into()]),
            "WRONGPASS [redacted] x"
        );
    }

    #[test]
    fn options_are_checked_whole() {
        RedisOptions::default().validate().unwrap();
        let field = |o: RedisOptions| match o.validate() {
            Err(CoordinationError::Config { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(RedisOptions::default().lease_ttl(Duration::from_millis(10))),
            "lease_ttl"
        );
        assert_eq!(
            field(RedisOptions::default().command_timeout(Duration::from_secs(20))),
            "command_timeout"
        );
        assert_eq!(
            field(RedisOptions::default().lease_prefix("")),
            "lease_prefix"
        );
        assert_eq!(
            field(
                RedisOptions::default()
                    .poll_interval(Duration::from_millis(50), Duration::from_millis(10))
            ),
            "poll_interval"
        );
    }

    #[tokio::test]
    async fn bad_url_is_a_config_error_without_the_password() {
        let err = RedisCoordinator::connect("http//:hunter2@x", RedisOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            CoordinationError::Config {
                field: "redis_url",
                ..
            }
        ));
        assert!(!format!("{err} {err:?}").contains("hunter2"));
        let err = RedisCoordinator::connect("ftp://u:hunter2@127.0.0.1/", RedisOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CoordinationError::Config {
                    field: "redis_url",
                    ..
                }
            ),
            "{err}"
        );
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }

    #[test]
    fn tokens_are_random() {
        assert_ne!(new_token(), new_token());
        assert_eq!(new_token().len(), 32);
    }
}
