//! `LifecycleReport`, `SyncPlan` and `SyncReport`: typed, read-only views of what a disable,
//! delete or sync did (or would do). Each pickles, copies and compares equal through the core's
//! serde form (see `pickle`).

use genesys_resolver::eventbridge::{LifecycleReport, SyncPlan, SyncReport};
use pyo3::prelude::*;

use super::report::{PyDeployReport, PyPlan, optional_repr};
use crate::convert::{repr, serde_to_py};
use crate::pickle::report_class;

report_class!(
    /// What `EventBridgeDeployer.disable`, `.delete` or `.delete_id` did.
    PyLifecycleReport, LifecycleReport, "LifecycleReport", {
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

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "LifecycleReport(name={}, integration_id={}, action={})",
            repr(py, self.report.name())?,
            optional_repr(py, self.report.integration_id.as_deref())?,
            repr(py, self.report.action().as_str())?,
        ))
    }
});

report_class!(
    /// What `EventBridgeDeployer.sync` would do: a `Plan` per declared integration, then (with
    /// `prune=True`) a `delete` plan per undeclared integration of the EventBridge type.
    PySyncPlan, SyncPlan, "SyncPlan", {
    /// The plans: the declared integrations', in order, then the deletes.
    #[getter]
    fn plans(&self) -> Vec<PyPlan> {
        self.report.plans.iter().cloned().map(PyPlan::from).collect()
    }

    /// The plans whose action is `delete`.
    #[getter]
    fn deletes(&self) -> Vec<PyPlan> {
        self.report.deletes().cloned().map(PyPlan::from).collect()
    }

    /// Whether undeclared integrations would be deleted.
    #[getter]
    fn prune(&self) -> bool {
        self.report.prune
    }

    /// Whether sync would send nothing at all.
    #[getter]
    fn is_nothing(&self) -> bool {
        self.report.is_nothing()
    }

    fn __repr__(&self) -> String {
        let actions = self
            .report
            .plans
            .iter()
            .map(|p| format!("'{}'", p.action().as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SyncPlan(actions=[{actions}], prune={})",
            if self.report.prune { "True" } else { "False" }
        )
    }
});

report_class!(
    /// What `EventBridgeDeployer.sync` did.
    PySyncReport, SyncReport, "SyncReport", {
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
});
