//! [`Lease`]: the guard of one exclusive turn, and the [`LeaseBackend`] seam behind it.

use std::fmt;

use async_trait::async_trait;

use super::local::LocalTurn;
use super::{CoordinationError, LeaseKey};

/// The part of a [`Lease`] held outside this process, such as a Redis key.
///
/// Implement it to write a [`Coordinator`](super::Coordinator) of your own (or a test double
/// that loses its lease on demand), and wrap it with [`Lease::new`].
#[async_trait]
pub trait LeaseBackend: Send + Sync + fmt::Debug {
    /// `Ok` while the lease is still held as far as is known; [`CoordinationError::LeaseLost`]
    /// once it is known lost. Must not block.
    fn ensure_held(&self) -> Result<(), CoordinationError>;

    /// Gives the lease up, and reports [`CoordinationError::LeaseLost`] if it turns out to have
    /// been lost before. Called at most once; a backend dropped without it must let the lease
    /// lapse on its own (say, by a ttl).
    async fn release(self: Box<Self>) -> Result<(), CoordinationError>;
}

/// An exclusive turn on one [`LeaseKey`], from [`Coordinator::acquire`](super::Coordinator::acquire).
///
/// Hold it for the whole operation (look up, then create or update), check
/// [`ensure_held`](Self::ensure_held) before a write, and [`release`](Self::release) it at
/// the end to learn whether it was kept throughout. Dropping it (also when the holder's
/// future is cancelled) releases the turn too: the next local waiter gets it at once, and a
/// store-held part is released on a spawned task when a Tokio runtime is running (otherwise
/// it lapses after its ttl).
#[must_use = "the turn is released as soon as the lease is dropped"]
pub struct Lease {
    key: LeaseKey,
    // Dropped after `backend` is released (see `Drop`), so a local waiter finds the store
    // key free when it gets its turn.
    local: Option<LocalTurn>,
    backend: Option<Box<dyn LeaseBackend>>,
}

impl Lease {
    /// A lease on `key` held by `backend` (for a coordinator of your own).
    pub fn new(key: LeaseKey, backend: impl LeaseBackend + 'static) -> Self {
        Self {
            key,
            local: None,
            backend: Some(Box::new(backend)),
        }
    }

    pub(crate) fn from_parts(
        key: LeaseKey,
        local: Option<LocalTurn>,
        backend: Option<Box<dyn LeaseBackend>>,
    ) -> Self {
        Self {
            key,
            local,
            backend,
        }
    }

    /// The key this lease is on.
    pub fn key(&self) -> &LeaseKey {
        &self.key
    }

    /// `Ok` while the lease is held; [`CoordinationError::LeaseLost`] once it is known lost
    /// (for Redis: a renewal found the key gone or owned by another holder, or no renewal
    /// succeeded within the ttl). Cheap and non-blocking; call it before every write.
    pub fn ensure_held(&self) -> Result<(), CoordinationError> {
        self.backend.as_ref().map_or(Ok(()), |b| b.ensure_held())
    }

    /// Releases the turn and reports whether the lease was kept until now:
    /// [`CoordinationError::LeaseLost`] if it was lost on the way,
    /// [`CoordinationError::Unavailable`] if the store could not be told (the lease then
    /// lapses after its ttl). If this future is dropped before it finishes, the turn is
    /// still released (a store-held part lapses after its ttl).
    pub async fn release(mut self) -> Result<(), CoordinationError> {
        let local = self.local.take();
        let result = match self.backend.take() {
            Some(backend) => backend.release().await,
            None => Ok(()),
        };
        drop(local);
        result
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(backend) = self.backend.take() else {
            return; // the local turn, if any, is released by its own drop
        };
        let local = self.local.take();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let key = self.key.to_string();
            runtime.spawn(async move {
                if let Err(err) = backend.release().await {
                    tracing::warn!(lease = %key, error = %err, "releasing a dropped lease failed");
                }
                drop(local);
            });
        } else {
            tracing::debug!(lease = %self.key, "lease dropped outside a Tokio runtime; it lapses after its ttl");
            drop(backend);
            drop(local);
        }
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("key", &self.key)
            .field("local", &self.local.is_some())
            .field("backend", &self.backend)
            .finish()
    }
}
