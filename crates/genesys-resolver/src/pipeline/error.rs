//! [`ResolveError`]: why a resolve failed, at which stage, and whether a retry can help.

use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

use super::Stage;
use crate::api::ClientError;
use crate::auth::AuthError;
use crate::coordination::CoordinationError;
use crate::error::{ErrorReport, OperationError};
use crate::probe::{ProbeFailure, ProbeReport};
use crate::validate::{ValidationErrors, Violation};

use crate::outcome::ErrorKind;

impl ErrorKind {
    /// The kind of a failed call to Genesys: [`ErrorKind::Auth`] or
    /// [`ErrorKind::GenesysUnreachable`] (see [`ErrorKind::of_auth_error`]), [`ErrorKind::Api`],
    /// [`ErrorKind::RateLimited`], [`ErrorKind::Transport`] or [`ErrorKind::Config`]. Anything that
    /// talks to Genesys through a [`crate::api::GenesysClient`] (the pipeline, the EventBridge
    /// deployer, bindings) classifies its failures with this one function.
    pub fn of_client_error(error: &ClientError) -> Self {
        match error {
            ClientError::Auth(e) => Self::of_auth_error(e),
            ClientError::Api(_) | ClientError::Decode { .. } => Self::Api,
            ClientError::RateLimited { .. } => Self::RateLimited,
            ClientError::Timeout { .. } | ClientError::Transport { .. } => Self::Transport,
            ClientError::Coordination(_) => Self::Coordination,
            _ => Self::Config,
        }
    }

    /// The kind of a failed token request: [`ErrorKind::GenesysUnreachable`] when the login
    /// host could not be reached or did not answer in time, [`ErrorKind::Auth`] otherwise
    /// (credentials refused, an error status, an unusable answer).
    pub fn of_auth_error(error: &AuthError) -> Self {
        match error {
            AuthError::Timeout { .. } | AuthError::Transport { .. } => Self::GenesysUnreachable,
            _ => Self::Auth,
        }
    }
}

/// What went wrong underneath a [`ResolveError`].
#[derive(Debug)]
enum Cause {
    Validation(ValidationErrors),
    Probe {
        summary: String,
        retryable: bool,
    },
    Client(ClientError),
    Auth(AuthError),
    Coordination(CoordinationError),
    Ambiguous {
        name: String,
        ids: Vec<String>,
    },
    /// A deploy target's failure, with its report taken once.
    Target {
        error: Box<dyn OperationError>,
        report: Box<ErrorReport>,
    },
}

/// Why a resolve (or check) failed: the [`Stage`] that failed, a flat [`ErrorKind`], and the
/// details. Never carries a token or secret; its `Display` is one line for logs, its
/// [`ErrorReport`] ([`OperationError::report`], also its `Serialize` form) what front ends show;
/// its `source()` is the client, token or coordination error underneath.
#[derive(Debug)]
pub struct ResolveError {
    stage: Stage,
    kind: ErrorKind,
    cause: Cause,
    /// Reports of every probed endpoint, failing ones first, for probe-stage errors.
    endpoints: Vec<ProbeReport>,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: ", self.stage)?;
        match &self.cause {
            Cause::Validation(e) => write!(f, "{e}"),
            Cause::Probe { summary, .. } => f.write_str(summary),
            Cause::Client(e) => write!(f, "{e}"),
            Cause::Auth(e) => write!(f, "{e}"),
            Cause::Coordination(e) => write!(f, "{e}"),
            Cause::Ambiguous { name, ids } => write!(
                f,
                "{} integrations are named {name:?} ({}); resolve refuses to pick one: delete the extras",
                ids.len(),
                ids.join(", ")
            ),
            Cause::Target { error, .. } => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ResolveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Cause::Validation(e) => Some(e),
            Cause::Client(e) => Some(e),
            Cause::Auth(e) => Some(e),
            Cause::Coordination(e) => Some(e),
            Cause::Target { error, .. } => Some(error.as_ref()),
            Cause::Probe { .. } | Cause::Ambiguous { .. } => None,
        }
    }
}

impl ResolveError {
    pub(crate) fn validation(errors: ValidationErrors) -> Self {
        Self {
            stage: Stage::Validate,
            kind: ErrorKind::Validation,
            cause: Cause::Validation(errors),
            endpoints: Vec::new(),
        }
    }

    /// A failure of the client at `stage`; an authentication failure is the token stage's,
    /// wherever it happened.
    pub(crate) fn client(stage: Stage, error: ClientError) -> Self {
        let kind = ErrorKind::of_client_error(&error);
        let stage = if kind.is_auth_error() {
            Stage::Token
        } else {
            stage
        };
        Self {
            stage,
            kind,
            cause: Cause::Client(error),
            endpoints: Vec::new(),
        }
    }

