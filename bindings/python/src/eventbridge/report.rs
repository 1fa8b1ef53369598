//! `Plan` and `DeployReport`: typed, read-only views of what the deployer would do and did.
//! Both pickle, copy and compare equal through the core's serde form (see `pickle`).

use genesys_resolver::eventbridge::{DeployReport, Plan};
use pyo3::prelude::*;

use crate::convert::{repr, serde_to_py};
use crate::pickle::report_class;

pub(super) fn optional_repr(py: Python<'_>, value: Option<&str>) -> PyResult<String> {
    value.map_or_else(|| Ok("None".to_owned()), |v| repr(py, v))
}

report_class!(
    /// What `EventBridgeDeployer.apply` would do: `action` is `create` or `update` (with `changes`,
    /// field by field) or `nothing`; for `plan_delete` (and a pruning `plan_sync`), `delete` or
    /// `nothing`.
    PyPlan, Plan, "Plan", {
    /// The integration's name.
    #[getter]
    fn name(&self) -> &str {
        self.report.name()
    }

    /// Where events go: `aws://<region>/<account id>/<event source suffix>`.
    #[getter]
    fn target(&self) -> &str {
        &self.report.target
    }

    /// The AWS partner event source the events arrive on,
    /// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>` (None for a delete of nothing).
    #[getter]
    fn event_source(&self) -> Option<&str> {
        self.report.event_source.as_deref()
    }

    /// `create`, `update`, `nothing` or `delete`.
    #[getter]
    fn action(&self) -> &'static str {
        self.report.action().as_str()
    }

    /// Each field that differs (every field for a create; configuration fields, `intendedState`
    /// and `reportedState` for an update): `{"field", "current", "desired"}` dicts (`current`
    /// None when Genesys has no value). Empty for a delete or nothing.
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, self.report.changes())
    }

    /// Whether apply would send nothing at all.
    #[getter]
    fn is_nothing(&self) -> bool {
        self.report.is_nothing()
    }

    /// The existing integration's id; None when it would be created.
    #[getter]
    fn integration_id(&self) -> Option<&str> {
        self.report.integration_id.as_deref()
    }

    /// The existing configuration's `version`.
    #[getter]
    fn current_version(&self) -> Option<u64> {
        self.report.current_version
    }

    /// The existing integration's `intendedState` (`ENABLED`, `DISABLED`).
    #[getter]
    fn intended_state(&self) -> Option<&str> {
        self.report.intended_state.as_deref()
    }

    /// The existing integration's `reportedState` as `{"code", "detail"}` (detail when Genesys
    /// gave one), or None.
    #[getter]
    fn reported_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.reported_state)
    }

    /// Whether apply would send `intendedState: ENABLED`.
    #[getter]
    fn enable(&self) -> bool {
        self.report.enable
    }

    /// Genesys' correlation id of the last response read.
    #[getter]
    fn correlation_id(&self) -> Option<&str> {
        self.report.correlation_id.as_deref()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Plan(name={}, action={}, integration_id={}, changes={})",
            repr(py, self.report.name())?,
            repr(py, self.report.action().as_str())?,
            optional_repr(py, self.report.integration_id.as_deref())?,
            self.report.changes().len(),
        ))
    }
});

report_class!(
    /// What `EventBridgeDeployer.apply` did.
    PyDeployReport, DeployReport, "DeployReport", {
    /// The integration's name.
    #[getter]
    fn name(&self) -> &str {
        self.report.name()
    }

    /// Where events go: `aws://<region>/<account id>/<event source suffix>`.
    #[getter]
    fn target(&self) -> &str {
        &self.report.target
    }

    /// The AWS partner event source the events arrive on,
    /// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>`.
    #[getter]
    fn event_source(&self) -> &str {
        &self.report.event_source
    }

    /// The integration's id.
    #[getter]
    fn integration_id(&self) -> &str {
        &self.report.integration_id
    }

    /// How the apply ended: `created`, `updated`, or `unchanged` when only reads were sent.
    #[getter]
    fn action(&self) -> &'static str {
        self.report.action().as_str()
    }

    /// The steps that wrote, in order (`create`, `write_config`, `enable`); empty when
    /// everything already matched.
    #[getter]
    fn writes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.writes)
    }

    /// Whether anything was written.
    #[getter]
    fn changed(&self) -> bool {
        self.report.changed()
    }

    /// The fields apply made true (every field after a create; `intendedState` when it enabled
    /// the integration), as `{"field", "current", "desired"}` dicts: the plan it carried out.
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.change.changes)
    }

    /// The final `reportedState`, `{"code": "ACTIVE"}`.
    #[getter]
    fn reported_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.reported_state)
    }

    /// The configuration's `version` at the end.
    #[getter]
    fn config_version(&self) -> Option<u64> {
        self.report.config_version
    }

    /// Whether a create whose response was lost was found by looking it up.
    #[getter]
    fn recovered_create(&self) -> bool {
        self.report.recovered_create
    }

    /// Configuration writes refused with a version conflict and retried.
    #[getter]
    fn conflict_retries(&self) -> u32 {
        self.report.conflict_retries
    }

    /// State polls made while waiting for ACTIVE.
    #[getter]
    fn polls(&self) -> u32 {
        self.report.polls
    }

    /// Each step's wall time, in order, as `{"step", "elapsed_ms"}` dicts (a step may appear
    /// twice, say a re-read after a conflict).
    #[getter]
    fn timings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.timings)
    }

    /// Wall time of the whole apply in milliseconds.
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
            "DeployReport(name={}, integration_id={}, action={}, reported_state={}, elapsed_ms={:.1})",
            repr(py, self.report.name())?,
            repr(py, &self.report.integration_id)?,
            repr(py, self.report.action().as_str())?,
            repr(py, &self.report.reported_state.code)?,
            self.report.elapsed.as_secs_f64() * 1000.0,
        ))
    }
});
