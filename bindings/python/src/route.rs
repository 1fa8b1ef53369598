//! `RouteDeployer` (feature `aws` of the core): a payload deployed as a Genesys Cloud ->
//! Amazon EventBridge -> HTTPS route, both halves, blocking (GIL released) and asyncio.
//!
//! A route is a dict: the seed payload's keys (`name`, `uri`, `headers`, `retryPolicy`,
//! `eventFilters`, ...) plus the route's own, `awsAccountId`, `awsRegion`, `eventSourceSuffix`,
//! `roleArn` (required), `organizationId`, `deadLetterArn`, `invocationRateLimit` and `oauth`;
//! `headers` may hold `Authorization` (the connections' auth); or the
//! path of a route file (JSON or YAML). The core reads it ([`crate::document::route`]): every
//! unknown, missing, wrongly typed or duplicate key and every broken rule in one
//! `ValidationError`, before any call.
//!
//! The reports (`RoutePlan`, `RouteReport`, `RouteCheckReport`, `RouteDestroyReport`) are
//! read-only views whose `to_dict()` is the core's JSON form; they pickle, copy and compare
//! equal through it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use genesys_resolver::dns::DnsResolver;
use genesys_resolver::metrics::Metrics;
use genesys_resolver::route::{
    CheckReport, DestroyReport, RehearseOptions, RehearseReport, RouteDeployer, RouteError,
    RoutePlan, RouteReport,
};
use genesys_resolver::settings::RouteSettings;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::audit::PythonAudit;
use crate::convert::{repr, serde_to_py};
use crate::errors::ErrorInfo;
use crate::per_process::PerProcess;
use crate::pickle::report_class;
use crate::runtime::{block_on, future_into_py};
use crate::settings::{self, ClientOptions, DeployOptions, Identity, RouteOptions, checked_route};

fn outcome<T, P: From<T>>(py: Python<'_>, result: Result<T, RouteError>) -> PyResult<P> {
    result
        .map(P::from)
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
}

report_class!(
    /// What `RouteDeployer.apply` would do on both sides.
    PyRoutePlan, RoutePlan, "RoutePlan", {
    /// The route's name.
    #[getter]
    fn name(&self) -> &str {
        &self.report.name
    }

    /// Whether apply would write nothing on either side.
    #[getter]
    fn is_nothing(&self) -> bool {
        self.report.is_nothing()
    }

    /// The AWS account the route deploys to: the credentials' account (checked before the
    /// plan read anything).
    #[getter]
    fn aws_account_id(&self) -> &str {
        &self.report.aws_account_id
    }

    /// The AWS region the route deploys to: the client's region (checked likewise).
    #[getter]
    fn aws_region(&self) -> &str {
        &self.report.aws_region
    }

    /// What apply would do to the route as a whole: `create`, `update` or `nothing`.
    #[getter]
    fn action(&self) -> &'static str {
        self.report.action().as_str()
    }

    /// The Genesys side's action (`create`, `update`, `nothing`).
    #[getter]
    fn genesys_action(&self) -> &'static str {
        self.report.genesys.action().as_str()
    }

    /// Every resource of both halves in apply order (the Genesys integration, then the AWS
    /// resources), as `{"kind", "name", "action", "changes"}` dicts.
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let changes: Vec<_> = self.report.changes().collect();
        serde_to_py(py, &changes)
    }

    /// The AWS resources apply would write, as `{"kind", "name", "action", "changes"}` dicts.
    #[getter]
    fn aws_changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let changes: Vec<_> = self.report.aws_changes().collect();
        serde_to_py(py, &changes)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RoutePlan(name={}, genesys={}, aws_changes={})",
            repr(py, &self.report.name)?,
            repr(py, self.report.genesys.action().as_str())?,
            self.report.aws_changes().count(),
        ))
    }
});

report_class!(
    /// What `RouteDeployer.apply` did.
    PyRouteReport, RouteReport, "RouteReport", {
    /// The route's name.
    #[getter]
    fn name(&self) -> &str {
        &self.report.name
    }

    /// The Genesys integration's id.
    #[getter]
    fn integration_id(&self) -> &str {
        &self.report.integration_id
    }

    /// The event bus's ARN.
    #[getter]
    fn event_bus_arn(&self) -> &str {
        &self.report.event_bus_arn
    }

    /// The rule's ARN.
    #[getter]
    fn rule_arn(&self) -> &str {
        &self.report.rule_arn
    }

    /// Resources written on both sides; 0 when everything already matched.
    #[getter]
    fn writes(&self) -> usize {
        self.report.writes()
    }

    /// How the apply ended: `created`, `updated` or `unchanged`.
    #[getter]
    fn action(&self) -> &'static str {
        self.report.action().as_str()
    }

    /// What was written, resource by resource, as `{"kind", "name", "action", "changes"}` dicts.
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.changes)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RouteReport(name={}, rule_arn={}, writes={})",
            repr(py, &self.report.name)?,
            repr(py, &self.report.rule_arn)?,
            self.report.writes(),
        ))
    }
});

