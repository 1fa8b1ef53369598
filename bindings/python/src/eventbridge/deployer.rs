//! `EventBridgeDeployer`: the core's deployer for Python, built from the same settings as the
//! resolver, with blocking (GIL released) and asyncio `plan`/`apply`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use genesys_resolver::eventbridge::{
    DeployError, DeployReport, EventBridgeDeployer, EventBridgeIntegration, LifecycleReport, Plan,
    SyncPlan, SyncReport,
};
use genesys_resolver::metrics::Metrics;
use genesys_resolver::settings::DeploySettings;
use pyo3::prelude::*;
use pyo3::types::PyType;

use super::lifecycle::{PyLifecycleReport, PySyncPlan, PySyncReport};
use super::model::PyEventBridgeIntegration;
use super::report::{PyDeployReport, PyPlan};
use crate::audit::PythonAudit;
use crate::convert::{repr, serde_to_py};
use crate::errors::ErrorInfo;
use crate::per_process::PerProcess;
use crate::runtime::{block_on, future_into_py};
use crate::settings::{self, ClientOptions, DeployOptions, Identity, checked_deploy};

fn plan_outcome(py: Python<'_>, result: Result<Plan, DeployError>) -> PyResult<PyPlan> {
    result
        .map(PyPlan::from)
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
}

/// A core result as its Python view, or the error as its exception class.
fn outcome<T, P: From<T>>(py: Python<'_>, result: Result<T, DeployError>) -> PyResult<P> {
    result
        .map(P::from)
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
}

/// The integrations of a sync: a sequence of `EventBridgeIntegration`s or their dict forms.
fn extract_items(items: &Bound<'_, PyAny>) -> PyResult<Vec<EventBridgeIntegration>> {
    items
        .try_iter()?
        .map(|item| PyEventBridgeIntegration::extract(&item?))
        .collect()
}

fn apply_outcome(
    py: Python<'_>,
    result: Result<DeployReport, DeployError>,
) -> PyResult<PyDeployReport> {
    result
        .map(PyDeployReport::from)
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
}

/// Plans and applies Amazon EventBridge source integrations on one Genesys Cloud organisation,
/// idempotently. Share one per organisation: it is safe to use from many threads at once, and
/// it reads the available topics (with `check_topics=True`) once.
#[pyclass(frozen, module = "genesys_resolver", name = "EventBridgeDeployer")]
pub(crate) struct PyEventBridgeDeployer {
    inner: PerProcess<(EventBridgeDeployer, Metrics)>,
    environment: String,
    client_id: String,
}

impl fmt::Debug for PyEventBridgeDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBridgeDeployer")
            .field("environment", &self.environment)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl PyEventBridgeDeployer {
    /// The deployer of checked `settings`, from the core's composition root (one client, one
    /// coordinator: Redis when `redis_url` is set, connected first), its metrics kept here
    /// and its audit records to `audit`. `shown` is the environment as the caller wrote it,
    /// for `repr`.
    fn build(
        py: Python<'_>,
        settings: DeploySettings,
        audit: PythonAudit,
        shown: Option<String>,
    ) -> PyResult<Self> {
        let environment = shown
            .or_else(|| {
                settings
                    .client
                    .environment
                    .as_ref()
                    .map(ToString::to_string)
            })
            .unwrap_or_default();
        let client_id = settings.client.client_id.clone().unwrap_or_default();
        // Built again from the same settings in a process forked from this one.
        let inner = PerProcess::new(py, move |py| Self::parts(py, &settings, &audit))?;
        Ok(Self {
            inner,
            environment,
            client_id,
        })
    }

    /// The deployer and its metrics, for checked `settings`, from the core's composition root.
    fn parts(
        py: Python<'_>,
        settings: &DeploySettings,
        audit: &PythonAudit,
    ) -> PyResult<(EventBridgeDeployer, Metrics)> {
        let metrics = Metrics::new();
        let builder = EventBridgeDeployer::configure(settings.clone())
            .metrics(Arc::new(metrics.clone()))
            .audit(audit.sink());
        let deployer = block_on(py, move || builder.build_async())?
            .map_err(|e| ErrorInfo::from(e.report()).into_pyerr(py))?;
        Ok((deployer, metrics))
    }

    /// The deployer of this process.
    fn deployer(&self, py: Python<'_>) -> PyResult<EventBridgeDeployer> {
        Ok(self.inner.get(py)?.0)
    }
}

