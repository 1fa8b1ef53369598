//! `Resolver`: the core's resolve pipeline for Python.
//!
//! Blocking methods run on the shared runtime through `runtime::block_on` (GIL released, Ctrl-C
//! honoured); `*_async` methods return asyncio awaitables on the same runtime.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use genesys_resolver::ResolvePayload;
use genesys_resolver::dns::{DnsResolver, StaticResolver};
use genesys_resolver::outcome::ErrorKind;
use genesys_resolver::pipeline::{BuildError, ResolveError, ResolveReport, Resolver};
use genesys_resolver::settings::{ResolverSettings, TargetKind};
use genesys_resolver::validate::Limits;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyType};

use crate::audit::PythonAudit;
use crate::convert::serde_to_py;
use crate::errors::ErrorInfo;
use crate::payload::payload_from_py;
use crate::per_process::PerProcess;
use crate::report::PyResolveReport;
use crate::runtime::{block_on, future_into_py, in_context};
use crate::settings::{self, ClientOptions, Identity, ResolverOptions, checked, config_error};

/// A report, or the exception for the error (raised from the blocking and async methods).
fn outcome(
    py: Python<'_>,
    result: Result<ResolveReport, ResolveError>,
) -> PyResult<PyResolveReport> {
    result
        .map(PyResolveReport::from)
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
}

/// Validates, probes and deploys event-routing endpoint configurations to one Genesys Cloud
/// organisation. Share one per organisation: it is safe to use from many threads at once.
#[pyclass(frozen, module = "genesys_resolver", name = "Resolver")]
pub(crate) struct PyResolver {
    inner: PerProcess<Resolver>,
    /// The resolver's validation limits: a malformed payload dict is reported with the rules it
    /// breaks, as the resolver would check them.
    limits: Limits,
    environment: String,
    client_id: String,
}

impl fmt::Debug for PyResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("environment", &self.environment)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl PyResolver {
    /// The resolver for checked `settings`: built on the runtime, connecting to Redis first
    /// when `redis_url` is set, recording to `audit`. `shown` is the environment as the caller
    /// wrote it, for `repr`.
    fn build(
        py: Python<'_>,
        settings: ResolverSettings,
        hosts: Option<&Bound<'_, PyDict>>,
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
        // Redis and the real route are connected and made by `build_async`.
        let connect =
            settings.coordination.redis_url.is_some() || settings.target.kind == TargetKind::Route;
        let limits = settings.limits.clone();
        let hosts: Option<Arc<dyn DnsResolver>> = match hosts {
            Some(hosts) => Some(Arc::new(static_resolver(hosts)?)),
            None => None,
        };
        // Built again from the same settings in a process forked from this one.
        let inner = PerProcess::new(py, move |py| {
            let mut builder = Resolver::builder()
                .settings(settings.clone())
                .audit(audit.sink());
            if let Some(hosts) = &hosts {
                builder = builder.dns_resolver(Arc::clone(hosts));
            }
            let built = if connect {
                block_on(py, move || builder.build_async())?
            } else {
                // Components that start background work need the runtime's context.
                in_context(py, || builder.build())?
            };
            built.map_err(|e| build_error(py, &e))
        })?;
        Ok(Self {
            inner,
            limits,
            environment,
            client_id,
        })
    }
}

/// A build failure as a `ResolverError`: kind `coordination` (retryable) when Redis did not
/// answer, else `config`.
fn build_error(py: Python<'_>, err: &BuildError) -> PyErr {
    ErrorInfo::from(err.report()).into_pyerr(py)
}

#[pymethods]
impl PyResolver {
    /// Checks every setting; nothing is sent until the first call. Bad settings raise
    /// `ConfigError` naming the setting. With `redis_url`, connects to Redis first
    /// (`CoordinationError` when it does not answer). `loopback=True` allows probes of
    /// `127.0.0.0/8` and `::1` (local test destinations) besides `allow_cidrs`.
    #[new]
    #[pyo3(signature = (
        environment, client_id, client_secret, *,
        allow_cidrs=None, ca_file=None, ca_pem=None, integrations_path=None, probe_concurrency=None,
        rate_limit_per_minute=None, write_rate_limit_per_minute=None, health_timeout=None,
        request_timeout=None, max_attempts=None, limits=None, hosts=None, redis_url=None,
        lease_ttl=None, lease_wait=None, loopback=false, route=None, audit=None,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn new(
        py: Python<'_>,
        environment: String,
        client_id: String,
        client_secret: String,
        allow_cidrs: Option<Vec<String>>,
        ca_file: Option<PathBuf>,
        ca_pem: Option<Bound<'_, PyAny>>,
        integrations_path: Option<String>,
        probe_concurrency: Option<usize>,
        rate_limit_per_minute: Option<u32>,
        write_rate_limit_per_minute: Option<u32>,
        health_timeout: Option<f64>,
        request_timeout: Option<f64>,
        max_attempts: Option<u32>,
        limits: Option<Bound<'_, PyAny>>,
        hosts: Option<Bound<'_, PyDict>>,
        redis_url: Option<String>,
        lease_ttl: Option<f64>,
        lease_wait: Option<f64>,
        loopback: bool,
        route: Option<Bound<'_, PyAny>>,
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
        let options = ResolverOptions {
            allow_cidrs,
            integrations_path,
            probe_concurrency,
            health_timeout,
            limits,
            loopback,
            route,
        };
        let settings = checked(
            py,
            ResolverSettings::default(),
            identity,
            client,
            Some(options),
        )?;
        let audit = PythonAudit::new(audit)?;
        Self::build(py, settings, hosts.as_ref(), audit, Some(shown))
    }