report_class!(
    /// What `RouteDeployer.check` found: every probe, every destination judged as EventBridge
    /// will reach it, and the plan; nothing was written.
    PyRouteCheckReport, CheckReport, "RouteCheckReport", {
    /// Whether every destination passed its probe.
    #[getter]
    fn probes_ok(&self) -> bool {
        self.report.probes_ok()
    }

    /// Each destination judged as EventBridge will reach it, in payload order, as dicts:
    /// `verdict`, `rules`, `reasons` (each naming its rule), `days_left`, ...
    #[getter]
    fn reach<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.reach)
    }

    /// Whether EventBridge can deliver to every destination (warnings allowed).
    #[getter]
    fn reach_ok(&self) -> bool {
        self.report.reach_ok()
    }

    /// Whether every probe passed and EventBridge can deliver to every destination.
    #[getter]
    fn ok(&self) -> bool {
        self.report.ok()
    }

    /// The plan.
    #[getter]
    fn plan(&self) -> PyRoutePlan {
        PyRoutePlan::from(self.report.plan.clone())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RouteCheckReport(name={}, probes_ok={}, reach_ok={})",
            repr(py, &self.report.plan.name)?,
            if self.report.probes_ok() { "True" } else { "False" },
            if self.report.reach_ok() { "True" } else { "False" },
        ))
    }
});

report_class!(
    /// What `RouteDeployer.destroy` removed.
    PyRouteDestroyReport, DestroyReport, "RouteDestroyReport", {
    /// The route's name.
    #[getter]
    fn name(&self) -> &str {
        &self.report.name
    }

    /// The id of the Genesys integration deleted (None when there was none).
    #[getter]
    fn deleted_integration(&self) -> Option<&str> {
        self.report.deleted_integration.as_deref()
    }

    /// What was deleted, in order (the AWS resources, then the Genesys integration), as
    /// `{"kind", "name", "action", "changes"}` dicts.
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.changes)
    }

    /// How the destroy ended: `deleted`, or `unchanged` when nothing was there.
    #[getter]
    fn action(&self) -> &'static str {
        self.report.action().as_str()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RouteDestroyReport(name={}, changes={})",
            repr(py, &self.report.name)?,
            self.report.changes.len(),
        ))
    }
});

report_class!(
    /// What `RouteDeployer.rehearse` found: per event the rules it matched and per destination
    /// the request (credentials redacted) and EventBridge's verdict.
    PyRehearseReport, RehearseReport, "RehearseReport", {
    /// The route's name.
    #[getter]
    fn name(&self) -> &str {
        &self.report.name
    }

    /// The rehearsal's id, sent in every request's `X-Genesys-Resolver-Rehearsal` header.
    #[getter]
    fn rehearsal_id(&self) -> &str {
        &self.report.rehearsal_id
    }

    /// Whether the requests were sent.
    #[getter]
    fn sent(&self) -> bool {
        self.report.sent
    }

    /// Whether every event reaches every destination kept (matched by a rule, within
    /// EventBridge's size and, when sent, answered 2xx).
    #[getter]
    fn delivered(&self) -> bool {
        self.report.delivered()
    }

    /// One dict per event: topic, source, rules, destinations.
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.events)
    }

    /// Every destination's rehearsal, event by event, as dicts.
    #[getter]
    fn destinations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let all: Vec<_> = self.report.destinations().collect();
        serde_to_py(py, &all)
    }

    /// Notes worth a look.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.report.warnings.clone()
    }

    fn __str__(&self) -> String {
        self.report.to_string()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RehearseReport(name={}, sent={}, delivered={})",
            repr(py, &self.report.name)?,
            if self.report.sent { "True" } else { "False" },
            if self.report.delivered() { "True" } else { "False" },
        ))
    }
});

