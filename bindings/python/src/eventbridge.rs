//! Amazon EventBridge source integrations for Python: the typed `EventBridgeIntegration` model,
//! `EventBridgeDeployer` (`plan`/`apply`, blocking and asyncio) and its `Plan` and
//! `DeployReport`.
//!
//! Arguments are read strictly: a value of the wrong type is a violation at its JSON path
//! (`awsAccountId`, `topics[2]`), reported with every other problem in one `ValidationError`.
//! The rules themselves are the core's, checked by `validate()` and again by `plan`/`apply`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use genesys_resolver::api::GenesysClient;
use genesys_resolver::audit::TracingAudit;
use genesys_resolver::coordination::{CoordinationError, RedisCoordinator, RedisPacer};
use genesys_resolver::eventbridge::{
    DEFAULT_MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, DeployError, DeployReport,
    EventBridgeDeployer, EventBridgeIntegration, Plan,
};
use genesys_resolver::metrics::Metrics;
use genesys_resolver::outcome::ErrorKind;
use genesys_resolver::settings::ResolverSettings;
use genesys_resolver::tls::TrustConfig;
use genesys_resolver::validate::{Violation, ViolationCode};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple, PyType,
};

use crate::convert::repr;
use crate::convert::serde_to_py;
use crate::errors::{ErrorInfo, PyViolation};
use crate::runtime::{block_on, future_into_py, runtime};
use crate::settings::{self, ClientOptions, Identity, checked, config_error, seconds};

/// The keys of the integration's JSON form, with the Python argument each comes from.
const KEYS: [(&str, &str); 6] = [
    ("name", "name"),
    ("awsAccountId", "aws_account_id"),
    ("awsRegion", "aws_region"),
    ("eventSourceSuffix", "event_source_suffix"),
    ("topics", "topics"),
    ("notes", "notes"),
];

/// What the violations of an integration are reported as.
const SUBJECT: &str = "the EventBridge integration";

/// Reads Python values into the model's fields, collecting every wrong type as a violation.
#[derive(Debug, Default)]
struct Reader {
    violations: Vec<Violation>,
}

impl Reader {
    fn wrong_type(&mut self, path: &str, expected: &str, obj: &Bound<'_, PyAny>) {
        self.violations.push(Violation::new(
            path,
            ViolationCode::WrongType,
            format!("expected {expected}, found {}", describe(obj)),
        ));
    }

    fn string(&mut self, obj: &Bound<'_, PyAny>, path: &str) -> String {
        if let Some(s) = obj.cast::<PyString>().ok().and_then(|s| s.to_cow().ok()) {
            s.into_owned()
        } else {
            self.wrong_type(path, "a string", obj);
            String::new()
        }
    }

    fn optional_string(&mut self, obj: Option<&Bound<'_, PyAny>>, path: &str) -> Option<String> {
        obj.filter(|o| !o.is_none()).map(|o| self.string(o, path))
    }

    /// Any iterable of strings but a string, bytes or a mapping (iterating those is never what
    /// the caller meant).
    fn strings(&mut self, obj: &Bound<'_, PyAny>, path: &str) -> Vec<String> {
        const EXPECTED: &str = "a list of topic names";
        if obj.is_instance_of::<PyString>()
            || obj.is_instance_of::<PyBytes>()
            || obj.is_instance_of::<PyDict>()
            || obj.cast::<PyMapping>().is_ok()
        {
            self.wrong_type(path, EXPECTED, obj);
            return Vec::new();
        }
        let items: PyResult<Vec<Bound<'_, PyAny>>> = obj
            .try_iter()
            .and_then(Iterator::collect::<PyResult<Vec<_>>>);
        let Ok(items) = items else {
            self.wrong_type(path, EXPECTED, obj);
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.string(item, &format!("{path}[{i}]")))
            .collect()
    }

    /// A required string field; `None` (absent from a dict) is a missing key.
    fn required_string(&mut self, obj: Option<&Bound<'_, PyAny>>, key: &str) -> String {
        if let Some(o) = obj {
            self.string(o, key)
        } else {
            self.missing(key);
            String::new()
        }
    }

    fn missing(&mut self, key: &str) {
        self.violations.push(Violation::new(
            key,
            ViolationCode::MissingKey,
            format!("required key `{key}` is missing"),
        ));
    }

