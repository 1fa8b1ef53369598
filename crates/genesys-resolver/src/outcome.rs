//! The shared vocabulary of outcomes: which [`Operation`] ran, its [`Stage`]s, what it did
//! ([`Action`]), the timed [`ProbePhase`]s of a probe, why a call was retried ([`RetryReason`]),
//! and how an operation ended ([`OperationOutcome`]).
//!
//! Everything here is plain data on the ground floor: the client, the prober, metrics, audit and
//! every flow (the resolve pipeline, the EventBridge deployer) speak these words, and none of them
//! lends its own words downward.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::durations::duration_ms;
use crate::names::named_enum;

named_enum! {
    /// A stage of an operation, in pipeline order; errors and metrics name the stage that failed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum Stage {
        /// Schema rules of [`crate::validate`].
        Validate = "validate",
        /// DNS, address policy, TLS and health of every destination (before any Genesys call).
        Probe = "probe",
        /// Obtaining an access token (wherever in an operation it was needed).
        Token = "token",
        /// Looking up an existing integration with the same name.
        RouteMapping = "route_mapping",
        /// Creating or updating the integration.
        Submit = "submit",
    }
}

named_enum! {
    /// Which kind of operation ran: metrics count each on its own, audit records name it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum Operation {
        /// A resolve of a [`ResolvePayload`](crate::payload::ResolvePayload) (or its dry run,
        /// `check`).
        #[default]
        Resolve = "resolve",
        /// A deploy of an integration on the platform integrations API (or its dry run, `plan`).
        Deploy = "deploy",
    }
}

named_enum! {
    /// What a resolve did to the integration.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum Action {
        /// No integration had the name; one was created.
        Created = "created",
        /// An integration with the name existed and differed; it was updated.
        Updated = "updated",
        /// An integration with the name existed and already matched; nothing was sent.
        Unchanged = "unchanged",
        /// An integration was disabled (`intendedState` DISABLED).
        Disabled = "disabled",
        /// An integration was deleted.
        Deleted = "deleted",
    }
}

named_enum! {
    /// A timed phase of one endpoint probe (the phases of blackbox_exporter).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum ProbePhase {
        /// DNS resolution.
        Resolve = "resolve",
        /// TCP connect.
        Connect = "connect",
        /// TLS handshake.
        Tls = "tls",
        /// From sending the health request to the first byte of its response.
        FirstByte = "first_byte",
        /// The whole probe.
        Total = "total",
    }
}

named_enum! {
    /// Why an API call was retried.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum RetryReason {
        /// 429 Too Many Requests.
        RateLimited = "rate_limited",
        /// 502, 503 or 504.
        ServerError = "server_error",
        /// The connection failed or timed out.
        Transport = "transport",
        /// 401 with a token that was then refreshed.
        Unauthorized = "unauthorized",
    }
}

