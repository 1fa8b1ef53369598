//! Coordination through Redis (feature `redis`): per-name leases and a shared pacing budget.
//!
//! A lease is `SET key token NX PX ttl` with a random token, renewed every ttl/3 by a
//! compare-and-pexpire script while held, and deleted only by a compare-and-delete script, so
//! a holder can never release (or extend) a lease that lapsed and went to someone else. The
//! pacing budget is GCRA: one script reads the theoretical arrival time, reserves the next slot
//! on the Redis server's clock, and answers how long to wait.

mod options;
mod pacer;
mod store;

use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex as SyncMutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;
use redis::Script;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use options::RedisOptions;
pub use pacer::RedisPacer;
use store::Store;

use super::key::Budget;
use super::local::deadline_after;
use super::{
    CoordinationError, Coordinator, Lease, LeaseBackend, LeaseKey, LocalCoordinator, PaceKey,
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
    /// Connects to the Redis at `url`: `redis://[user:password@]host:port/db`, or
    /// `rediss://...` for TLS (rustls on ring; the server is verified against the system trust
    /// store, or [`RedisOptions::tls_roots_pem`]; a `#insecure` fragment is refused).
    /// [`CoordinationError::Config`] for a bad URL or options,
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

/// A Redis coordinator and the pacers for the rate limits that are set, connected from settings
/// by [`RedisCoordinator::connect_settings`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SharedCoordination {
    /// Per-name leases shared by every replica.
    pub coordinator: RedisCoordinator,
    /// The budget of every API call ([`ClientSettings::rate_limit_per_minute`](crate::settings::ClientSettings::rate_limit_per_minute)), when set.
    pub pacer: Option<RedisPacer>,
    /// The budget of writes ([`ClientSettings::write_rate_limit_per_minute`](crate::settings::ClientSettings::write_rate_limit_per_minute)), when set.
    pub write_pacer: Option<RedisPacer>,
}

impl RedisCoordinator {
    /// Connects to [`CoordinationSettings::redis_url`](crate::settings::CoordinationSettings::redis_url)
    /// with the lease ttl and key prefix of `settings.coordination`, and makes the pacers for
    /// the client's rate limits that are set. Keys name the organisation (its API base, or
    /// `custom` without an environment), so every resolver and deployer of one organisation
    /// shares one lease per name and one budget, and two organisations never share a key.
    pub async fn connect_settings(
        settings: &crate::settings::ResolverSettings,
    ) -> Result<SharedCoordination, CoordinationError> {
        Self::connect_parts(&settings.client, &settings.trust, &settings.coordination).await
    }

    /// [`connect_settings`](Self::connect_settings) from the parts every flow's settings hold:
    /// the client's (environment and rate limits), the trust store's (`rediss://` trusts what
    /// the rest of the resolver trusts) and the coordination's.
    pub async fn connect_parts(
        client: &crate::settings::ClientSettings,
        trust: &crate::settings::TrustSettings,
        c: &crate::settings::CoordinationSettings,
    ) -> Result<SharedCoordination, CoordinationError> {
        let url = c.redis_url.as_deref().ok_or(CoordinationError::Config {
            field: "redis_url",
            reason: "is not set".to_owned(),
        })?;
        let mut options = RedisOptions::default();
        if let Some(ttl) = c.lease_ttl {
            // A command must answer well within a renewal period (ttl/3).
            let command_timeout = options.get_command_timeout().min(ttl / 4);
            options = options.lease_ttl(ttl).command_timeout(command_timeout);
        }
        if let Some(prefix) = &c.key_prefix {
            options = options
                .lease_prefix(format!("{prefix}lease:"))
                .pace_prefix(format!("{prefix}pace:"));
        }
        // `rediss://` trusts what the rest of the resolver trusts (RESOLVER_CA_FILE beside the
        // system store).
        let trust = crate::tls::TrustConfig::from_settings(trust);
        if url.starts_with("rediss://") && trust.has_extra_anchors() {
            let pem = trust.pem_bundle().map_err(|e| CoordinationError::Config {
                field: "trust",
                reason: e.to_string(),
            })?;
            options = options.tls_roots_pem(pem);
        }
        let coordinator = Self::connect(url, options).await?;
        let environment = super::key::organisation(client.environment.as_ref());
        let pacer = |per_minute: Option<u32>, budget: Budget| {
            per_minute
                .and_then(NonZeroU32::new)
                .map(|n| coordinator.pacer(PaceKey::new(environment.clone(), budget), n))
        };
        Ok(SharedCoordination {
            pacer: pacer(client.rate_limit_per_minute, Budget::Calls),
            write_pacer: pacer(client.write_rate_limit_per_minute, Budget::Writes),
            coordinator,
        })
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