    /// The model from its six fields in [`KEYS`] order (`None`: not given).
    fn integration(&mut self, fields: &[Option<Bound<'_, PyAny>>; 6]) -> EventBridgeIntegration {
        let name = self.required_string(fields[0].as_ref(), KEYS[0].0);
        let account = self.required_string(fields[1].as_ref(), KEYS[1].0);
        let region = self.required_string(fields[2].as_ref(), KEYS[2].0);
        let suffix = self.required_string(fields[3].as_ref(), KEYS[3].0);
        let topics = if let Some(t) = fields[4].as_ref() {
            self.strings(t, KEYS[4].0)
        } else {
            self.missing(KEYS[4].0);
            Vec::new()
        };
        let notes = self.optional_string(fields[5].as_ref(), KEYS[5].0);
        let mut out = EventBridgeIntegration::new(name, account, region, suffix).topics(topics);
        out.notes = notes;
        out
    }

    /// `value`, or the `ValidationError` listing every violation met.
    fn finish<T>(self, py: Python<'_>, value: T) -> PyResult<T> {
        if self.violations.is_empty() {
            Ok(value)
        } else {
            Err(ErrorInfo::invalid_subject(SUBJECT, self.violations).into_pyerr(py))
        }
    }
}

/// What `obj` is, in the words of the core's reader for JSON values (`a number`, `null`), or
/// its Python type for values JSON does not have.
fn describe(obj: &Bound<'_, PyAny>) -> String {
    if obj.is_none() {
        "null".to_owned()
    } else if obj.is_instance_of::<PyBool>() {
        "a boolean".to_owned()
    } else if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>() {
        "a number".to_owned()
    } else if obj.is_instance_of::<PyString>() {
        "a string".to_owned()
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        "an array".to_owned()
    } else if obj.is_instance_of::<PyDict>() {
        "an object".to_owned()
    } else {
        format!("`{}`", type_name(obj))
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.to_cow().map(std::borrow::Cow::into_owned))
        .unwrap_or_else(|_| "object".to_owned())
}

/// The desired state of an Amazon EventBridge source integration (type
/// `amazon-eventbridge-source`): where Genesys delivers which notification topics.
///
/// Constructing one checks only the argument types; `validate()` (and every `plan`/`apply`)
/// checks the rules.
#[pyclass(
    frozen,
    eq,
    module = "genesys_resolver",
    name = "EventBridgeIntegration"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PyEventBridgeIntegration {
    inner: EventBridgeIntegration,
}

impl PyEventBridgeIntegration {
    /// The integration `obj` stands for: an `EventBridgeIntegration`, or a mapping in its JSON
    /// form (see `from_dict`).
    fn extract(obj: &Bound<'_, PyAny>) -> PyResult<EventBridgeIntegration> {
        let py = obj.py();
        if let Ok(given) = obj.cast::<Self>() {
            return Ok(given.get().inner.clone());
        }
        let mut reader = Reader::default();
        let value = if obj.cast::<PyMapping>().is_ok() {
            Self::read_mapping(&mut reader, obj)
        } else {
            reader.wrong_type("", "an EventBridgeIntegration or a dict", obj);
            EventBridgeIntegration::new("", "", "", "")
        };
        reader.finish(py, value)
    }

