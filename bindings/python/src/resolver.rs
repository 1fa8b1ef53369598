//! `Resolver`: the core's resolve pipeline for Python.
//!
//! Blocking methods run on the shared runtime through `runtime::block_on` (GIL released, Ctrl-C
//! honoured); `*_async` methods return asyncio awaitables on the same runtime.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::ResolvePayload;
use genesys_resolver::dns::StaticResolver;
use genesys_resolver::environment::Environment;
use genesys_resolver::pipeline::{ResolveError, ResolveReport, Resolver};
use genesys_resolver::retry::RetryPolicy;
use ipnet::IpNet;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use secrecy::SecretString;

use crate::convert::serde_to_py;
use crate::errors::ErrorInfo;
use crate::payload::{limits_from_py, payload_from_py};
use crate::report::PyResolveReport;
use crate::runtime::{block_on, future_into_py, runtime};
use genesys_resolver::outcome::ErrorKind;

/// A `ResolverError` of kind `config` (a bad setting), naming the setting.
fn config_error(py: Python<'_>, message: impl Into<String>) -> PyErr {
    ErrorInfo::new(ErrorKind::Config, message).into_pyerr(py)
}

/// A report, or the exception for the error (raised from the blocking and async methods).
fn outcome(
    py: Python<'_>,
    result: Result<ResolveReport, ResolveError>,
) -> PyResult<PyResolveReport> {
    result
        .map(PyResolveReport::from)
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
}

/// Seconds as a `Duration`, or a config error naming `setting`.
fn seconds(py: Python<'_>, setting: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            config_error(
                py,
                format!("{setting}: expected a positive number of seconds, got {value}"),
            )
        })
}

/// Validates, probes and deploys event-routing endpoint configurations to one Genesys Cloud
/// organisation. Share one per organisation: it is safe to use from many threads at once.
#[pyclass(frozen, module = "genesys_resolver", name = "Resolver")]
pub(crate) struct PyResolver {
    inner: Resolver,
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

#[pymethods]
impl PyResolver {
    /// Checks every setting; nothing is sent until the first call. Bad settings raise
    /// `ResolverError` (kind `config`) naming the setting.
    #[new]
    #[pyo3(signature = (
        environment, client_id, client_secret, *,
        allow_cidrs=None, ca_file=None, integrations_path=None, probe_concurrency=None,
        rate_limit_per_minute=None, health_timeout=None, request_timeout=None, max_attempts=None,
        limits=None, hosts=None,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn new(
        py: Python<'_>,
        environment: &str,
        client_id: String,
        client_secret: String,
        allow_cidrs: Option<Vec<String>>,
        ca_file: Option<PathBuf>,
        integrations_path: Option<String>,
        probe_concurrency: Option<usize>,
        rate_limit_per_minute: Option<u32>,
        health_timeout: Option<f64>,
        request_timeout: Option<f64>,
        max_attempts: Option<u32>,
        limits: Option<Bound<'_, PyAny>>,
        hosts: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let env = Environment::parse(environment)
            .map_err(|e| config_error(py, format!("environment: {e}")))?;
        let mut builder = Resolver::builder()
            .environment(env)
            .credentials(client_id.clone(), SecretString::from(client_secret))
            .limits(limits_from_py(limits.as_ref())?);
        if let Some(cidrs) = allow_cidrs {
            let nets = cidrs
                .iter()
                .enumerate()
                .map(|(i, c)| parse_net(c).ok_or_else(|| {
                    config_error(py, format!("allow_cidrs[{i}]: `{c}` is not an address range such as 127.0.0.0/8"))
                }))
                .collect::<PyResult<Vec<_>>>()?;
            builder = builder.allow_cidrs(nets);
        }
        if let Some(path) = ca_file {
            builder = builder.ca_file(path);
        }
        if let Some(path) = integrations_path {
            builder = builder.integrations_path(path);
        }
        if let Some(n) = probe_concurrency {
            if n == 0 {
                return Err(config_error(py, "probe_concurrency: must be at least 1"));
            }
            builder = builder.probe_concurrency(n);
        }
        if let Some(n) = rate_limit_per_minute {
            builder = builder.rate_limit_per_minute(n);
        }
        if let Some(s) = health_timeout {
            builder = builder.health_timeout(seconds(py, "health_timeout", s)?);
        }
        if let Some(s) = request_timeout {
            builder = builder.request_timeout(seconds(py, "request_timeout", s)?);
        }
        if let Some(n) = max_attempts {
            if n == 0 {
                return Err(config_error(py, "max_attempts: must be at least 1"));
            }
            builder = builder.retry_policy(RetryPolicy::default().with_max_attempts(n));
        }
        if let Some(hosts) = hosts {
            builder = builder.dns_resolver(Arc::new(static_resolver(&hosts)?));
        }
        // Components that start background work need the runtime's context.
        let _context = runtime()?.enter();
        let inner = builder
            .build()
            .map_err(|e| config_error(py, e.to_string()))?;
        Ok(Self {
            inner,
            environment: environment.to_owned(),
            client_id,
        })
    }

