//! Routes and files for the core's document reader: a route dict converted to JSON, or a route
//! file (`os.PathLike`, JSON or YAML) read by the core itself, strictly and boundedly; every
//! problem reported by the core at once.

use genesys_resolver::document::{Document, DocumentError, DocumentKind, DocumentReader, Route};
use genesys_resolver::error::ErrorReport;
use genesys_resolver::outcome::{ErrorKind, Stage};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert::Converter;
use crate::errors::ErrorInfo;

/// How a route is reported when it is invalid.
const SUBJECT: &str = "the route";

/// A route: a dict (the payload's keys with the route's beside them), or the path of a route
/// file (`os.PathLike`: JSON, or YAML for `.yaml`/`.yml`, read by the core with its rules).
/// Read strictly by the core, every problem at once; a `ValidationError` otherwise (an
/// `OSError` when the file cannot be read).
pub(crate) fn route(obj: &Bound<'_, PyAny>) -> PyResult<Route> {
    let py = obj.py();
    if !obj.is_instance_of::<PyString>() && obj.hasattr("__fspath__")? {
        let path: std::path::PathBuf = obj.extract()?;
        let reader = DocumentReader::new().kind(DocumentKind::Route);
        return match py.detach(|| reader.read_file(&path)) {
            Ok(Document::Route(route)) => Ok(route),
            // Told the kind, the reader returns no other.
            Ok(other) => Err(unreadable(py, &format!("a {}, not a route", other.kind()))),
            Err(e) => Err(document_error(py, e)),
        };
    }
    // Anything but a dict is named by the core for what it is (`expected an object, found an
    // array`).
    let mut conv = Converter::default();
    let doc = conv.value(obj, "");
    let mut reading = Route::read_value(&doc).edit_violations(|v| conv.merge(v));
    for (path, value) in conv.non_finite() {
        let retry = &mut reading.value_mut().payload.retry_policy;
        match path.as_str() {
            "retryPolicy.retryInterval" => retry.retry_interval = *value,
            "retryPolicy.backoffFactor" => retry.backoff_factor = *value,
            _ => {}
        }
    }
    // A sound route goes to the deployer, whose validate step applies the rules (and records
    // a failure); a malformed one is refused here with the rules it breaks beside its shape's
    // problems.
    let result = if reading.is_sound() {
        reading.into_result()
    } else {
        reading.check(Route::violations)
    };
    result.map_err(|e| ErrorInfo::invalid_subject(SUBJECT, e.into_violations()).into_pyerr(py))
}

/// A document the core could not read as the Python exception: its violations as a
/// `ValidationError`; a file that cannot be read as an `OSError`; text that is malformed, too
/// large, too deep or expands too far as a `ValidationError` with the reason and no violation.
fn document_error(py: Python<'_>, e: DocumentError) -> PyErr {
    match e {
        DocumentError::Invalid { kind, errors } => {
            ErrorInfo::invalid_subject(kind.subject(), errors.into_violations()).into_pyerr(py)
        }
        DocumentError::Io { message } => PyOSError::new_err(message),
        other => unreadable(py, &other.to_string()),
    }
}

fn unreadable(py: Python<'_>, message: &str) -> PyErr {
    let report = ErrorReport::new(ErrorKind::Validation, message).with_stage(Stage::Validate);
    ErrorInfo::from(report).into_pyerr(py)
}
