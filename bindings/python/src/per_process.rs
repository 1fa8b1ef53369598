//! [`PerProcess`]: what a Python object holds that must not cross a `fork` (clients, their
//! connection pools, token caches, coordinators: all tied to the runtime of the process that
//! built them), rebuilt from its recipe when the object finds itself in a new process.
//!
//! A forked child inherits the parent's objects but not the runtime threads behind their pools
//! and background tasks, nor the sockets' sole ownership: a request on an inherited pool waits
//! for ever, or shares a connection with the parent. So the child never uses or drops an
//! inherited value: [`PerProcess::get`] builds a fresh one from the same recipe (the settings the
//! object was made with) and leaks the old one; see [`crate::runtime`] for how a new process is
//! recognised.

use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::prelude::*;

use crate::runtime::Generation;

/// How a value is (re)built; may release the GIL (it may run a blocking call).
type Recipe<T> = Box<dyn Fn(Python<'_>) -> PyResult<T> + Send + Sync>;

/// A value built for the running process, and the recipe that builds it again after a fork.
pub(crate) struct PerProcess<T> {
    /// The value and the process it was built in. Locked only with the GIL held and never
    /// across a GIL release, so it is free whenever Python forks.
    current: Mutex<Option<(Generation, T)>>,
    build: Recipe<T>,
}

impl<T: Clone> PerProcess<T> {
    /// Builds the value now (errors are the constructor's) and keeps `build` for a forked child.
    pub(crate) fn new(
        py: Python<'_>,
        build: impl Fn(Python<'_>) -> PyResult<T> + Send + Sync + 'static,
    ) -> PyResult<Self> {
        let born = Generation::current();
        let value = build(py)?;
        Ok(Self {
            current: Mutex::new(Some((born, value))),
            build: Box::new(build),
        })
    }

    /// The value for this process: the one built here, or a new one when the value was
    /// inherited through a fork (the inherited one is leaked, never used or dropped).
    pub(crate) fn get(&self, py: Python<'_>) -> PyResult<T> {
        let now = Generation::current();
        if let Some((born, value)) = &*self.lock()
            && *born == now
        {
            return Ok(value.clone());
        }
        // Outside the lock: the recipe may release the GIL, and another thread may then come here.
        let fresh = (self.build)(py)?;
        let mut current = self.lock();
        if let Some((born, value)) = &*current
            && *born == now
        {
            // Another thread of this process rebuilt it first; ours is dropped here, which is
            // safe (it belongs to this process).
            return Ok(value.clone());
        }
        std::mem::forget(current.replace((now, fresh.clone())));
        Ok(fresh)
    }

    fn lock(&self) -> MutexGuard<'_, Option<(Generation, T)>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Drop for PerProcess<T> {
    fn drop(&mut self) {
        let current = self
            .current
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if current
            .as_ref()
            .is_some_and(|(born, _)| *born != Generation::current())
        {
            // Inherited and never rebuilt: dropping it could wait on the parent's threads.
            std::mem::forget(current.take());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A value that counts its drops.
    #[derive(Clone)]
    struct Counted {
        build: usize,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_value_is_built_once_per_process_and_an_inherited_one_is_never_dropped() {
        Python::initialize();
        Python::attach(|py| {
            let builds = Arc::new(AtomicUsize::new(0));
            let drops = Arc::new(AtomicUsize::new(0));
            let (b, d) = (Arc::clone(&builds), Arc::clone(&drops));
            let value = PerProcess::new(py, move |_| {
                Ok(Counted {
                    build: b.fetch_add(1, Ordering::SeqCst) + 1,
                    drops: Arc::clone(&d),
                })
            })
            .unwrap();
            assert_eq!(value.get(py).unwrap().build, 1);
            assert_eq!(value.get(py).unwrap().build, 1);
            assert_eq!(builds.load(Ordering::SeqCst), 1);
            let clones_dropped = drops.load(Ordering::SeqCst);

            // As the at-fork hook does in a child: a new generation.
            crate::runtime::after_fork_in_child(py);
            assert_eq!(value.get(py).unwrap().build, 2);
            assert_eq!(value.get(py).unwrap().build, 2);
            assert_eq!(builds.load(Ordering::SeqCst), 2);
            // The inherited value was leaked, not dropped (only the clones handed out were).
            assert_eq!(drops.load(Ordering::SeqCst), clones_dropped + 2);

            // A value of this generation is dropped normally with its holder...
            let before = drops.load(Ordering::SeqCst);
            drop(value);
            assert_eq!(drops.load(Ordering::SeqCst), before + 1);
        });
    }

    #[test]
    fn a_failed_rebuild_is_the_callers_error_and_is_tried_again() {
        Python::initialize();
        Python::attach(|py| {
            let fail = Arc::new(AtomicUsize::new(0));
            let f = Arc::clone(&fail);
            let value = PerProcess::new(py, move |_| {
                if f.load(Ordering::SeqCst) == 1 {
                    Err(pyo3::exceptions::PyOSError::new_err("redis down"))
                } else {
                    Ok(7_u32)
                }
            })
            .unwrap();
            crate::runtime::after_fork_in_child(py);
            fail.store(1, Ordering::SeqCst);
            assert!(
                value
                    .get(py)
                    .unwrap_err()
                    .to_string()
                    .contains("redis down")
            );
            fail.store(0, Ordering::SeqCst);
            assert_eq!(value.get(py).unwrap(), 7);
        });
    }
}
