//! `Violation`: one broken rule of a payload or an EventBridge integration, as Python sees it
//! (in `ValidationError.violations` and `EventBridgeIntegration.violations()`). Pickles and
//! copies as `Violation(path, code, message)`.

use genesys_resolver::Violation;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::convert::repr;

/// One broken rule of a payload: where (`path`), which rule (`code`) and what is wrong
/// (`message`).
#[pyclass(frozen, eq, hash, module = "genesys_resolver", name = "Violation")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyViolation {
    /// JSON path of the offending value, such as `uris[3]`; empty for the whole payload.
    #[pyo3(get)]
    path: String,
    /// The stable rule name, such as `uri_not_https`.
    #[pyo3(get)]
    code: String,
    /// What is wrong, for people.
    #[pyo3(get)]
    message: String,
}

impl From<Violation> for PyViolation {
    fn from(v: Violation) -> Self {
        Self {
            path: v.path,
            code: v.code.as_str().to_owned(),
            message: v.message,
        }
    }
}

#[pymethods]
impl PyViolation {
    #[new]
    fn new(path: String, code: String, message: String) -> Self {
        Self {
            path,
            code,
            message,
        }
    }

    /// Pickles (and copies) as `Violation(path, code, message)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (String, String, String)) {
        let v = slf.get();
        (
            slf.get_type(),
            (v.path.clone(), v.code.clone(), v.message.clone()),
        )
    }

    /// `{"path": ..., "code": ..., "message": ...}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("path", &self.path)?;
        d.set_item("code", &self.code)?;
        d.set_item("message", &self.message)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Violation(path={}, code={}, message={})",
            repr(py, &self.path)?,
            repr(py, &self.code)?,
            repr(py, &self.message)?
        ))
    }

    fn __str__(&self) -> String {
        let path = if self.path.is_empty() {
            "payload"
        } else {
            &self.path
        };
        format!("{path}: {} [{}]", self.message, self.code)
    }
}
