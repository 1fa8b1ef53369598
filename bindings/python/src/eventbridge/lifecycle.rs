//! `LifecycleReport`, `SyncPlan` and `SyncReport`: typed, read-only views of what a disable,
//! delete or sync did (or would do). Each pickles, copies and compares equal through the core's
//! serde form (see `pickle`).

use genesys_resolver::eventbridge::{LifecycleReport, SyncPlan, SyncReport};
use pyo3::prelude::*;
use pyo3::types::PyType;

use super::report::{PyDeployReport, PyPlan, optional_repr};
use crate::convert::{repr, serde_to_py};
use crate::pickle;

/// What `EventBridgeDeployer.disable`, `.delete` or `.delete_id` did.
#[pyclass(frozen, eq, module = "genesys_resolver", name = "LifecycleReport")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PyLifecycleReport {
    report: LifecycleReport,
}

impl From<LifecycleReport> for PyLifecycleReport {
    fn from(report: LifecycleReport) -> Self {
        Self { report }
    }
}

#[pymethods]
impl PyLifecycleReport {
    /// The integration's name.
    #[getter]
    fn name(&self) -> &str {
        self.report.name()
    }

    /// The integration's id; None when no integration had the name (nothing was sent).
    #[getter]
    fn integration_id(&self) -> Option<&str> {
        self.report.integration_id.as_deref()
    }

    /// Where its events went, `aws://<region>/<account id>/<suffix>` (empty when unknown).
    #[getter]
    fn target(&self) -> &str {
        &self.report.target
    }

    /// The AWS partner event source it fed, when known.
    #[getter]
    fn event_source(&self) -> Option<&str> {
        self.report.event_source.as_deref()
    }

    /// How it ended: `disabled`, `deleted`, or `unchanged` when there was nothing to do.
    #[getter]
    fn action(&self) -> &'static str {
        self.report.action().as_str()
    }

    /// Whether anything was written.
    #[getter]
    fn changed(&self) -> bool {
        self.report.changed()
    }

    /// The `reportedState` after a disable as `{"code", "detail"}`; None after a delete.
    #[getter]
    fn reported_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.reported_state)
    }

    /// Reads made while waiting for a deleted integration to be gone.
    #[getter]
    fn polls(&self) -> u32 {
        self.report.polls
    }

    /// Each step's wall time, as `{"step", "elapsed_ms"}` dicts.
    #[getter]
    fn timings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.timings)
    }

    /// Wall time of the whole operation in milliseconds.
    #[getter]
    fn elapsed_ms(&self) -> f64 {
        self.report.elapsed.as_secs_f64() * 1000.0
    }

    /// Genesys' correlation id of the last response.
    #[getter]
    fn correlation_id(&self) -> Option<&str> {
        self.report.correlation_id.as_deref()
    }

    /// The report in the core's JSON form.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report)
    }

    /// Pickles (and copies) through the core's JSON form.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        pickle::reduce(slf.as_any(), &slf.get().report)
    }

    /// The LifecycleReport pickled by `__reduce__`.
    #[classmethod]
    fn _from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
        pickle::restore("LifecycleReport", text).map(|report| Self { report })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "LifecycleReport(name={}, integration_id={}, action={})",
            repr(py, self.report.name())?,
            optional_repr(py, self.report.integration_id.as_deref())?,
            repr(py, self.report.action().as_str())?,
        ))
    }
}

/// What `EventBridgeDeployer.sync` would do: a `Plan` per declared integration, then (with
/// `prune=True`) a `delete` plan per undeclared integration of the EventBridge type.
#[pyclass(frozen, eq, module = "genesys_resolver", name = "SyncPlan")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PySyncPlan {
    plan: SyncPlan,
}

impl From<SyncPlan> for PySyncPlan {
    fn from(plan: SyncPlan) -> Self {
        Self { plan }
    }
}

#[pymethods]
impl PySyncPlan {
    /// The plans: the declared integrations', in order, then the deletes.
    #[getter]
    fn plans(&self) -> Vec<PyPlan> {
        self.plan.plans.iter().cloned().map(PyPlan::from).collect()
    }

    /// The plans whose action is `delete`.
    #[getter]
    fn deletes(&self) -> Vec<PyPlan> {
        self.plan.deletes().cloned().map(PyPlan::from).collect()
    }

    /// Whether undeclared integrations would be deleted.
    #[getter]
    fn prune(&self) -> bool {
        self.plan.prune
    }

    /// Whether sync would send nothing at all.
    #[getter]
    fn is_nothing(&self) -> bool {
        self.plan.is_nothing()
    }

    /// The plan in the core's JSON form.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.plan)
    }

    /// Pickles (and copies) through the core's JSON form.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        pickle::reduce(slf.as_any(), &slf.get().plan)
    }

    /// The SyncPlan pickled by `__reduce__`.
    #[classmethod]
    fn _from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
        pickle::restore("SyncPlan", text).map(|plan| Self { plan })
    }

    fn __repr__(&self) -> String {
        let actions = self
            .plan
            .plans
            .iter()
            .map(|p| format!("'{}'", p.action().as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SyncPlan(actions=[{actions}], prune={})",
            if self.plan.prune { "True" } else { "False" }
        )
    }
}

/// What `EventBridgeDeployer.sync` did.
#[pyclass(frozen, eq, module = "genesys_resolver", name = "SyncReport")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PySyncReport {
    report: SyncReport,
}

impl From<SyncReport> for PySyncReport {
    fn from(report: SyncReport) -> Self {
        Self { report }
    }
}

#[pymethods]
impl PySyncReport {
    /// One `DeployReport` per declared integration, in order.
    #[getter]
    fn applied(&self) -> Vec<PyDeployReport> {
        self.report
            .applied
            .iter()
            .cloned()
            .map(PyDeployReport::from)
            .collect()
    }

    /// One `LifecycleReport` per undeclared integration deleted (empty without pruning).
    #[getter]
    fn deleted(&self) -> Vec<PyLifecycleReport> {
        self.report
            .deleted
            .iter()
            .cloned()
            .map(PyLifecycleReport::from)
            .collect()
    }

    /// Whether undeclared integrations were deleted.
    #[getter]
    fn prune(&self) -> bool {
        self.report.prune
    }

    /// Whether anything was written.
    #[getter]
    fn changed(&self) -> bool {
        self.report.changed()
    }

    /// Wall time of the whole sync in milliseconds.
    #[getter]
    fn elapsed_ms(&self) -> f64 {
        self.report.elapsed.as_secs_f64() * 1000.0
    }

    /// The report in the core's JSON form.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report)
    }

    /// Pickles (and copies) through the core's JSON form.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        pickle::reduce(slf.as_any(), &slf.get().report)
    }

    /// The SyncReport pickled by `__reduce__`.
    #[classmethod]
    fn _from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
        pickle::restore("SyncReport", text).map(|report| Self { report })
    }

    fn __repr__(&self) -> String {
        format!(
            "SyncReport(applied={}, deleted={}, changed={})",
            self.report.applied.len(),
            self.report.deleted.len(),
            if self.report.changed() {
                "True"
            } else {
                "False"
            }
        )
    }
}