    /// Validates, probes every endpoint, obtains a token and creates or updates the integration.
    /// Returns a `ResolveReport`; raises a `ResolverError` subclass naming the failed stage.
    fn resolve(&self, py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<PyResolveReport> {
        let payload = payload_from_py(payload)?;
        let resolver = self.inner.clone();
        let result = block_on(py, move || async move { resolver.resolve(&payload).await })?;
        outcome(py, result)
    }

    /// Everything `resolve` does except the submit (a dry run); `report.action` is what a
    /// resolve would do.
    fn check(&self, py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<PyResolveReport> {
        let payload = payload_from_py(payload)?;
        let resolver = self.inner.clone();
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
        // Read every payload first; a malformed one becomes its ValidationError in place.
        let mut parsed: Vec<Result<ResolvePayload, PyErr>> = Vec::new();
        for item in payloads.try_iter()? {
            parsed.push(payload_from_py(&item?));
        }
        let good: Vec<ResolvePayload> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok().cloned())
            .collect();
        let resolver = self.inner.clone();
        let results = block_on(py, move || async move {
            resolver.resolve_many(&good, concurrency.max(1)).await
        })?;
        let mut results = results.into_iter();
        let out = PyList::empty(py);
        for p in parsed {
            let item = match p {
                Err(e) => e.into_value(py).into_bound(py).into_any(),
                Ok(_) => match results.next() {
                    Some(Ok(report)) => Bound::new(py, PyResolveReport::from(report))?.into_any(),
                    Some(Err(e)) => ErrorInfo::from(e)
                        .into_pyerr(py)
                        .into_value(py)
                        .into_bound(py)
                        .into_any(),
                    None => {
                        return Err(ErrorInfo::new(
                            ErrorKind::Config,
                            "resolve_many lost an outcome",
                        )
                        .into_pyerr(py));
                    }
                },
            };
            out.append(item)?;
        }
        Ok(out)
    }

    /// `resolve` as an asyncio awaitable.
    fn resolve_async<'py>(
        &self,
        py: Python<'py>,
        payload: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let payload = payload_from_py(payload)?;
        let resolver = self.inner.clone();
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
        let payload = payload_from_py(payload)?;
        let resolver = self.inner.clone();
        future_into_py(py, async move {
            let result = resolver.check(&payload).await;
            Python::attach(|py| outcome(py, result))
        })
    }

    /// Counters and latency statistics of every resolve, probe, token fetch and API call so
    /// far, as a dict.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner.metrics().snapshot())
    }

    /// The same metrics in the Prometheus text exposition format.
    fn prometheus(&self) -> String {
        self.inner.metrics().prometheus_text()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Resolver(environment={}, client_id={})",
            PyString::new(py, &self.environment).repr()?,
            PyString::new(py, &self.client_id).repr()?,
        ))
    }
}

/// `127.0.0.0/8`, or a bare address as a single-address range.
fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    IpNet::from_str(s)
        .ok()
        .or_else(|| IpAddr::from_str(s).ok().map(IpNet::from))
}

/// A name table for `hosts`: only these names resolve, and nothing is asked of DNS.
fn static_resolver(hosts: &Bound<'_, PyDict>) -> PyResult<StaticResolver> {
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
