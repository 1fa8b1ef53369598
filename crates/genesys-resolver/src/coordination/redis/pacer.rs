//! [`RedisPacer`]: a pacing budget shared by every replica, GCRA on the Redis server's clock.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use redis::Script;

use super::store::Store;
use crate::coordination::{CoordinationError, PaceKey, Pacer};

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

/// Evenly spaced slots at N per minute from one budget shared through Redis, from
/// [`RedisCoordinator::pacer`](super::RedisCoordinator::pacer).
///
/// Every pacer on the same Redis, prefix and [`PaceKey`] draws from the same budget, so N
/// replicas together keep N per minute in total. The slot is reserved by one atomic script on
/// the Redis server's clock (GCRA), so the replicas' clocks do not matter. Redis unreachable
/// gives [`CoordinationError::Unavailable`] and no slot, never an unpaced call.
#[derive(Clone)]
pub struct RedisPacer {
    pub(super) store: Store,
    pub(super) key: PaceKey,
    pub(super) redis_key: String,
    pub(super) interval: Duration,
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
