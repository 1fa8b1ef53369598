//! The keyword options of `Resolver(...)`, `EventBridgeDeployer(...)`, `RouteDeployer(...)` and
//! their `from_env`, mapped onto the core's [`ResolverSettings`], [`DeploySettings`] and
//! [`RouteSettings`] in one place, and `limits=` read into [`Limits`] through serde.
//!
//! A constructor starts from the settings' `default()`, a `from_env` from their `from_env()`
//! (the variables the service and the command line read); the keywords given are laid over it
//! ([`Identity`], [`ClientOptions`], [`ResolverOptions`], [`DeployOptions`], [`RouteOptions`]),
//! and the `checked*` functions validate the result whole. Every bad value is a `ResolverError`
//! of kind `config` naming the keyword (or, for a value read from the environment, the
//! variable).

use std::path::PathBuf;
use std::time::Duration;

use genesys_resolver::environment::Environment;
use genesys_resolver::outcome::ErrorKind;
use genesys_resolver::settings::{
    ClientSettings, CoordinationSettings, DeploySettings, ProbeSettings, ResolverSettings,
    RouteSettings, RouteTargetSettings, SettingsError, SettingsErrors, TargetKind, TrustSettings,
    parse_net, vars,
};
use genesys_resolver::validate::Limits;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::convert::Converter;
use crate::errors::ErrorInfo;

/// A `ResolverError` of kind `config` (a bad setting), naming the setting.
pub(crate) fn config_error(py: Python<'_>, message: impl Into<String>) -> PyErr {
    ErrorInfo::new(ErrorKind::Config, message).into_pyerr(py)
}

/// Seconds as a positive `Duration`, or a config error naming `setting`.
pub(crate) fn seconds(py: Python<'_>, setting: &str, value: f64) -> PyResult<Duration> {
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

fn opt_seconds(py: Python<'_>, setting: &str, value: Option<f64>) -> PyResult<Option<Duration>> {
    value.map(|s| seconds(py, setting, s)).transpose()
}

/// Settings read from the process environment (a `from_env` of the core's), or a config error
/// naming the variable.
pub(crate) fn from_env<T>(
    py: Python<'_>,
    read: impl FnOnce() -> Result<T, SettingsError>,
) -> PyResult<T> {
    read().map_err(|e| config_error(py, e.to_string()))
}

/// The organisation and the credentials: all three given to a constructor; to `from_env`,
/// overrides of `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID` and `GENESYS_CLIENT_SECRET`.
#[derive(Default)]
pub(crate) struct Identity {
    pub(crate) environment: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
}

impl Identity {
    /// Lays the values given over `c`; afterwards an environment and credentials must be set.
    fn apply(self, py: Python<'_>, c: &mut ClientSettings) -> PyResult<()> {
        if let Some(text) = self.environment {
            // The caller's own code names the environment here (a test suite names its mock):
            // any form is taken, as `Environment::custom` takes it. The variables of `from_env`
            // go through the core's policy instead (RESOLVER_ALLOW_CUSTOM_ENVIRONMENT).
            c.environment = Some(
                Environment::custom(&text)
                    .map_err(|e| config_error(py, format!("environment: {e}")))?,
            );
        }
        if let Some(id) = self.client_id {
            c.client_id = Some(id);
        }
        if let Some(secret) = self.client_secret {
            c.client_secret = Some(SecretString::from(secret));
        }
        if c.environment.is_none() {
            return Err(config_error(
                py,
                format!(
                    "environment: not given and {} is not set",
                    vars::ENVIRONMENT
                ),
            ));
        }
        if c.client_id.is_none() && c.client_secret.is_none() {
            return Err(config_error(
                py,
                format!(
                    "client_id, client_secret: not given and {}, {} are not set",
                    vars::CLIENT_ID,
                    vars::CLIENT_SECRET
                ),
            ));
        }
        Ok(())
    }
}

/// The options of both constructors: trust, the Genesys client and coordination.
#[derive(Default)]
pub(crate) struct ClientOptions<'py> {
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) ca_pem: Option<Bound<'py, PyAny>>,
    pub(crate) rate_limit_per_minute: Option<u32>,
    pub(crate) write_rate_limit_per_minute: Option<u32>,
    pub(crate) request_timeout: Option<f64>,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) redis_url: Option<String>,
    pub(crate) lease_ttl: Option<f64>,
    pub(crate) lease_wait: Option<f64>,
}

