//! Coordination between concurrent callers: one turn per integration name, and shared pacing.
//!
//! Genesys Cloud has no unique-name constraint and no conditional create, so two callers that
//! both look a name up, find nothing and create, leave two integrations. A [`Coordinator`]
//! hands out one exclusive turn ([`Lease`]) per [`LeaseKey`] (environment, scope, name): take
//! the turn, look the name up *again*, then create or update, then release.
//!
//! - [`LocalCoordinator`] (the default): a per-key async mutex within one process.
//! - [`RedisCoordinator`] (feature `redis`): a lease in Redis (`SET key token NX PX ttl`),
//!   renewed while held and released only by its holder, for several processes or replicas.
//!   When Redis cannot be reached the caller gets [`CoordinationError::Unavailable`]; it
//!   never falls back to working unlocked.
//!
//! A [`Pacer`] hands out evenly spaced slots, N per minute: [`LocalPacer`] in one process,
//! [`RedisPacer`] (feature `redis`) as one budget shared by every replica (GCRA in one atomic
//! script, on the Redis server's clock).
//!
//! ```
//! use std::time::Duration;
//! use genesys_resolver::coordination::{Coordinator, LeaseKey, LocalCoordinator};
//!
//! # async fn lookup_and_create(_name: &str) {}
//! # async fn run() -> Result<(), genesys_resolver::coordination::CoordinationError> {
//! let coordinator = LocalCoordinator::new();
//! let key = LeaseKey::new("https://api.mypurecloud.com/", "seed", "orders-webhook");
//!
//! // Wait at most 10 s for the turn on this name; a second caller waits here.
//! let lease = coordinator.acquire(&key, Duration::from_secs(10)).await?;
//! lookup_and_create(key.name()).await; // look up again now that the turn is ours
//! lease.ensure_held()?; // before each write: still ours?
//! lease.release().await?; // Err(LeaseLost) if it was lost on the way
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
//! ```
//!
//! With Redis (feature `redis`), several processes share the turns and the pacing budget:
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn run() -> Result<(), genesys_resolver::coordination::CoordinationError> {
//! use std::num::NonZeroU32;
//! use std::time::Duration;
//! use genesys_resolver::coordination::{
//!     Budget, Coordinator, LeaseKey, Pacer, PaceKey, RedisCoordinator, RedisOptions,
//! };
//!
//! let options = RedisOptions::default().lease_ttl(Duration::from_secs(30));
//! let coordinator = RedisCoordinator::connect("redis://127.0.0.1:6379/", options).await?;
//! let env = "https://api.mypurecloud.com/";
//!
//! let lease = coordinator
//!     .acquire(&LeaseKey::new(env, "seed", "orders-webhook"), Duration::from_secs(10))
//!     .await?;
//! // 300 writes per minute in total, however many replicas draw from it.
//! let writes = coordinator.pacer(PaceKey::new(env, Budget::Writes), NonZeroU32::new(300).unwrap());
//! writes.acquire().await?;
//! // ... create or update ...
//! lease.release().await?;
//! # Ok(()) }
//! ```

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

mod error;
mod key;
mod lease;
mod local;
#[cfg(feature = "redis")]
mod redis;

pub use error::CoordinationError;
pub use key::{Budget, LeaseKey, PaceKey, organisation};
pub use lease::{Lease, LeaseBackend};
pub use local::{LocalCoordinator, LocalPacer};
#[cfg(feature = "redis")]
pub use redis::{RedisCoordinator, RedisOptions, RedisPacer, SharedCoordination};

/// Hands out exclusive turns, one [`LeaseKey`] at a time.
#[async_trait]
pub trait Coordinator: Send + Sync + Debug {
    /// Waits at most `wait` for the exclusive turn on `key`.
    ///
    /// [`CoordinationError::Timeout`] when another holder kept it that long,
    /// [`CoordinationError::Unavailable`] when the store cannot be reached. Cancellation-safe:
    /// a caller dropped while waiting leaves nothing held.
    async fn acquire(&self, key: &LeaseKey, wait: Duration) -> Result<Lease, CoordinationError>;
}

#[async_trait]
impl<T: Coordinator + ?Sized> Coordinator for Arc<T> {
    async fn acquire(&self, key: &LeaseKey, wait: Duration) -> Result<Lease, CoordinationError> {
        (**self).acquire(key, wait).await
    }
}

/// Hands out evenly spaced slots from one budget of N per minute.
#[async_trait]
pub trait Pacer: Send + Sync + Debug {
    /// Reserves the next slot and waits until it. [`CoordinationError::Unavailable`] when a
    /// shared budget's store cannot be reached (then no slot was taken). Cancellation-safe: a
    /// caller dropped while waiting leaves its slot unused.
    async fn acquire(&self) -> Result<(), CoordinationError>;
}

#[async_trait]
impl<T: Pacer + ?Sized> Pacer for Arc<T> {
    async fn acquire(&self) -> Result<(), CoordinationError> {
        (**self).acquire().await
    }
}
