//! The in-process coordinator (a per-key async mutex) and pacer (evenly spaced slots).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex as SyncMutex, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::time::Instant;

use super::{CoordinationError, Coordinator, Lease, LeaseKey, Pacer};

type Turns = SyncMutex<HashMap<String, Weak<Mutex<()>>>>;

/// Serialises operations on the same [`LeaseKey`] within one process.
///
/// One async mutex per key, handed out first come, first served (Tokio's mutex is fair).
/// Different keys never wait for each other. The table holds its mutexes weakly and drops an
/// entry as soon as nobody holds or waits for it, so it stays as small as the number of keys
/// in use. Cloning shares the table.
///
/// It does not coordinate between processes; use
/// [`RedisCoordinator`](super::RedisCoordinator) (feature `redis`) for replicas.
#[derive(Debug, Clone, Default)]
pub struct LocalCoordinator {
    turns: Arc<Turns>,
}

impl LocalCoordinator {
    /// An empty coordinator.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many keys someone holds or waits for right now.
    pub fn active_keys(&self) -> usize {
        lock(&self.turns).len()
    }

    /// Waits until `deadline` at most for the turn on `key`.
    pub(crate) async fn turn_until(
        &self,
        key: &LeaseKey,
        deadline: Instant,
        waited: Duration,
    ) -> Result<LocalTurn, CoordinationError> {
        let id = key.render("");
        let mutex = {
            let mut turns = lock(&self.turns);
            if let Some(existing) = turns.get(&id).and_then(Weak::upgrade) {
                existing
            } else {
                let fresh = Arc::new(Mutex::new(()));
                turns.insert(id.clone(), Arc::downgrade(&fresh));
                fresh
            }
        };
        // From here on `slot` removes the entry when it is the last user, also if this future
        // is dropped while waiting.
        let mut slot = Slot {
            turns: Arc::clone(&self.turns),
            id,
            mutex: Some(Arc::clone(&mutex)),
        };
        match tokio::time::timeout_at(deadline, mutex.lock_owned()).await {
            Ok(guard) => {
                slot.mutex = None; // the guard keeps the mutex alive now
                Ok(LocalTurn {
                    guard: Some(guard),
                    _slot: slot,
                })
            }
            Err(_) => Err(CoordinationError::Timeout {
                key: key.to_string(),
                waited,
            }),
        }
    }
}

#[async_trait]
impl Coordinator for LocalCoordinator {
    async fn acquire(&self, key: &LeaseKey, wait: Duration) -> Result<Lease, CoordinationError> {
        let turn = self.turn_until(key, deadline_after(wait), wait).await?;
        Ok(Lease::from_parts(key.clone(), Some(turn), None))
    }
}

/// `now + wait`, saturating far in the future for huge waits.
pub(crate) fn deadline_after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365))
}

fn lock(turns: &Turns) -> std::sync::MutexGuard<'_, HashMap<String, Weak<Mutex<()>>>> {
    turns.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One held local turn. The guard is dropped before the slot, so the slot sees the mutex idle.
#[derive(Debug)]
pub(crate) struct LocalTurn {
    guard: Option<OwnedMutexGuard<()>>,
    _slot: Slot,
}

impl Drop for LocalTurn {
    fn drop(&mut self) {
        self.guard = None;
    }
}

/// A user of one table entry; the last one to go removes the entry.
#[derive(Debug)]
struct Slot {
    turns: Arc<Turns>,
    id: String,
    mutex: Option<Arc<Mutex<()>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.mutex = None;
        let mut turns = lock(&self.turns);
        // Upgrades happen only under this lock, so a dead entry cannot come back to life.
        if turns.get(&self.id).is_some_and(|w| w.strong_count() == 0) {
            turns.remove(&self.id);
        }
    }
}

/// Evenly spaced slots at N per minute within one process (no bursts).
///
/// Each caller reserves the next free slot and sleeps until it. A caller dropped while
/// waiting leaves its slot unused, which only slows the rate a little; nothing stays locked.
/// Never fails.
#[derive(Debug)]
pub struct LocalPacer {
    interval: Duration,
    next_slot: SyncMutex<Option<Instant>>,
}

impl LocalPacer {
    /// A pacer of `per_minute` slots per minute.
    pub fn per_minute(per_minute: NonZeroU32) -> Self {
        Self {
            interval: Duration::from_secs(60) / per_minute.get(),
            next_slot: SyncMutex::new(None),
        }
    }

    /// The spacing between two slots.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

#[async_trait]
impl Pacer for LocalPacer {
    async fn acquire(&self) -> Result<(), CoordinationError> {
        let slot = {
            let mut next = self
                .next_slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_slots_evenly() {
        let pacer = LocalPacer::per_minute(NonZeroU32::new(600).unwrap()); // one per 100 ms
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire().await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_wait_takes_a_free_turn_and_times_out_on_a_held_one() {
        let c = LocalCoordinator::new();
        let key = LeaseKey::new("e", "s", "n");
        let held = c.acquire(&key, Duration::ZERO).await.unwrap();
        let err = c.acquire(&key, Duration::ZERO).await.unwrap_err();
        assert!(matches!(err, CoordinationError::Timeout { .. }), "{err}");
        assert_eq!(c.active_keys(), 1);
        drop(held);
        assert_eq!(c.active_keys(), 0);
        let again = c.acquire(&key, Duration::ZERO).await.unwrap();
        again.ensure_held().unwrap();
        again.release().await.unwrap();
        assert_eq!(c.active_keys(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_arrival_order() {
        let c = LocalCoordinator::new();
        let key = LeaseKey::new("e", "s", "n");
        let first = c.acquire(&key, Duration::ZERO).await.unwrap();
        let order = Arc::new(SyncMutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (c, key, order) = (c.clone(), key.clone(), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                let lease = c.acquire(&key, Duration::from_secs(60)).await.unwrap();
                order.lock().unwrap().push(i);
                tokio::time::sleep(Duration::from_millis(1)).await;
                drop(lease);
            }));
            // Let task i queue up before task i + 1 is spawned.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(c.active_keys(), 0);
    }
}
