//! The exception hierarchy and the one mapping from core errors to Python exceptions.
//!
//! Every error the core reports becomes the core's
//! [`ErrorReport`](genesys_resolver::error::ErrorReport) (kind, stage, upstream, message and the
//! details Python users read as attributes), the same record the service answers and the command
//! line prints; [`ErrorInfo::into_pyerr`] is the single place that turns it into an exception
//! instance. Each of the core's [`ErrorKind`](genesys_resolver::outcome::ErrorKind)s maps to
//! exactly one class; kinds this binding does not know yet map to the base class,
//! `ResolverError`.
//!
//! Exceptions pickle as Python's own do (class, message, then every attribute from the
//! instance's `__dict__`); the `Violation`s and `ProbeReport`s they hold pickle through their
//! `__reduce__`, so an error crosses a `ProcessPoolExecutor` whole.

use genesys_resolver::error::{ErrorReport, OperationError};
use genesys_resolver::eventbridge::{DeployError as CoreDeployError, DeployStep};
use genesys_resolver::outcome::ErrorKind;
use genesys_resolver::pipeline::{ResolveError, Stage};
use genesys_resolver::route::RouteError;
use genesys_resolver::{ValidationErrors, Violation};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict, PyList, PyTuple, PyType};

use crate::report::PyProbeReport;
pub(crate) use crate::violation::PyViolation;

create_exception!(
    genesys_resolver,
    ResolverError,
    PyException,
    "Base class of every error genesys_resolver raises.\n\n\
     `stage` names the pipeline stage that failed (`validate`, `route_mapping`, `probe`, `token`, \
     `submit`), or is None when the error belongs to no stage (configuration). `kind` is the \
     core's flat error classification and `retryable` tells whether trying again later can help."
);
create_exception!(
    genesys_resolver,
    AddressPolicyError,
    ResolverError,
    "A destination resolves to an address the policy forbids (private, loopback, link-local, ...).\n\n\
     Point the endpoint at a public address, or allow the range with `allow_cidrs`."
);
create_exception!(
    genesys_resolver,
    DnsError,
    ResolverError,
    "A destination's host name could not be resolved. Check the name and the resolver."
);
create_exception!(
    genesys_resolver,
    TlsError,
    ResolverError,
    "The TLS handshake with a destination failed (untrusted or expired certificate, wrong name, \
     protocol).\n\nFix the destination's certificate, or trust its CA with `ca_file`."
);
create_exception!(
    genesys_resolver,
    HealthCheckError,
    ResolverError,
    "A destination's health check answered an unaccepted status or broke off (kind `health`). \
     Check that the service is up and healthy.\n\n\
     Also the base of `ConnectError` (refused connection) and `ProbeTimeoutError` (no answer in \
     time): catch it for any destination that is not healthy."
);
create_exception!(
    genesys_resolver,
    AuthError,
    ResolverError,
    "Genesys Cloud refused the client credentials or the token. Check the client id, secret, \
     environment and the OAuth client's roles.\n\n\
     `status` and `code` carry the HTTP status and OAuth error code when Genesys answered. \
     Also the base of `GenesysUnreachableError` (the login host could not be reached)."
);
create_exception!(
    genesys_resolver,
    GenesysUnreachableError,
    AuthError,
    "Genesys Cloud's login host could not be reached or did not answer in time (kind \
     `genesys_unreachable`: connection refused, DNS, TLS, timeout), so no token was had; \
     `status` is None. Retryable: check the network and the environment."
);
create_exception!(
    genesys_resolver,
    GenesysApiError,
    ResolverError,
    "The Genesys Cloud API answered with an error (kind `api`); also the base of \
     `RateLimitedError` and `TransportError` (Genesys unreachable, `status` None).\n\n\
     `status` is the HTTP status, `code` Genesys' error code and `correlation_id` the id to quote \
     to Genesys support."
);
create_exception!(
    genesys_resolver,
    RateLimitedError,
    GenesysApiError,
    "Genesys Cloud rate-limited the request (HTTP 429) and retries ran out.\n\n\
     `retry_after` is how many seconds Genesys asked to wait, when it said."
);
create_exception!(
    genesys_resolver,
    ConnectError,
    HealthCheckError,
    "A destination refused the TCP connection or did not accept it (kind `connect`). Check \
     that the service listens on the address and port."
);
create_exception!(
    genesys_resolver,
    ProbeTimeoutError,
    HealthCheckError,
    "A destination did not answer within its time limit (kind `probe_timeout`). Check the \
     service, or raise `health_timeout`."
);
create_exception!(
    genesys_resolver,
    TransportError,
    GenesysApiError,
    "Genesys Cloud could not be reached or did not answer in time (kind `transport`); `status` \
     is None. Retryable."
);
create_exception!(
    genesys_resolver,
    ConfigError,
    ResolverError,
    "The resolver, the deployer or a request is misconfigured (kind `config`): a bad setting, \
     environment variable or option, named in the message. Not a passing fault."
);
create_exception!(
    genesys_resolver,
    CoordinationError,
    ResolverError,
    "Concurrent callers could not be coordinated (kind `coordination`): the turn on the \
     integration's name was not had in time, Redis was unreachable, or a lease was lost. \
     Nothing was deployed unlocked. Retryable."
);