impl ClientOptions<'_> {
    fn apply(
        self,
        py: Python<'_>,
        c: &mut ClientSettings,
        trust: &mut TrustSettings,
        k: &mut CoordinationSettings,
    ) -> PyResult<()> {
        if let Some(path) = self.ca_file {
            trust.ca_files = vec![path];
        }
        if let Some(pem) = self.ca_pem.filter(|p| !p.is_none()) {
            trust.ca_pem = pem_texts(&pem)?;
        }
        c.rate_limit_per_minute = self.rate_limit_per_minute.or(c.rate_limit_per_minute);
        c.write_rate_limit_per_minute = self
            .write_rate_limit_per_minute
            .or(c.write_rate_limit_per_minute);
        c.max_attempts = self.max_attempts.or(c.max_attempts);
        if let Some(t) = opt_seconds(py, "request_timeout", self.request_timeout)? {
            c.request_timeout = Some(t);
        }
        if let Some(url) = self.redis_url {
            k.redis_url = Some(url.trim().to_owned());
        }
        if let Some(t) = opt_seconds(py, "lease_ttl", self.lease_ttl)? {
            k.lease_ttl = Some(t);
        }
        if let Some(t) = opt_seconds(py, "lease_wait", self.lease_wait)? {
            k.lease_wait = Some(t);
        }
        Ok(())
    }
}

/// `ca_pem=`: one PEM text (any number of certificates) or a list of them.
fn pem_texts(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() {
        return Ok(vec![obj.extract()?]);
    }
    obj.extract::<Vec<String>>().map_err(|_| {
        config_error(
            obj.py(),
            format!(
                "ca_pem: expected PEM text or a list of PEM texts, found `{}`",
                type_name(obj)
            ),
        )
    })
}

/// The options only a `Resolver` has: the integrations route, probing and validation.
#[derive(Default)]
pub(crate) struct ResolverOptions<'py> {
    pub(crate) allow_cidrs: Option<Vec<String>>,
    pub(crate) integrations_path: Option<String>,
    pub(crate) probe_concurrency: Option<usize>,
    pub(crate) health_timeout: Option<f64>,
    pub(crate) limits: Option<Bound<'py, PyAny>>,
    /// `loopback=True`: allow [`LOOPBACK_CIDRS`] besides `allow_cidrs`.
    pub(crate) loopback: bool,
    /// The real route's settings (a dict of `RouteTargetSettings`' fields): given, the
    /// resolver deploys the real route instead of the seed's integrations route.
    pub(crate) route: Option<Bound<'py, PyAny>>,
}

/// What `loopback=True` allows: every IPv4 loopback address and IPv6's `::1`. Both, because a
/// name such as `localhost` resolves to `::1` as well as `127.0.0.1`, and the policy checks
/// every address a name resolves to.
pub(crate) const LOOPBACK_CIDRS: [&str; 2] = ["127.0.0.0/8", "::1/128"];

/// Adds [`LOOPBACK_CIDRS`] to the ranges the address policy allows.
fn allow_loopback(probe: &mut ProbeSettings) {
    for net in LOOPBACK_CIDRS.iter().filter_map(|c| parse_net(c)) {
        if !probe.allow_cidrs.contains(&net) {
            probe.allow_cidrs.push(net);
        }
    }
}

impl ResolverOptions<'_> {
    fn apply(self, py: Python<'_>, s: &mut ResolverSettings) -> PyResult<()> {
        if let Some(cidrs) = self.allow_cidrs {
            s.probe.allow_cidrs = cidrs
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    parse_net(c).ok_or_else(|| {
                        config_error(
                            py,
                            format!(
                                "allow_cidrs[{i}]: `{c}` is not an address range such as 127.0.0.0/8"
                            ),
                        )
                    })
                })
                .collect::<PyResult<Vec<_>>>()?;
        }
        if self.loopback {
            allow_loopback(&mut s.probe);
        }
        if let Some(path) = self.integrations_path {
            s.client.integrations_path = Some(path);
        }
        s.probe.concurrency = self.probe_concurrency.or(s.probe.concurrency);
        if let Some(t) = opt_seconds(py, "health_timeout", self.health_timeout)? {
            s.probe.health_timeout = Some(t);
        }
        if let Some(limits) = self.limits.filter(|l| !l.is_none()) {
            s.limits = limits_from_py(Some(&limits))?;
        }
        if let Some(route) = self.route.filter(|r| !r.is_none()) {
            s.target.route = route_from_py(&route)?;
            s.target.kind = TargetKind::Route;
        }
        Ok(())
    }
}