    /// A resolver configured from the environment, as the service is: `GENESYS_ENVIRONMENT`,
    /// `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` and the `RESOLVER_*` variables. A keyword
    /// given replaces what its variable says. A bad variable raises `ResolverError` (kind
    /// `config`) naming it.
    #[classmethod]
    #[pyo3(signature = (
        *, environment=None, client_id=None, client_secret=None,
        allow_cidrs=None, ca_file=None, ca_pem=None, integrations_path=None, probe_concurrency=None,
        rate_limit_per_minute=None, write_rate_limit_per_minute=None, health_timeout=None,
        request_timeout=None, max_attempts=None, limits=None, hosts=None, redis_url=None,
        lease_ttl=None, lease_wait=None, loopback=false, route=None, audit=None,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn from_env(
        cls: &Bound<'_, PyType>,
        environment: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        allow_cidrs: Option<Vec<String>>,
        ca_file: Option<PathBuf>,
        ca_pem: Option<Bound<'_, PyAny>>,
        integrations_path: Option<String>,
        probe_concurrency: Option<usize>,
        rate_limit_per_minute: Option<u32>,
        write_rate_limit_per_minute: Option<u32>,
        health_timeout: Option<f64>,
        request_timeout: Option<f64>,
        max_attempts: Option<u32>,
        limits: Option<Bound<'_, PyAny>>,
        hosts: Option<Bound<'_, PyDict>>,
        redis_url: Option<String>,
        lease_ttl: Option<f64>,
        lease_wait: Option<f64>,
        loopback: bool,
        route: Option<Bound<'_, PyAny>>,
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
        let options = ResolverOptions {
            allow_cidrs,
            integrations_path,
            probe_concurrency,
            health_timeout,
            limits,
            loopback,
            route,
        };
        let settings = checked(
            py,
            settings::from_env(py, ResolverSettings::from_env)?,
            identity,
            client,
            Some(options),
        )?;
        let audit = PythonAudit::new(audit)?;
        Self::build(py, settings, hosts.as_ref(), audit, shown)
    }

    /// Validates, probes every endpoint, obtains a token and creates or updates the integration.
    /// Returns a `ResolveReport`; raises a `ResolverError` subclass naming the failed stage.
    fn resolve(&self, py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<PyResolveReport> {
        let payload = payload_from_py(payload, &self.limits)?;
        let resolver = self.inner.get(py)?;
        let result = block_on(py, move || async move { resolver.resolve(&payload).await })?;
        outcome(py, result)
    }

    /// Everything `resolve` does except the submit (a dry run); `report.action` is what a
    /// resolve would do.
    fn check(&self, py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<PyResolveReport> {
        let payload = payload_from_py(payload, &self.limits)?;
        let resolver = self.inner.get(py)?;
        let result = block_on(py, move || async move { resolver.check(&payload).await })?;
        outcome(py, result)
    }

    /// Resolves every payload, at most `concurrency` at once. Returns one item per payload, in
    /// input order: a `ResolveReport`, or the exception (not raised) for a payload that failed.
    #[pyo3(signature = (payloads, concurrency=8))]
    fn resolve_many<'py>(
        &self,
        py: Python<'py>,
        payloads: &Bound<'py, PyAny>,
        concurrency: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let (parsed, good) = read_many(payloads, &self.limits)?;
        let resolver = self.inner.get(py)?;
        let results = block_on(py, move || async move {
            resolver.resolve_many(&good, concurrency.max(1)).await
        })?;
        many_outcomes(py, parsed, results)
    }

    /// `resolve_many` as an asyncio awaitable: the payloads are read (and malformed ones turned
    /// into their `ValidationError`) before it returns; the list arrives when every resolve has
    /// ended.
    #[pyo3(signature = (payloads, concurrency=8))]
    fn resolve_many_async<'py>(
        &self,
        py: Python<'py>,
        payloads: &Bound<'py, PyAny>,
        concurrency: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (parsed, good) = read_many(payloads, &self.limits)?;
        let resolver = self.inner.get(py)?;
        future_into_py(py, async move {
            let results = resolver.resolve_many(&good, concurrency.max(1)).await;
            Python::attach(|py| many_outcomes(py, parsed, results).map(Bound::unbind))
        })
    }

