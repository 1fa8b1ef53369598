//! [`RouteError`]: why checking, planning, applying or destroying a route failed.

use std::time::Duration;

use crate::error::{ErrorReport, OperationError};
use crate::eventbridge::DeployError;
use crate::outcome::{ErrorKind, Stage, Upstream};
use crate::probe::ProbeReport;
use crate::validate::{ValidationErrors, Violation};

/// What an EventBridge call that failed saw: the operation, AWS's error code and message
/// (passed through the crate's redaction), whether a response arrived at all, and the failure's
/// [`ErrorKind`] (one of the `aws_*` kinds, as the SDK's error told them apart). Never holds a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AwsCallError {
    /// The API operation (`CreateConnection`, ...).
    pub operation: &'static str,
    /// AWS's error code (`ResourceNotFoundException`, ...), when the service answered with one.
    pub code: Option<String>,
    /// AWS's message, redacted.
    pub message: String,
    /// Whether the failure came before or instead of a response (a timeout, a dropped
    /// connection, a lost response): the call may or may not have taken effect.
    pub no_response: bool,
    /// The classification: [`ErrorKind::AwsThrottled`], [`ErrorKind::AwsAccessDenied`],
    /// [`ErrorKind::AwsLimitExceeded`], [`ErrorKind::AwsUnreachable`] or
    /// [`ErrorKind::AwsApi`].
    pub kind: ErrorKind,
}

impl std::fmt::Display for AwsCallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.operation)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if self.no_response {
            write!(f, " (no response)")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsCallError {}

impl AwsCallError {
    /// Whether AWS said the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code.as_deref() == Some("ResourceNotFoundException")
    }

    /// Whether AWS said the resource exists already.
    pub fn is_already_exists(&self) -> bool {
        self.code.as_deref() == Some("ResourceAlreadyExistsException")
    }

    /// Whether the same call later may succeed: no response, throttling, internal errors and
    /// concurrent modifications.
    pub fn is_retryable(&self) -> bool {
        self.no_response
            || self.kind == ErrorKind::AwsThrottled
            || matches!(
                self.code.as_deref(),
                Some(
                    "ThrottlingException"
                        | "InternalException"
                        | "ConcurrentModificationException"
                        | "ServiceUnavailable"
                        | "InternalFailure"
                )
            )
    }
}

/// Why a route operation failed. Never carries an API key, a token or a secret header value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The route breaks the rules (the payload's, the integration's or EventBridge's: role ARN,
    /// retry ranges, input transformer sizes, ...); every violation names its field and rule.
    /// Nothing was sent.
    #[error("the route is invalid: {0}")]
    Validation(ValidationErrors),
    /// At least one destination failed its probe (DNS, address policy, TLS or health); the
    /// reports say which and why. Nothing was written.
    #[error("{} of {} destinations failed their probe", failing(.reports), .reports.len())]
    Probe {
        /// Every destination's report, in payload order.
        reports: Vec<ProbeReport>,
    },
    /// The Genesys half (the EventBridge integration) failed; see the [`DeployError`].
    #[error("Genesys integration: {0}")]
    Genesys(#[source] DeployError),
    /// Genesys' partner event source did not appear in the AWS account within the wait. The
    /// integration is active; its account id, region or suffix may not be this account's.
    #[error("the partner event source {name} did not appear within {waited:?}")]
    EventSourceTimeout {
        /// The source name looked for.
        name: String,
        /// How long the deployer waited.
        waited: Duration,
    },
    /// The partner event source exists but is `DELETED`: Genesys removed it. Re-create the
    /// integration.
    #[error("the partner event source {name} is {state}")]
    EventSourceUnusable {
        /// The source name.
        name: String,
        /// Its state.
        state: String,
    },
    /// An EventBridge call failed (after the SDK's own retries).
    #[error("{resource}: {source}")]
    Aws {
        /// The resource concerned (`rule genesys-orders-1a2b3c4d`, ...).
        resource: String,
        /// What the call saw.
        #[source]
        source: AwsCallError,
    },
    /// EventBridge answered success with a body the deployer cannot use (no ARN, a rule
    /// pattern that is not JSON, a failed target entry).
    #[error("{resource}: unexpected response: {reason}")]
    InvalidResponse {
        /// The resource concerned.
        resource: String,
        /// What was wrong.
        reason: String,
    },
}

