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
    /// A resource the route would update or delete is not the route's: its description names
    /// another route, or no route (made by hand, or by an older version). Nothing was written
    /// to it; rename or remove it, or destroy the route that owns it.
    #[error("{resource} belongs to {owner}, not to this route: refused")]
    NotOwned {
        /// The resource (`connection genesys-orders-...-d0`, ...).
        resource: String,
        /// Its owner as its description names it (`route "orders" (id ...)`, or `no route`).
        owner: String,
    },
    /// EventBridge took a `PutTargets` or `RemoveTargets` call but refused some of its entries
    /// (`FailedEntryCount`); each failed target with AWS's code and (redacted) message.
    #[error("{operation} on rule {rule}: {} target(s) failed: {}", .failures.len(), failed_list(.failures))]
    TargetsFailed {
        /// `PutTargets` or `RemoveTargets`.
        operation: &'static str,
        /// The rule.
        rule: String,
        /// Every failed entry.
        failures: Vec<TargetFailure>,
    },
    /// Apply stopped part way, after writing: `source` is why; what exists on each side is
    /// listed (the Genesys integration, every AWS resource of the route). Applying again
    /// converges from there.
    #[error("apply stopped part way ({source}); Genesys integration {}; AWS holds {}", .integration_id.as_deref().unwrap_or("none"), held(.aws))]
    Incomplete {
        /// The Genesys integration's id, when it exists.
        integration_id: Option<String>,
        /// Every AWS resource of the route that exists (`event bus ...`, `rule ...`,
        /// `connection ...`, ...), after the failure.
        aws: Vec<String>,
        /// The failure.
        #[source]
        source: Box<RouteError>,
    },
    /// The route's turn could not be had (another writer kept it for the whole wait, or the
    /// coordination store, Redis, was unreachable; then nothing was written), or it was lost
    /// mid-operation: the operation stopped before its next write, and what was written before
    /// stands (plan again to see it). Retryable.
    #[error("route {name}: {source}")]
    Coordination {
        /// The route's name.
        name: String,
        /// What failed.
        #[source]
        source: crate::coordination::CoordinationError,
    },
    /// A rehearsal's options or sample cannot be used (the sample event, the topic or the
    /// destination asked for); the error names the option at fault. Nothing was sent.
    #[error("rehearse: {0}")]
    Rehearse(#[source] super::rehearse::RehearseError),
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

/// One target entry EventBridge refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TargetFailure {
    /// The target's id.
    pub target_id: String,
    /// AWS's error code for it.
    pub code: Option<String>,
    /// AWS's message, redacted.
    pub message: String,
}

fn failed_list(failures: &[TargetFailure]) -> String {
    failures
        .iter()
        .map(|f| {
            format!(
                "{} {}: {}",
                f.target_id,
                f.code.as_deref().unwrap_or("?"),
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn held(aws: &[String]) -> String {
    if aws.is_empty() {
        "nothing".to_owned()
    } else {
        aws.join(", ")
    }
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
            | Self::NotOwned { .. }
            | Self::EventSourceUnusable { .. }
            | Self::Rehearse(_) => false,
            Self::Probe { reports } => reports
                .iter()
                .filter_map(|r| r.failure.as_ref())
                .all(crate::probe::ProbeFailure::is_retryable),
            Self::Genesys(e) => e.is_retryable(),
            Self::EventSourceTimeout { .. } => true,
            Self::Aws { source, .. } => source.is_retryable(),
            Self::TargetsFailed { failures, .. } => failures.iter().all(|f| {
                matches!(
                    f.code.as_deref(),
                    Some(
                        "ConcurrentModificationException"
                            | "InternalException"
                            | "ThrottlingException"
                    )
                )
            }),
            Self::Incomplete { source, .. } => source.is_retryable(),
            Self::Coordination { source, .. } => source.is_retryable(),
        }
    }

    /// The stage that failed, as metrics and audit name it: `validate`, `probe`, and `submit`
    /// for the Genesys integration and the AWS resources (the Genesys error's own stage when it
    /// has one).
    pub fn stage(&self) -> Stage {
        match self {
            Self::Validation(_) | Self::Rehearse(_) => Stage::Validate,
            Self::Probe { .. } => Stage::Probe,
            Self::Genesys(e) => e.stage(),
            Self::Incomplete { source, .. } => source.stage(),
            _ => Stage::Submit,
        }
    }

    /// The flat classification shared with the other flows (a failed probe: the kind of its
    /// failure, an address-policy refusal first).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Validation(_) | Self::Rehearse(_) => ErrorKind::Validation,
            Self::Probe { reports } => crate::probe::failure_kind(reports),
            Self::Genesys(e) => e.kind(),
            Self::EventSourceTimeout { .. } => ErrorKind::ActivationTimeout,
            Self::EventSourceUnusable { .. } => ErrorKind::ActivationFailed,
            Self::Aws { source, .. } => source.kind,
            Self::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Self::NotOwned { .. } => ErrorKind::Conflict,
            Self::TargetsFailed { failures, .. } => {
                let code = |c: &str| failures.iter().any(|f| f.code.as_deref() == Some(c));
                if code("LimitExceededException") {
                    ErrorKind::AwsLimitExceeded
                } else if code("ThrottlingException") {
                    ErrorKind::AwsThrottled
                } else {
                    ErrorKind::AwsApi
                }
            }
            Self::Incomplete { source, .. } => source.kind(),
            Self::Coordination { .. } => ErrorKind::Coordination,
        }
    }

    /// The party the failure lies with: AWS for the EventBridge calls and the partner event
    /// source, the Genesys error's own for the Genesys half, the kind's otherwise.
    pub fn upstream(&self) -> Upstream {
        match self {
            Self::Genesys(e) => OperationError::upstream(e),
            Self::Incomplete { source, .. } => source.upstream(),
            Self::NotOwned { .. }
            | Self::TargetsFailed { .. }
            | Self::EventSourceTimeout { .. }
            | Self::EventSourceUnusable { .. }
            | Self::Aws { .. }
            | Self::InvalidResponse { .. } => Upstream::Aws,
            Self::Validation(_)
            | Self::Probe { .. }
            | Self::Coordination { .. }
            | Self::Rehearse(_) => self.kind().upstream(),
        }
    }

    /// The upstream's correlation id of the failing response (Genesys'), if any.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Genesys(e) => e.correlation_id(),
            Self::Incomplete { source, .. } => source.correlation_id(),
            _ => None,
        }
    }

    /// The violations, for [`Validation`](Self::Validation); empty otherwise.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Self::Validation(e) => e.violations(),
            Self::Incomplete { source, .. } => source.violations(),
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
        if let Self::Incomplete {
            integration_id,
            source,
            ..
        } = self
        {
            let mut report = source.report();
            report.message = crate::redact::text(&self.to_string());
            if integration_id.is_some() {
                report.integration_id.clone_from(integration_id);
            }
            return report;
        }
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
            Self::Rehearse(e) => {
                report.resource = Some(e.field().to_owned());
            }
            Self::InvalidResponse { resource, .. } | Self::NotOwned { resource, .. } => {
                report.resource = Some(resource.clone());
            }
            Self::TargetsFailed {
                operation,
                rule,
                failures,
            } => {
                report = report.with_code(failures.iter().find_map(|f| f.code.as_deref()));
                report.operation = Some((*operation).to_owned());
                report.resource = Some(format!("rule {rule}"));
            }
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

impl From<super::rehearse::RehearseError> for RouteError {
    fn from(e: super::rehearse::RehearseError) -> Self {
        Self::Rehearse(e)
    }
}
