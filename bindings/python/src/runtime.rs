//! The process's tokio runtime: its life from first use to interpreter exit, across `fork`, and
//! the two ways Python calls run on it.
//!
//! - [`block_on`] runs a future on the calling thread with the GIL released, waking every
//!   [`SIGNAL_POLL`] to run Python's signal handlers: Ctrl-C raises `KeyboardInterrupt` at once and
//!   drops the future, which cancels the network work (the core's futures are cancellation-safe).
//! - [`future_into_py`] hands a future to asyncio as an awaitable (`pyo3-async-runtimes`' generic
//!   bridge, on this runtime). Cancelling the asyncio task, or `asyncio.wait_for` timing out, drops
//!   the Rust future on the runtime.
//!
//! **Exit.** An `atexit` hook (registered on import) stops the runtime before the interpreter
//! finalizes: no new call starts, a thread still blocked in [`block_on`] (a daemon thread) drops
//! its future and never returns to Python, and the runtime shuts down with the GIL released, so
//! a worker waiting for the GIL (to hand an asyncio result over, or to log) gets it and ends. It
//! waits at most [`SHUTDOWN_GRACE`]. Without this, a worker that asked for the GIL while the
//! interpreter finalized was ended by CPython with `pthread_exit` inside Rust frames, which
//! crashed the process (a segmentation fault after a cancelled call).
//!
//! **Fork.** A forked child has the parent's memory but only the forking thread: the runtime's
//! threads, and the tasks of every connection pool built on it, are gone. The child never uses
//! or drops what it inherited: an `os.register_at_fork(after_in_child=...)` hook forgets the
//! runtime and starts a new process [`Generation`]; the next call starts a new runtime, and
//! objects holding clients rebuild them through [`crate::per_process::PerProcess`]. A fork
//! without Python's hooks (a C library calling `fork`) is caught by the process id.
//!
//! The runtime's slot is only locked with the GIL held and never across a GIL release, so no
//! other thread can hold it when Python forks (the forking thread holds the GIL).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict};
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as BridgeRuntime};
use tokio::runtime::{Handle, Runtime};
use tokio::time::MissedTickBehavior;

/// How often a blocking call checks for Ctrl-C and other signals, and for interpreter exit.
pub(crate) const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// How long interpreter exit waits for blocked calls to let go and for the runtime's threads to
/// end. Tasks are dropped at once; only a blocking task (a DNS lookup through the system
/// resolver) can hold the runtime this long, and it never touches Python afterwards.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The process a value was built in: the process id and the fork generation. A value whose stamp
/// differs from [`Generation::current`] was inherited through `fork` and must not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Generation {
    pid: u32,
    forks: u64,
}

/// Forks seen by this process's line (bumped in each child by the at-fork hook).
static FORKS: AtomicU64 = AtomicU64::new(0);

impl Generation {
    /// The generation of the running process.
    pub(crate) fn current() -> Self {
        Self {
            pid: std::process::id(),
            forks: FORKS.load(Ordering::SeqCst),
        }
    }
}

/// The runtime, when started, and the generation it was started in.
struct Slot {
    runtime: Option<(Runtime, Generation)>,
}

static SLOT: Mutex<Slot> = Mutex::new(Slot { runtime: None });

/// Set by the exit hook: no call starts any more, blocked calls let go, bridge callbacks that
/// would enter Python are skipped.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// Threads inside [`block_on`] right now, and the signal the exit hook waits on.
static BLOCKED: Mutex<usize> = Mutex::new(0);
static BLOCKED_CHANGED: Condvar = Condvar::new();

/// Rust futures handed to asyncio and not yet dropped (finished, cancelled or shut down).
static LIVE_FUTURES: AtomicUsize = AtomicUsize::new(0);