    /// Reads a mapping in the model's JSON form: every unknown, missing or mistyped key is a
    /// violation.
    fn read_mapping(reader: &mut Reader, obj: &Bound<'_, PyAny>) -> EventBridgeIntegration {
        let mut fields: [Option<Bound<'_, PyAny>>; 6] = Default::default();
        let items = obj
            .call_method0("items")
            .and_then(|items| items.try_iter()?.collect::<PyResult<Vec<_>>>());
        let Ok(items) = items else {
            reader.wrong_type("", "a dict", obj);
            return EventBridgeIntegration::new("", "", "", "");
        };
        for item in items {
            let Ok((key, value)) = item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>() else {
                continue;
            };
            let Some(key) = key
                .cast::<PyString>()
                .ok()
                .and_then(|k| k.to_cow().ok().map(std::borrow::Cow::into_owned))
            else {
                let shown = key
                    .repr()
                    .and_then(|r| r.to_cow().map(std::borrow::Cow::into_owned))
                    .unwrap_or_else(|_| "?".to_owned());
                reader.violations.push(Violation::new(
                    format!("[{shown}]"),
                    ViolationCode::WrongType,
                    format!("keys must be strings, found `{}`", type_name(&key)),
                ));
                continue;
            };
            if let Some(i) = KEYS.iter().position(|(json, _)| *json == key) {
                fields[i] = Some(value);
            } else {
                // The likely slip from Python: the argument's snake_case name.
                let hint = KEYS
                    .iter()
                    .find(|(json, arg)| *arg == key || json.eq_ignore_ascii_case(&key))
                    .map(|(json, _)| format!("; did you mean `{json}`?"))
                    .unwrap_or_default();
                reader.violations.push(Violation::new(
                    key.clone(),
                    ViolationCode::UnknownKey,
                    format!("unknown key `{key}`{hint}"),
                ));
            }
        }
        reader.integration(&fields)
    }
}

#[pymethods]
impl PyEventBridgeIntegration {
    /// Reads the arguments; a value of the wrong type raises `ValidationError` naming its JSON
    /// path (`awsAccountId`, `topics[1]`). The rules are checked by `validate()`.
    #[new]
    #[pyo3(signature = (name, aws_account_id, aws_region, event_source_suffix, topics, *, notes=None))]
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn new(
        py: Python<'_>,
        name: Bound<'_, PyAny>,
        aws_account_id: Bound<'_, PyAny>,
        aws_region: Bound<'_, PyAny>,
        event_source_suffix: Bound<'_, PyAny>,
        topics: Bound<'_, PyAny>,
        notes: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut reader = Reader::default();
        let fields = [
            Some(name),
            Some(aws_account_id),
            Some(aws_region),
            Some(event_source_suffix),
            Some(topics),
            notes,
        ];
        let inner = reader.integration(&fields);
        let inner = reader.finish(py, inner)?;
        Ok(Self { inner })
    }

    /// Reads the JSON form (`name`, `awsAccountId`, `awsRegion`, `eventSourceSuffix`, `topics`,
    /// optional `notes`), as `to_dict()` writes it. Unknown, missing and mistyped keys raise one
    /// `ValidationError`; the rules are checked by `validate()`.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut reader = Reader::default();
        let inner = if data.cast::<PyMapping>().is_ok() {
            Self::read_mapping(&mut reader, data)
        } else {
            reader.wrong_type("", "a dict", data);
            EventBridgeIntegration::new("", "", "", "")
        };
        reader.finish(data.py(), inner).map(|inner| Self { inner })
    }

    /// The integration's name; integrations are matched by name and type.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The 12-digit AWS account that receives the events.
    #[getter]
    fn aws_account_id(&self) -> &str {
        &self.inner.aws_account_id
    }

    /// The AWS region code of the event bus (`us-east-1`, ...).
    #[getter]
    fn aws_region(&self) -> &str {
        &self.inner.aws_region
    }

    /// Suffix of the partner event source name.
    #[getter]
    fn event_source_suffix(&self) -> &str {
        &self.inner.event_source_suffix
    }

    /// The notification topics to deliver.
    #[getter]
    fn topics(&self) -> Vec<String> {
        self.inner.topics.clone()
    }

    /// Free-text notes shown in the Genesys admin UI, or None.
    #[getter]
    fn notes(&self) -> Option<&str> {
        self.inner.notes.as_deref()
    }

    /// Checks every rule; raises `ValidationError` listing every violation (paths such as
    /// `awsAccountId` or `topics[2]`), or returns None. Topics are checked against the
    /// organisation only by a deployer with `check_topics=True`.
    fn validate(&self, py: Python<'_>) -> PyResult<()> {
        crate::logging::refresh();
        let violations = self.inner.violations();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ErrorInfo::invalid_subject(SUBJECT, violations).into_pyerr(py))
        }
    }

    /// Every violation, in field order; empty when valid.
    fn violations(&self) -> Vec<PyViolation> {
        self.inner
            .violations()
            .into_iter()
            .map(PyViolation::from)
            .collect()
    }

    /// The `properties` of `config/current` this integration writes (`awsAccountId`,
    /// `awsAccountRegion`, `eventSourceSuffix`, `eventFilter`).
    fn properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner.properties())
    }

    /// The JSON form: `name`, `awsAccountId`, `awsRegion`, `eventSourceSuffix`, `topics` and
    /// `notes` when set.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let topics = self
            .inner
            .topics
            .iter()
            .map(|t| repr(py, t))
            .collect::<PyResult<Vec<_>>>()?
            .join(", ");
        let notes = match &self.inner.notes {
            Some(n) => format!(", notes={}", repr(py, n)?),
            None => String::new(),
        };
        Ok(format!(
            "EventBridgeIntegration(name={}, aws_account_id={}, aws_region={}, event_source_suffix={}, topics=[{topics}]{notes})",
            repr(py, &self.inner.name)?,
            repr(py, &self.inner.aws_account_id)?,
            repr(py, &self.inner.aws_region)?,
            repr(py, &self.inner.event_source_suffix)?,
        ))
    }
}