    pub(crate) fn auth(error: AuthError) -> Self {
        Self {
            stage: Stage::Token,
            kind: ErrorKind::of_auth_error(&error),
            cause: Cause::Auth(error),
            endpoints: Vec::new(),
        }
    }

    /// Concurrent callers could not be coordinated at `stage`.
    pub(crate) fn coordination(stage: Stage, error: CoordinationError) -> Self {
        Self {
            stage,
            kind: ErrorKind::Coordination,
            cause: Cause::Coordination(error),
            endpoints: Vec::new(),
        }
    }

    /// Several integrations carry the payload's name (left by an older tool): the resolve does
    /// not pick one.
    pub(crate) fn ambiguous(name: &str, ids: Vec<String>) -> Self {
        Self {
            stage: Stage::RouteMapping,
            kind: ErrorKind::Ambiguous,
            cause: Cause::Ambiguous {
                name: name.to_owned(),
                ids,
            },
            endpoints: Vec::new(),
        }
    }

    /// A deploy target's failure: its stage, kind, report and details are the resolve's.
    pub(crate) fn target(error: Box<dyn OperationError>) -> Self {
        let report = error.report();
        Self {
            stage: error.stage(),
            kind: error.kind(),
            endpoints: report.endpoints.clone(),
            cause: Cause::Target {
                error,
                report: Box::new(report),
            },
        }
    }