create_exception!(
    genesys_resolver,
    AwsError,
    ResolverError,
    "Amazon EventBridge failed a route's call after the SDK's own retries (`upstream` is `aws`). \
     `kind` says how: `aws_api` (AWS answered an error), `aws_throttled`, `aws_unreachable` (no \
     answer: network, region or endpoint; the call may have taken effect), `aws_access_denied` \
     (credentials or IAM permissions, or none found in the standard chain) or \
     `aws_limit_exceeded` (a quota).\n\n\
     `code` is AWS's error code, `operation` the API operation (`CreateConnection`, ...) and \
     `resource` the resource concerned."
);

create_exception!(
    genesys_resolver,
    DeployError,
    ResolverError,
    "Deploying an Amazon EventBridge integration failed after Genesys answered: a configuration \
     that kept changing (`conflict`), an integration that reported ERROR (`activation_failed`, \
     with Genesys' `detail`) or did not become ACTIVE in time (`activation_timeout`), a deleted \
     integration that did not go in time (`deletion_timeout`), several integrations with the \
     name (`ambiguous`), or a response the deployer cannot use \
     (`invalid_response`).\n\n\
     `step` names the deploy step, `integration_id` the integration when one was known and \
     `detail` Genesys' explanation of an ERROR state."
);

create_exception!(
    genesys_resolver,
    ConflictError,
    DeployError,
    "The integration's configuration kept changing under the deploy: version conflicts beyond \
     the retry budget (kind `conflict`). Try again."
);
create_exception!(
    genesys_resolver,
    ActivationFailedError,
    DeployError,
    "The integration reported ERROR (kind `activation_failed`); `detail` carries Genesys' \
     explanation."
);
create_exception!(
    genesys_resolver,
    ActivationTimeoutError,
    DeployError,
    "The integration did not become ACTIVE in time (kind `activation_timeout`). Check it later, \
     or raise `activation_timeout`."
);
create_exception!(
    genesys_resolver,
    DeletionTimeoutError,
    DeployError,
    "A deleted integration was still there when the wait for it to go ran out (kind \
     `deletion_timeout`). It may still go: delete again later, or raise `deletion_timeout`."
);
create_exception!(
    genesys_resolver,
    AmbiguousError,
    DeployError,
    "Several integrations carry the name (kind `ambiguous`). Delete the extras by id \
     (`EventBridgeDeployer.delete_id`) or rename them."
);
create_exception!(
    genesys_resolver,
    InvalidResponseError,
    DeployError,
    "Genesys answered success with a body the deployer cannot use (kind `invalid_response`)."
);

const VALIDATION_ERROR_DOC: &str = "The payload breaks the schema rules; also a ValueError.\n\n\
     `violations` lists every problem at once, each with `path` (a JSON path such as `uris[3]` or \
     `retryPolicy.maxRetries`), `code` (a stable rule name such as `uri_not_https`) and `message`.";

/// `ValidationError(ResolverError, ValueError)`: two bases, which `create_exception!` cannot
/// express, so the class is made with `type(...)` once per interpreter.
static VALIDATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn validation_error_type(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    let ty = VALIDATION_ERROR.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let bases = PyTuple::new(
            py,
            [
                py.get_type::<ResolverError>(),
                py.get_type::<PyValueError>(),
            ],
        )?;
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "genesys_resolver")?;
        namespace.set_item("__doc__", VALIDATION_ERROR_DOC)?;
        namespace.set_item("violations", PyList::empty(py))?;
        let ty = py
            .get_type::<PyType>()
            .call1(("ValidationError", bases, namespace))?;
        Ok(ty.cast_into::<PyType>()?.unbind())
    })?;
    Ok(ty.bind(py).clone())
}