/// `base` with the keywords laid over it, checked whole: every problem is reported, each named
/// by its keyword (`max_attempts: must be at least 1`).
pub(crate) fn checked(
    py: Python<'_>,
    mut base: ResolverSettings,
    identity: Identity,
    client: ClientOptions<'_>,
    resolver: Option<ResolverOptions<'_>>,
) -> PyResult<ResolverSettings> {
    identity.apply(py, &mut base.client)?;
    client.apply(
        py,
        &mut base.client,
        &mut base.trust,
        &mut base.coordination,
    )?;
    if let Some(options) = resolver {
        options.apply(py, &mut base)?;
    }
    base.validate()
        .map_err(|errors| config_error(py, keyword_problems(&errors)))?;
    Ok(base)
}

/// The options only a deployer has: topic checks, its waits, the listing's page size.
#[derive(Default)]
pub(crate) struct DeployOptions {
    pub(crate) check_topics: Option<bool>,
    pub(crate) activation_timeout: Option<f64>,
    pub(crate) poll_interval: Option<f64>,
    pub(crate) max_poll_interval: Option<f64>,
    pub(crate) page_size: Option<u32>,
    pub(crate) deletion_timeout: Option<f64>,
}

impl DeployOptions {
    fn apply(self, py: Python<'_>, s: &mut DeploySettings) -> PyResult<()> {
        s.check_topics = self.check_topics.unwrap_or(s.check_topics);
        s.client.page_size = self.page_size.or(s.client.page_size);
        for (setting, value, field) in [
            (
                "activation_timeout",
                self.activation_timeout,
                &mut s.activation_timeout,
            ),
            ("poll_interval", self.poll_interval, &mut s.poll_interval),
            (
                "max_poll_interval",
                self.max_poll_interval,
                &mut s.max_poll_interval,
            ),
            (
                "deletion_timeout",
                self.deletion_timeout,
                &mut s.deletion_timeout,
            ),
        ] {
            if let Some(t) = opt_seconds(py, setting, value)? {
                *field = Some(t);
            }
        }
        Ok(())
    }
}

/// The options only a route deployer has: where AWS is, the wait for the partner event source,
/// and the probes' loopback allowance.
#[derive(Default)]
pub(crate) struct RouteOptions {
    pub(crate) region: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) source_timeout: Option<f64>,
    pub(crate) source_poll_interval: Option<f64>,
    pub(crate) loopback: bool,
    /// The key of the digest of connection credentials (`credential_key=`).
    pub(crate) credential_key: Option<String>,
}

impl RouteOptions {
    fn apply(self, py: Python<'_>, s: &mut RouteSettings) -> PyResult<()> {
        if let Some(key) = self.credential_key {
            s.credential_key = Some(genesys_resolver::settings::SecretValue::new(key));
        }
        s.aws_region = self.region.or(s.aws_region.take());
        s.aws_endpoint_url = self.endpoint_url.or(s.aws_endpoint_url.take());
        if let Some(t) = opt_seconds(py, "source_timeout", self.source_timeout)? {
            s.source_timeout = Some(t);
        }
        if let Some(t) = opt_seconds(py, "source_poll_interval", self.source_poll_interval)? {
            s.source_poll_interval = Some(t);
        }
        if self.loopback {
            allow_loopback(&mut s.probe);
        }
        Ok(())
    }
}

/// A deployer's `base` settings with the keywords laid over it, checked whole.
pub(crate) fn checked_deploy(
    py: Python<'_>,
    mut base: DeploySettings,
    identity: Identity,
    client: ClientOptions<'_>,
    deploy: DeployOptions,
) -> PyResult<DeploySettings> {
    identity.apply(py, &mut base.client)?;
    client.apply(
        py,
        &mut base.client,
        &mut base.trust,
        &mut base.coordination,
    )?;
    deploy.apply(py, &mut base)?;
    base.validate()
        .map_err(|errors| config_error(py, keyword_problems(&errors)))?;
    Ok(base)
}