/// The core's rehearsal options from the keywords; a sample that cannot be read is the core's
/// `event` error.
fn rehearse_options(
    py: Python<'_>,
    event: Option<&Bound<'_, PyAny>>,
    topic: Option<String>,
    destination: Option<String>,
    (send, test_event_pattern): (bool, bool),
) -> PyResult<RehearseOptions> {
    let mut options = RehearseOptions {
        topic,
        destination,
        send,
        test_event_pattern,
        ..RehearseOptions::default()
    };
    let Some(event) = event else {
        return Ok(options);
    };
    if event.is_instance_of::<PyDict>() {
        // Python's own encoder: a sample may nest deeper than a route, and the core reads it
        // back strictly and boundedly.
        let text: String = py
            .import("json")?
            .call_method1("dumps", (event,))?
            .extract()?;
        options = options.event("event.json", text.into_bytes());
    } else {
        let path: PathBuf = event.extract()?;
        options = options
            .event_file(&path)
            .map_err(|e| ErrorInfo::from(RouteError::Rehearse(e)).into_pyerr(py))?;
    }
    Ok(options)
}

/// Deploys routes: the Genesys EventBridge integration and the AWS event bus, connections, API
/// destinations, rule and targets, idempotently. Safe to share between threads.
#[pyclass(frozen, module = "genesys_resolver", name = "RouteDeployer")]
pub(crate) struct PyRouteDeployer {
    inner: PerProcess<(RouteDeployer, Metrics)>,
    environment: String,
    client_id: String,
    region: Option<String>,
}

impl fmt::Debug for PyRouteDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteDeployer")
            .field("environment", &self.environment)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl PyRouteDeployer {
    /// The deployer of checked `settings`, from the core's composition root: one Genesys
    /// client, one prober, one coordinator (Redis when `redis_url` is set, connected first),
    /// the metrics kept here and the audit records to `audit`, for both halves.
    fn build(
        py: Python<'_>,
        settings: RouteSettings,
        hosts: Option<&Bound<'_, PyDict>>,
        audit: PythonAudit,
        shown: Option<String>,
    ) -> PyResult<Self> {
        let client = &settings.genesys.client;
        let environment = shown
            .or_else(|| client.environment.as_ref().map(ToString::to_string))
            .unwrap_or_default();
        let client_id = client.client_id.clone().unwrap_or_default();
        let region = settings.aws_region.clone();
        let hosts: Option<Arc<dyn DnsResolver>> = match hosts {
            Some(hosts) => Some(Arc::new(crate::resolver::static_resolver(hosts)?)),
            None => None,
        };
        // Built again from the same settings in a process forked from this one.
        let inner = PerProcess::new(py, move |py| {
            let metrics = Metrics::new();
            let mut builder = RouteDeployer::configure(settings.clone())
                .metrics(Arc::new(metrics.clone()))
                .audit(audit.sink());
            if let Some(hosts) = &hosts {
                builder = builder.dns_resolver(Arc::clone(hosts));
            }
            let deployer = block_on(py, move || builder.build_async())?
                .map_err(|e| ErrorInfo::from(e.report()).into_pyerr(py))?;
            Ok((deployer, metrics))
        })?;
        Ok(Self {
            inner,
            environment,
            client_id,
            region,
        })
    }
}

