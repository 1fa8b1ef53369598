//! Rust log records to Python's `logging`.
//!
//! The core logs through `tracing`; with no tracing subscriber installed (the case inside Python)
//! its events become `log` records (the `tracing` crate's `log` feature), and `pyo3-log` hands
//! those to Python's `logging`. A record's target `genesys_resolver::probe` becomes the logger
//! `genesys_resolver.probe`, a child of `genesys_resolver`, so one
//! `logging.getLogger("genesys_resolver")` configures them all.
//!
//! Only this library's records pass below warning level; dependencies (TLS, HTTP, DNS) reach
//! Python only with warnings and errors. Records carry what the core logs, which never includes
//! secrets (the client secret, tokens, `Authorization` headers); the test suite checks it.

use std::sync::OnceLock;

use log::LevelFilter;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3_log::{Caching, Logger, ResetHandle};

/// The logger target of this library; also the Python logger's name once `::` becomes `.`.
const TARGET: &str = "genesys_resolver";

/// The Python logger of the binding's own records (target `genesys_resolver::python`).
const PYTHON_LOGGER: &str = "genesys_resolver.python";

/// `logging.DEBUG`.
const PYTHON_DEBUG: u8 = 10;

static RESET: OnceLock<ResetHandle> = OnceLock::new();

/// `isEnabledFor` of the logger [`PYTHON_LOGGER`], looked up once: Python's `logging` keeps a
/// logger for the life of the process.
static PYTHON_IS_ENABLED_FOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Installs the bridge; a second call (the module imported again) keeps the first one.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let logger = Logger::new(py, Caching::LoggersAndLevels)?
        .filter(LevelFilter::Warn)
        .filter_target(TARGET.to_owned(), LevelFilter::Debug);
    if let Ok(handle) = logger.install() {
        let _ = RESET.set(handle);
    }
    Ok(())
}

/// Forgets the cached Python loggers and levels, so a change to the `logging` configuration since
/// the last call is honoured. Called when each library call starts; cheap.
pub(crate) fn refresh() {
    if let Some(handle) = RESET.get() {
        handle.reset();
    }
}

/// Whether the Python logger `genesys_resolver.python` takes debug records now, as its current
/// configuration says. One call into Python's `logging` (which caches levels itself), far cheaper
/// than [`refresh`] and the lookups a record costs after it: a call made in a tight loop
/// (`validate`) asks this first and refreshes and logs only when the answer is yes. When
/// `logging` cannot be asked, the answer is yes, and the record decides as before.
pub(crate) fn python_debug_enabled(py: Python<'_>) -> bool {
    let is_enabled_for = PYTHON_IS_ENABLED_FOR.get_or_try_init(py, || {
        py.import("logging")?
            .call_method1("getLogger", (PYTHON_LOGGER,))?
            .getattr("isEnabledFor")
            .map(Bound::unbind)
    });
    is_enabled_for
        .and_then(|f| f.bind(py).call1((PYTHON_DEBUG,))?.is_truthy())
        .unwrap_or(true)
}