/// Adds every exception class to the module and sets the class-level defaults of their
/// attributes, so `err.status` reads None rather than failing on an error raised by hand.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let base = py.get_type::<ResolverError>();
    base.setattr("stage", py.None())?;
    base.setattr("kind", OTHER)?;
    base.setattr("upstream", py.None())?;
    base.setattr("retryable", false)?;
    base.setattr("endpoints", PyList::empty(py))?;
    base.setattr("step", py.None())?;
    // `err.to_dict()`: a native function bound as a method (`partialmethod` binds any callable).
    let to_dict = PyCFunction::new_closure(
        py,
        Some(c"to_dict"),
        Some(c"The error in the core's JSON form: kind, stage, upstream, message, retryable and details."),
        |args, _kwargs| -> PyResult<Py<PyDict>> {
            let err = args.get_item(0)?;
            Ok(error_to_dict(&err)?.unbind())
        },
    )?;
    let partialmethod = py.import("functools")?.getattr("partialmethod")?;
    base.setattr("to_dict", partialmethod.call1((to_dict,))?)?;
    for ty in [
        py.get_type::<AuthError>(),
        py.get_type::<GenesysApiError>(),
        py.get_type::<AwsError>(),
    ] {
        ty.setattr("status", py.None())?;
        ty.setattr("code", py.None())?;
        ty.setattr("correlation_id", py.None())?;
    }
    let aws = py.get_type::<AwsError>();
    aws.setattr("operation", py.None())?;
    aws.setattr("resource", py.None())?;
    py.get_type::<RateLimitedError>()
        .setattr("retry_after", py.None())?;
    let deploy = py.get_type::<DeployError>();
    deploy.setattr("integration_id", py.None())?;
    deploy.setattr("detail", py.None())?;

    m.add("ResolverError", base)?;
    m.add("ValidationError", validation_error_type(py)?)?;
    m.add("AddressPolicyError", py.get_type::<AddressPolicyError>())?;
    m.add("DnsError", py.get_type::<DnsError>())?;
    m.add("TlsError", py.get_type::<TlsError>())?;
    m.add("HealthCheckError", py.get_type::<HealthCheckError>())?;
    m.add("AuthError", py.get_type::<AuthError>())?;
    m.add(
        "GenesysUnreachableError",
        py.get_type::<GenesysUnreachableError>(),
    )?;
    m.add("GenesysApiError", py.get_type::<GenesysApiError>())?;
    m.add("RateLimitedError", py.get_type::<RateLimitedError>())?;
    m.add("AwsError", aws)?;
    m.add("DeployError", py.get_type::<DeployError>())?;
    m.add("ConnectError", py.get_type::<ConnectError>())?;
    m.add("ProbeTimeoutError", py.get_type::<ProbeTimeoutError>())?;
    m.add("TransportError", py.get_type::<TransportError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("CoordinationError", py.get_type::<CoordinationError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add(
        "ActivationFailedError",
        py.get_type::<ActivationFailedError>(),
    )?;
    m.add(
        "ActivationTimeoutError",
        py.get_type::<ActivationTimeoutError>(),
    )?;
    m.add(
        "DeletionTimeoutError",
        py.get_type::<DeletionTimeoutError>(),
    )?;
    m.add("AmbiguousError", py.get_type::<AmbiguousError>())?;
    m.add(
        "InvalidResponseError",
        py.get_type::<InvalidResponseError>(),
    )?;
    m.add_class::<PyViolation>()?;
    Ok(())
}

/// The kind name of an error whose kind this binding does not know (raised as the base class).
const OTHER: &str = "other";

/// The one exception class for `kind` (`None`: a kind newer than this binding, the base class).
/// Classes that refine an older one subclass it (`ConnectError` is a `HealthCheckError`,
/// `TransportError` a `GenesysApiError`, `GenesysUnreachableError` an `AuthError`, each deploy
/// kind a `DeployError`), so `except` clauses written for the broader class still catch them;
/// every AWS kind is an `AwsError`.
fn exception_type(py: Python<'_>, kind: Option<ErrorKind>) -> PyResult<Bound<'_, PyType>> {
    let Some(kind) = kind else {
        return Ok(py.get_type::<ResolverError>());
    };
    if kind.is_aws_error() {
        return Ok(py.get_type::<AwsError>());
    }
    Ok(match kind {
        ErrorKind::Validation => validation_error_type(py)?,
        ErrorKind::AddressPolicy => py.get_type::<AddressPolicyError>(),
        ErrorKind::Dns => py.get_type::<DnsError>(),
        ErrorKind::Connect => py.get_type::<ConnectError>(),
        ErrorKind::Tls => py.get_type::<TlsError>(),
        ErrorKind::Health => py.get_type::<HealthCheckError>(),
        ErrorKind::ProbeTimeout => py.get_type::<ProbeTimeoutError>(),
        ErrorKind::Auth => py.get_type::<AuthError>(),
        ErrorKind::GenesysUnreachable => py.get_type::<GenesysUnreachableError>(),
        ErrorKind::Api => py.get_type::<GenesysApiError>(),
        ErrorKind::RateLimited => py.get_type::<RateLimitedError>(),
        ErrorKind::Transport => py.get_type::<TransportError>(),
        ErrorKind::Config => py.get_type::<ConfigError>(),
        ErrorKind::Conflict => py.get_type::<ConflictError>(),
        ErrorKind::ActivationFailed => py.get_type::<ActivationFailedError>(),
        ErrorKind::ActivationTimeout => py.get_type::<ActivationTimeoutError>(),
        ErrorKind::DeletionTimeout => py.get_type::<DeletionTimeoutError>(),
        ErrorKind::Ambiguous => py.get_type::<AmbiguousError>(),
        ErrorKind::InvalidResponse => py.get_type::<InvalidResponseError>(),
        ErrorKind::Coordination => py.get_type::<CoordinationError>(),
        _ => py.get_type::<ResolverError>(),
    })
}

/// Whether errors of `kind` carry an upstream's status, code and correlation id.
fn carries_upstream_details(kind: ErrorKind) -> bool {
    kind.is_aws_error()
        || matches!(
            kind,
            ErrorKind::Auth
                | ErrorKind::GenesysUnreachable
                | ErrorKind::Api
                | ErrorKind::RateLimited
                | ErrorKind::Transport
        )
}

/// A Python exception to be: the core's [`ErrorReport`], and whether its kind is one this
/// binding knows (an unknown one is raised as the base class, kind `other`).
#[derive(Debug, Clone)]
pub(crate) struct ErrorInfo {
    pub(crate) report: ErrorReport,
    known: bool,
}

impl ErrorInfo {
    /// An error of `kind` with only a message; set further fields of `report` as needed.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ErrorReport::new(kind, message.into()).into()
    }

    /// A `ValidationError` listing `violations` of a payload (never empty in practice).
    pub(crate) fn invalid(violations: Vec<Violation>) -> Self {
        Self::invalid_subject("payload", violations)
    }

    /// A `ValidationError` listing `violations` of `subject` (`payload`, `the EventBridge
    /// integration`).
    #[allow(clippy::needless_pass_by_value)] // callers hand over what they collected
    pub(crate) fn invalid_subject(subject: &str, violations: Vec<Violation>) -> Self {
        let n = violations.len();
        let mut message = format!(
            "{subject} is invalid ({n} violation{}): ",
            if n == 1 { "" } else { "s" }
        );
        for (i, v) in violations.iter().enumerate() {
            if i > 0 {
                message.push_str("; ");
            }
            message.push_str(&v.to_string());
        }
        ErrorReport::new(ErrorKind::Validation, message)
            .with_stage(Stage::Validate)
            .with_violations(&violations, n)
            .into()
    }

    /// The Python exception for this error: the single mapping from core errors to Python.
    pub(crate) fn into_pyerr(self, py: Python<'_>) -> PyErr {
        self.build(py).unwrap_or_else(|e| e)
    }

    fn build(self, py: Python<'_>) -> PyResult<PyErr> {
        let r = self.report;
        let kind = self.known.then_some(r.kind);
        let exc = exception_type(py, kind)?.call1((r.message,))?;
        exc.setattr("stage", r.stage.map(Stage::as_str))?;
        exc.setattr("kind", kind.map_or(OTHER, ErrorKind::as_str))?;
        exc.setattr("upstream", r.upstream.as_str())?;
        exc.setattr("retryable", r.retryable)?;
        if r.kind == ErrorKind::Validation {
            let violations = r.violations.into_iter().map(PyViolation::from);
            exc.setattr("violations", PyList::new(py, violations)?)?;
        }
        if !r.endpoints.is_empty() {
            let endpoints = r.endpoints.into_iter().map(PyProbeReport::from);
            exc.setattr("endpoints", PyList::new(py, endpoints)?)?;
        }
        if carries_upstream_details(r.kind) {
            exc.setattr("status", r.status)?;
            exc.setattr("code", r.code)?;
            exc.setattr("correlation_id", r.correlation_id)?;
        }
        if r.kind.is_aws_error() {
            exc.setattr("operation", r.operation)?;
            exc.setattr("resource", r.resource)?;
        }
        if r.kind == ErrorKind::RateLimited {
            exc.setattr("retry_after", r.retry_after_secs)?;
        }
        if r.step.is_some() {
            exc.setattr("step", r.step)?;
        }
        if r.kind.is_deploy_error() {
            exc.setattr("integration_id", r.integration_id)?;
            exc.setattr("detail", r.detail)?;
        }
        Ok(PyErr::from_value(exc))
    }
}

impl From<ErrorReport> for ErrorInfo {
    fn from(report: ErrorReport) -> Self {
        Self {
            report,
            known: true,
        }
    }
}

impl From<ValidationErrors> for ErrorInfo {
    fn from(errors: ValidationErrors) -> Self {
        Self::invalid(errors.into_violations())
    }
}

impl From<ResolveError> for ErrorInfo {
    fn from(err: ResolveError) -> Self {
        err.report().into()
    }
}

impl From<CoreDeployError> for ErrorInfo {
    fn from(err: CoreDeployError) -> Self {
        err.report().into()
    }
}

impl From<RouteError> for ErrorInfo {
    fn from(err: RouteError) -> Self {
        err.report().into()
    }
}

/// `err` in the core's JSON form (the `ErrorReport`'s fields): `kind`, `stage`, `upstream`,
/// `message`, `retryable`, then `violations`, `endpoints`, `status`, `code`, `correlation_id`,
/// `retry_after_secs`, `step`, `integration_id`, `detail`, `operation` and `resource` where
/// present.
fn error_to_dict<'py>(err: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = err.py();
    let d = PyDict::new(py);
    d.set_item("kind", err.getattr("kind")?)?;
    d.set_item("stage", err.getattr("stage")?)?;
    d.set_item("upstream", err.getattr("upstream")?)?;
    d.set_item("message", err.str()?)?;
    d.set_item("retryable", err.getattr("retryable")?)?;
    for (attr, key) in [("violations", "violations"), ("endpoints", "endpoints")] {
        let Ok(items) = err.getattr(attr) else {
            continue;
        };
        if items.len()? > 0 {
            let dicts = items
                .try_iter()?
                .map(|item| item?.call_method0("to_dict"))
                .collect::<PyResult<Vec<_>>>()?;
            d.set_item(key, dicts)?;
        }
    }
    for (attr, key) in [
        ("status", "status"),
        ("code", "code"),
        ("correlation_id", "correlation_id"),
        ("retry_after", "retry_after_secs"),
        ("step", "step"),
        ("integration_id", "integration_id"),
        ("detail", "detail"),
        ("operation", "operation"),
        ("resource", "resource"),
    ] {
        if let Ok(value) = err.getattr(attr)
            && !value.is_none()
        {
            d.set_item(key, value)?;
        }
    }
    Ok(d)
}

