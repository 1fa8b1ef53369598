//! Audit records to Python: the audit sink of every `Resolver`, `EventBridgeDeployer` and
//! `RouteDeployer`.
//!
//! The core's operation envelope writes one [`AuditRecord`] per operation; [`PythonAudit`] logs
//! it (the core's [`TracingAudit`]: one INFO line to the logger `genesys_resolver.audit`) and,
//! when the caller passed `audit=`, hands it to that callable as a
//! `genesys_resolver.audit.AuditRecord` (a frozen dataclass built from the record's serde form).
//! Nothing here adds to a record or filters one: the core has already redacted it.

use std::fmt;
use std::sync::Arc;

use genesys_resolver::audit::{AuditRecord, AuditSink, TracingAudit};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::convert::serde_to_py;

/// `genesys_resolver.audit.AuditRecord`, looked up once.
static RECORD_CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The audit sink of one resolver or deployer: the log line, and the caller's callable.
#[derive(Clone, Default)]
pub(crate) struct PythonAudit {
    callback: Option<Arc<Py<PyAny>>>,
}

impl fmt::Debug for PythonAudit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonAudit")
            .field("callback", &self.callback.is_some())
            .finish()
    }
}

impl PythonAudit {
    /// The sink of an `audit=` keyword: None logs only; anything else must be callable
    /// (`TypeError` otherwise, when the resolver or deployer is built).
    pub(crate) fn new(callback: Option<Bound<'_, PyAny>>) -> PyResult<Self> {
        let callback = match callback {
            Some(c) if c.is_none() => None,
            Some(c) if !c.is_callable() => {
                return Err(PyTypeError::new_err(format!(
                    "audit must be a callable taking an AuditRecord, not {}",
                    c.get_type().name()?
                )));
            }
            Some(c) => Some(Arc::new(c.unbind())),
            None => None,
        };
        Ok(Self { callback })
    }

    /// The sink for the core's builders.
    pub(crate) fn sink(&self) -> Arc<dyn AuditSink> {
        Arc::new(self.clone())
    }
}

/// Calls `callback` with `record` as a `genesys_resolver.audit.AuditRecord`.
fn deliver(py: Python<'_>, callback: &Py<PyAny>, record: &AuditRecord) -> PyResult<()> {
    let class = RECORD_CLASS.get_or_try_init(py, || {
        py.import("genesys_resolver.audit")?
            .getattr("AuditRecord")
            .map(Bound::unbind)
    })?;
    let data = serde_to_py(py, record)?;
    let record = class.bind(py).call_method1("from_dict", (data,))?;
    callback.bind(py).call1((record,))?;
    Ok(())
}

impl AuditSink for PythonAudit {
    fn enabled(&self) -> bool {
        self.callback.is_some() || TracingAudit.enabled()
    }

    fn record(&self, record: &AuditRecord) {
        if TracingAudit.enabled() {
            TracingAudit.record(record);
        }
        let Some(callback) = &self.callback else {
            return;
        };
        // Not at all while the interpreter shuts down: the operation's caller is gone.
        Python::try_attach(|py| {
            if let Err(err) = deliver(py, callback, record) {
                // As Python reports an exception of a callback it cannot raise to anyone (a
                // `weakref` callback's, a `__del__`'s): `sys.unraisablehook`.
                err.write_unraisable(py, Some(callback.bind(py)));
            }
        });
    }
}