named_enum! {
    /// A flat classification of every failure of an operation (a resolve's
    /// [`ResolveError`](crate::pipeline::ResolveError), a deploy's
    /// [`DeployError`](crate::eventbridge::DeployError)), for callers that map errors to their
    /// own vocabulary (HTTP statuses, Python exception classes). New kinds may be added.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum ErrorKind {
        /// The input breaks schema rules; see its violations. Fix the input.
        Validation = "validation",
        /// A destination resolves to an address the policy refuses (loopback, private, metadata,
        /// ...). Nothing was connected to. Point it at a public address or allow the range.
        AddressPolicy = "address_policy",
        /// A destination's host name did not resolve.
        Dns = "dns",
        /// A destination refused or did not accept the TCP connection.
        Connect = "connect",
        /// A destination's TLS handshake failed (expired, wrong host, unknown issuer, old
        /// protocol).
        Tls = "tls",
        /// A destination's health check answered an unaccepted status or broke off.
        Health = "health",
        /// A destination did not answer within its time limit.
        ProbeTimeout = "probe_timeout",
        /// No access token could be obtained: the login host refused the credentials or answered
        /// an error.
        Auth = "auth",
        /// The login host could not be reached or did not answer in time (connection refused,
        /// DNS, TLS, timeout), so no access token was had. Retryable; check the network and the
        /// environment. A refinement of [`ErrorKind::Auth`], which named these failures before.
        GenesysUnreachable = "genesys_unreachable",
        /// Genesys answered an error status after every retry the policy allowed. (AWS errors
        /// have kinds of their own: [`ErrorKind::AwsApi`] and its neighbours.)
        Api = "api",
        /// Genesys asked to wait longer than the retry policy allows; try again after the wait
        /// the error carries.
        RateLimited = "rate_limited",
        /// Genesys could not be reached or did not answer in time.
        Transport = "transport",
        /// The resolver or a request was misconfigured; a bug or a bad setting, not a passing
        /// fault.
        Config = "config",
        /// A deploy's configuration kept changing under it (version conflicts beyond the retry
        /// budget). Try again.
        Conflict = "conflict",
        /// The integration reported `ERROR`; the error carries Genesys' explanation. (For a
        /// route: Genesys' partner event source in the AWS account is `DELETED`.)
        ActivationFailed = "activation_failed",
        /// The integration did not become `ACTIVE` in time. Check it later. (For a route: the
        /// partner event source did not appear in the AWS account in time.)
        ActivationTimeout = "activation_timeout",
        /// A deleted integration was still there when the wait for it to go ran out. It may
        /// still go: check it later.
        DeletionTimeout = "deletion_timeout",
        /// Several integrations carry the name; the error lists their ids. Remove the extras.
        Ambiguous = "ambiguous",
        /// Genesys answered success with a body that cannot be used.
        InvalidResponse = "invalid_response",
        /// Concurrent callers could not be coordinated: the turn on the integration's name was
        /// not had in time, the coordination store (Redis) was unreachable, or a lease was lost
        /// mid-operation. Nothing was deployed unlocked. Retryable.
        Coordination = "coordination",
        /// AWS answered an error the other AWS kinds do not cover (a request it refused, an
        /// internal error); the error carries AWS's code. Retryable when AWS says so.
        AwsApi = "aws_api",
        /// AWS throttled the call after the SDK's own retries (`ThrottlingException`). Retry
        /// later, or lower the rate of changes.
        AwsThrottled = "aws_throttled",
        /// AWS could not be reached or did not answer in time (connection refused, DNS, TLS, a
        /// timeout, a lost response): the call may or may not have taken effect. Retryable;
        /// check the network, the region and any endpoint override.
        AwsUnreachable = "aws_unreachable",
        /// AWS refused the credentials or the permission (`AccessDeniedException`, an unknown,
        /// expired or badly signed key), or no credentials were found in the standard chain.
        /// Fix the credentials or the IAM policy.
        AwsAccessDenied = "aws_access_denied",
        /// An AWS quota was reached (`LimitExceededException`, `ServiceQuotaExceededException`):
        /// too many buses, rules, connections or API destinations. Remove some or raise the
        /// quota.
        AwsLimitExceeded = "aws_limit_exceeded",
    }
}

named_enum! {
    /// Which party a failure lies with, as errors and error reports name it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum Upstream {
        /// Genesys Cloud (its API or its login host).
        Genesys = "genesys",
        /// Amazon Web Services (EventBridge).
        Aws = "aws",
        /// A destination (the probes: DNS, connect, TLS, health).
        Destination = "destination",
        /// Nothing outside: the input, the settings, or the coordination of callers.
        Local = "local",
    }
}

impl ErrorKind {
    /// Whether no access token could be had: [`ErrorKind::Auth`] or its refinement
    /// [`ErrorKind::GenesysUnreachable`]. Such failures belong to the token stage.
    pub fn is_auth_error(self) -> bool {
        matches!(self, Self::Auth | Self::GenesysUnreachable)
    }

