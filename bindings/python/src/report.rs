//! `ResolveReport` and `ProbeReport`: typed, read-only views of the core's reports.
//!
//! Attributes are computed from the Rust report on access; nested records (TLS details, health
//! answer, failure, phase timings) are plain dicts in the core's JSON form, and `to_dict()` is the
//! whole report exactly as the core serializes it. Both pickle, copy and compare equal through
//! that form (see `pickle`).

use genesys_resolver::pipeline::ResolveReport;
use genesys_resolver::probe::ProbeReport;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::convert::{repr, serde_to_py};
use crate::pickle;

/// What a resolve (or a dry-run check) found and did.
#[pyclass(frozen, eq, module = "genesys_resolver", name = "ResolveReport")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PyResolveReport {
    report: ResolveReport,
}

impl From<ResolveReport> for PyResolveReport {
    fn from(report: ResolveReport) -> Self {
        Self { report }
    }
}

#[pymethods]
impl PyResolveReport {
    /// The integration's name.
    #[getter]
    fn integration_name(&self) -> &str {
        &self.report.integration_name
    }

    /// `created`, `updated` or `unchanged` (for a dry run: what a resolve would do).
    #[getter]
    fn action(&self) -> &'static str {
        self.report.action.as_str()
    }

    /// Whether this was a dry run (`check`) that submitted nothing.
    #[getter]
    fn dry_run(&self) -> bool {
        self.report.dry_run
    }

    /// The integration's id; None only for a dry run that would create one.
    #[getter]
    fn integration_id(&self) -> Option<&str> {
        self.report.integration_id.as_deref()
    }

    /// Whether a create whose response was lost was confirmed by looking it up.
    #[getter]
    fn recovered(&self) -> bool {
        self.report.recovered
    }

    /// One probe report per endpoint (`uri`, then each `uris` entry).
    #[getter]
    fn endpoints(&self) -> Vec<PyProbeReport> {
        self.report
            .endpoints
            .iter()
            .cloned()
            .map(PyProbeReport::from)
            .collect()
    }

    /// Milliseconds spent in each stage that ran, in pipeline order.
    #[getter]
    fn stages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for timing in &self.report.stages {
            d.set_item(timing.stage.as_str(), timing.ms)?;
        }
        Ok(d)
    }

    /// Things worth attention that did not fail the resolve.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.report.warnings.clone()
    }

    /// Genesys' correlation id of the last API response, for support requests.
    #[getter]
    fn correlation_id(&self) -> Option<&str> {
        self.report.correlation_id.as_deref()
    }

    /// Wall time of the whole resolve in milliseconds.
    #[getter]
    fn latency_ms(&self) -> f64 {
        self.report.latency_ms
    }

    /// Where the events go, for a resolver deploying the real route
    /// (`route://<region>/<account>/<suffix>`); None for the seed's integrations route.
    #[getter]
    fn target(&self) -> Option<&str> {
        self.report.target.as_deref()
    }

    /// The route's own report (for a check, its plan) in the core's JSON form, for a resolver
    /// deploying the real route; None for the seed's integrations route.
    #[getter]
    fn route<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.report
            .route
            .as_ref()
            .map(|r| serde_to_py(py, r))
            .transpose()
    }

    /// The report in the core's JSON form.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report)
    }

    /// Pickles (and copies) through the core's JSON form.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        pickle::reduce(slf.as_any(), &slf.get().report)
    }

    /// The report pickled by `__reduce__`.
    #[classmethod]
    fn _from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
        pickle::restore("ResolveReport", text).map(|report| Self { report })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let id = match &self.report.integration_id {
            Some(id) => repr(py, id)?,
            None => "None".to_owned(),
        };
        Ok(format!(
            "ResolveReport(integration_name={}, action={}, dry_run={}, integration_id={id}, endpoints={}, latency_ms={:.1})",
            repr(py, &self.report.integration_name)?,
            repr(py, self.report.action.as_str())?,
            if self.report.dry_run { "True" } else { "False" },
            self.report.endpoints.len(),
            self.report.latency_ms,
        ))
    }
}

/// What probing one endpoint found: resolution, connection, TLS, health and the failure.
#[pyclass(frozen, eq, module = "genesys_resolver", name = "ProbeReport")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PyProbeReport {
    report: ProbeReport,
}

impl From<ProbeReport> for PyProbeReport {
    fn from(report: ProbeReport) -> Self {
        Self { report }
    }
}

#[pymethods]
impl PyProbeReport {
    /// The endpoint as given (user-info removed).
    #[getter]
    fn uri(&self) -> &str {
        &self.report.uri
    }

    /// The URI's host.
    #[getter]
    fn host(&self) -> &str {
        &self.report.host
    }

    /// The port connected to.
    #[getter]
    fn port(&self) -> u16 {
        self.report.port
    }

    /// Every address the host resolved to.
    #[getter]
    fn addresses(&self) -> Vec<String> {
        self.report
            .addresses
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The address connected to (`ip:port`), if a connection was made.
    #[getter]
    fn connected_to(&self) -> Option<String> {
        self.report.connected_to.map(|a| a.to_string())
    }

    /// Whether the endpoint passed every check.
    #[getter]
    fn ok(&self) -> bool {
        self.report.ok()
    }

    /// Why the endpoint is not healthy (a dict with a `stage` key), or None.
    #[getter]
    fn failure<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.failure)
    }

    /// What the TLS handshake showed (protocol, cipher, certificate, ...), or None.
    #[getter]
    fn tls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.tls)
    }

    /// The health check's answer (`status`, `redirect`), or None.
    #[getter]
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.health)
    }

    /// Milliseconds per phase (`resolve`, `connect`, `tls`, `first_byte`, `total`); None for a
    /// phase not reached.
    #[getter]
    fn phases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.phases)
    }

    /// Things worth knowing that did not fail the probe.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.report.warnings.clone()
    }

    /// Whether this report came from the prober's cache.
    #[getter]
    #[allow(clippy::wrong_self_convention)] // the report's field name, not a conversion
    fn from_cache(&self) -> bool {
        self.report.from_cache
    }

    /// The report in the core's JSON form.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report)
    }

    /// Pickles (and copies) through the core's JSON form.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        pickle::reduce(slf.as_any(), &slf.get().report)
    }

    /// The report pickled by `__reduce__`.
    #[classmethod]
    fn _from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
        pickle::restore("ProbeReport", text).map(|report| Self { report })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let failure = match &self.report.failure {
            None => "None".to_owned(),
            Some(f) => repr(py, f.stage())?,
        };
        Ok(format!(
            "ProbeReport(uri={}, ok={}, failure={failure})",
            repr(py, &self.report.uri)?,
            if self.report.ok() { "True" } else { "False" },
        ))
    }
}