/// Builds and raises the exception for `kind` with the given fields, exactly as a core error of
/// that kind would be raised. Lets the test suite check every class and attribute without a
/// failing network; not part of the public API.
#[pyfunction]
#[pyo3(name = "_raise_error", signature = (kind, message, *, stage=None, retryable=false, status=None, code=None, correlation_id=None, retry_after=None, step=None, integration_id=None, detail=None, operation=None, resource=None))]
#[allow(clippy::too_many_arguments)] // mirrors the exception's attributes, one keyword each
pub(crate) fn raise_error(
    py: Python<'_>,
    kind: &str,
    message: String,
    stage: Option<&str>,
    retryable: bool,
    status: Option<u16>,
    code: Option<String>,
    correlation_id: Option<String>,
    retry_after: Option<f64>,
    step: Option<&str>,
    integration_id: Option<String>,
    detail: Option<String>,
    operation: Option<String>,
    resource: Option<String>,
) -> PyResult<()> {
    let named = |what: &str, name: &str| PyValueError::new_err(format!("unknown {what} `{name}`"));
    let stage = stage
        .map(|name| Stage::from_name(name).ok_or_else(|| named("stage", name)))
        .transpose()?;
    let step = step
        .map(|name| DeployStep::from_name(name).ok_or_else(|| named("step", name)))
        .transpose()?;
    let known = ErrorKind::from_name(kind);
    let mut report = ErrorReport::new(known.unwrap_or(ErrorKind::Config), message);
    report.stage = stage;
    report.retryable = retryable;
    report.status = status;
    report.code = code;
    report.correlation_id = correlation_id;
    report.retry_after_secs = retry_after;
    report.step = step.map(|s| s.as_str().to_owned());
    report.integration_id = integration_id;
    report.detail = detail;
    report.operation = operation;
    report.resource = resource;
    let info = ErrorInfo {
        report,
        known: known.is_some(),
    };
    Err(info.into_pyerr(py))
}