    /// Whether the caller's input is at fault (an HTTP service answers 400 for these).
    pub fn is_input_error(self) -> bool {
        matches!(self, Self::Validation | Self::AddressPolicy)
    }

    /// Whether a destination (not Genesys, not the input) is at fault.
    pub fn is_destination_error(self) -> bool {
        matches!(
            self,
            Self::Dns | Self::Connect | Self::Tls | Self::Health | Self::ProbeTimeout
        )
    }

    /// Whether AWS (EventBridge) is at fault: one of the `aws_*` kinds.
    pub fn is_aws_error(self) -> bool {
        matches!(
            self,
            Self::AwsApi
                | Self::AwsThrottled
                | Self::AwsUnreachable
                | Self::AwsAccessDenied
                | Self::AwsLimitExceeded
        )
    }

    /// The party a failure of this kind lies with, when the error says no more: the input,
    /// settings and coordination are [`Upstream::Local`], the probes'
    /// [`Upstream::Destination`], the `aws_*` kinds [`Upstream::Aws`], the rest
    /// [`Upstream::Genesys`]. (A route's error knows better for the kinds it shares with
    /// Genesys: its partner event source's are AWS's.)
    pub fn upstream(self) -> Upstream {
        if self.is_input_error() || matches!(self, Self::Config | Self::Coordination) {
            Upstream::Local
        } else if self.is_destination_error() {
            Upstream::Destination
        } else if self.is_aws_error() {
            Upstream::Aws
        } else {
            Upstream::Genesys
        }
    }

    /// Whether the kind belongs to a deploy on the platform integrations API only.
    pub fn is_deploy_error(self) -> bool {
        matches!(
            self,
            Self::Conflict
                | Self::ActivationFailed
                | Self::ActivationTimeout
                | Self::DeletionTimeout
                | Self::Ambiguous
                | Self::InvalidResponse
        )
    }
}

/// How one operation ended, as the metrics sink sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperationOutcome {
    /// Which operation this was (a resolve unless said otherwise).
    #[serde(default)]
    pub operation: Operation,
    /// What was done, when it succeeded (or what would be done, for a dry run).
    pub action: Option<Action>,
    /// The stage that failed, when it failed.
    pub failed_stage: Option<Stage>,
    /// Wall time of the whole operation.
    #[serde(with = "duration_ms")]
    pub latency: Duration,
    /// Whether this was a dry run (`check` or `plan`), which submits nothing.
    pub dry_run: bool,
}

impl OperationOutcome {
    /// A successful resolve (see [`for_operation`](Self::for_operation) for another operation).
    pub fn succeeded(action: Action, latency: Duration, dry_run: bool) -> Self {
        Self {
            operation: Operation::Resolve,
            action: Some(action),
            failed_stage: None,
            latency,
            dry_run,
        }
    }

    /// A resolve that failed at `stage` (see [`for_operation`](Self::for_operation) for
    /// another operation).
    pub fn failed(stage: Stage, latency: Duration, dry_run: bool) -> Self {
        Self {
            operation: Operation::Resolve,
            action: None,
            failed_stage: Some(stage),
            latency,
            dry_run,
        }
    }

    /// The same outcome, for another operation.
    #[must_use]
    pub fn for_operation(mut self, operation: Operation) -> Self {
        self.operation = operation;
        self
    }

    /// Whether the operation succeeded.
    pub fn is_success(&self) -> bool {
        self.failed_stage.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_name() {
        for stage in Stage::ALL {
            let json = serde_json::to_string(&stage).unwrap();
            assert_eq!(json, format!("\"{stage}\""));
            assert_eq!(Stage::from_name(stage.as_str()), Some(stage));
            assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
        }
        assert!("nope".parse::<Action>().is_err());
        assert_eq!(ProbePhase::ALL.len(), 5);
        assert_eq!(Operation::default(), Operation::Resolve);
    }
}