fn failing(reports: &[ProbeReport]) -> usize {
    reports.iter().filter(|r| !r.ok()).count()
}

impl AwsCallError {
    /// Attaches the resource, making a [`RouteError::Aws`].
    pub(super) fn on(self, resource: impl Into<String>) -> RouteError {
        RouteError::Aws {
            resource: resource.into(),
            source: self,
        }
    }
}

impl RouteError {
    /// Whether running the same operation again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Validation(_)
            | Self::InvalidResponse { .. }
            | Self::EventSourceUnusable { .. } => false,
            Self::Probe { reports } => reports
                .iter()
                .filter_map(|r| r.failure.as_ref())
                .all(crate::probe::ProbeFailure::is_retryable),
            Self::Genesys(e) => e.is_retryable(),
            Self::EventSourceTimeout { .. } => true,
            Self::Aws { source, .. } => source.is_retryable(),
        }
    }

    /// The stage that failed, as metrics and audit name it: `validate`, `probe`, and `submit`
    /// for the Genesys integration and the AWS resources (the Genesys error's own stage when it
    /// has one).
    pub fn stage(&self) -> Stage {
        match self {
            Self::Validation(_) => Stage::Validate,
            Self::Probe { .. } => Stage::Probe,
            Self::Genesys(e) => e.stage(),
            _ => Stage::Submit,
        }
    }

    /// The flat classification shared with the other flows (a failed probe: the kind of its
    /// failure, an address-policy refusal first).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Validation(_) => ErrorKind::Validation,
            Self::Probe { reports } => crate::probe::failure_kind(reports),
            Self::Genesys(e) => e.kind(),
            Self::EventSourceTimeout { .. } => ErrorKind::ActivationTimeout,
            Self::EventSourceUnusable { .. } => ErrorKind::ActivationFailed,
            Self::Aws { source, .. } => source.kind,
            Self::InvalidResponse { .. } => ErrorKind::InvalidResponse,
        }
    }

    /// The party the failure lies with: AWS for the EventBridge calls and the partner event
    /// source, the Genesys error's own for the Genesys half, the kind's otherwise.
    pub fn upstream(&self) -> Upstream {
        match self {
            Self::Genesys(e) => OperationError::upstream(e),
            Self::EventSourceTimeout { .. }
            | Self::EventSourceUnusable { .. }
            | Self::Aws { .. }
            | Self::InvalidResponse { .. } => Upstream::Aws,
            Self::Validation(_) | Self::Probe { .. } => self.kind().upstream(),
        }
    }

    /// The upstream's correlation id of the failing response (Genesys'), if any.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Genesys(e) => e.correlation_id(),
            _ => None,
        }
    }

    /// The violations, for [`Validation`](Self::Validation); empty otherwise.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Self::Validation(e) => e.violations(),
            _ => &[],
        }
    }
}

impl OperationError for RouteError {
    fn stage(&self) -> Stage {
        Self::stage(self)
    }

    fn kind(&self) -> ErrorKind {
        Self::kind(self)
    }

    fn upstream(&self) -> Upstream {
        Self::upstream(self)
    }

    fn is_retryable(&self) -> bool {
        Self::is_retryable(self)
    }

    fn correlation_id(&self) -> Option<&str> {
        Self::correlation_id(self)
    }

    /// The Genesys half's report (under the route's message) for its failures; otherwise the
    /// basic report with the violations, every destination's probe report (failing ones
    /// first), or AWS's code, the API operation and the resource concerned.
    fn report(&self) -> ErrorReport {
        if let Self::Genesys(e) = self {
            let mut report = e.report();
            report.message = crate::redact::text(&self.to_string());
            return report;
        }
        let violations = self.violations();
        let mut report = ErrorReport::of(self).with_violations(violations, violations.len());
        match self {
            Self::Probe { reports } => {
                report.endpoints.clone_from(reports);
                report.endpoints.sort_by_key(ProbeReport::ok);
            }
            Self::Aws { resource, source } => {
                report = report.with_code(source.code.as_deref());
                report.operation = Some(source.operation.to_owned());
                report.resource = Some(resource.clone());
            }
            Self::InvalidResponse { resource, .. } => report.resource = Some(resource.clone()),
            _ => {}
        }
        report
    }
}

impl From<ValidationErrors> for RouteError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(e)
    }
}

impl From<DeployError> for RouteError {
    fn from(e: DeployError) -> Self {
        Self::Genesys(e)
    }
}