#[pymethods]
impl PyEventBridgeDeployer {
    /// Checks every setting; nothing is sent until the first call. Bad settings raise
    /// `ResolverError` (kind `config`) naming the setting. With `redis_url`, connects to Redis
    /// first (kind `coordination` when it does not answer).
    #[new]
    #[pyo3(signature = (
        environment, client_id, client_secret, *,
        ca_file=None, ca_pem=None, check_topics=false, activation_timeout=None, poll_interval=None,
        max_poll_interval=None, page_size=None, rate_limit_per_minute=None,
        write_rate_limit_per_minute=None, request_timeout=None, max_attempts=None, redis_url=None,
        lease_ttl=None, lease_wait=None, deletion_timeout=None, audit=None,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn new(
        py: Python<'_>,
        environment: String,
        client_id: String,
        client_secret: String,
        ca_file: Option<PathBuf>,
        ca_pem: Option<Bound<'_, PyAny>>,
        check_topics: bool,
        activation_timeout: Option<f64>,
        poll_interval: Option<f64>,
        max_poll_interval: Option<f64>,
        page_size: Option<u32>,
        rate_limit_per_minute: Option<u32>,
        write_rate_limit_per_minute: Option<u32>,
        request_timeout: Option<f64>,
        max_attempts: Option<u32>,
        redis_url: Option<String>,
        lease_ttl: Option<f64>,
        lease_wait: Option<f64>,
        deletion_timeout: Option<f64>,
        audit: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let shown = environment.clone();
        let identity = Identity {
            environment: Some(environment),
            client_id: Some(client_id),
            client_secret: Some(client_secret),
        };
        let client = ClientOptions {
            ca_file,
            ca_pem,
            rate_limit_per_minute,
            write_rate_limit_per_minute,
            request_timeout,
            max_attempts,
            redis_url,
            lease_ttl,
            lease_wait,
        };
        let deploy = DeployOptions {
            check_topics: Some(check_topics),
            activation_timeout,
            poll_interval,
            max_poll_interval,
            page_size,
            deletion_timeout,
        };
        let settings = checked_deploy(py, DeploySettings::default(), identity, client, deploy)?;
        let audit = PythonAudit::new(audit)?;
        Self::build(py, settings, audit, Some(shown))
    }

    /// A deployer configured from the environment, as the service is: `GENESYS_ENVIRONMENT`,
    /// `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` and the `RESOLVER_*` variables of the
    /// client, trust and coordination. A keyword given replaces what its variable says. A bad
    /// variable raises `ResolverError` (kind `config`) naming it.
    #[classmethod]
    #[pyo3(signature = (
        *, environment=None, client_id=None, client_secret=None,
        ca_file=None, ca_pem=None, check_topics=None, activation_timeout=None, poll_interval=None,
        max_poll_interval=None, page_size=None, rate_limit_per_minute=None,
        write_rate_limit_per_minute=None, request_timeout=None, max_attempts=None, redis_url=None,
        lease_ttl=None, lease_wait=None, deletion_timeout=None, audit=None,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn from_env(
        cls: &Bound<'_, PyType>,
        environment: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        ca_file: Option<PathBuf>,
        ca_pem: Option<Bound<'_, PyAny>>,
        check_topics: Option<bool>,
        activation_timeout: Option<f64>,
        poll_interval: Option<f64>,
        max_poll_interval: Option<f64>,
        page_size: Option<u32>,
        rate_limit_per_minute: Option<u32>,
        write_rate_limit_per_minute: Option<u32>,
        request_timeout: Option<f64>,
        max_attempts: Option<u32>,
        redis_url: Option<String>,
        lease_ttl: Option<f64>,
        lease_wait: Option<f64>,
        deletion_timeout: Option<f64>,
        audit: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let py = cls.py();
        let shown = environment.clone();
        let identity = Identity {
            environment,
            client_id,
            client_secret,
        };
        let client = ClientOptions {
            ca_file,
            ca_pem,
            rate_limit_per_minute,
            write_rate_limit_per_minute,
            request_timeout,
            max_attempts,
            redis_url,
            lease_ttl,
            lease_wait,
        };
        let deploy = DeployOptions {
            check_topics,
            activation_timeout,
            poll_interval,
            max_poll_interval,
            page_size,
            deletion_timeout,
        };
        let base = settings::from_env(py, DeploySettings::from_env)?;
        let settings = checked_deploy(py, base, identity, client, deploy)?;
        let audit = PythonAudit::new(audit)?;
        Self::build(py, settings, audit, shown)
    }