    /// `resolve` as an asyncio awaitable.
    fn resolve_async<'py>(
        &self,
        py: Python<'py>,
        payload: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let payload = payload_from_py(payload, &self.limits)?;
        let resolver = self.inner.get(py)?;
        future_into_py(py, async move {
            let result = resolver.resolve(&payload).await;
            Python::attach(|py| outcome(py, result))
        })
    }

    /// `check` as an asyncio awaitable.
    fn check_async<'py>(
        &self,
        py: Python<'py>,
        payload: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let payload = payload_from_py(payload, &self.limits)?;
        let resolver = self.inner.get(py)?;
        future_into_py(py, async move {
            let result = resolver.check(&payload).await;
            Python::attach(|py| outcome(py, result))
        })
    }

    /// Counters and latency statistics of every resolve, probe, token fetch and API call so
    /// far, as a dict.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner.get(py)?.metrics().snapshot())
    }

    /// The same metrics in the Prometheus text exposition format.
    fn prometheus(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.inner.get(py)?.metrics().prometheus_text())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Resolver(environment={}, client_id={})",
            PyString::new(py, &self.environment).repr()?,
            PyString::new(py, &self.client_id).repr()?,
        ))
    }
}

/// Every payload of `payloads` read (a malformed one is its `ValidationError`, in place), and
/// the well-formed ones in order, for the core's `resolve_many`.
#[allow(clippy::type_complexity)] // one result per input item, and the ones to resolve
fn read_many(
    payloads: &Bound<'_, PyAny>,
    limits: &Limits,
) -> PyResult<(Vec<Result<(), PyErr>>, Vec<ResolvePayload>)> {
    let mut parsed = Vec::new();
    let mut good = Vec::new();
    for item in payloads.try_iter()? {
        match payload_from_py(&item?, limits) {
            Ok(p) => {
                good.push(p);
                parsed.push(Ok(()));
            }
            Err(e) => parsed.push(Err(e)),
        }
    }
    Ok((parsed, good))
}

/// One item per payload, in input order: the report, or the exception (not raised) for a
/// payload that was malformed (`parsed`) or failed (`results`, one per well-formed payload).
fn many_outcomes(
    py: Python<'_>,
    parsed: Vec<Result<(), PyErr>>,
    results: Vec<Result<ResolveReport, ResolveError>>,
) -> PyResult<Bound<'_, PyList>> {
    let mut results = results.into_iter();
    let out = PyList::empty(py);
    for p in parsed {
        let item = match p {
            Err(e) => e.into_value(py).into_bound(py).into_any(),
            Ok(()) => match results.next() {
                Some(Ok(report)) => Bound::new(py, PyResolveReport::from(report))?.into_any(),
                Some(Err(e)) => ErrorInfo::from(e)
                    .into_pyerr(py)
                    .into_value(py)
                    .into_bound(py)
                    .into_any(),
                None => {
                    return Err(
                        ErrorInfo::new(ErrorKind::Config, "resolve_many lost an outcome")
                            .into_pyerr(py),
                    );
                }
            },
        };
        out.append(item)?;
    }
    Ok(out)
}

/// A name table for `hosts`: only these names resolve, and nothing is asked of DNS.
pub(crate) fn static_resolver(hosts: &Bound<'_, PyDict>) -> PyResult<StaticResolver> {
    let py = hosts.py();
    let mut table = StaticResolver::new();
    for (name, addrs) in hosts.iter() {
        let name: String = name
            .extract()
            .map_err(|_| config_error(py, "hosts: names must be strings"))?;
        let addrs: Vec<String> = if addrs.is_instance_of::<PyString>() {
            vec![addrs.extract()?]
        } else {
            addrs.extract().map_err(|_| {
                config_error(
                    py,
                    format!("hosts[{name:?}]: expected a list of IP addresses"),
                )
            })?
        };
        let ips = addrs
            .iter()
            .map(|a| {
                IpAddr::from_str(a.trim()).map_err(|_| {
                    config_error(py, format!("hosts[{name:?}]: `{a}` is not an IP address"))
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        table.insert(name, ips);
    }
    Ok(table)
}