fn plan_outcome(py: Python<'_>, result: Result<Plan, DeployError>) -> PyResult<PyPlan> {
    result
        .map(|plan| PyPlan { plan })
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
}

fn apply_outcome(
    py: Python<'_>,
    result: Result<DeployReport, DeployError>,
) -> PyResult<PyDeployReport> {
    result
        .map(|report| PyDeployReport { report })
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
}

/// Plans and applies Amazon EventBridge source integrations on one Genesys Cloud organisation,
/// idempotently. Share one per organisation: it is safe to use from many threads at once, and
/// it reads the available topics (with `check_topics=True`) once.
#[pyclass(frozen, module = "genesys_resolver", name = "EventBridgeDeployer")]
pub(crate) struct PyEventBridgeDeployer {
    inner: EventBridgeDeployer,
    metrics: Metrics,
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

/// The deployer's own options (the core keeps them in its builder, not in the settings).
struct DeployOptions {
    check_topics: bool,
    activation_timeout: Option<f64>,
    poll_interval: Option<f64>,
    max_poll_interval: Option<f64>,
    page_size: Option<u32>,
}

impl PyEventBridgeDeployer {
    /// The deployer for checked `settings` (its client, trust and coordination parts), with
    /// a Redis coordinator and Redis pacers when `redis_url` is set. `shown` is the
    /// environment as the caller wrote it, for `repr`.
    fn build(
        py: Python<'_>,
        settings: &ResolverSettings,
        deploy: &DeployOptions,
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
        let metrics = Metrics::new();
        let mut client = GenesysClient::builder()
            .settings(settings.client.clone())
            .trust(TrustConfig::from_settings(&settings.trust))
            .metrics(Arc::new(metrics.clone()));
        let coordinator = match &settings.coordination.redis_url {
            Some(_) => {
                let (redis, pacer, write_pacer) = connect_redis(py, settings)?;
                if let Some(p) = pacer {
                    client = client.pacer(Arc::new(p));
                }
                if let Some(p) = write_pacer {
                    client = client.write_pacer(Arc::new(p));
                }
                Some(redis)
            }
            None => None,
        };
        // Components that start background work need the runtime's context.
        let _context = runtime()?.enter();
        let client = client
            .build()
            .map_err(|e| config_error(py, e.to_string()))?;
        let first = deploy
            .poll_interval
            .map(|s| seconds(py, "poll_interval", s))
            .transpose()?;
        let max = deploy
            .max_poll_interval
            .map(|s| seconds(py, "max_poll_interval", s))
            .transpose()?;
        let (first, max) = match (first, max) {
            (None, None) => (DEFAULT_POLL_INTERVAL, DEFAULT_MAX_POLL_INTERVAL),
            (Some(f), None) => (f, f.max(DEFAULT_MAX_POLL_INTERVAL)),
            (None, Some(m)) => (DEFAULT_POLL_INTERVAL.min(m), m),
            (Some(f), Some(m)) => (f, m),
        };
        let mut builder = EventBridgeDeployer::builder(client)
            .metrics(Arc::new(metrics.clone()))
            .audit(Arc::new(TracingAudit))
            .check_topics(deploy.check_topics)
            .poll_interval(first, max);
        if let Some(s) = deploy.activation_timeout {
            builder = builder.activation_timeout(seconds(py, "activation_timeout", s)?);
        }
        if let Some(n) = deploy.page_size {
            builder = builder.page_size(n);
        }
        if let Some(redis) = coordinator {
            builder = builder.coordinator(Arc::new(redis));
        }
        if let Some(wait) = settings.coordination.lease_wait {
            builder = builder.lease_wait(wait);
        }
        let inner = builder
            .build()
            .map_err(|e| config_error(py, e.to_string()))?;
        Ok(Self {
            inner,
            metrics,
            environment,
            client_id,
        })
    }
}

/// The Redis coordinator of `settings.coordination` and the pacers of the rate limits that are
/// set, connected by the core ([`RedisCoordinator::connect_settings`]: the keys every resolver
/// and deployer of the organisation shares).
fn connect_redis(
    py: Python<'_>,
    settings: &ResolverSettings,
) -> PyResult<(RedisCoordinator, Option<RedisPacer>, Option<RedisPacer>)> {
    let settings = settings.clone();
    let shared = block_on(py, move || async move {
        RedisCoordinator::connect_settings(&settings).await
    })?
    .map_err(|e| coordination_error(py, &e))?;
    Ok((shared.coordinator, shared.pacer, shared.write_pacer))
}

/// A failed Redis connection as a `ResolverError`: kind `coordination` (retryable) when Redis
/// did not answer, `config` for a bad URL or option.
fn coordination_error(py: Python<'_>, err: &CoordinationError) -> PyErr {
    let kind = if err.is_retryable() {
        ErrorKind::Coordination
    } else {
        ErrorKind::Config
    };
    let mut info = ErrorInfo::new(kind, format!("coordination: {err}"));
    info.retryable = err.is_retryable();
    info.into_pyerr(py)
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
        lease_ttl=None, lease_wait=None,
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
            check_topics,
            activation_timeout,
            poll_interval,
            max_poll_interval,
            page_size,
        };
        let settings = checked(py, ResolverSettings::default(), identity, client, None)?;
        Self::build(py, &settings, &deploy, Some(shown))
    }

    /// A deployer configured from the environment, as the service is: `GENESYS_ENVIRONMENT`,
    /// `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` and the `RESOLVER_*` variables of the
    /// client, trust and coordination. A keyword given replaces what its variable says. A bad
    /// variable raises `ResolverError` (kind `config`) naming it.
    #[classmethod]
    #[pyo3(signature = (
        *, environment=None, client_id=None, client_secret=None,
        ca_file=None, ca_pem=None, check_topics=false, activation_timeout=None, poll_interval=None,
        max_poll_interval=None, page_size=None, rate_limit_per_minute=None,
        write_rate_limit_per_minute=None, request_timeout=None, max_attempts=None, redis_url=None,
        lease_ttl=None, lease_wait=None,
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
        };
        let settings = checked(py, settings::from_env(py)?, identity, client, None)?;
        Self::build(py, &settings, &deploy, shown)
    }

    /// What `apply` would do, without writing anything: validates (and checks topics when
    /// enabled), finds the integration by name and type, and reads its configuration. Takes an
    /// `EventBridgeIntegration` or its dict form; returns a `Plan`.
    fn plan(&self, py: Python<'_>, integration: &Bound<'_, PyAny>) -> PyResult<PyPlan> {
        let desired = PyEventBridgeIntegration::extract(integration)?;
        let deployer = self.inner.clone();
        let result = block_on(py, move || async move { deployer.plan(&desired).await })?;
        plan_outcome(py, result)
    }

    /// Makes Genesys hold the integration, enabled and ACTIVE: creates it if missing, writes its
    /// configuration when it differs, enables it and waits for ACTIVE. When everything already
    /// matches only reads are sent. Returns a `DeployReport`; raises a `ResolverError` subclass
    /// (`DeployError` for a failed activation, a conflict or an ambiguous name).
    fn apply(&self, py: Python<'_>, integration: &Bound<'_, PyAny>) -> PyResult<PyDeployReport> {
        let desired = PyEventBridgeIntegration::extract(integration)?;
        let deployer = self.inner.clone();
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
        let deployer = self.inner.clone();
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
        let deployer = self.inner.clone();
        future_into_py(py, async move {
            let result = deployer.apply(&desired).await;
            Python::attach(|py| apply_outcome(py, result))
        })
    }

    /// The organisation's available topic ids (`GET /api/v2/notifications/availabletopics`),
    /// read once and cached by this deployer.
    fn available_topics(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let deployer = self.inner.clone();
        let result = block_on(py, move || async move { deployer.available_topics().await })?;
        result
            .map(|topics| topics.as_ref().clone())
            .map_err(|e| ErrorInfo::from(e).into_pyerr(py))
    }

    /// Counters and latency statistics of every plan, apply, token fetch and API call so far,
    /// as a dict.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.metrics.snapshot())
    }

    /// The same metrics in the Prometheus text exposition format.
    fn prometheus(&self) -> String {
        self.metrics.prometheus_text()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "EventBridgeDeployer(environment={}, client_id={})",
            repr(py, &self.environment)?,
            repr(py, &self.client_id)?,
        ))
    }
}