fn slot(_py: Python<'_>) -> MutexGuard<'static, Slot> {
    SLOT.lock().unwrap_or_else(PoisonError::into_inner)
}

fn closing() -> bool {
    CLOSING.load(Ordering::SeqCst)
}

/// The runtime of this process, started on first use (and again in a forked child); the handle
/// every call spawns on. Raises `RuntimeError` once the interpreter is exiting.
pub(crate) fn runtime(py: Python<'_>) -> PyResult<Handle> {
    if closing() {
        return Err(PyRuntimeError::new_err(
            "genesys_resolver cannot start a call: the interpreter is exiting",
        ));
    }
    let now = Generation::current();
    let mut slot = slot(py);
    if let Some((rt, born)) = &slot.runtime {
        if *born == now {
            return Ok(rt.handle().clone());
        }
        // Inherited through a fork without Python's hooks: its threads do not exist here.
        forget_inherited(&mut slot);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("genesys-resolver")
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the tokio runtime: {e}")))?;
    let handle = built.handle().clone();
    slot.runtime = Some((built, now));
    Ok(handle)
}

/// Runs `f` inside the runtime's context (components that start background work on creation
/// need it), with the GIL held.
pub(crate) fn in_context<T>(py: Python<'_>, f: impl FnOnce() -> T) -> PyResult<T> {
    let handle = runtime(py)?;
    let _context = handle.enter();
    Ok(f())
}

/// Leaks the runtime inherited from the parent: dropping it would wait for threads that exist
/// only in the parent. Its memory stays with the child, untouched.
fn forget_inherited(slot: &mut Slot) {
    if let Some(inherited) = slot.runtime.take() {
        std::mem::forget(inherited);
    }
}

/// Counts a thread inside [`block_on`] for as long as it lives.
struct BlockedCall;

impl BlockedCall {
    fn enter() -> Self {
        *BLOCKED.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        Self
    }
}

impl Drop for BlockedCall {
    fn drop(&mut self) {
        let mut blocked = BLOCKED.lock().unwrap_or_else(PoisonError::into_inner);
        *blocked = blocked.saturating_sub(1);
        BLOCKED_CHANGED.notify_all();
    }
}

/// How a blocking call ended.
enum Ended<T> {
    Done(T),
    Interrupted(PyErr),
    /// The interpreter is exiting; the future has been dropped.
    Exiting,
}

/// Runs the future `make` returns to completion with the GIL released, on the calling thread
/// inside the runtime, raising `KeyboardInterrupt` (or whatever a signal handler raises) within
/// [`SIGNAL_POLL`] of a signal, after dropping the future.
///
/// The future is made inside the runtime, so timers and spawns in its constructor work, and it
/// need not be `Send` (it never leaves this thread); only `make` crosses the GIL boundary.
///
/// A thread still in here when the interpreter exits (a daemon thread: non-daemon threads are
/// joined before exit) drops its future within [`SIGNAL_POLL`] and then stays parked, never
/// taking the GIL again, as CPython itself stops daemon threads at exit.
pub(crate) fn block_on<M, F>(py: Python<'_>, make: M) -> PyResult<F::Output>
where
    M: FnOnce() -> F + Send,
    F: Future,
    F::Output: Send,
{
    let handle = runtime(py)?;
    crate::logging::refresh();
    let ended = py.detach(move || {
        let call = BlockedCall::enter();
        let ended = handle.block_on(async move {
            let mut fut = std::pin::pin!(make());
            let mut poll = tokio::time::interval(SIGNAL_POLL);
            poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    out = &mut fut => return Ended::Done(out),
                    _ = poll.tick() => {
                        if closing() {
                            return Ended::Exiting;
                        }
                        if let Err(e) = check_signals() {
                            return Ended::Interrupted(e);
                        }
                    }
                }
            }
        });
        drop(call);
        if matches!(ended, Ended::Exiting) {
            // The exit hook is waiting for this thread to let go of the runtime, and Python
            // must not be entered again: stay here until the process ends.
            loop {
                std::thread::park();
            }
        }
        ended
    });
    match ended {
        Ended::Done(out) => Ok(out),
        Ended::Interrupted(e) => Err(e),
        Ended::Exiting => Err(PyRuntimeError::new_err("the interpreter is exiting")),
    }
}

/// Runs Python's signal handlers (on the main thread; elsewhere a no-op).
#[allow(clippy::redundant_closure_for_method_calls)] // the method path is not general over 'py
fn check_signals() -> PyResult<()> {
    Python::attach(|py| py.check_signals())
}

/// An asyncio awaitable running `fut` on the process's runtime. Cancelling the asyncio task (or
/// a timeout of `asyncio.wait_for`) drops the future on the runtime.
pub(crate) fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    let handle = runtime(py)?;
    crate::logging::refresh();
    let live = LiveFuture::new();
    let fut = async move {
        let _live = live;
        fut.await
    };
    // The bridge spawns its driving task with `tokio::spawn`: inside this context.
    let _context = handle.enter();
    pyo3_async_runtimes::generic::future_into_py::<Bridge, _, T>(py, fut)
}

/// Counts a Rust future handed to asyncio until it is dropped.
struct LiveFuture;

impl LiveFuture {
    fn new() -> Self {
        LIVE_FUTURES.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for LiveFuture {
    fn drop(&mut self) {
        LIVE_FUTURES.fetch_sub(1, Ordering::SeqCst);
    }
}

tokio::task_local! {
    /// The asyncio event loop and `contextvars` context of the awaitable a task serves.
    static TASK_LOCALS: TaskLocals;
}

/// `pyo3-async-runtimes`' generic bridge on this module's runtime: tasks spawn on the runtime of
/// the context they are spawned from (see [`future_into_py`]), and the bridge's callbacks into
/// Python (setting the asyncio result) are skipped once the interpreter is exiting.
struct Bridge;

/// A bridge task that failed (panicked or was cancelled by the runtime's shutdown).
struct BridgeJoinError(tokio::task::JoinError);

impl JoinError for BridgeJoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }

    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

/// A bridge task's join handle.
struct BridgeJoin(tokio::task::JoinHandle<()>);

impl Future for BridgeJoin {
    type Output = Result<(), BridgeJoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map_err(BridgeJoinError)
    }
}

