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
use pyo3_log::{Caching, Logger, ResetHandle};

/// The logger target of this library; also the Python logger's name once `::` becomes `.`.
const TARGET: &str = "genesys_resolver";

static RESET: OnceLock<ResetHandle> = OnceLock::new();

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
