//! The process-wide tokio runtime and the one helper every blocking call goes through.
//!
//! [`block_on`] releases the GIL while a Rust future runs, so other Python threads carry on, and
//! wakes every [`SIGNAL_POLL`] to run Python's signal handlers: Ctrl-C raises
//! `KeyboardInterrupt` at once and drops the future, which cancels the network work (the core's
//! futures are cancellation-safe). [`future_into_py`] hands a future to asyncio as an awaitable;
//! both run on the same runtime.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio::time::MissedTickBehavior;

/// How often a blocking call checks for Ctrl-C and other signals.
pub(crate) const SIGNAL_POLL: Duration = Duration::from_millis(100);

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The one tokio runtime of the process, started on first use and shared with
/// `pyo3-async-runtimes`, so blocking and awaitable calls share connections and timers.
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("genesys-resolver")
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the tokio runtime: {e}")))?;
    // Another thread may have won the race; then `built` is dropped here, outside any runtime.
    let _ = RUNTIME.set(built);
    let rt = RUNTIME
        .get()
        .ok_or_else(|| PyRuntimeError::new_err("the tokio runtime is not available"))?;
    // Fails only if it is already registered, which is the same runtime.
    let _ = pyo3_async_runtimes::tokio::init_with_runtime(rt);
    Ok(rt)
}

/// Runs the future `make` returns to completion with the GIL released, on the calling thread
/// inside the runtime, raising `KeyboardInterrupt` (or whatever a signal handler raises) within
/// [`SIGNAL_POLL`] of a signal, after dropping the future.
///
/// The future is made inside the runtime, so timers and spawns in its constructor work, and it
/// need not be `Send` (it never leaves this thread); only `make` crosses the GIL boundary.
pub(crate) fn block_on<M, F>(py: Python<'_>, make: M) -> PyResult<F::Output>
where
    M: FnOnce() -> F + Send,
    F: Future,
    F::Output: Send,
{
    let rt = runtime()?;
    crate::logging::refresh();
    py.detach(move || {
        rt.block_on(async move {
            let mut fut = std::pin::pin!(make());
            let mut poll = tokio::time::interval(SIGNAL_POLL);
            poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    out = &mut fut => return Ok(out),
                    _ = poll.tick() => check_signals()?,
                }
            }
        })
    })
}

/// Runs Python's signal handlers (on the main thread; elsewhere a no-op).
#[allow(clippy::redundant_closure_for_method_calls)] // the method path is not general over 'py
fn check_signals() -> PyResult<()> {
    Python::attach(|py| py.check_signals())
}

/// An asyncio awaitable running `fut` on the shared runtime. Cancelling the asyncio task drops
/// the future.
pub(crate) fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    runtime()?;
    crate::logging::refresh();
    pyo3_async_runtimes::tokio::future_into_py(py, fut)
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
