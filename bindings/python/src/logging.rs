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
//!
//! One line per operation at INFO: the operation's audit record (logger
//! `genesys_resolver.audit`). Its spans are for tracing subscribers (the service's OpenTelemetry
//! export); without one, `tracing` writes each span's opening and every field recorded on it as
//! a record of its own (some fifty per route apply), so the bridge hands those of the spans'
//! target (`genesys_resolver::spans`) to Python at DEBUG, beside the steps' own detail.

use std::sync::OnceLock;

use log::{Level, LevelFilter, Log, Metadata, Record};
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

/// The target of the core's spans (`genesys_resolver::spans::TARGET`), whose records `tracing`
/// writes at the spans' own level (INFO) when no subscriber takes them.
const SPANS_TARGET: &str = genesys_resolver::spans::TARGET;

/// `pyo3-log`'s logger, with the records of spans moved down to DEBUG.
struct Bridge(Logger);

impl Bridge {
    fn is_span(target: &str) -> bool {
        target == SPANS_TARGET
    }
}

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if Self::is_span(metadata.target()) && metadata.level() < Level::Debug {
            let debug = Metadata::builder()
                .level(Level::Debug)
                .target(metadata.target())
                .build();
            return self.0.enabled(&debug);
        }
        self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if Self::is_span(record.target()) && record.level() < Level::Debug {
            self.0.log(
                &Record::builder()
                    .level(Level::Debug)
                    .target(record.target())
                    .args(*record.args())
                    .module_path(record.module_path())
                    .file(record.file())
                    .line(record.line())
                    .build(),
            );
        } else {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// Installs the bridge; a second call (the module imported again) keeps the first one.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let logger = Logger::new(py, Caching::LoggersAndLevels)?
        .filter(LevelFilter::Warn)
        .filter_target(TARGET.to_owned(), LevelFilter::Debug);
    let handle = logger.reset_handle();
    if log::set_boxed_logger(Box::new(Bridge(logger))).is_ok() {
        log::set_max_level(LevelFilter::Debug);
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