fn optional_repr(py: Python<'_>, value: Option<&str>) -> PyResult<String> {
    value.map_or_else(|| Ok("None".to_owned()), |v| repr(py, v))
}

/// What `EventBridgeDeployer.apply` would do: `action` is `create`, `update` (with `changes`,
/// field by field), `enable` or `nothing`.
#[pyclass(frozen, module = "genesys_resolver", name = "Plan")]
#[derive(Debug, Clone)]
pub(crate) struct PyPlan {
    plan: Plan,
}

#[pymethods]
impl PyPlan {
    /// The integration's name.
    #[getter]
    fn name(&self) -> &str {
        &self.plan.name
    }

    /// Where events go: `aws://<region>/<account id>/<event source suffix>`.
    #[getter]
    fn target(&self) -> &str {
        &self.plan.target
    }

    /// `create`, `update`, `enable` or `nothing`.
    #[getter]
    fn action(&self) -> &'static str {
        self.plan.action.as_str()
    }

    /// For an update, each field that differs: `{"field", "current", "desired"}` dicts
    /// (`current` None when Genesys has no value). Empty otherwise.
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, self.plan.changes())
    }

    /// Whether apply would send nothing at all.
    #[getter]
    fn is_nothing(&self) -> bool {
        self.plan.is_nothing()
    }

    /// The existing integration's id; None when it would be created.
    #[getter]
    fn integration_id(&self) -> Option<&str> {
        self.plan.integration_id.as_deref()
    }

    /// The existing configuration's `version`.
    #[getter]
    fn current_version(&self) -> Option<u64> {
        self.plan.current_version
    }

    /// The existing integration's `intendedState` (`ENABLED`, `DISABLED`).
    #[getter]
    fn intended_state(&self) -> Option<&str> {
        self.plan.intended_state.as_deref()
    }

    /// The existing integration's `reportedState` as `{"code", "detail"}` (detail when Genesys
    /// gave one), or None.
    #[getter]
    fn reported_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.plan.reported_state)
    }

    /// Whether apply would send `intendedState: ENABLED`.
    #[getter]
    fn enable(&self) -> bool {
        self.plan.enable
    }

    /// Genesys' correlation id of the last response read.
    #[getter]
    fn correlation_id(&self) -> Option<&str> {
        self.plan.correlation_id.as_deref()
    }

    /// The plan in the core's JSON form (flat, the action under `action`, `changes` for an
    /// update).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.plan)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Plan(name={}, action={}, integration_id={}, changes={})",
            repr(py, &self.plan.name)?,
            repr(py, self.plan.action.as_str())?,
            optional_repr(py, self.plan.integration_id.as_deref())?,
            self.plan.changes().len(),
        ))
    }
}

