//! The one error surface of every flow: what callers ask of any failure ([`OperationError`]:
//! stage, kind, upstream, retryable, correlation id, and `source()` through
//! [`std::error::Error`], the shape of hickory's `RetryableError`), and the one serializable
//! [`ErrorReport`] that every front end shows (the HTTP service's answers, the command line's
//! JSON, the Python exceptions' attributes).
//!
//! A resolve's [`ResolveError`](crate::pipeline::ResolveError), a deploy's
//! [`DeployError`](crate::eventbridge::DeployError) and a route's `RouteError` (feature `aws`)
//! implement the trait; their [`report`](OperationError::report) is the only place an error
//! becomes data. A report never carries a secret: its message, code, correlation id, detail
//! and violations pass through [`crate::redact::text`] when it is made, on top of the
//! redaction upstream text gets where it is read.
//!
//! ```
//! use genesys_resolver::error::{ErrorReport, OperationError};
//! use genesys_resolver::outcome::{ErrorKind, Stage, Upstream};
//!
//! fn show(error: &dyn OperationError) -> String {
//!     let report = error.report();
//!     serde_json::to_string(&report).unwrap_or_default()
//! }
//!
//! let report = ErrorReport::new(ErrorKind::Config, "page_size: must be 1 to 500");
//! assert_eq!(report.upstream, Upstream::Local);
//! assert_eq!(report.stage, None);
//! let v = serde_json::to_value(&report)?;
//! assert_eq!(v["kind"], "config");
//! assert!(v.get("violations").is_none(), "empty details are left out");
//! # let _ = show;
//! # let _ = Stage::Validate;
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::ConfigError;
use crate::coordination::CoordinationError;
use crate::outcome::{ErrorKind, Stage, Upstream};
use crate::probe::{ProbeReport, ProberBuildError};
use crate::redact;
use crate::settings::{SettingsError, SettingsErrors};
use crate::violation::Violation;

/// What callers ask of any failure of an operation, whichever flow it came from.
///
/// The failure's cause, when it has one of its own (a client error, a coordination error), is
/// its [`source`](std::error::Error::source).
pub trait OperationError: std::error::Error + Send + Sync + 'static {
    /// The stage that failed.
    fn stage(&self) -> Stage;

    /// The flat classification.
    fn kind(&self) -> ErrorKind;

    /// The party the failure lies with (by default, the kind's: [`ErrorKind::upstream`]).
    fn upstream(&self) -> Upstream {
        self.kind().upstream()
    }

    /// Whether the same operation may succeed later without changing anything.
    fn is_retryable(&self) -> bool;

    /// The upstream's correlation id of the failing response, for support requests.
    fn correlation_id(&self) -> Option<&str> {
        None
    }

    /// The failure as data, for front ends: [`ErrorReport::of`] plus the details the error
    /// has (violations, endpoints, status, code, ...).
    fn report(&self) -> ErrorReport {
        ErrorReport::of(self)
    }
}

/// A failure as front ends show it: the same fields in the HTTP service's answers, the
/// command line's JSON and the Python exceptions' attributes.
///
/// Serialized with `kind`, `stage`, `upstream`, `message` and `retryable` always present, and
/// each detail only when the failure has it. Nothing in it is secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorReport {
    /// The flat classification.
    pub kind: ErrorKind,
    /// The stage that failed (`None` for a failure outside any operation: a setting).
    pub stage: Option<Stage>,
    /// The party the failure lies with.
    pub upstream: Upstream,
    /// What went wrong, for people (redacted).
    pub message: String,
    /// Whether trying again later can help.
    pub retryable: bool,
    /// The upstream's correlation id of the failing response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The deploy step that failed (`lookup`, `write_config`, ...), for deploys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The broken rules, for `validation` (at most
    /// [`MAX_VIOLATIONS`](crate::violation::MAX_VIOLATIONS), or the limit a front end set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// How many rules were broken in all (more than `violations` lists when capped).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub violation_count: usize,
    /// Every probed endpoint's report, failing ones first, for probe failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<ProbeReport>,
    /// The HTTP status the upstream answered, when one arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The upstream's error code (`bad.credentials`, `ThrottlingException`, an OAuth error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The ids of the integrations sharing a name, for `ambiguous`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integration_ids: Vec<String>,
    /// The integration concerned, when one was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    /// The upstream's explanation of a failed state (an integration in `ERROR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// How long the upstream asked to wait, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<f64>,
    /// The AWS API operation that failed (`CreateConnection`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The resource concerned (`rule genesys-orders-1a2b3c4d`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes `&T`
fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ErrorReport {
    /// A report of `kind` with only a message (redacted): no stage, the kind's upstream, not
    /// retryable. Set further fields as needed.
    pub fn new(kind: ErrorKind, message: impl AsRef<str>) -> Self {
        Self {
            kind,
            stage: None,
            upstream: kind.upstream(),
            message: redact::text(message.as_ref()),
            retryable: false,
            correlation_id: None,
            step: None,
            violations: Vec::new(),
            violation_count: 0,
            endpoints: Vec::new(),
            status: None,
            code: None,
            integration_ids: Vec::new(),
            integration_id: None,
            detail: None,
            retry_after_secs: None,
            operation: None,
            resource: None,
        }
    }

    /// The basic report of any operation error: kind, stage, upstream, message (the error's
    /// `Display`, redacted), retryable and correlation id. Implementations of
    /// [`OperationError::report`] start here and add their details.
    pub fn of<E: OperationError + ?Sized>(error: &E) -> Self {
        let mut report = Self::new(error.kind(), error.to_string());
        report.stage = Some(error.stage());
        report.upstream = error.upstream();
        report.retryable = error.is_retryable();
        report.correlation_id = error.correlation_id().map(redact::text);
        report
    }

    /// The same report at `stage`.
    #[must_use]
    pub fn with_stage(mut self, stage: Stage) -> Self {
        self.stage = Some(stage);
        self
    }

    /// The same report listing `violations` (their paths and messages redacted), `total` of
    /// them in all (at least as many as listed).
    #[must_use]
    pub fn with_violations(mut self, violations: &[Violation], total: usize) -> Self {
        self.violations = violations
            .iter()
            .map(|v| Violation::new(redact::text(&v.path), v.code, redact::text(&v.message)))
            .collect();
        self.violation_count = total.max(violations.len());
        self
    }

    /// The same report with its upstream error code (redacted).
    #[must_use]
    pub fn with_code(mut self, code: Option<&str>) -> Self {
        self.code = code.map(redact::text);
        self
    }

    /// The same report with the wait the upstream asked for.
    #[must_use]
    pub fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.retry_after_secs = wait.map(|w| w.as_secs_f64());
        self
    }

    /// The same report listing at most `max` violations. When some are left out, the message
    /// (which would repeat every violation) becomes a summary naming the count; the full count
    /// stays in `violation_count`.
    #[must_use]
    pub fn limit_violations(mut self, max: usize) -> Self {
        let count = self.violation_count.max(self.violations.len());
        self.violations.truncate(max);
        if count > self.violations.len() {
            let stage = self.stage.map_or("", Stage::as_str);
            let sep = if stage.is_empty() { "" } else { " failed: " };
            self.message = format!(
                "{stage}{sep}invalid input ({count} violations; the first {} are listed)",
                self.violations.len()
            );
        }
        self.violation_count = count;
        self
    }
}

/// Why a resolver or a deployer could not be built. Each variant names the setting to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A setting the real components need was not given (and no component replacing them was).
    #[error("missing setting `{0}`")]
    Missing(&'static str),
    /// Settings that are refused as they stand (each names its field).
    #[error("invalid settings: {0}")]
    Settings(#[from] SettingsErrors),
    /// The environment held a setting that could not be read (it names the variable).
    #[error("invalid setting: {0}")]
    Environment(#[from] SettingsError),
    /// The Genesys client or token source refused its settings.
    #[error("Genesys client: {0}")]
    Client(#[from] ConfigError),
    /// The prober refused its settings (trust anchors, DNS configuration, timeouts).
    #[error("prober: {0}")]
    Prober(#[from] ProberBuildError),
    /// The coordination store (Redis) could not be connected to, or refused its options.
    #[error("coordination: {0}")]
    Coordination(#[from] CoordinationError),
}

impl BuildError {
    /// The failure as data: kind `coordination` (retryable) when Redis did not answer, `config`
    /// otherwise; no stage.
    pub fn report(&self) -> ErrorReport {
        match self {
            Self::Coordination(e) if e.is_retryable() => {
                let mut report = ErrorReport::new(ErrorKind::Coordination, self.to_string());
                report.retryable = true;
                report
            }
            _ => ErrorReport::new(ErrorKind::Config, self.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violation::ViolationCode;

    #[test]
    fn a_capped_report_says_how_many_and_lists_the_first() {
        let v: Vec<Violation> = (0..5)
            .map(|i| Violation::new(format!("uris[{i}]"), ViolationCode::UriNotHttps, "no"))
            .collect();
        let report = ErrorReport::new(ErrorKind::Validation, "every violation spelled out")
            .with_stage(Stage::Validate)
            .with_violations(&v, 7)
            .limit_violations(2);
        assert_eq!(report.violations.len(), 2);
        assert_eq!(report.violation_count, 7);
        assert_eq!(
            report.message,
            "validate failed: invalid input (7 violations; the first 2 are listed)"
        );
        let whole = ErrorReport::new(ErrorKind::Validation, "a; b")
            .with_violations(&v[..2], 2)
            .limit_violations(100);
        assert_eq!((whole.message.as_str(), whole.violation_count), ("a; b", 2));
    }

    #[test]
    fn reports_are_redacted_where_they_are_made() {
        let report = ErrorReport::new(ErrorKind::Api, "Authorization: Bearer abc.def.ghi failed")
            .with_code(Some("token=s3cr3t"));
        let text = serde_json::to_string(&report).unwrap();
        assert!(
            !text.contains("abc.def.ghi") && !text.contains("s3cr3t"),
            "{text}"
        );
        assert_eq!(report.upstream, Upstream::Genesys);
    }
}