    /// The deploy target's error, for a resolve that failed in a
    /// [`DeployTarget`](crate::target::DeployTarget) (a route's `RouteError`, say, which the
    /// error's `source()` also is).
    pub fn target_error(&self) -> Option<&dyn OperationError> {
        match &self.cause {
            Cause::Target { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }

    /// The ids of the integrations sharing the name, for [`ErrorKind::Ambiguous`].
    pub fn ambiguous_ids(&self) -> &[String] {
        match &self.cause {
            Cause::Ambiguous { ids, .. } => ids,
            _ => &[],
        }
    }

    /// The coordination error, for [`ErrorKind::Coordination`].
    pub fn coordination_error(&self) -> Option<&CoordinationError> {
        match &self.cause {
            Cause::Coordination(e) => Some(e),
            _ => None,
        }
    }

    /// A probe-stage failure from the reports of every endpoint (at least one failed).
    pub(crate) fn probe(mut reports: Vec<ProbeReport>) -> Self {
        // Failing endpoints first, an address-policy refusal before anything else: it decides
        // that the input, not a destination, is at fault.
        reports.sort_by_key(|r| match &r.failure {
            Some(f) if f.is_input_error() => 0,
            Some(_) => 1,
            None => 2,
        });
        let failing: Vec<&ProbeReport> = reports.iter().filter(|r| !r.ok()).collect();
        let kind = crate::probe::failure_kind(&reports);
        let retryable = failing
            .iter()
            .all(|r| r.failure.as_ref().is_some_and(ProbeFailure::is_retryable));
        let summary = failing
            .iter()
            .map(|r| match &r.failure {
                Some(f) => format!("{} ({}): {f}", r.uri, f.stage()),
                None => r.uri.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let n = failing.len();
        let summary = format!(
            "{n} endpoint{} failed: {summary}",
            if n == 1 { "" } else { "s" }
        );
        Self {
            stage: Stage::Probe,
            kind,
            cause: Cause::Probe { summary, retryable },
            endpoints: reports,
        }
    }

    /// The stage that failed.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The flat classification.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The schema violations, for [`ErrorKind::Validation`]; empty otherwise.
    pub fn violations(&self) -> &[Violation] {
        match &self.cause {
            Cause::Validation(e) => e.violations(),
            Cause::Target { report, .. } => &report.violations,
            _ => &[],
        }
    }

    /// How many violations were found in all, for [`ErrorKind::Validation`]: at most
    /// [`MAX_VIOLATIONS`](crate::violation::MAX_VIOLATIONS) are kept in
    /// [`violations`](Self::violations), the rest only counted.
    pub fn violation_count(&self) -> usize {
        match &self.cause {
            Cause::Validation(e) => e.total(),
            Cause::Target { report, .. } => report.violation_count,
            _ => 0,
        }
    }

    /// The probe reports of every endpoint, failing ones first, for probe-stage errors.
    pub fn endpoints(&self) -> &[ProbeReport] {
        &self.endpoints
    }

    /// The reports of the endpoints that failed.
    pub fn failed_endpoints(&self) -> impl Iterator<Item = &ProbeReport> {
        self.endpoints.iter().filter(|r| !r.ok())
    }

    /// The client error, for failures talking to Genesys.
    pub fn client_error(&self) -> Option<&ClientError> {
        match &self.cause {
            Cause::Client(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status Genesys (or its login host) answered, when one arrived.
    pub fn status(&self) -> Option<u16> {
        match &self.cause {
            Cause::Client(e) => e.status(),
            Cause::Auth(e) => e.status(),
            Cause::Target { report, .. } => report.status,
            _ => None,
        }
    }

    /// Genesys' error code (`bad.credentials`, `too.many.requests`, ...), or the OAuth `error`
    /// for a refused token request.
    pub fn code(&self) -> Option<&str> {
        match &self.cause {
            Cause::Client(e) => e.code(),
            Cause::Auth(AuthError::Rejected { error, .. }) => error.as_deref(),
            Cause::Target { report, .. } => report.code.as_deref(),
            _ => None,
        }
    }

    /// Genesys' correlation id of the failing response, for support requests.
    pub fn correlation_id(&self) -> Option<&str> {
        match &self.cause {
            Cause::Client(e) => e.correlation_id(),
            Cause::Auth(
                AuthError::Rejected { correlation_id, .. }
                | AuthError::Status { correlation_id, .. },
            ) => correlation_id.as_deref(),
            Cause::Target { error, .. } => error.correlation_id(),
            _ => None,
        }
    }

    /// How long Genesys asked to wait, for [`ErrorKind::RateLimited`] (and 429/503 answers that
    /// carried `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.cause {
            Cause::Client(e) => e.retry_after(),
            _ => None,
        }
    }

    /// Whether the same resolve may succeed later without changing anything.
    pub fn is_retryable(&self) -> bool {
        match &self.cause {
            Cause::Validation(_) | Cause::Ambiguous { .. } => false,
            Cause::Probe { retryable, .. } => *retryable,
            Cause::Client(e) => e.is_retryable(),
            Cause::Auth(e) => e.is_retryable(),
            Cause::Coordination(e) => e.is_retryable(),
            Cause::Target { error, .. } => error.is_retryable(),
        }
    }
}

impl OperationError for ResolveError {
    fn stage(&self) -> Stage {
        self.stage
    }

    fn kind(&self) -> ErrorKind {
        self.kind
    }

    fn is_retryable(&self) -> bool {
        Self::is_retryable(self)
    }

    fn correlation_id(&self) -> Option<&str> {
        Self::correlation_id(self)
    }

    /// The basic report with the violations, the endpoints' reports, Genesys' status and
    /// code, the ids of an ambiguous name and the wait Genesys asked for.
    fn report(&self) -> ErrorReport {
        if let Cause::Target { report, .. } = &self.cause {
            return (**report).clone();
        }
        let mut report = ErrorReport::of(self)
            .with_violations(self.violations(), self.violation_count())
            .with_code(self.code())
            .with_retry_after(self.retry_after());
        report.endpoints.clone_from(&self.endpoints);
        report.status = self.status();
        report.integration_ids = self.ambiguous_ids().to_vec();
        report
    }
}

/// The error's [`ErrorReport`].
impl Serialize for ResolveError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.report().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_login_host_is_not_a_refusal() {
        let url = "https://login.example.com/oauth/token".to_owned();
        let unreachable = [
            AuthError::Transport {
                url: url.clone(),
                message: "connection refused".into(),
            },
            AuthError::Timeout {
                url: url.clone(),
                timeout: Duration::from_secs(5),
            },
        ];
        for e in unreachable {
            assert_eq!(ErrorKind::of_auth_error(&e), ErrorKind::GenesysUnreachable);
            let client = ClientError::Auth(e.clone());
            assert_eq!(
                ErrorKind::of_client_error(&client),
                ErrorKind::GenesysUnreachable
            );
            let resolve = ResolveError::auth(e);
            assert_eq!(resolve.kind(), ErrorKind::GenesysUnreachable);
            assert_eq!(resolve.stage(), Stage::Token);
            assert!(resolve.is_retryable());
            let via_client = ResolveError::client(Stage::Submit, client);
            assert_eq!(
                via_client.stage(),
                Stage::Token,
                "a token failure wherever it happened"
            );
        }
        let refused = [
            AuthError::Rejected {
                status: 401,
                error: Some("invalid_client".into()),
                description: None,
                correlation_id: None,
            },
            AuthError::Status {
                status: 503,
                snippet: String::new(),
                correlation_id: None,
            },
            AuthError::Decode {
                url,
                reason: "no access_token".into(),
            },
            AuthError::Invalidated,
        ];
        for e in refused {
            assert_eq!(ErrorKind::of_auth_error(&e), ErrorKind::Auth, "{e:?}");
            assert_eq!(ResolveError::auth(e).kind(), ErrorKind::Auth);
        }
        assert!(ErrorKind::Auth.is_auth_error() && ErrorKind::GenesysUnreachable.is_auth_error());
        assert!(!ErrorKind::Transport.is_auth_error());
    }
}