    /// What `apply` would do, without writing anything: validates (and checks topics when
    /// enabled), finds the integration by name and type, and reads its configuration. Takes an
    /// `EventBridgeIntegration` or its dict form; returns a `Plan`.
    fn plan(&self, py: Python<'_>, integration: &Bound<'_, PyAny>) -> PyResult<PyPlan> {
        let desired = PyEventBridgeIntegration::extract(integration)?;
        let deployer = self.deployer(py)?;
        let result = block_on(py, move || async move { deployer.plan(&desired).await })?;
        plan_outcome(py, result)
    }

    /// Makes Genesys hold the integration, enabled and ACTIVE: creates it if missing, writes its
    /// configuration when it differs, enables it and waits for ACTIVE. When everything already
    /// matches only reads are sent. Returns a `DeployReport`; raises a `ResolverError` subclass
    /// (`DeployError` for a failed activation, a conflict or an ambiguous name).
    fn apply(&self, py: Python<'_>, integration: &Bound<'_, PyAny>) -> PyResult<PyDeployReport> {
        let desired = PyEventBridgeIntegration::extract(integration)?;
        let deployer = self.deployer(py)?;
        let result = block_on(py, move || async move { deployer.apply(&desired).await })?;
        apply_outcome(py, result)
    }

    /// `plan` as an asyncio awaitable.
    fn plan_async<'py>(
        &self,
        py: Python<'py>,
        integration: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let desired = PyEventBridgeIntegration::extract(integration)?;
        let deployer = self.deployer(py)?;
        future_into_py(py, async move {
            let result = deployer.plan(&desired).await;
            Python::attach(|py| plan_outcome(py, result))
        })
    }

    /// `apply` as an asyncio awaitable.
    fn apply_async<'py>(
        &self,
        py: Python<'py>,
        integration: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let desired = PyEventBridgeIntegration::extract(integration)?;
        let deployer = self.deployer(py)?;
        future_into_py(py, async move {
            let result = deployer.apply(&desired).await;
            Python::attach(|py| apply_outcome(py, result))
        })
    }

    /// Sets `intendedState` DISABLED on the integration named `name` (it stops delivering;
    /// its configuration stays). Idempotent: nothing is written when it is already disabled or
    /// no integration has the name. Returns a `LifecycleReport`.
    fn disable(&self, py: Python<'_>, name: String) -> PyResult<PyLifecycleReport> {
        let deployer = self.deployer(py)?;
        let result: Result<LifecycleReport, _> =
            block_on(py, move || async move { deployer.disable(&name).await })?;
        outcome(py, result)
    }

    /// Deletes the integration named `name`, then waits (up to `deletion_timeout`) until it is
    /// gone. Idempotent: nothing is sent when no integration has the name. Several with the
    /// name raise `AmbiguousError` (delete the extras with `delete_id`); a wait that runs out
    /// raises `DeletionTimeoutError`. Returns a `LifecycleReport`.
    fn delete(&self, py: Python<'_>, name: String) -> PyResult<PyLifecycleReport> {
        let deployer = self.deployer(py)?;
        let result: Result<LifecycleReport, _> =
            block_on(py, move || async move { deployer.delete(&name).await })?;
        outcome(py, result)
    }

    /// Deletes the EventBridge integration `id` and waits until it is gone (for the extras of
    /// an ambiguous name); an integration of another type raises `ValidationError` at `id`.
    fn delete_id(&self, py: Python<'_>, id: String) -> PyResult<PyLifecycleReport> {
        let deployer = self.deployer(py)?;
        let result: Result<LifecycleReport, _> =
            block_on(py, move || async move { deployer.delete_id(&id).await })?;
        outcome(py, result)
    }

    /// What `delete` would do, without writing anything: a `Plan` whose action is `delete`
    /// (with the integration's id, target and partner event source) or `nothing`.
    fn plan_delete(&self, py: Python<'_>, name: String) -> PyResult<PyPlan> {
        let deployer = self.deployer(py)?;
        let result = block_on(py, move || async move { deployer.plan_delete(&name).await })?;
        plan_outcome(py, result)
    }

    /// Makes Genesys hold exactly `items` (`EventBridgeIntegration`s or dicts): `apply` for each,
    /// in order, then, only with `prune=True`, deletes every integration of the EventBridge type
    /// whose name is not declared (other types are never touched). Every item is validated
    /// first (paths `items[i]....`, names declared twice). Returns a `SyncReport`.
    #[pyo3(signature = (items, prune=false))]
    fn sync(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        prune: bool,
    ) -> PyResult<PySyncReport> {
        let items = extract_items(items)?;
        let deployer = self.deployer(py)?;
        let result: Result<SyncReport, _> =
            block_on(
                py,
                move || async move { deployer.sync(&items, prune).await },
            )?;
        outcome(py, result)
    }

    /// What `sync` would do, without writing anything; returns a `SyncPlan`.
    #[pyo3(signature = (items, prune=false))]
    fn plan_sync(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        prune: bool,
    ) -> PyResult<PySyncPlan> {
        let items = extract_items(items)?;
        let deployer = self.deployer(py)?;
        let result: Result<SyncPlan, _> = block_on(py, move || async move {
            deployer.plan_sync(&items, prune).await
        })?;
        outcome(py, result)
    }

    /// `disable` as an asyncio awaitable.
    fn disable_async<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let deployer = self.deployer(py)?;
        future_into_py(py, async move {
            let result = deployer.disable(&name).await;
            Python::attach(|py| outcome::<_, PyLifecycleReport>(py, result))
        })
    }

    /// `delete` as an asyncio awaitable.
    fn delete_async<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let deployer = self.deployer(py)?;
        future_into_py(py, async move {
            let result = deployer.delete(&name).await;
            Python::attach(|py| outcome::<_, PyLifecycleReport>(py, result))
        })
    }

    /// `delete_id` as an asyncio awaitable.
    fn delete_id_async<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let deployer = self.deployer(py)?;
        future_into_py(py, async move {
            let result = deployer.delete_id(&id).await;
            Python::attach(|py| outcome::<_, PyLifecycleReport>(py, result))
        })
    }

    /// `plan_delete` as an asyncio awaitable.
    fn plan_delete_async<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let deployer = self.deployer(py)?;
        future_into_py(py, async move {
            let result = deployer.plan_delete(&name).await;
            Python::attach(|py| plan_outcome(py, result))
        })
    }

    /// `sync` as an asyncio awaitable.
    #[pyo3(signature = (items, prune=false))]
    fn sync_async<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        prune: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let items = extract_items(items)?;
        let deployer = self.deployer(py)?;
        future_into_py(py, async move {
            let result = deployer.sync(&items, prune).await;
            Python::attach(|py| outcome::<_, PySyncReport>(py, result))
        })
    }

    /// `plan_sync` as an asyncio awaitable.
    #[pyo3(signature = (items, prune=false))]
    fn plan_sync_async<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        prune: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let items = extract_items(items)?;
        let deployer = self.deployer(py)?;
        future_into_py(py, async move {
            let result = deployer.plan_sync(&items, prune).await;
            Python::attach(|py| outcome::<_, PySyncPlan>(py, result))
        })
    }

    /// The organisation's id (`GET /api/v2/organizations/me`, read once and cached), which
    /// names the partner event source.
    fn organization_id(&self, py: Python<'_>) -> PyResult<String> {
        let deployer = self.deployer(py)?;
        let result = block_on(py, move || async move { deployer.organization_id().await })?;
        result
            .map(|id| id.to_string())
            .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
    }

    /// The organisation's available topic ids (`GET /api/v2/notifications/availabletopics`),
    /// read once and cached by this deployer.
    fn available_topics(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let deployer = self.deployer(py)?;
        let result = block_on(py, move || async move { deployer.available_topics().await })?;
        result
            .map(|topics| topics.as_ref().clone())
            .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
    }

    /// Counters and latency statistics of every plan, apply, token fetch and API call so far,
    /// as a dict.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner.get(py)?.1.snapshot())
    }

    /// The same metrics in the Prometheus text exposition format.
    fn prometheus(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.inner.get(py)?.1.prometheus_text())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "EventBridgeDeployer(environment={}, client_id={})",
            repr(py, &self.environment)?,
            repr(py, &self.client_id)?,
        ))
    }
}