#[pymethods]
impl PyRouteDeployer {
    /// Checks every setting; nothing is sent until the first call. Genesys options as
    /// `EventBridgeDeployer`'s (`redis_url`: a lease per name shared with every process);
    /// AWS credentials come from the standard chain (environment variables, profile, ...),
    /// `region` and `endpoint_url` (an emulator) override it. `loopback=True` allows probes of
    /// `127.0.0.0/8` and `::1`; `hosts` maps names to addresses for the probes;
    /// `credential_key` keys the digest of connection credentials in their descriptions (at
    /// least 16 bytes; `RESOLVER_ROUTE_CREDENTIAL_KEY`). Bad settings raise `ConfigError`
    /// naming the setting.
    #[new]
    #[pyo3(signature = (
        environment, client_id, client_secret, *,
        region=None, endpoint_url=None, ca_file=None, ca_pem=None, activation_timeout=None,
        poll_interval=None, source_timeout=None, source_poll_interval=None,
        request_timeout=None, max_attempts=None, loopback=false, hosts=None, redis_url=None,
        lease_ttl=None, lease_wait=None, audit=None, credential_key=None,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn new(
        py: Python<'_>,
        environment: String,
        client_id: String,
        client_secret: String,
        region: Option<String>,
        endpoint_url: Option<String>,
        ca_file: Option<PathBuf>,
        ca_pem: Option<Bound<'_, PyAny>>,
        activation_timeout: Option<f64>,
        poll_interval: Option<f64>,
        source_timeout: Option<f64>,
        source_poll_interval: Option<f64>,
        request_timeout: Option<f64>,
        max_attempts: Option<u32>,
        loopback: bool,
        hosts: Option<Bound<'_, PyDict>>,
        redis_url: Option<String>,
        lease_ttl: Option<f64>,
        lease_wait: Option<f64>,
        audit: Option<Bound<'_, PyAny>>,
        credential_key: Option<String>,
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
            request_timeout,
            max_attempts,
            redis_url,
            lease_ttl,
            lease_wait,
            ..ClientOptions::default()
        };
        let deploy = DeployOptions {
            activation_timeout,
            poll_interval,
            ..DeployOptions::default()
        };
        let route = RouteOptions {
            region,
            endpoint_url,
            source_timeout,
            source_poll_interval,
            loopback,
            credential_key,
        };
        let base = RouteSettings::default();
        let settings = checked_route(py, base, identity, client, (deploy, route))?;
        let audit = PythonAudit::new(audit)?;
        Self::build(py, settings, hosts.as_ref(), audit, Some(shown))
    }

    /// A deployer configured from the environment, as the command line's `route` commands
    /// are: `GENESYS_*` and the `RESOLVER_*` variables of the client, trust, coordination
    /// (`RESOLVER_REDIS_URL` included), deploy waits and probes; AWS's own through the SDK's
    /// chain. A keyword given replaces what its variable says. A bad variable raises
    /// `ResolverError` (kind `config`) naming it.
    #[classmethod]
    #[pyo3(signature = (
        *, environment=None, client_id=None, client_secret=None,
        region=None, endpoint_url=None, ca_file=None, ca_pem=None, activation_timeout=None,
        poll_interval=None, source_timeout=None, source_poll_interval=None,
        request_timeout=None, max_attempts=None, loopback=false, hosts=None, redis_url=None,
        lease_ttl=None, lease_wait=None, audit=None, credential_key=None,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn from_env(
        cls: &Bound<'_, PyType>,
        environment: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        region: Option<String>,
        endpoint_url: Option<String>,
        ca_file: Option<PathBuf>,
        ca_pem: Option<Bound<'_, PyAny>>,
        activation_timeout: Option<f64>,
        poll_interval: Option<f64>,
        source_timeout: Option<f64>,
        source_poll_interval: Option<f64>,
        request_timeout: Option<f64>,
        max_attempts: Option<u32>,
        loopback: bool,
        hosts: Option<Bound<'_, PyDict>>,
        redis_url: Option<String>,
        lease_ttl: Option<f64>,
        lease_wait: Option<f64>,
        audit: Option<Bound<'_, PyAny>>,
        credential_key: Option<String>,
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
            request_timeout,
            max_attempts,
            redis_url,
            lease_ttl,
            lease_wait,
            ..ClientOptions::default()
        };
        let deploy = DeployOptions {
            activation_timeout,
            poll_interval,
            ..DeployOptions::default()
        };
        let route = RouteOptions {
            region,
            endpoint_url,
            source_timeout,
            source_poll_interval,
            loopback,
            credential_key,
        };
        let base = settings::from_env(py, RouteSettings::from_env)?;
        let settings = checked_route(py, base, identity, client, (deploy, route))?;
        let audit = PythonAudit::new(audit)?;
        Self::build(py, settings, hosts.as_ref(), audit, shown)
    }

    /// What `apply` would do on both sides, without writing: returns a `RoutePlan`.
    fn plan(&self, py: Python<'_>, route: &Bound<'_, PyAny>) -> PyResult<PyRoutePlan> {
        let route = crate::document::route(route)?;
        let d = self.inner.get(py)?.0;
        let result = block_on(py, move || async move { d.plan(&route).await })?;
        outcome(py, result)
    }

    /// Probes every destination and plans both sides, writing nothing: a `RouteCheckReport`.
    fn check(&self, py: Python<'_>, route: &Bound<'_, PyAny>) -> PyResult<PyRouteCheckReport> {
        let route = crate::document::route(route)?;
        let d = self.inner.get(py)?.0;
        let result = block_on(py, move || async move { d.check(&route).await })?;
        outcome(py, result)
    }

    /// Validates, probes, then makes both sides hold the route (only reads when everything
    /// matches): a `RouteReport`. Raises a `ResolverError` subclass naming what failed.
    fn apply(&self, py: Python<'_>, route: &Bound<'_, PyAny>) -> PyResult<PyRouteReport> {
        let route = crate::document::route(route)?;
        let d = self.inner.get(py)?.0;
        let result = block_on(py, move || async move { d.apply(&route).await })?;
        outcome(py, result)
    }

    /// Removes the AWS resources in reverse order and deletes the Genesys integration:
    /// a `RouteDestroyReport`.
    fn destroy(&self, py: Python<'_>, route: &Bound<'_, PyAny>) -> PyResult<PyRouteDestroyReport> {
        let route = crate::document::route(route)?;
        let d = self.inner.get(py)?.0;
        let result = block_on(py, move || async move { d.destroy(&route).await })?;
        outcome(py, result)
    }

    /// Rehearses the route's delivery as EventBridge will make it: per subscribed topic an
    /// event (`event`: a sample file's path or a dict; else from the topic's schema; else
    /// built in), matched against the route's rules, and per matching destination the request
    /// (`topic` and `destination` narrow it). Nothing is sent unless `send`; then each
    /// destination gets EventBridge's verdict. A `RehearseReport`; an unusable option raises
    /// `ValidationError` naming it.
    #[pyo3(signature = (
        route, *, event=None, topic=None, destination=None, send=false, test_event_pattern=false,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per option, as Python callers expect
    fn rehearse(
        &self,
        py: Python<'_>,
        route: &Bound<'_, PyAny>,
        event: Option<&Bound<'_, PyAny>>,
        topic: Option<String>,
        destination: Option<String>,
        send: bool,
        test_event_pattern: bool,
    ) -> PyResult<PyRehearseReport> {
        let route = crate::document::route(route)?;
        let options = rehearse_options(py, event, topic, destination, (send, test_event_pattern))?;
        let d = self.inner.get(py)?.0;
        let result = block_on(
            py,
            move || async move { d.rehearse(&route, &options).await },
        )?;
        outcome(py, result)
    }

    /// `rehearse` as an asyncio awaitable.
    #[pyo3(signature = (
        route, *, event=None, topic=None, destination=None, send=false, test_event_pattern=false,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per option, as Python callers expect
    fn rehearse_async<'py>(
        &self,
        py: Python<'py>,
        route: &Bound<'py, PyAny>,
        event: Option<&Bound<'py, PyAny>>,
        topic: Option<String>,
        destination: Option<String>,
        send: bool,
        test_event_pattern: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let route = crate::document::route(route)?;
        let options = rehearse_options(py, event, topic, destination, (send, test_event_pattern))?;
        let d = self.inner.get(py)?.0;
        future_into_py(py, async move {
            let result = d.rehearse(&route, &options).await;
            Python::attach(|py| outcome::<_, PyRehearseReport>(py, result))
        })
    }

    /// `plan` as an asyncio awaitable.
    fn plan_async<'py>(
        &self,
        py: Python<'py>,
        route: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let route = crate::document::route(route)?;
        let d = self.inner.get(py)?.0;
        future_into_py(py, async move {
            let result = d.plan(&route).await;
            Python::attach(|py| outcome::<_, PyRoutePlan>(py, result))
        })
    }

    /// `check` as an asyncio awaitable.
    fn check_async<'py>(
        &self,
        py: Python<'py>,
        route: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let route = crate::document::route(route)?;
        let d = self.inner.get(py)?.0;
        future_into_py(py, async move {
            let result = d.check(&route).await;
            Python::attach(|py| outcome::<_, PyRouteCheckReport>(py, result))
        })
    }

    /// `apply` as an asyncio awaitable.
    fn apply_async<'py>(
        &self,
        py: Python<'py>,
        route: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let route = crate::document::route(route)?;
        let d = self.inner.get(py)?.0;
        future_into_py(py, async move {
            let result = d.apply(&route).await;
            Python::attach(|py| outcome::<_, PyRouteReport>(py, result))
        })
    }

    /// `destroy` as an asyncio awaitable.
    fn destroy_async<'py>(
        &self,
        py: Python<'py>,
        route: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let route = crate::document::route(route)?;
        let d = self.inner.get(py)?.0;
        future_into_py(py, async move {
            let result = d.destroy(&route).await;
            Python::attach(|py| outcome::<_, PyRouteDestroyReport>(py, result))
        })
    }

    /// Counters and latency statistics so far, as a dict.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner.get(py)?.1.snapshot())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RouteDeployer(environment={}, client_id={}, region={})",
            repr(py, &self.environment)?,
            repr(py, &self.client_id)?,
            self.region
                .as_deref()
                .map_or(Ok("None".to_owned()), |r| repr(py, r))?,
        ))
    }
}