/// A route deployer's `base` settings with the keywords laid over it, checked whole.
pub(crate) fn checked_route(
    py: Python<'_>,
    mut base: RouteSettings,
    identity: Identity,
    client: ClientOptions<'_>,
    (deploy, route): (DeployOptions, RouteOptions),
) -> PyResult<RouteSettings> {
    let g = &mut base.genesys;
    identity.apply(py, &mut g.client)?;
    client.apply(py, &mut g.client, &mut g.trust, &mut g.coordination)?;
    deploy.apply(py, g)?;
    route.apply(py, &mut base)?;
    base.validate()
        .map_err(|errors| config_error(py, keyword_problems(&errors)))?;
    Ok(base)
}

/// The core's problems, each named by the keyword that sets its field.
fn keyword_problems(errors: &SettingsErrors) -> String {
    errors
        .0
        .iter()
        .map(|e| format!("{}: {}", keyword(&e.setting), e.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The keyword of a settings field (`client.max_attempts` is `max_attempts`).
fn keyword(field: &str) -> &str {
    match field {
        "probe.concurrency" => "probe_concurrency",
        other => other.rsplit('.').next().unwrap_or(other),
    }
}

/// The validation limits from a dict of `Limits` field names (`max_uris`, `max_retries`, ...),
/// read by the core's serde form; missing keys keep their defaults. A wrong type is a
/// `TypeError` and an unknown key or a non-finite number a `ValueError`, naming the key.
pub(crate) fn limits_from_py(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Limits> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Limits::default());
    };
    let dict = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "limits: expected a dict, found `{}`",
            type_name(obj)
        ))
    })?;
    let mut doc = Map::new();
    for (key, value) in dict.iter() {
        let key: String = key
            .extract()
            .map_err(|_| PyTypeError::new_err("limits: keys must be strings"))?;
        let mut conv = Converter::default();
        let json = conv.value(&value, &key);
        // One key at a time, so the error names the key that is wrong.
        let alone = Value::Object(Map::from_iter([(key.clone(), json.clone())]));
        if let Err(e) = serde_json::from_value::<Limits>(alone) {
            return Err(limit_error(&key, &value, &e.to_string()));
        }
        if let Some((_, v)) = conv.non_finite().first() {
            return Err(PyValueError::new_err(format!(
                "limits.{key}: expected a finite number, found {v}"
            )));
        }
        doc.insert(key, json);
    }
    serde_json::from_value(Value::Object(doc))
        .map_err(|e| PyValueError::new_err(format!("limits: {e}")))
}

/// `route=`: a dict of [`RouteTargetSettings`]' fields (seconds for the waits), read as
/// strictly as the core reads it (an unknown key is an error naming it).
fn route_from_py(obj: &Bound<'_, PyAny>) -> PyResult<RouteTargetSettings> {
    if obj.cast::<PyDict>().is_err() {
        return Err(PyTypeError::new_err(format!(
            "route: expected a dict, found `{}`",
            type_name(obj)
        )));
    }
    let mut conv = Converter::default();
    let json = conv.value(obj, "route");
    if let Some((key, v)) = conv.non_finite().first() {
        return Err(PyValueError::new_err(format!(
            "{key}: expected a finite number, found {v}"
        )));
    }
    serde_json::from_value(json).map_err(|e| PyValueError::new_err(format!("route: {e}")))
}

/// The Python exception for serde's complaint `message` about `limits[key]`.
fn limit_error(key: &str, value: &Bound<'_, PyAny>, message: &str) -> PyErr {
    if let Some(rest) = message.strip_prefix(&format!("unknown field `{key}`, ")) {
        return PyValueError::new_err(format!(
            "limits: unknown key `{key}`; {}",
            rest.replace('`', "")
        ));
    }
    // serde names the Rust type it wanted; say it the way a Python caller thinks of it.
    let wanted = message.rsplit("expected ").next().unwrap_or(message);
    let expected = match wanted {
        "usize" | "u64" | "u32" => "a count",
        "i64" | "i32" => "a whole number",
        "f64" => "a number",
        "a sequence" | "a string" => "a list of strings",
        other => other,
    };
    PyTypeError::new_err(format!(
        "limits.{key}: expected {expected}, found `{}`",
        type_name(value)
    ))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.to_cow().map(std::borrow::Cow::into_owned))
        .unwrap_or_else(|_| "object".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named_by_their_keyword() {
        assert_eq!(keyword("client.max_attempts"), "max_attempts");
        assert_eq!(keyword("probe.concurrency"), "probe_concurrency");
        assert_eq!(keyword("probe.health_timeout"), "health_timeout");
        assert_eq!(keyword("coordination.redis_url"), "redis_url");
    }
}