/// What `EventBridgeDeployer.apply` did.
#[pyclass(frozen, module = "genesys_resolver", name = "DeployReport")]
#[derive(Debug, Clone)]
pub(crate) struct PyDeployReport {
    report: DeployReport,
}

#[pymethods]
impl PyDeployReport {
    /// The integration's name.
    #[getter]
    fn name(&self) -> &str {
        &self.report.name
    }

    /// Where events go: `aws://<region>/<account id>/<event source suffix>`.
    #[getter]
    fn target(&self) -> &str {
        &self.report.target
    }

    /// The integration's id.
    #[getter]
    fn integration_id(&self) -> &str {
        &self.report.integration_id
    }

    /// The writes made, in order (`created`, `configured`, `enabled`); empty when everything
    /// already matched.
    #[getter]
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.actions)
    }

    /// Whether anything was written.
    #[getter]
    fn changed(&self) -> bool {
        self.report.changed()
    }

    /// The configuration fields written (all of them after a create), as
    /// `{"field", "current", "desired"}` dicts.
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report.changes)
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

    /// The report in the core's JSON form.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.report)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let actions = self
            .report
            .actions
            .iter()
            .map(|a| {
                serde_json::to_value(a)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| format!("'{s}'")))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(", ");
        Ok(format!(
            "DeployReport(name={}, integration_id={}, actions=[{actions}], reported_state={}, elapsed_ms={:.1})",
            repr(py, &self.report.name)?,
            repr(py, &self.report.integration_id)?,
            repr(py, &self.report.reported_state.code)?,
            self.report.elapsed.as_secs_f64() * 1000.0,
        ))
    }
}