impl BridgeRuntime for Bridge {
    type JoinError = BridgeJoinError;
    type JoinHandle = BridgeJoin;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        BridgeJoin(tokio::spawn(fut))
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        BridgeJoin(tokio::task::spawn_blocking(move || {
            // The bridge enters Python here; the exit hook waits for the ones already running.
            if !closing() {
                f();
            }
        }))
    }
}

impl ContextExt for Bridge {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(TASK_LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(Clone::clone).ok()
    }
}

/// Registers the exit and fork hooks; called once when the module is imported.
pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let at_exit = wrap_pyfunction!(shutdown_at_exit, m)?;
    py.import("atexit")?.call_method1("register", (at_exit,))?;
    let after_fork: Bound<'_, PyCFunction> = wrap_pyfunction!(after_fork_in_child, m)?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("after_in_child", after_fork)?;
    // `os.register_at_fork` exists wherever `fork` does.
    let os = py.import("os")?;
    if os.hasattr("register_at_fork")? {
        os.call_method("register_at_fork", (), Some(&kwargs))?;
    }
    Ok(())
}

/// The `atexit` hook: stops new calls, waits for blocked calls to let go, then shuts the runtime
/// down with the GIL released (workers waiting for the GIL get it and finish), all within
/// [`SHUTDOWN_GRACE`].
#[pyfunction]
#[pyo3(name = "_shutdown_at_exit")]
fn shutdown_at_exit(py: Python<'_>) {
    let now = Generation::current();
    let runtime = {
        let mut slot = slot(py);
        CLOSING.store(true, Ordering::SeqCst);
        match slot.runtime.take() {
            Some((rt, born)) if born == now => Some(rt),
            inherited => {
                std::mem::forget(inherited);
                None
            }
        }
    };
    let Some(runtime) = runtime else { return };
    py.detach(move || {
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let mut blocked = BLOCKED.lock().unwrap_or_else(PoisonError::into_inner);
        while *blocked > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            blocked = BLOCKED_CHANGED
                .wait_timeout(blocked, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(blocked);
        runtime.shutdown_timeout(deadline.saturating_duration_since(Instant::now()));
    });
}

/// The `after_in_child` fork hook: a new generation, without the parent's runtime (forgotten,
/// never dropped) or its count of blocked calls (their threads stayed in the parent).
#[pyfunction]
#[pyo3(name = "_after_fork_in_child")]
pub(crate) fn after_fork_in_child(py: Python<'_>) {
    FORKS.fetch_add(1, Ordering::SeqCst);
    forget_inherited(&mut slot(py));
    *BLOCKED.lock().unwrap_or_else(PoisonError::into_inner) = 0;
    LIVE_FUTURES.store(0, Ordering::SeqCst);
    CLOSING.store(false, Ordering::SeqCst);
}

/// The runtime's state, for the test suite: `started` (a runtime of this process exists),
/// `closing` (the exit hook ran), `forks` (fork generation), `live_futures` (Rust futures handed
/// to asyncio and not yet dropped), `blocked_calls` (threads inside a blocking call). Not part of
/// the public API.
#[pyfunction]
#[pyo3(name = "_runtime_state")]
pub(crate) fn runtime_state(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let now = Generation::current();
    let started = slot(py)
        .runtime
        .as_ref()
        .is_some_and(|(_, born)| *born == now);
    let state = PyDict::new(py);
    state.set_item("started", started)?;
    state.set_item("closing", closing())?;
    state.set_item("forks", now.forks)?;
    state.set_item("live_futures", LIVE_FUTURES.load(Ordering::SeqCst))?;
    state.set_item(
        "blocked_calls",
        *BLOCKED.lock().unwrap_or_else(PoisonError::into_inner),
    )?;
    Ok(state)
}

/// Sleeps `seconds` on the runtime through [`block_on`]. Lets the test suite check that the GIL
/// is released and Ctrl-C interrupts, without a network; not part of the public API.
#[pyfunction]
#[pyo3(name = "_sleep")]
pub(crate) fn sleep(py: Python<'_>, seconds: f64) -> PyResult<()> {
    let d = duration(seconds)?;
    block_on(py, move || tokio::time::sleep(d))
}

/// The awaitable twin of [`sleep`]: resolves to `seconds` after sleeping that long.
#[pyfunction]
#[pyo3(name = "_sleep_async")]
pub(crate) fn sleep_async(py: Python<'_>, seconds: f64) -> PyResult<Bound<'_, PyAny>> {
    let d = duration(seconds)?;
    future_into_py(py, async move {
        tokio::time::sleep(d).await;
        Ok(seconds)
    })
}

fn duration(seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("seconds: {e}")))
}
